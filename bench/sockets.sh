#!/usr/bin/env bash
# Benchmarks `ajar sockets` against ss on a busy machine, as the issue asks:
# with 10,000 listening sockets and 20,000 established loopback connections
# held open by helper processes,
#   ajar sockets -o json      must be faster than  ss -tlnp
#   ajar sockets -a -o json   must be faster than  ss -tanp
# and ajar must stay under 64 MB of memory (max RSS).
#
# It builds ajar and bench/sockhold, starts the helpers (one per 10,000
# listeners, one per 5,000 connections: a process may hold at most 20,000
# open files, and each connection is two), then times each command ROUNDS
# times, alternating which goes first, and prints the medians, the ratios
# ss/ajar and PASS or FAIL per goal. It exits 1 when a goal fails.
#
# Every socket is on 127.0.0.1: listeners on ports 10000-19999, connection
# servers on 20001-20004, client ends on ephemeral ports.
#
# Environment: ROUNDS (5), LISTENERS (10000), CONNS (20000),
# CONNS_PER_HELPER (5000), LISTEN_BASE (10000), CONN_BASE (20001),
# MAX_RSS_MB (64). Needs ss (iproute2), GNU time (installed with apt-get
# when run as root) and go. Run it as root so that both tools see every
# process's sockets.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
LISTENERS=${LISTENERS:-10000}
CONNS=${CONNS:-20000}
CONNS_PER_HELPER=${CONNS_PER_HELPER:-5000}
LISTEN_BASE=${LISTEN_BASE:-10000}
CONN_BASE=${CONN_BASE:-20001}
MAX_RSS_MB=${MAX_RSS_MB:-64}
READY_TIMEOUT=${READY_TIMEOUT:-90} # seconds for the helpers to open everything

die() { echo "sockets.sh: $*" >&2; exit 2; }
isnum() { [[ $1 =~ ^[0-9]+$ ]]; }
for v in ROUNDS LISTENERS CONNS CONNS_PER_HELPER LISTEN_BASE CONN_BASE MAX_RSS_MB READY_TIMEOUT; do
  isnum "${!v}" || die "$v=${!v}: want a number"
done
((ROUNDS >= 1 && ROUNDS <= 100)) || die "ROUNDS=$ROUNDS: want 1 to 100"
((LISTENERS <= 50000)) || die "LISTENERS=$LISTENERS: at most 50000"
((CONNS <= 50000)) || die "CONNS=$CONNS: at most 50000"
((CONNS_PER_HELPER >= 1 && CONNS_PER_HELPER <= 10000)) || die "CONNS_PER_HELPER: want 1 to 10000"
# Spread the sockets so that no helper needs more open files than the hard
# limit allows (20,000 on the machines the issue names; root cannot raise it).
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=1048576
listen_per_helper=$((hard - 64 < 10000 ? hard - 64 : 10000))
((CONNS_PER_HELPER * 2 + 64 <= hard)) || CONNS_PER_HELPER=$(((hard - 64) / 2))
((listen_per_helper >= 100 && CONNS_PER_HELPER >= 50)) || die "the open-file hard limit $hard is too low"
nlisten_helpers=$(((LISTENERS + listen_per_helper - 1) / listen_per_helper))
nconn_helpers=$(((CONNS + CONNS_PER_HELPER - 1) / CONNS_PER_HELPER))
((LISTEN_BASE >= 1 && LISTEN_BASE + LISTENERS <= CONN_BASE)) ||
  die "listener ports $LISTEN_BASE+$LISTENERS run into the connection servers' ports from $CONN_BASE"
((CONN_BASE + nconn_helpers <= 32768)) || die "connection servers' ports reach the ephemeral range"

command -v ss >/dev/null || die "ss not found: apt-get install iproute2"
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then PATH=$PATH:/usr/local/go/bin; fi
command -v go >/dev/null || die "go not found"
TIME=/usr/bin/time
if ! "$TIME" -f %M true >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "sockets.sh: installing GNU time" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >/dev/null; }
  fi
  "$TIME" -f %M true >/dev/null 2>&1 || die "GNU time (/usr/bin/time) is needed for max RSS: apt-get install time"
