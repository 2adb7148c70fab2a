#!/usr/bin/env bash
# cost.sh: what a scan costs (issue 13), ajar before and after a change
# beside nmap and masscan, in one run. Run by `CASES=cost bench/scan.sh`,
# or alone. For each scenario and command, ROUNDS rounds (3), and the
# median of each of: wall time, CPU time (user + sys) and peak RSS
# (/usr/bin/time's maximum resident set size), the lines of output (for
# slash8, the results written before the stop), and the correct rounds:
#
#   lo    all 65,535 ports of 127.0.0.1 in a namespace of its own, 15
#         listeners: ajar -sS and -sT (before, after), nmap -sS default;
#   bed   all ports of a target namespace over a veth pair, 15 listeners,
#         tcp dport 20000-65535 dropped by nftables: ajar at default
#         settings (SYN as root) and -sT (before, after), nmap -sS default,
#         nmap -sS --min-rate 100000, masscan --rate 100000 (it reports
#         open ports only, and waits 10 s after its last packet: its wall
#         time includes that);
#   silent  all ports of a target namespace over a veth pair that drops
#         every TCP packet (nothing open, nothing answers): ajar at default
#         settings (before, after), nmap -sS --min-rate 100000; what the
#         in-flight probes cost, the parallelism's worth of them waiting
#         out their timeouts;
#   slash8  -Pn --top-ports 1000 over 10.0.0.0/8 in a namespace with no
#         route (every probe fails at once: what the engine costs per
#         probe, and whether memory grows with the target set), stopped
#         with SIGINT after SLASH8_S seconds (6): ajar -sS and -sT only
#         (nmap and masscan need an interface with a route to start).
#
# A round is correct when ajar reports the listeners open, every other
# port closed (lo, bed 1-19999) or filtered (bed 20000-65535, silent); nmap's and
# masscan's open ports are checked (their other states are not parsed).
#
# Binaries: AFTER (default: build the working tree) and BEFORE (a git
# revision, built from `git archive` in a temporary directory; empty to
# skip). Packets go only to 127.0.0.1 inside the namespaces and between
# the bed's two namespaces; everything is removed on exit. Needs root, go,
# nmap, nft, ip, python3, /usr/bin/time; masscan when MASSCAN_ROUNDS > 0.
# The machine's load changes wall times, not CPU time or RSS much: the
# load average is printed before and after.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
MASSCAN_ROUNDS=${MASSCAN_ROUNDS:-$ROUNDS}
NMAP_ROUNDS=${NMAP_ROUNDS:-$ROUNDS}
SLASH8_S=${SLASH8_S:-6}
SCENARIOS=${SCENARIOS:-lo bed silent slash8}
BEFORE=${BEFORE-100fd56}
CMD_TIMEOUT=${CMD_TIMEOUT:-180}
READY_TIMEOUT=30
LISTEN_BASE=15100
LISTENERS=15

die() { echo "cost.sh: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, raw sockets)"
for c in go nmap nft ip python3 /usr/bin/time; do command -v "$c" >/dev/null || die "$c not found"; done
((MASSCAN_ROUNDS == 0)) || command -v masscan >/dev/null || die "masscan not found (apt-get install masscan, or MASSCAN_ROUNDS=0)"

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
tmp=$(mktemp -d)
namespaces=()
helpers=()
cleanup() {
  for p in "${helpers[@]}"; do kill "$p" 2>/dev/null || true; done
  for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
# shellcheck source=bed.sh
. "$here/bed.sh"
# shellcheck source=helpers.sh
. "$here/helpers.sh"
helpers_init

echo "building ajar..." >&2
(cd "$repo" && CGO_ENABLED=0 go build -o "$tmp/ajar-after" ./cmd/ajar)
bins=(after)
if [ -n "$BEFORE" ]; then
  mkdir "$tmp/src-before"
  (cd "$repo" && git archive "$BEFORE" | tar -x -C "$tmp/src-before")
  (cd "$tmp/src-before" && CGO_ENABLED=0 go build -o "$tmp/ajar-before" ./cmd/ajar)
  bins=(before after)
fi

# listen NS ADDR: LISTENERS listeners from LISTEN_BASE on ADDR in NS.
listen() {
  start_helper "listen-$1" ip netns exec "$1" python3 -c '
import socket, sys
ss = []
for p in range(int(sys.argv[2]), int(sys.argv[2]) + int(sys.argv[3])):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], p)); s.listen(1024); ss.append(s)
print("ready", flush=True)
sys.stdin.read()' "$2" "$LISTEN_BASE" "$LISTENERS"
}

