# Cinder (scripts/stack up --cinder): Debian's cinder-api (uwsgi on 127.0.0.1:8776), cinder-scheduler and
# cinder-volume on the stack's Keystone, MariaDB and RabbitMQ, with Cinder's own NFS driver.
#
# This kernel has no NFS client, so the one thing stood in for is the NFS transport: the "share" is an ext4
# filesystem on a loop device, mounted where os-brick's RemoteFsClient would have mounted the export
# (<nfs_mount_point_base>/<md5 of the export>). RemoteFsClient finds it mounted and never runs mount.nfs; the
# volume files, their states and attachments are Cinder's own. The export address is never contacted.

CINDER_DIR=$STACK_DIR/cinder
CINDER_CONF=$ETC_DIR/cinder/cinder.conf
CINDER_URL=http://127.0.0.1:8776
CINDER_EXPORT=127.0.0.1:/kuryr-stack-cinder
CINDER_MNT_BASE=$CINDER_DIR/mnt
CINDER_SHARE_IMG=$CINDER_DIR/share.img
CINDER_SHARE_SIZE=${KURYR_CINDER_SHARE_SIZE:-8G}

cinder_enabled() { [ "$(state_get cinder)" = 1 ]; }

cinder_share_dir() { echo "$CINDER_MNT_BASE/$(printf %s "$CINDER_EXPORT" | md5sum | cut -d' ' -f1)"; }

# The loop device backing the share, if attached (matched by its file, so a stack that died keeps no orphan).
cinder_share_loop() { losetup -j "$CINDER_SHARE_IMG" -O NAME -n 2> /dev/null | head -n 1; }

cinder_share_up() {
    local dir loop
    dir=$(cinder_share_dir)
    mountpoint -q "$dir" && return 0
    mkdir -p "$dir"
    if [ ! -f "$CINDER_SHARE_IMG" ]; then
        truncate -s "$CINDER_SHARE_SIZE" "$CINDER_SHARE_IMG"
        mkfs.ext4 -q -F -m 0 -E nodiscard "$CINDER_SHARE_IMG" || fail_component cinder-share "mkfs.ext4 of the share failed"
    fi
    loop=$(cinder_share_loop)
    [ -n "$loop" ] || loop=$(losetup -f --show "$CINDER_SHARE_IMG") || fail_component cinder-share "no free loop device"
    mount -t ext4 "$loop" "$dir" || fail_component cinder-share "cannot mount $loop on $dir"
}

# Unmounts the share and detaches its loop device; volume files on it stay in the image for the next up.
cinder_share_down() {
    local dir loop
    dir=$(cinder_share_dir)
    if mountpoint -q "$dir"; then umount "$dir" || umount -l "$dir"; fi
    loop=$(cinder_share_loop)
    [ -z "$loop" ] || losetup -d "$loop"
    rmdir "$dir" 2> /dev/null || true
}

cinder_conf() {
    mkdir -p "$CINDER_DIR/lock" "$CINDER_DIR/tmp" "$CINDER_MNT_BASE"
    echo "$CINDER_EXPORT" > "$CINDER_DIR/nfs_shares"
    write_conf "$CINDER_CONF" <<CONF
[DEFAULT]
my_ip = 127.0.0.1
host = $HOST
state_path = $CINDER_DIR
api_paste_config = /etc/cinder/api-paste.ini
rootwrap_config = /etc/cinder/rootwrap.conf
auth_strategy = keystone
transport_url = rabbit://kuryr:$(secret rabbit)@127.0.0.1:5672/
enabled_backends = nfs
default_volume_type = __DEFAULT__
osapi_volume_workers = 1
use_stderr = false
debug = false
[database]
connection = $(mariadb_url cinder "$(secret db_cinder)")
[oslo_concurrency]
lock_path = $CINDER_DIR/lock
[keystone_authtoken]
www_authenticate_uri = $KEYSTONE_URL
auth_url = $KEYSTONE_URL
auth_type = password
username = cinder
password = $(secret cinder)
project_name = service
user_domain_name = Default
project_domain_name = Default
memcached_servers =
[nfs]
volume_backend_name = nfs
volume_driver = cinder.volume.drivers.nfs.NfsDriver
nfs_shares_config = $CINDER_DIR/nfs_shares
nfs_mount_point_base = $CINDER_MNT_BASE
nfs_sparsed_volumes = true
nfs_snapshot_support = false
nas_secure_file_operations = false
nas_secure_file_permissions = false
CONF
}

cinder_api() { curl -fsS -o /dev/null "$CINDER_URL/"; }

