# RabbitMQ on 127.0.0.1 for the Neutron agents' RPC (linuxbridge back end only).

RABBIT_DIR=$STACK_DIR/rabbitmq

rabbit_env() {
    export HOME=$RABBIT_DIR RABBITMQ_NODENAME=kuryr@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
        RABBITMQ_NODE_PORT=5672 RABBITMQ_DIST_PORT=25672 RABBITMQ_MNESIA_BASE=$RABBIT_DIR/mnesia \
        RABBITMQ_LOG_BASE=$LOG_DIR RABBITMQ_PID_FILE=$RUN_DIR/rabbitmq.pidfile \
        RABBITMQ_CONFIG_FILE=$RABBIT_DIR/rabbitmq RABBITMQ_ENABLED_PLUGINS_FILE=$RABBIT_DIR/enabled_plugins \
        ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

rabbitmq_start() {
    mkdir -p "$RABBIT_DIR/mnesia"
    [ -f "$RABBIT_DIR/enabled_plugins" ] || echo '[].' > "$RABBIT_DIR/enabled_plugins"
    printf 'listeners.tcp.default = 127.0.0.1:5672\nloopback_users = none\n' > "$RABBIT_DIR/rabbitmq.conf"
    (
        rabbit_env
        # epmd is started by the stack (not left to erl's auto-daemonising) so down can stop it by PID.
        start_bg epmd "epmd" epmd -address 127.0.0.1
        if ! pid_alive rabbitmq; then
            say "rabbitmq: starting"
            start_bg rabbitmq "rabbitmq-server" /usr/lib/rabbitmq/bin/rabbitmq-server
        fi
    ) || exit 1
}

rabbitmq_ready() {
    (
        rabbit_env
        wait_for rabbitmq 90 /usr/lib/rabbitmq/bin/rabbitmqctl -q await_startup
        # The user lives in mnesia under the state dir, so it is made once (each rabbitmqctl costs ~1.5 s).
        [ -f "$RABBIT_DIR/user-made" ] && exit 0
        local pw
        pw=$(secret rabbit)
        /usr/lib/rabbitmq/bin/rabbitmqctl -q add_user kuryr "$pw" > /dev/null 2>&1 || /usr/lib/rabbitmq/bin/rabbitmqctl -q change_password kuryr "$pw" > /dev/null
        /usr/lib/rabbitmq/bin/rabbitmqctl -q set_permissions -p / kuryr '.*' '.*' '.*' > /dev/null
        touch "$RABBIT_DIR/user-made"
    ) || exit 1
}

rabbitmq_down() {
    ( rabbit_env; pid_alive rabbitmq && /usr/lib/rabbitmq/bin/rabbitmqctl -q stop > /dev/null 2>&1 ) || true
    stop_pid rabbitmq 30
    stop_pid epmd 5
}
