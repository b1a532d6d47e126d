# Keystone with fernet tokens under uwsgi on 127.0.0.1:5000.

KEYSTONE_DIR=$STACK_DIR/keystone
KEYSTONE_CONF=$ETC_DIR/keystone/keystone.conf
KEYSTONE_URL=http://127.0.0.1:5000/v3

keystone_conf() {
    mkdir -p "$KEYSTONE_DIR/fernet-keys" "$KEYSTONE_DIR/credential-keys"
    chmod 700 "$KEYSTONE_DIR/fernet-keys" "$KEYSTONE_DIR/credential-keys"
    write_conf "$KEYSTONE_CONF" <<CONF
[DEFAULT]
log_file = $LOG_DIR/keystone-app.log
use_stderr = false
[database]
connection = $(mariadb_url keystone "$(secret db_keystone)")
[token]
provider = fernet
expiration = 7200
[fernet_tokens]
key_repository = $KEYSTONE_DIR/fernet-keys
[credential]
key_repository = $KEYSTONE_DIR/credential-keys
[cache]
enabled = false
CONF
}

keystone_start() {
    keystone_conf
    mariadb_db keystone "$(secret db_keystone)"
    if [ ! -f "$KEYSTONE_DIR/bootstrapped" ]; then
        say "keystone: creating schema, keys and admin"
        {
            keystone-manage --config-file "$KEYSTONE_CONF" db_sync &&
            keystone-manage --config-file "$KEYSTONE_CONF" fernet_setup --keystone-user root --keystone-group root &&
            keystone-manage --config-file "$KEYSTONE_CONF" credential_setup --keystone-user root --keystone-group root &&
            keystone-manage --config-file "$KEYSTONE_CONF" bootstrap --bootstrap-password "$(secret admin)" \
                --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
                --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
                --bootstrap-admin-url "$KEYSTONE_URL" --bootstrap-public-url "$KEYSTONE_URL" \
                --bootstrap-internal-url "$KEYSTONE_URL"
        } > "$LOG_DIR/keystone-manage.log" 2>&1 || fail_component keystone-manage "keystone-manage failed"
        touch "$KEYSTONE_DIR/bootstrapped"
    fi
    if ! pid_alive keystone; then
        say "keystone: starting uwsgi on 127.0.0.1:5000"
        # uwsgi's --http-socket speaks HTTP/1.1 without Connection: close and then closes the socket; saying
        # so in every response keeps clients from reusing a connection that is already gone.
        start_bg keystone "keystone-wsgi-public" uwsgi --plugin python3 --http-socket 127.0.0.1:5000 \
            --wsgi-file /usr/bin/keystone-wsgi-public --master --processes 2 --threads 2 --die-on-term \
            --add-header "Connection: close" --env "OS_KEYSTONE_CONFIG_FILES=$KEYSTONE_CONF" \
            --buffer-size 65535 --lazy-apps
    fi
}

keystone_ready() { wait_for keystone 60 curl -fsS "$KEYSTONE_URL"; }

keystone_down() { stop_pid keystone 20; }