# The volume service reports its pool to the scheduler only once its driver has set up (share mounted):
# until then the scheduler has nowhere to place a volume.
# cinder_pool_ready SECONDS
cinder_pool_ready() {
    STACK_ADMIN_PASSWORD=$(secret admin) STACK_CINDER_POOL_WAIT=$1 /usr/bin/python3 "$here/stack.d/bootstrap.py" \
        cinder-pool keystone >> "$LOG_DIR/bootstrap.log" 2>&1
}

cinder_up() {
    cinder_conf
    mariadb_db cinder "$(secret db_cinder)"
    if [ ! -f "$CINDER_DIR/migrated" ]; then
        say "cinder: creating its database (once)"
        cinder-manage --config-file "$CINDER_CONF" db sync > "$LOG_DIR/cinder-manage.log" 2>&1 ||
            fail_component cinder-manage "database migration failed"
        touch "$CINDER_DIR/migrated"
    fi
    if [ ! -f "$CINDER_DIR/users-made" ]; then
        STACK_ADMIN_PASSWORD=$(secret admin) STACK_CINDER_PASSWORD=$(secret cinder) \
            /usr/bin/python3 "$here/stack.d/bootstrap.py" cinder keystone >> "$LOG_DIR/bootstrap.log" 2>&1 ||
            fail_component bootstrap "Cinder user and endpoints"
        touch "$CINDER_DIR/users-made"
    fi
    say "cinder: NFS share on a loop device at $(cinder_share_dir)"
    cinder_share_up
    if ! pid_alive cinder-api; then
        say "cinder: starting cinder-api on 127.0.0.1:8776, cinder-scheduler and cinder-volume"
        start_bg cinder-api "cinder-wsgi" uwsgi --plugin python3 --http-socket 127.0.0.1:8776 \
            --wsgi-file /usr/bin/cinder-wsgi --master --processes 1 --threads 4 --die-on-term \
            --add-header "Connection: close" --pyargv "--config-file $CINDER_CONF" \
            --buffer-size 65535 --lazy-apps
    fi
    pid_alive cinder-scheduler || start_bg cinder-scheduler "cinder-scheduler" /usr/bin/python3 /usr/bin/cinder-scheduler \
        --config-file "$CINDER_CONF" --log-file "$LOG_DIR/cinder-scheduler.log"
    # The NFS driver refuses to start without a mount.nfs on its PATH: it gets the stand-in (see that script).
    mkdir -p "$STACK_DIR/bin"
    install -m 755 "$here/stack.d/mount.nfs-standin" "$STACK_DIR/bin/mount.nfs"
    cinder_volume_start
    state_set cinder 1
}

cinder_volume_start() {
    pid_alive cinder-volume || PATH="$STACK_DIR/bin:$PATH" start_bg cinder-volume "cinder-volume" /usr/bin/python3 \
        /usr/bin/cinder-volume --config-file "$CINDER_CONF" --log-file "$LOG_DIR/cinder-volume.log"
}

# The scheduler consumes its fanout queue and the volume service its own: the volume service listens only after
# its driver is set up and it has announced its pool to the schedulers.
cinder_rpc_listening() {
    ( rabbit_env; /usr/lib/rabbitmq/bin/rabbitmqctl -q list_queues name consumers 2> /dev/null ) |
        awk -v vol="cinder-volume.$HOST@nfs" '$1 ~ /^cinder-scheduler_fanout_/ && $2 > 0 {s = 1}
            $1 == vol && $2 > 0 {v = 1} END {exit !(s && v)}'
}

# The volume service announces its pool once when its driver is set up, then only in its periodic report (the
# first 60-120 s after it starts); a scheduler asks the volume services once, when it starts. Started together,
# each may speak before the other listens, and the pool would then reach the scheduler only a minute or two
# later (a CI run waited 100 s): once both listen, a pool still missing was missed, and a restarted volume
# service announces it again to a scheduler that hears it.
cinder_ready() {
    wait_for cinder-api 90 cinder_api
    wait_for cinder-volume 90 cinder_rpc_listening
    if ! cinder_pool_ready 10; then
        say "cinder: the scheduler missed the volume service's pool announcement; restarting cinder-volume"
        stop_pid cinder-volume 30
        cinder_volume_start
        cinder_pool_ready 120 || fail_component cinder-volume "its NFS pool did not reach the scheduler"
    fi
}

cinder_down() {
    stop_pid cinder-volume 30
    stop_pid cinder-scheduler 30
    stop_pid cinder-api 20
    cinder_share_down
}