# check KIND FILE FILTER_FROM: whether FILE, a tool's output, is right.
check() {
  python3 - "$@" "$LISTEN_BASE" "$LISTENERS" <<'EOF'
import json, re, sys
kind, path, ffrom, base, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
want_open = set(range(base, base + n)) if ffrom != 1 else set()
text = open(path, errors="replace").read()
if kind == "ajar":
    got = {}
    for line in text.splitlines():
        r = json.loads(line)
        if "port" in r and r.get("proto") == "tcp":
            got[r["port"]] = r["state"]
    ok = len(got) == 65535 and all(
        got.get(p) == ("open" if p in want_open else "filtered" if ffrom and p >= ffrom else "closed")
        for p in range(1, 65536))
elif kind == "nmap":
    ok = set(int(p) for p in re.findall(r'portid="(\d+)"><state state="open"', text)) == want_open
else:  # masscan -oL
    ok = set(int(l.split()[2]) for l in text.splitlines() if l.startswith("open ")) == want_open
print("ok" if ok else "wrong")
EOF
}

# measure LABEL KIND FILTER_FROM COMMAND...: one round; appends
# "LABEL wall cpu rss ok" to $tmp/results.
measure() {
  local label=$1 kind=$2 ffrom=$3
  shift 3
  local ok=wrong
  if timeout -s INT "$CMD_TIMEOUT" /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err"; then
    ok=$(check "$kind" "$tmp/out" "$ffrom")
  elif [ "$kind" = none ]; then
    ok=stopped # a scan cut short on purpose: no output to check
  fi
  read -r wall user sys rss < <(tail -n1 "$tmp/time")
  local cpu
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  local n
  n=$(wc -l <"$tmp/out")
  echo "$label $wall $cpu $((rss / 1024)) $n $ok" >>"$tmp/results"
  printf '  %-44s %7s s %6s s CPU %5s MB %9s lines  %s\n' "$label" "$wall" "$cpu" "$((rss / 1024))" "$n" "$ok" >&2
}

rounds() { # rounds N LABEL KIND FFROM CMD...
  local n=$1
  shift
  for ((r = 0; r < n; r++)); do measure "$@"; done
}

uptime_now() { cut -d' ' -f1-3 /proc/loadavg; }
echo "load average before: $(uptime_now)"
: >"$tmp/results"

if [[ " $SCENARIOS " == *" lo "* ]]; then
  lns=cost-lo-$$
  ip netns add "$lns" && namespaces+=("$lns")
  ip -n "$lns" link set lo up
  listen "$lns" 127.0.0.1
  echo "lo: all ports of 127.0.0.1" >&2
  for ((r = 0; r < ROUNDS; r++)); do
    for b in "${bins[@]}"; do
      measure "lo ajar-$b -sS" ajar 0 ip netns exec "$lns" "$tmp/ajar-$b" scan -sS -p- --all-ports -o jsonl -q 127.0.0.1
      measure "lo ajar-$b -sT" ajar 0 ip netns exec "$lns" "$tmp/ajar-$b" scan -sT -p- --all-ports -o jsonl -q 127.0.0.1
    done
  done
  rounds "$NMAP_ROUNDS" "lo nmap -sS" nmap 0 ip netns exec "$lns" nmap -sS -p- -n -Pn -oX - 127.0.0.1
fi

