# helpers.sh: helper processes for the bench scripts (listeners, samplers).
# Sourced, not run. The caller defines die, READY_TIMEOUT, tmp (a private
# directory) and the array helpers (whose pids its exit trap kills).

# helpers_init: the helpers read their stdin from a FIFO this script holds
# open (fd 9, read-write so that opening never blocks): if the script dies,
# even by SIGKILL, the FIFO loses its last writer and the helpers exit.
helpers_init() {
  mkfifo "$tmp/hold"
  exec 9<>"$tmp/hold"
}

# start_helper NAME COMMAND...: starts COMMAND with stdin on the FIFO and
# its output in $tmp/NAME.out and .err, and waits, at most READY_TIMEOUT
# seconds, until it prints the line "ready".
start_helper() {
  local name=$1
  shift
  "$@" <"$tmp/hold" >"$tmp/$name.out" 2>"$tmp/$name.err" 9>&- &
  helpers+=($!)
  local pid=$! deadline=$((SECONDS + READY_TIMEOUT))
  until grep -qsx ready "$tmp/$name.out"; do
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/$name.err" >&2; die "helper $name exited before it was ready"; }
    ((SECONDS < deadline)) || { cat "$tmp/$name.err" >&2; die "helper $name not ready after ${READY_TIMEOUT}s"; }
    sleep 0.05
  done
}
