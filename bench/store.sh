#!/usr/bin/env bash
# Benchmarks the history store's cost, as issue 17 asks:
#   full  a full 65,535-port SYN scan of 127.0.0.1 in a namespace of its
#         own (LISTENERS listeners open), with and without the store
#         (--no-store): the medians of ROUNDS rounds, alternating which
#         goes first, of wall time and user+sys CPU, and the ratio. Goal:
#         the store costs under 5 % of the scan's time.
#   lan   a /16 x top-100 SYN scan of 127.0.0.0/16 -Pn in the namespace
#         (every 127.x.y.z is the namespace's own loopback, a listener on
#         0.0.0.0:80 answers on each), with the store: the rows written (a
#         host, its open port and its closed-port ranges each) per second
#         of scan, and the same scan without the store for the ratio.
# It builds ajar, runs each case, prints a table and PASS/FAIL for the goal,
# and exits 1 when the goal fails. Every packet stays in the namespace.
#
# Environment: CASES ("full lan"), ROUNDS (5), LISTENERS (20), GOAL_PCT (5),
# AJAR (a built ajar to measure instead of building one).
# Needs root (namespaces, raw sockets), ip, python3 and go; the rows are
# counted with ajar history -o jsonl.
set -euo pipefail

CASES=${CASES:-full lan}
ROUNDS=${ROUNDS:-5}
LISTENERS=${LISTENERS:-20}
GOAL_PCT=${GOAL_PCT:-5}
READY_TIMEOUT=${READY_TIMEOUT:-30}

die() { echo "store.sh: $*" >&2; exit 2; }
[[ $ROUNDS =~ ^[0-9]+$ ]] && ((ROUNDS >= 1 && ROUNDS <= 50)) || die "ROUNDS=$ROUNDS: want 1 to 50"
[[ $LISTENERS =~ ^[0-9]+$ ]] && ((LISTENERS >= 1 && LISTENERS <= 1000)) || die "LISTENERS=$LISTENERS: want 1 to 1000"
(($(id -u) == 0)) || die "run as root: the scans run in a network namespace of their own"
command -v ip >/dev/null || die "needs ip (iproute2)"
PY=$(command -v python3) || die "needs python3"

cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
NS=ajar-bench-store-$$
helpers=()
cleanup() {
  for p in "${helpers[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
source bench/helpers.sh
helpers_init

if [[ -n ${AJAR:-} ]]; then
  cp "$AJAR" "$tmp/ajar"
else
  CGO_ENABLED=0 go build -o "$tmp/ajar" ./cmd/ajar
fi
ip netns add "$NS"
ip -n "$NS" link set lo up
start_helper listen ip netns exec "$NS" "$PY" bench/listen.py 20000 "$LISTENERS"
start_helper listen80 ip netns exec "$NS" "$PY" bench/listen.py 80 1

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# run_case NAME ARGS...: ROUNDS rounds of ajar scan ARGS with and without
# the store, alternating; prints the medians.
run_case() {
  local name=$1
  shift
  local r
  for ((r = 1; r <= ROUNDS; r++)); do
    local order=("store" "nostore")
    ((r % 2 == 0)) && order=("nostore" "store")
    for mode in "${order[@]}"; do
      local extra=(--data-dir "$tmp/data-$name")
      [[ $mode == nostore ]] && extra=(--no-store)
      TIMEFORMAT='%R %U %S'
      { time ip netns exec "$NS" env AJAR_NO_STORE=0 "$tmp/ajar" scan -q -o jsonl "$@" "${extra[@]}" >/dev/null 2>"$tmp/err"; } 2>>"$tmp/$name.$mode"
      [[ -s $tmp/err ]] && { cat "$tmp/err" >&2; die "$name ($mode): ajar wrote to stderr"; }
    done
  done
  local sw ss cw cs
  sw=$(awk '{print $1}' "$tmp/$name.store" | median)
  ss=$(awk '{print $1}' "$tmp/$name.nostore" | median)
  cw=$(awk '{print $2+$3}' "$tmp/$name.store" | median)
  cs=$(awk '{print $2+$3}' "$tmp/$name.nostore" | median)
  echo "$name $ss $sw $cs $cw"
}

results=()
for c in $CASES; do
  case $c in
  full) results+=("$(run_case full -sS -p- --retries 0 127.0.0.1)") ;;
  lan) results+=("$(run_case lan -sS -Pn --top-ports 100 --retries 0 127.0.0.0/16)") ;;
  *) die "unknown case $c (want full, lan)" ;;
  esac
done

fail=0
printf '%-5s | %12s | %12s | %7s | %12s | %12s | %7s\n' case "wall no-store" "wall store" ratio "cpu no-store" "cpu store" ratio
for line in "${results[@]}"; do
  read -r name ss sw cs cw <<<"$line"
  rw=$(awk -v a="$sw" -v b="$ss" 'BEGIN {printf "%.3f", a/b}')
  rc=$(awk -v a="$cw" -v b="$cs" 'BEGIN {printf "%.3f", (b > 0 ? a/b : 0)}')
  printf '%-5s | %11.3fs | %11.3fs | %7s | %11.3fs | %11.3fs | %7s\n' "$name" "$ss" "$sw" "$rw" "$cs" "$cw" "$rc"
  if [[ $name == full ]]; then
    if awk -v r="$rw" -v g="$GOAL_PCT" 'BEGIN {exit !(r <= 1 + g/100)}'; then
      echo "full: PASS: the store costs $(awk -v r="$rw" 'BEGIN {printf "%.1f", (r-1)*100}') % of the scan's time (goal < $GOAL_PCT %)"
    else
      echo "full: FAIL: the store costs $(awk -v r="$rw" 'BEGIN {printf "%.1f", (r-1)*100}') % of the scan's time (goal < $GOAL_PCT %)"
      fail=1
    fi
  fi
  if [[ $name == lan ]]; then
    rows=$("$tmp/ajar" history --data-dir "$tmp/data-lan" -o jsonl -n 1 | "$PY" -c '
import json, sys
r = json.loads(sys.stdin.readline())
# a host row, an open-port row and a closed-range row per host
print(r["hosts"] + r["open_ports"] + r["hosts_up"])')
    echo "lan: $rows rows per run, $(awk -v n="$rows" -v t="$sw" 'BEGIN {printf "%.0f", n/t}') rows per second of scan"
  fi
done
exit $fail
