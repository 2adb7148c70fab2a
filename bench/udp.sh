#!/usr/bin/env bash
# Benchmarks `ajar scan -sU` against `nmap -sU`, side by side in one run:
# UDP ports 1-2000 of a target network namespace, scanned from a scanner
# namespace joined to it by a veth pair.
#
# The target: python3 echo servers on UDP ports 53, 69, 123, 161, 500, 1194,
# 1812 and 1900 (each answers any datagram, also an empty one), nftables
# dropping udp dport 1500-1599 (open|filtered: no answer of any kind), and
# every other port closed by the kernel (ICMP port unreachable).
#
# Two conditions, one after the other on the same namespaces:
#   default: the target's ICMP error limits at the Linux defaults, set
#     explicitly in the target namespace (net.ipv4.icmp_ratelimit=1000 ms
#     per peer after a burst of 6, icmp_msgs_per_sec=1000,
#     icmp_msgs_burst=50). Most closed ports then stay silent, and a scan
#     either waits for the limit (nmap slows to about one probe a second)
#     or reports them open|filtered. Correct here means: every listener
#     open, no dropped port closed (or open), no other port open, every
#     port 1-2000 reported once; the table shows how many of the kernel's
#     closed ports each tool found closed.
#   lifted: the limits lifted in the target namespace
#     (net.ipv4.icmp_ratelimit=0, icmp_msgs_per_sec=100000,
#     icmp_msgs_burst=100000). Correct means exact: the listeners open,
#     1500-1599 open|filtered, every other port closed.
# These sysctls are per network namespace: the host's are never touched
# (the script checks that the host's values stay as they were).
#
# Commands timed (inside the scanner namespace):
#   ajar scan -sU -p 1-2000 --all-ports -o jsonl HOST       (ROUNDS times)
#   nmap -sU -p 1-2000 -n -Pn --host-timeout 300s -oX - HOST (NMAP_ROUNDS)
# ajar's commands are killed after CMD_TIMEOUT seconds, nmap's after
# NMAP_HOST_TIMEOUT + 60; nmap giving up on the host is reported as "did
# not finish in NMAP_HOST_TIMEOUT s".
#
# Packets go only between the two namespaces this script creates; the host's
# own network and nftables ruleset are never touched. Everything is removed
# on exit, also on failure or Ctrl-C. Exit status: 0 when ajar was correct
# every round in both conditions, 1 otherwise, 2 when it cannot run (it
# must run as root).
#
# Environment: ROUNDS (3), NMAP_ROUNDS (1; 0 skips nmap), CMD_TIMEOUT (120),
# NMAP_HOST_TIMEOUT (300), CONDITIONS ("default lifted"). Needs go, nmap,
# nft, ip, python3 and timeout.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
NMAP_ROUNDS=${NMAP_ROUNDS:-1}
CMD_TIMEOUT=${CMD_TIMEOUT:-120}
NMAP_HOST_TIMEOUT=${NMAP_HOST_TIMEOUT:-300}
CONDITIONS=${CONDITIONS:-default lifted}
PORTS=1-2000
LISTEN_PORTS=(53 69 123 161 500 1194 1812 1900)
DROP=1500-1599
READY_TIMEOUT=30

die() { echo "udp.sh: $*" >&2; exit 2; }
for v in ROUNDS NMAP_ROUNDS CMD_TIMEOUT NMAP_HOST_TIMEOUT; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v=${!v}: want a number"
done
((ROUNDS >= 1 && ROUNDS <= 20)) || die "ROUNDS=$ROUNDS: want 1 to 20"
((NMAP_ROUNDS <= 5)) || die "NMAP_ROUNDS=$NMAP_ROUNDS: want 0 to 5"
((CMD_TIMEOUT >= 1 && CMD_TIMEOUT <= 600)) || die "CMD_TIMEOUT=$CMD_TIMEOUT: want 1 to 600"
((NMAP_HOST_TIMEOUT >= 10 && NMAP_HOST_TIMEOUT <= 1800)) || die "NMAP_HOST_TIMEOUT=$NMAP_HOST_TIMEOUT: want 10 to 1800"
for c in $CONDITIONS; do [[ $c =~ ^(default|lifted)$ ]] || die "CONDITIONS: unknown condition $c"; done

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, nftables): sudo $0"
for c in nmap nft ip python3 timeout sysctl; do
  command -v "$c" >/dev/null || die "$c not found"