fi
[ "$(id -u)" -eq 0 ] || echo "sockets.sh: not root: neither tool sees other users' processes" >&2

cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
helpers=()
cleanup() {
  exec 9>&- 2>/dev/null || true # the helpers see their stdin close
  for p in "${helpers[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${helpers[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building ajar and sockhold..." >&2
CGO_ENABLED=0 go build -trimpath -o "$tmp/ajar" ./cmd/ajar
CGO_ENABLED=0 go build -trimpath -o "$tmp/sockhold" ./bench/sockhold
AJAR=$tmp/ajar

# The helpers read their stdin from a FIFO this script holds open (fd 9,
# read-write so that opening never blocks): if the script dies, even by
# SIGKILL, the FIFO loses its last writer and the helpers exit.
mkfifo "$tmp/hold"
exec 9<>"$tmp/hold"

start_helper() { # name, sockhold flags...
  local name=$1
  shift
  "$tmp/sockhold" "$@" <"$tmp/hold" >"$tmp/$name.out" 2>"$tmp/$name.err" 9>&- &
  helpers+=($!)
}

echo "starting helpers: $LISTENERS listeners, $CONNS connections..." >&2
left=$LISTENERS
port=$LISTEN_BASE
for ((i = 0; i < nlisten_helpers; i++)); do
  n=$((left < listen_per_helper ? left : listen_per_helper))
  start_helper "listen$i" -listen "$n" -base "$port"
  port=$((port + n))
  left=$((left - n))
done
left=$CONNS
for ((i = 0; i < nconn_helpers; i++)); do
  n=$((left < CONNS_PER_HELPER ? left : CONNS_PER_HELPER))
  start_helper "conns$i" -conns "$n" -port $((CONN_BASE + i))
  left=$((left - n))
done

# Wait for every helper's "ready", or for one to die, within READY_TIMEOUT.
deadline=$((SECONDS + READY_TIMEOUT))
for f in "$tmp"/*.out; do
  name=$(basename "$f" .out)
  until grep -qx ready "$f"; do
    for p in "${helpers[@]}"; do
      kill -0 "$p" 2>/dev/null || { cat "$tmp"/*.err >&2; die "a helper exited before it was ready"; }
    done
    ((SECONDS < deadline)) || { cat "$tmp"/*.err >&2; die "helper $name not ready after ${READY_TIMEOUT}s"; }
    sleep 0.1
  done
done
echo "helpers ready: $(ss -Htan state established | wc -l) established TCP sockets" >&2

# measure NAME CMD...: runs CMD with stdout to /dev/null and appends
# "seconds maxrss_kb" to $tmp/NAME.times. The wall time is taken around the
# time wrapper, which costs every command the same.
measure() {
  local name=$1
  shift
  local t0 t1 rss
  t0=$EPOCHREALTIME
  "$TIME" -f %M -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/stderr" ||
    { cat "$tmp/stderr" >&2; die "$* failed"; }
  t1=$EPOCHREALTIME
  rss=$(tail -n1 "$tmp/rss")
  echo "$t0 $t1 $rss" | awk '{ printf "%.6f %d\n", $2 - $1, $3 }' >>"$tmp/$name.times"
}

names=(ss_listen ajar_listen ss_all ajar_all)
declare -A cmd=(
  [ss_listen]="ss -tlnp"
  [ajar_listen]="$AJAR sockets -o json"
  [ss_all]="ss -tanp"
  [ajar_all]="$AJAR sockets -a -o json"
)
declare -A label=(
  [ss_listen]="ss -tlnp"
  [ajar_listen]="ajar sockets -o json"
  [ss_all]="ss -tanp"
  [ajar_all]="ajar sockets -a -o json"
)

# One untimed run of each warms the page cache and /proc's dentries.
for n in "${names[@]}"; do
  # shellcheck disable=SC2086 # cmd holds words
  ${cmd[$n]} >/dev/null 2>&1 || die "${label[$n]} failed"
done
"$AJAR" sockets -a -o json >"$tmp/all.json"
nsockets=$(grep -c '"proto"' "$tmp/all.json" || true)
rm -f "$tmp/all.json"

load_before=$(cut -d' ' -f1 /proc/loadavg)
echo "timing $ROUNDS rounds..." >&2
for ((r = 0; r < ROUNDS; r++)); do
  for pair in "ss_listen ajar_listen" "ss_all ajar_all"; do
    read -r a b <<<"$pair"
    if ((r % 2)); then read -r b a <<<"$pair"; fi
    # shellcheck disable=SC2086
    measure "$a" ${cmd[$a]}
    # shellcheck disable=SC2086
    measure "$b" ${cmd[$b]}
  done
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A med mn mx rss
for n in "${names[@]}"; do
  med[$n]=$(cut -d' ' -f1 "$tmp/$n.times" | median)
  mn[$n]=$(cut -d' ' -f1 "$tmp/$n.times" | sort -g | head -n1)
  mx[$n]=$(cut -d' ' -f1 "$tmp/$n.times" | sort -g | tail -n1)
  rss[$n]=$(cut -d' ' -f2 "$tmp/$n.times" | sort -n | tail -n1)
done

verdict() { # an awk condition -> PASS or FAIL
  if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi
}
ratio() { awk -v s="$1" -v a="$2" 'BEGIN { printf "%.2f", s / a }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

echo
echo "ajar $(git describe --tags --always --dirty 2>/dev/null || echo dev) sockets vs $(ss -V 2>/dev/null | awk '{ print $NF }'): $LISTENERS listeners, $CONNS loopback connections"
echo "($((nlisten_helpers + nconn_helpers)) helper processes), $ROUNDS rounds, $(nproc) CPUs, Linux $(uname -r)," \
  "load average $load_before before, $(cut -d' ' -f1 /proc/loadavg) after"
echo
printf '%-26s %10s %10s %10s %12s\n' COMMAND "MEDIAN s" "MIN s" "MAX s" "MAX RSS MB"
for n in "${names[@]}"; do
  printf '%-26s %10.4f %10.4f %10.4f %12s\n' "${label[$n]}" "${med[$n]}" "${mn[$n]}" "${mx[$n]}" "$(mb "${rss[$n]}")"
done
echo
r1=$(ratio "${med[ss_listen]}" "${med[ajar_listen]}")
r2=$(ratio "${med[ss_all]}" "${med[ajar_all]}")
ajar_rss=$((rss[ajar_listen] > rss[ajar_all] ? rss[ajar_listen] : rss[ajar_all]))
v1=$(verdict "$r1 > 1")
v2=$(verdict "$r2 > 1")
v3=$(verdict "$ajar_rss < $MAX_RSS_MB * 1024")
v4=$(verdict "$nsockets >= $((LISTENERS + 2 * CONNS))")
printf '%-48s %-22s %s\n' GOAL MEASURED RESULT
printf '%-48s %-22s %s\n' "ajar sockets -o json faster than ss -tlnp" "ss/ajar = ${r1}x" "$v1"
printf '%-48s %-22s %s\n' "ajar sockets -a -o json faster than ss -tanp" "ss/ajar = ${r2}x" "$v2"
printf '%-48s %-22s %s\n' "ajar max RSS under $MAX_RSS_MB MB" "$(mb "$ajar_rss") MB" "$v3"
printf '%-48s %-22s %s\n' "ajar -a -o json lists >= $((LISTENERS + 2 * CONNS)) sockets" "$nsockets sockets" "$v4"
if awk -v l="$load_before" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
  echo
  echo "note: the load average ($load_before) exceeded the CPU count: other work skews these times"
fi
fails=0
for v in "$v1" "$v2" "$v3" "$v4"; do [ "$v" = PASS ] || fails=$((fails + 1)); done
((fails == 0)) || exit 1
