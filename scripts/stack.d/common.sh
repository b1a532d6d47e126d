# Shared helpers for scripts/stack: state layout, process tracking by PID, health waits, progress lines.
# Sourced, not executed.

STACK_DIR=${KURYR_STACK_DIR:-/var/lib/kuryr-stack}
RUN_DIR=$STACK_DIR/run
LOG_DIR=$STACK_DIR/logs
ETC_DIR=$STACK_DIR/etc
STATE_FILE=$STACK_DIR/stack.state
# Passwords are local to this throwaway stack; they are kept in the state dir (mode 600), never logged.
SECRETS_FILE=$STACK_DIR/secrets
HOST=$(hostname)

t0=${t0:-$EPOCHREALTIME}
say() { printf '[stack %6.1fs] %s\n' "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{print b-a}')" "$*"; }
die() { echo "stack: error: $*" >&2; exit 1; }

# Prints the last lines of a component's log and exits: a failed health wait names what failed.
fail_component() {
    local name=$1 msg=$2
    echo "stack: error: $name: $msg" >&2
    if [ -f "$LOG_DIR/$name.log" ]; then
        echo "--- last 30 lines of $LOG_DIR/$name.log ---" >&2
        tail -n 30 "$LOG_DIR/$name.log" >&2
    fi
    exit 1
}

state_get() { if [ -f "$STATE_FILE" ]; then sed -n "s/^$1=//p" "$STATE_FILE" | tail -n 1; fi; }
state_set() {
    mkdir -p "$STACK_DIR"
    touch "$STATE_FILE"
    sed -i "/^$1=/d" "$STATE_FILE"
    echo "$1=$2" >> "$STATE_FILE"
}

secret() {
    local key=$1
    mkdir -p "$STACK_DIR"
    (umask 077; touch "$SECRETS_FILE")
    local v
    v=$(sed -n "s/^$key=//p" "$SECRETS_FILE")
    if [ -z "$v" ]; then
        v=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
        echo "$key=$v" >> "$SECRETS_FILE"
    fi
    echo "$v"
}

pidfile() { echo "$RUN_DIR/$1.pid"; }

# A PID file only counts while its process still runs the program it was started as, so a recycled PID is
# never mistaken for (or killed as) a stack service.
pid_alive() {
    local name=$1 pid exe want
    [ -f "$(pidfile "$name")" ] || return 1
    pid=$(cat "$(pidfile "$name")")
    [ -n "$pid" ] && proc_running "$pid" || return 1
    want=$(cat "$RUN_DIR/$name.cmd" 2>/dev/null)
    [ -z "$want" ] && return 0
    # a captured string, not `| grep -q`: under pipefail, grep's early exit can fail the pipeline with SIGPIPE
    local cmdline
    cmdline=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)
    [[ "$cmdline" == *"$want"* ]]
}

# Closes every descriptor above 2 of the calling (sub)shell. A service started with the caller's descriptors
# would keep them open for its whole life: a `flock LOCK scripts/stack up` would leave LOCK held by the stack.
close_inherited_fds() {
    local fd
    for fd in $(ls /proc/$BASHPID/fd); do
        [ "$fd" -gt 2 ] && eval "exec $fd>&-"
    done
    return 0
}

# start_bg NAME MATCH CMD...: runs CMD in its own session, output to logs/NAME.log, PID in run/NAME.pid.
# MATCH is a substring of the command line used to recognise the process later.
start_bg() {
    local name=$1 match=$2
    shift 2
    mkdir -p "$RUN_DIR" "$LOG_DIR"
    if pid_alive "$name"; then return 0; fi
    echo "$match" > "$RUN_DIR/$name.cmd"
    # From the state dir, so crash dumps and stray relative paths never land in the caller's tree.
    (cd "$STACK_DIR" && close_inherited_fds && exec setsid "$@" >> "$LOG_DIR/$name.log" 2>&1 < /dev/null) &
    echo $! > "$(pidfile "$name")"
}

# Running, not a zombie waiting for whichever init adopted it to reap it.
proc_running() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2> /dev/null; }

# All descendants of a PID (workers keep listening sockets after the parent is gone, so they are tracked too).
descendants() {
    local p kids
    kids=$(pgrep -P "$1" 2>/dev/null || true)
    for p in $kids; do echo "$p"; descendants "$p"; done
}

# stop_pid NAME [TIMEOUT]: SIGTERM the recorded process and its descendants, wait, then SIGKILL leftovers.
stop_pid() {
    local name=$1 timeout=${2:-30} pid pids i
    if ! pid_alive "$name"; then rm -f "$(pidfile "$name")" "$RUN_DIR/$name.cmd"; return 0; fi
    pid=$(cat "$(pidfile "$name")")
    pids="$pid $(descendants "$pid")"
    kill -TERM $pids 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
        local left=""
        for p in $pids; do proc_running "$p" && left="$left $p"; done
        [ -z "$left" ] && break
        sleep 0.1
    done
    for p in $pids; do proc_running "$p" && kill -KILL "$p" 2> /dev/null; done
    rm -f "$(pidfile "$name")" "$RUN_DIR/$name.cmd"
    return 0
}

# wait_for NAME TIMEOUT CMD...: polls CMD until it succeeds; on timeout fails naming NAME with its log tail.
wait_for() {
    local name=$1 timeout=$2 i
    shift 2
    for ((i = 0; i < timeout * 5; i++)); do
        if "$@" > /dev/null 2>&1; then return 0; fi
        # Only whether the process still runs: right after start_bg it may not have exec'd yet, so its
        # command line is still the shell's and pid_alive's command-line check would call it gone.
        if [ -f "$(pidfile "$name")" ] && ! proc_running "$(cat "$(pidfile "$name")")"; then
            fail_component "$name" "process exited during start-up"
        fi
        sleep 0.2
    done
    fail_component "$name" "not healthy after ${timeout}s"
}

port_open() { (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }

# Writes an INI file from stdin only when its content changed (keeps mtime stable for idempotent runs).
write_conf() {
    local path=$1 tmp
    mkdir -p "$(dirname "$path")"
    tmp=$(mktemp)
    cat > "$tmp"
    if [ -f "$path" ] && cmp -s "$tmp" "$path"; then rm -f "$tmp"; else mv "$tmp" "$path"; chmod 600 "$path"; fi
}