done
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then PATH=$PATH:/usr/local/go/bin; fi
command -v go >/dev/null || die "go not found"
PY=$(python3 -c 'import sys; print(sys.executable)') || die "python3 does not run"

cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
helpers=()
namespaces=()
running=
cleanup() {
  if [ -n "$running" ]; then
    kill -TERM "$running" 2>/dev/null || true
    wait "$running" 2>/dev/null || true
  fi
  exec 9>&- 2>/dev/null || true # the helpers see their stdin close
  for p in "${helpers[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${helpers[@]}"; do wait "$p" 2>/dev/null || true; done
  # Deleting a namespace takes its veth end, sysctls and nftables with it.
  for ns in "${namespaces[@]}"; do timeout 10 ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building ajar..." >&2
CGO_ENABLED=0 go build -trimpath -o "$tmp/ajar" ./cmd/ajar
AJAR=$tmp/ajar

# check.py TOOL FILE HOST CONDITION OPEN DROPPED: prints "COUNTS open
# closed open|filtered filtered" then the verdict, "ok: ..." or "WRONG: ..."
# and the mistakes, one a line. Exit status 1 when wrong.
cat >"$tmp/check.py" <<'EOF'
import json, sys, xml.etree.ElementTree as ET

ALL = range(1, 2001)
STATES = ("open", "closed", "open|filtered", "filtered")

def parse_ports(s):
    out = set()
    for part in filter(None, s.split(",")):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out

def fmt_ports(ports, limit=15):
    runs = []
    for p in sorted(ports):
        if runs and runs[-1][1] == p - 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    s = [str(a) if a == b else "%d-%d" % (a, b) for a, b in runs]
    return ",".join(s[:limit]) + (" ... (%d ranges)" % len(s) if len(s) > limit else "")

def ajar(path, host, problems):
    got = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            try:
                o = json.loads(line)
                p, s = int(o["port"]), o["state"]
                if o["host"] != host or o["proto"] != "udp" or s not in STATES:
                    raise ValueError("unexpected record")
            except (ValueError, KeyError, TypeError) as e:
                problems.append("line %d: %s: %.150s" % (n, e, line.strip()))
                continue
            if p in got:
                problems.append("port %d written twice" % p)
            got[p] = s
    return got

def nmap(path, host, problems):
    got = {}
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        problems.append("no XML: %s" % e)
        return got
    hosts = [h for h in root.iter("host") if any(a.get("addr") == host for a in h.iter("address"))]
    if len(hosts) != 1:
        problems.append("%d <host> elements for %s" % (len(hosts), host))
        return got
    if hosts[0].get("timedout") == "true":
        problems.append("TIMEDOUT")
        return got
    for port in hosts[0].iter("port"):
        st, p = port.find("state"), int(port.get("portid"))
        if port.get("protocol") != "udp" or st is None:
            problems.append("odd <port> %d" % p)
            continue
        if p in got:
            problems.append("port %d listed twice" % p)
        got[p] = st.get("state")
    for ex in hosts[0].iter("extraports"):
        n = 0
        for er in ex.iter("extrareasons"):
            if er.get("ports") is None:
                problems.append("<extrareasons> without ports=: nmap too old to check")
                continue
            for p in parse_ports(er.get("ports")):
                if p in got:
                    problems.append("port %d listed twice" % p)
                got[p] = ex.get("state")
                n += 1
        if n != int(ex.get("count")):
            problems.append("<extraports count=%s> names %d ports" % (ex.get("count"), n))
    fin = root.find("runstats/finished")
    if fin is None or fin.get("exit") != "success":
        problems.append("nmap did not finish")
    return got

def main():
    tool, path, host, cond, open_, dropped = sys.argv[1:7]
    open_, dropped = parse_ports(open_), parse_ports(dropped)
    problems = []
    got = {"ajar": ajar, "nmap": nmap}[tool](path, host, problems)
    if "TIMEDOUT" in problems:
        print("COUNTS - - - -")
        print("TIMEDOUT")
        return 1
    counts = [sum(1 for s in got.values() if s == st) for st in STATES]
    print("COUNTS %d %d %d %d" % tuple(counts))
    missing = [p for p in ALL if p not in got]
    if missing:
        problems.append("%d ports missing: %s" % (len(missing), fmt_ports(missing)))
    extra = [p for p in got if p not in ALL]
    if extra:
        problems.append("%d ports outside 1-2000: %s" % (len(extra), fmt_ports(extra)))
    diff = {}
    for p in ALL:
        s = got.get(p)
        if s is None:
            continue
        want = "open" if p in open_ else "open|filtered" if p in dropped else "closed"
        if s == want:
            continue
        # Under rate-limited ICMP a closed port may stay silent.
        if cond == "default" and want == "closed" and s == "open|filtered":
            continue
        diff.setdefault((want, s), []).append(p)
    for (want, s), ps in sorted(diff.items()):
        problems.append("want %s, got %s: %d ports: %s" % (want, s, len(ps), fmt_ports(ps)))
    kernel_closed = len(ALL) - len(open_) - len(dropped)
    found = sum(1 for p in ALL if p not in open_ and p not in dropped and got.get(p) == "closed")
    summary = "open %d, closed %d of %d, open|filtered %d" % (counts[0], found, kernel_closed, counts[2])
    if counts[3]:
        summary += ", filtered %d" % counts[3]
    if problems:
        print("WRONG: " + summary)
        for m in problems[:8]:
            print("  " + m)
        return 1
    print("ok: " + summary)
    return 0

sys.exit(main())
EOF

# echo.py PORT...: answers every datagram on each port (an empty one with
# "ok"), until stdin closes.
cat >"$tmp/echo.py" <<'EOF'
import os, select, socket, sys
socks = []
for port in map(int, sys.argv[1:]):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    s.setblocking(False)
    socks.append(s)
print("ready", flush=True)
while True:
    r, _, _ = select.select(socks + [sys.stdin], [], [])
    for s in r:
        if s is sys.stdin:
            if not os.read(0, 1024):
                sys.exit(0)
            continue
        try:
            data, peer = s.recvfrom(2048)
            s.sendto(data or b"ok", peer)
        except OSError:
            pass
EOF

# poke.py HOST PORT: one datagram, exit 0 when an answer comes within 2 s.
cat >"$tmp/poke.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(b"ping", (sys.argv[1], int(sys.argv[2])))
s.recvfrom(2048)
EOF

# shellcheck source=bench/helpers.sh
source bench/helpers.sh
helpers_init

# --- The namespaces ----------------------------------------------------------
# shellcheck source=bench/bed.sh
source bench/bed.sh # the scripts run from the repository root
bed_up ajudp au
ip netns exec "$TNS" nft -f - <<EOF
table inet bench {
  chain input {
    type filter hook input priority 0;
    udp dport $DROP drop
  }
}
EOF
start_helper echo ip netns exec "$TNS" "$PY" "$tmp/echo.py" "${LISTEN_PORTS[@]}"
OPEN=$(IFS=,; echo "${LISTEN_PORTS[*]}")
for p in "${LISTEN_PORTS[@]}"; do
  ip netns exec "$SNS" "$PY" "$tmp/poke.py" "$TADDR" "$p" 2>/dev/null ||
    die "the scanner namespace gets no answer from $TADDR udp port $p"
done

ICMP_KEYS=(net.ipv4.icmp_ratelimit net.ipv4.icmp_msgs_per_sec net.ipv4.icmp_msgs_burst)
host_icmp() { sysctl -n "${ICMP_KEYS[@]}" | tr '\n' ' '; }
host_before=$(host_icmp)
set_limits() { # ratelimit per_sec burst: in the target namespace only
  ip netns exec "$TNS" sysctl -q -w "${ICMP_KEYS[0]}=$1" "${ICMP_KEYS[1]}=$2" "${ICMP_KEYS[2]}=$3"
  [ "$(host_icmp)" = "$host_before" ] || die "setting the target's ICMP limits changed the host's: they are not per namespace here"
  limits_now=$(ip netns exec "$TNS" sysctl "${ICMP_KEYS[@]}" | sed 's/net.ipv4.//; s/ = /=/' | paste -sd' ')
}

# --- The runs ------------------------------------------------------------------
# run_round COND TOOL ROUND: times one command, checks its output, and
# appends to $tmp/COND.TOOL.{times,ok,counts,lines}.
run_round() {
  local cond=$1 tool=$2 round=$3 t0 t1 rc=0 limit cmd verdict
  if [ "$tool" = ajar ]; then
    cmd=("$AJAR" scan -sU -p "$PORTS" --all-ports -o jsonl "$TADDR")
    limit=$CMD_TIMEOUT
  else
    cmd=(nmap -sU -p "$PORTS" -n -Pn --host-timeout "${NMAP_HOST_TIMEOUT}s" -oX - "$TADDR")
    limit=$((NMAP_HOST_TIMEOUT + 60))
  fi
  t0=$EPOCHREALTIME
  timeout -k 5 "$limit" ip netns exec "$SNS" "${cmd[@]}" >"$tmp/out" 2>"$tmp/err" </dev/null &
  running=$!
  wait "$running" || rc=$?
  running=
  t1=$EPOCHREALTIME
  local secs
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  echo "$secs" >>"$tmp/$cond.$tool.times"
  if ((rc != 0)); then
    verdict="WRONG: exit status $rc$( ((rc != 124)) || echo " (killed after ${limit}s)"): $(tail -n3 "$tmp/err" | tr '\n' ' ')"
    echo "- - - -" >>"$tmp/$cond.$tool.counts"
  else
    verdict=$("$PY" "$tmp/check.py" "$tool" "$tmp/out" "$TADDR" "$cond" "$OPEN" "$DROP") || true
    head -n1 <<<"$verdict" | cut -d' ' -f2- >>"$tmp/$cond.$tool.counts"
    verdict=$(tail -n +2 <<<"$verdict")
    [ "$verdict" != TIMEDOUT ] || verdict="did not finish in $NMAP_HOST_TIMEOUT s (nmap gave up on the host)"
  fi
  if [[ $verdict == ok:* ]]; then echo 1 >>"$tmp/$cond.$tool.ok"; else echo 0 >>"$tmp/$cond.$tool.ok"; fi
  printf '  %-7s %-4s round %d: %8.3f s  %s\n' "$cond" "$tool" "$round" "$secs" "$verdict" | tee -a "$tmp/$cond.$tool.lines" >&2
  if [ "$tool" = ajar ] && [ "$round" = 1 ]; then
    grep -v '^{' "$tmp/err" | head -n4 >"$tmp/$cond.ajar.notes" || true
  fi
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# One untimed run of each warms the page cache.
ip netns exec "$SNS" timeout 30 "$AJAR" scan -sU -p 53 "$TADDR" >/dev/null 2>&1 || die "ajar does not run"
ip netns exec "$SNS" timeout 30 nmap -sU -p 53 -n -Pn "$TADDR" >/dev/null 2>&1 || die "nmap does not run"
declare -A LIMITS_USED
for cond in $CONDITIONS; do
  case $cond in
  default) set_limits 1000 1000 50 ;;
  lifted) set_limits 0 100000 100000 ;;
  esac
  LIMITS_USED[$cond]=$limits_now
  echo "condition $cond: target $TADDR ($limits_now), listeners $OPEN, dropped $DROP" >&2
  n=$((ROUNDS > NMAP_ROUNDS ? ROUNDS : NMAP_ROUNDS))
  for ((r = 1; r <= n; r++)); do
    order=(ajar nmap)
    ((r % 2)) || order=(nmap ajar)
    for t in "${order[@]}"; do
      if [ "$t" = ajar ] && ((r > ROUNDS)); then continue; fi
      if [ "$t" = nmap ] && ((r > NMAP_ROUNDS)); then continue; fi
      sleep 2 # the target's per-peer ICMP bucket refills (6 at 1 a second)
      run_round "$cond" "$t" "$r"
    done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- Report --------------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A med okn totn
