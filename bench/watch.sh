#!/usr/bin/env bash
# watch.sh: what `ajar watch --local` costs on a busy machine (issue 17):
# the CPU it takes per second of watching, as a share of one core, with
# LISTENERS (10,000) listening sockets and CONNS (5,000) established
# connections open in a network namespace of the script's own. Goal:
# under 2 % of one core at the default interval.
#
# It builds ajar and bench/sockhold, starts the holders inside the
# namespace, starts the watcher on that namespace, waits until it is
# ready, and reads its CPU time (utime + stime from /proc/PID/stat) over
# SECONDS (20) for each interval in INTERVALS ("750ms 500ms 100ms"). Every
# socket is on the namespace's 127.0.0.1; the namespace is removed on exit.
# Needs root, ip (iproute2) and go.
set -euo pipefail

LISTENERS=${LISTENERS:-10000}
CONNS=${CONNS:-5000}
SECONDS_EACH=${SECONDS_EACH:-20}
INTERVALS=${INTERVALS:-"750ms 500ms 100ms"}
READY_TIMEOUT=${READY_TIMEOUT:-90}

die() { echo "watch.sh: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
command -v ip >/dev/null || die "ip not found: apt-get install iproute2"
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then PATH=$PATH:/usr/local/go/bin; fi
((LISTENERS <= 19000 && CONNS <= 9000)) || die "at most 19000 listeners and 9000 connections (one process each)"

cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
ns=ajar-bench-watch-$$
helpers=()
source bench/helpers.sh
cleanup() {
  exec 9>&- 2>/dev/null || true
  for p in "${helpers[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${helpers[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building ajar and sockhold..." >&2
CGO_ENABLED=0 go build -trimpath -o "$tmp/ajar" ./cmd/ajar
CGO_ENABLED=0 go build -trimpath -o "$tmp/sockhold" ./bench/sockhold
ip netns add "$ns"
ip -n "$ns" link set lo up
helpers_init
start_helper listen ip netns exec "$ns" "$tmp/sockhold" -listen "$LISTENERS" -base 10000
start_helper conns ip netns exec "$ns" "$tmp/sockhold" -conns "$CONNS" -port 30001

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

printf '%-10s %10s %12s %10s\n' interval seconds "cpu (s)" "% of core"
for iv in $INTERVALS; do
  "$tmp/ajar" watch --local --netns "$ns" --interval "$iv" -o jsonl >"$tmp/events" 2>"$tmp/watch.err" &
  pid=$!
  deadline=$((SECONDS + READY_TIMEOUT))
  until grep -qs "events follow" "$tmp/watch.err"; do
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/watch.err" >&2; die "ajar watch exited"; }
    ((SECONDS < deadline)) || die "ajar watch not ready"
    sleep 0.1
  done
  before=$(cpu_ticks "$pid")
  sleep "$SECONDS_EACH"
  after=$(cpu_ticks "$pid")
  kill -INT "$pid"
  wait "$pid" || true
  awk -v iv="$iv" -v s="$SECONDS_EACH" -v t=$((after - before)) -v hz="$ticks" \
    'BEGIN { printf "%-10s %10d %12.2f %9.2f%%\n", iv, s, t / hz, 100 * t / hz / s }'
  [ ! -s "$tmp/events" ] || echo "watch.sh: events seen while nothing changed: $(wc -l <"$tmp/events")" >&2
done
