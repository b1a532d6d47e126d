# dockerd (Debian docker.io) without iptables or forwarding, vfs storage, and a local busybox image.

DOCKER_DIR=$STACK_DIR/docker
DOCKER_SOCK=/run/docker.sock
# Debian's client matches the daemon's API version; /usr/local/bin/docker may be a newer, different build.
DOCKER=/usr/bin/docker

docker_cli() { "$DOCKER" -H "unix://$DOCKER_SOCK" "$@"; }

docker_start() {
    mkdir -p "$DOCKER_DIR/data"
    if ! pid_alive dockerd; then
        say "docker: starting dockerd"
        # --bridge=none: no docker0 with a default range; containers join kuryr networks only.
        start_bg dockerd "dockerd" dockerd --host="unix://$DOCKER_SOCK" --data-root="$DOCKER_DIR/data" \
            --exec-root=/run/kuryr-docker --pidfile="$RUN_DIR/dockerd.pidfile" --iptables=false --ip6tables=false \
            --ip-forward=false --ip-masq=false --bridge=none --storage-driver=vfs --log-level=info
    fi
}

docker_ready() {
    wait_for dockerd 60 docker_cli version
    if ! docker_cli image inspect busybox:latest > /dev/null 2>&1; then
        say "docker: importing busybox image from busybox-static"
        local root
        root=$(mktemp -d)
        mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/etc" "$root/tmp" "$root/proc" \
            "$root/sys" "$root/dev" "$root/root"
        cp /bin/busybox "$root/bin/busybox"
        chroot "$root" /bin/busybox --install -s
        echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
        echo 'root:x:0:' > "$root/etc/group"
        tar -C "$root" -c . | docker_cli import -c 'CMD ["/bin/sh"]' - busybox:latest > /dev/null \
            || { rm -rf "$root"; fail_component dockerd "docker import of busybox failed"; }
        rm -rf "$root"
    fi
}

docker_down() {
    if pid_alive dockerd; then
        local ids
        ids=$(docker_cli ps -q 2> /dev/null || true)
        [ -z "$ids" ] || docker_cli rm -f $ids > /dev/null 2>&1 || true
    fi
    stop_pid dockerd 30
    rm -f "$DOCKER_SOCK"
    # dockerd bind-mounts its default netns under its exec root and leaves the mount behind when it exits
    if mountpoint -q /run/kuryr-docker/netns/default 2> /dev/null; then
        umount /run/kuryr-docker/netns/default 2> /dev/null || true
    fi
    rm -rf /run/kuryr-docker 2> /dev/null || true
}