fails=0
echo
echo "ajar $(git describe --tags --always --dirty 2>/dev/null || echo dev) scan -sU vs nmap $(nmap --version | awk 'NR == 1 { print $3 }'):" \
  "$(nproc) CPUs, Linux $(uname -r), load average $load_before before, $load_after after"
echo "UDP ports $PORTS of $TADDR in a target namespace, from a scanner namespace: ${#LISTEN_PORTS[@]} echo servers open ($OPEN),"
echo "$DROP dropped by nftables (open|filtered), every other port closed by the kernel (ICMP port unreachable)"
for cond in $CONDITIONS; do
  echo
  echo "condition $cond: ${LIMITS_USED[$cond]}"
  printf '%-62s %9s %7s %7s %7s %9s %6s\n' COMMAND "MEDIAN s" CORRECT OPEN CLOSED "OPEN|FILT" FILT
  for t in ajar nmap; do
    f=$tmp/$cond.$t.times
    [ -s "$f" ] || continue
    med[$cond.$t]=$(median <"$f")
    okn[$cond.$t]=$(grep -c 1 "$tmp/$cond.$t.ok" || true)
    totn[$cond.$t]=$(wc -l <"$tmp/$cond.$t.ok")
    if [ $t = ajar ]; then
      label="ajar scan -sU -p $PORTS --all-ports -o jsonl"
    else
      label="nmap -sU -p $PORTS -n -Pn --host-timeout ${NMAP_HOST_TIMEOUT}s -oX -"
    fi
    # Counts of the last round: open, closed, open|filtered, filtered.
    read -r co cc cof cf < <(tail -n1 "$tmp/$cond.$t.counts")
    printf '%-62s %9.3f %7s %7s %7s %9s %6s\n' "$label" "${med[$cond.$t]}" "${okn[$cond.$t]}/${totn[$cond.$t]}" "$co" "$cc" "$cof" "$cf"
  done
  echo "per round (OPEN/CLOSED/... columns above are the last round's):"
  for t in ajar nmap; do [ -s "$tmp/$cond.$t.lines" ] && cat "$tmp/$cond.$t.lines"; done
  if [ -s "$tmp/$cond.ajar.notes" ]; then
    echo "ajar's notes (stderr, round 1):"
    sed 's/^/  /' "$tmp/$cond.ajar.notes"
  fi
  if [ -n "${med[$cond.nmap]:-}" ]; then
    nmap_note= cmp="="
    if ! grep -q 1 "$tmp/$cond.nmap.ok"; then
      nmap_note=" (nmap was not correct or did not finish: its time is a lower bound)" cmp=">="
    fi
    awk -v a="${med[$cond.ajar]}" -v n="${med[$cond.nmap]}" -v x="$nmap_note" -v c="$cmp" \
      'BEGIN { printf "ratio: ajar/nmap median time = %.3fx (nmap/ajar %s %.1fx)%s\n", a / n, c, n / a, x }'
  fi
  [ "${okn[$cond.ajar]}" = "${totn[$cond.ajar]}" ] || fails=$((fails + 1))
done
if awk -v l="${load_before%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
  echo
  echo "note: the load average (${load_before%% *}) exceeded the CPU count: other work skews these times"
fi
((fails == 0)) || exit 1
