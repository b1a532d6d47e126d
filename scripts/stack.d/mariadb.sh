# MariaDB on a unix socket only, durability off: a throwaway database for Neutron and Keystone.

MYSQL_DIR=$STACK_DIR/mysql
MYSQL_SOCK=$RUN_DIR/mysqld.sock

mysql_root() { mariadb --no-defaults --socket="$MYSQL_SOCK" -uroot "$@"; }

mariadb_start() {
    mkdir -p "$MYSQL_DIR" "$RUN_DIR" "$LOG_DIR"
    if [ ! -d "$MYSQL_DIR/data/mysql" ]; then
        say "mariadb: initialising data directory"
        mariadb-install-db --no-defaults --user=root --datadir="$MYSQL_DIR/data" --auth-root-authentication-method=socket \
            --skip-test-db > "$LOG_DIR/mariadb-install.log" 2>&1 || fail_component mariadb-install "mariadb-install-db failed"
    fi
    if ! pid_alive mariadb; then
        say "mariadb: starting"
        rm -f "$MYSQL_SOCK"
        start_bg mariadb "$MYSQL_DIR/data" mariadbd --no-defaults --user=root --datadir="$MYSQL_DIR/data" \
            --socket="$MYSQL_SOCK" --pid-file="$RUN_DIR/mariadbd.pidfile" --skip-networking \
            --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --sync-binlog=0 --skip-log-bin \
            --innodb-buffer-pool-size=64M --max-connections=500 --character-set-server=utf8mb4 \
            --log-error="$LOG_DIR/mariadb.log"
    fi
}

mariadb_ready() { wait_for mariadb 60 mysql_root -e 'SELECT 1'; }

# mariadb_db NAME PASSWORD: database and a same-named user reachable over the socket.
mariadb_db() {
    mysql_root -e "CREATE DATABASE IF NOT EXISTS \`$1\` CHARACTER SET utf8mb4;
        CREATE USER IF NOT EXISTS '$1'@'localhost' IDENTIFIED BY '$2';
        ALTER USER '$1'@'localhost' IDENTIFIED BY '$2';
        GRANT ALL PRIVILEGES ON \`$1\`.* TO '$1'@'localhost';" || fail_component mariadb "cannot create database $1"
}

mariadb_url() { echo "mysql+pymysql://$1:$2@localhost/$1?unix_socket=$MYSQL_SOCK&charset=utf8mb4"; }

mariadb_down() { stop_pid mariadb 60; rm -f "$MYSQL_SOCK"; }
