# Shared by the scripts that need a live rcrp-router: start one on a free loopback port with
# --dev and a throw-away data directory, learn its URL from the "listening on" line, stop it
# with SIGTERM and insist on a clean exit. Source it; do not run it.

# Never inherit another script's server: a nested script's EXIT trap would stop it.
SERVER_PID=""
SERVER_URL=""

# start_server BIN [extra serve arguments...]
# Sets SERVER_PID, SERVER_URL, SERVER_DIR (data dir and logs). Extra environment passes through.
start_server() {
    local bin=$1; shift
    SERVER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/rcrp-server.XXXXXX")
    "$bin" serve --dev --host 127.0.0.1 --port 0 --data-dir "$SERVER_DIR/data" "$@" \
        >"$SERVER_DIR/stdout" 2>"$SERVER_DIR/stderr" &
    SERVER_PID=$!
    local line="" waited=0
    while [ $waited -lt 300 ]; do
        line=$(grep -m1 '^listening on http://' "$SERVER_DIR/stdout" 2>/dev/null || true)
        [ -n "$line" ] && break
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "rcrp-router exited before listening; its stderr:" >&2
            cat "$SERVER_DIR/stderr" >&2
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    if [ -z "$line" ]; then
        echo "rcrp-router did not print 'listening on' within 30 s; its stderr:" >&2
        cat "$SERVER_DIR/stderr" >&2
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        return 1
    fi
    SERVER_URL=${line#listening on }
}

# stop_server: SIGTERM, wait up to 20 s, and fail unless the exit status is 0.
stop_server() {
    [ -n "${SERVER_PID:-}" ] || return 0
    local pid=$SERVER_PID status=0 waited=0
    SERVER_PID=""
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ $waited -lt 200 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "rcrp-router did not stop within 20 s of SIGTERM; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        return 1
    fi
    wait "$pid" || status=$?
    if [ "$status" -ne 0 ]; then
        echo "rcrp-router exited with status $status after SIGTERM; its stderr:" >&2
        tail -n 20 "$SERVER_DIR/stderr" >&2
        return 1
    fi
}

# default_binary: the debug build's binary, built if missing.
default_binary() {
    local bin_dir
    bin_dir=$(swift build --show-bin-path)
    if [ ! -x "$bin_dir/rcrp-router" ]; then
        swift build --product rcrp-router >&2
    fi
    echo "$bin_dir/rcrp-router"
}