if [[ " $SCENARIOS " == *" bed "* ]]; then
  bed_up cost cst
  ip netns exec "$TNS" nft add table inet cost
  ip netns exec "$TNS" nft add chain inet cost in '{ type filter hook input priority 0; }'
  ip netns exec "$TNS" nft add rule inet cost in tcp dport 20000-65535 drop
  listen "$TNS" 0.0.0.0
  echo "bed: all ports of $TADDR, 20000-65535 dropped" >&2
  for ((r = 0; r < ROUNDS; r++)); do
    for b in "${bins[@]}"; do
      measure "bed ajar-$b (default: SYN)" ajar 20000 ip netns exec "$SNS" "$tmp/ajar-$b" scan -p- --all-ports -o jsonl -q "$TADDR"
      measure "bed ajar-$b -sT" ajar 20000 ip netns exec "$SNS" "$tmp/ajar-$b" scan -sT -p- --all-ports -o jsonl -q "$TADDR"
    done
  done
  rounds "$NMAP_ROUNDS" "bed nmap -sS" nmap 0 ip netns exec "$SNS" nmap -sS -p- -n -Pn -oX - "$TADDR"
  rounds "$NMAP_ROUNDS" "bed nmap -sS --min-rate 100000" nmap 0 ip netns exec "$SNS" nmap -sS -p- -n -Pn --min-rate 100000 -oX - "$TADDR"
  rounds "$MASSCAN_ROUNDS" "bed masscan --rate 100000" masscan 0 \
    "$here/masscan.sh" "$SNS" "$TNS" "$SLINK" "$SADDR" "$TADDR" 1-65535 100000 10
fi

if [[ " $SCENARIOS " == *" silent "* ]]; then
  bed_up cost-q csq
  ip netns exec "$TNS" nft add table inet cost
  ip netns exec "$TNS" nft add chain inet cost in '{ type filter hook input priority 0; }'
  ip netns exec "$TNS" nft add rule inet cost in meta l4proto tcp drop
  echo "silent: all ports of $TADDR, every one dropped" >&2
  for ((r = 0; r < ROUNDS; r++)); do
    for b in "${bins[@]}"; do
      measure "silent ajar-$b (default: SYN)" ajar 1 ip netns exec "$SNS" "$tmp/ajar-$b" scan -p- --all-ports -o jsonl -q "$TADDR"
    done
  done
  rounds "$NMAP_ROUNDS" "silent nmap -sS --min-rate 100000" nmap 1 ip netns exec "$SNS" nmap -sS -p- -n -Pn --min-rate 100000 -oX - "$TADDR"
fi

if [[ " $SCENARIOS " == *" slash8 "* ]]; then
  sns=cost-8-$$
  ip netns add "$sns" && namespaces+=("$sns")
  ip -n "$sns" link set lo up
  echo "slash8: -Pn --top-ports 1000 10.0.0.0/8, no route, ${SLASH8_S}s" >&2
  for ((r = 0; r < ROUNDS; r++)); do
    for b in "${bins[@]}"; do
      for t in -sS -sT; do
        measure "slash8 ajar-$b $t" none 0 ip netns exec "$sns" timeout -s INT "$SLASH8_S" \
          "$tmp/ajar-$b" scan $t -Pn --top-ports 1000 --all-ports -o jsonl -q 10.0.0.0/8
      done
    done
  done
fi

echo "load average after: $(uptime_now)"
echo
printf '%-44s %9s %9s %8s %10s %8s\n' "COMMAND (medians of the rounds)" "WALL s" "CPU s" "RSS MB" "RESULTS" "CORRECT"
python3 - "$tmp/results" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    *label, wall, cpu, rss, n, ok = line.split()
    rows.setdefault(" ".join(label), []).append((float(wall), float(cpu), int(rss), int(n), ok))
for label, rs in rows.items():
    med = lambda i: statistics.median(r[i] for r in rs)
    good = sum(r[4] in ("ok", "stopped") for r in rs)
    print(f"{label:44s} {med(0):9.2f} {med(1):9.2f} {med(2):8.0f} {med(3):10.0f} {good:>5d}/{len(rs)}")
EOF
