#!/usr/bin/env bash
# Benchmarks how precisely and how well `ajar scan` paces its probes, beside
# nmap and masscan, in one run. A scanner and a target network namespace
# joined by a veth pair (bench/bed.sh); the tools run inside the scanner.
#
#   1. precision: TCP ports 1-20000 of the target, all closed (it runs
#      before case 2 starts its listeners: the target answers each SYN with
#      a reset), each tool told to send 20,000 probes a second, each probe
#      once:
#        ajar scan -sS --rate 20000 -p 1-20000 --retries 0 -o jsonl -q HOST
#        nmap -sS -n -Pn --min-rate 20000 --max-rate 20000 --max-retries 0
#          -p 1-20000 -oX - HOST
#        masscan -p1-20000 --rate 20000 --wait 0 --adapter LINK
#          --adapter-ip SCANNER --router-mac TARGET-MAC -oL FILE HOST
#      tcpdump in the target namespace (-i TLINK -nn -tt -l -Q in) records
#      each SYN without ACK from the scanner as it arrives; it is started
#      before the tool (the script waits for "listening on") and stopped
#      after, and a round whose capture lost packets (tcpdump's "dropped by
#      kernel") or holds none is void. Per round: packets, the mean rate
#      over the sending period (first to last SYN), and the busiest 1 ms,
#      10 ms and 100 ms windows (sliding, starting at any SYN), as counts
#      and as a ratio to the ideal (20 a millisecond). Goals: ajar's median
#      busiest 10 ms <= 1.25 x ideal (250 SYNs) and its median mean rate
#      within 5% of 20,000/s.
#   2. bottleneck: the same bed with a token bucket on the target's veth
#      (tc qdisc add dev TLINK root tbf rate 5mbit burst 8kb limit 8kb, in
#      the target namespace: it shapes the target's answers, so that those
#      beyond about 11,500 a second are dropped), 20 listeners on the
#      target (LISTEN_BASE...), ports 1-19999:
#        ajar scan -p 1-19999 --all-ports -o jsonl HOST  (default: adaptive)
#        ajar scan -p 1-19999 --all-ports -o jsonl --rate 100000 HOST
#          (fixed: the control, expected to lose answers and so ports)
#        nmap -sS -p 1-19999 -n -Pn -oX - HOST  (default timing)
#        masscan -p1-19999 --rate 100000 ... (open ports only; it waits
#          MASSCAN_WAIT s after its last packet, and its time includes that)
#      Correct: every listener open and every other port closed, each port
#      once (masscan: exactly the 20 listeners). The table shows the median
#      time, the correct rounds and the median of wrong ports (missing or
#      in a wrong state); ajar's notes on stderr (how far it backed off)
#      are shown. Goal: ajar at default settings correct every round.
#
# Every command is killed after CMD_TIMEOUT seconds (a killed command is a
# wrong round); the tools alternate which goes first from round to round.
# Packets go only between the two namespaces this script creates: nothing
# is sent anywhere else, and the host's own network, qdiscs and nftables
# are never touched. Everything is removed on exit, also on failure or
# Ctrl-C. The script prints the tables, the goals with PASS or FAIL and the
# load average before and after, and exits 1 when a goal fails, 2 when it
# cannot run (it must run as root).
#
# Environment: ROUNDS (3: ajar), NMAP_ROUNDS (1; 0 skips nmap),
# MASSCAN_ROUNDS (1; 0 skips masscan), CASES ("precision bottleneck"),
# CMD_TIMEOUT (120), LISTEN_BASE (15100), MASSCAN_WAIT (10), AJAR_BIN (an
# ajar binary to use instead of building ./cmd/ajar). Needs go,
# nmap, tcpdump, tc, ip, ss, python3 and timeout; masscan is installed with
# apt-get when missing (Debian package masscan).
set -euo pipefail

ROUNDS=${ROUNDS:-3}
NMAP_ROUNDS=${NMAP_ROUNDS:-1}
MASSCAN_ROUNDS=${MASSCAN_ROUNDS:-1}
CASES=${CASES:-precision bottleneck}
CMD_TIMEOUT=${CMD_TIMEOUT:-120}
LISTEN_BASE=${LISTEN_BASE:-15100}
MASSCAN_WAIT=${MASSCAN_WAIT:-10}
RATE=20000           # case 1's fixed rate, probes a second
PREC_PORTS=1-20000   # case 1's ports
BOTTLE_PORTS=1-19999 # case 2's ports
FAST_RATE=100000     # case 2's fixed rates (ajar's control, masscan)
TBF="rate 5mbit burst 8kb limit 8kb"
WIN10_GOAL=1.25 # case 1: ajar's busiest 10 ms <= this x ideal
MEAN_GOAL=0.05  # case 1: ajar's mean rate within this fraction of RATE
LISTENERS=20
READY_TIMEOUT=30 # seconds for the listeners, the link and tcpdump

die() { echo "pace.sh: $*" >&2; exit 2; }
for v in ROUNDS NMAP_ROUNDS MASSCAN_ROUNDS CMD_TIMEOUT LISTEN_BASE MASSCAN_WAIT; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v=${!v}: want a number"
done
((ROUNDS >= 1 && ROUNDS <= 50)) || die "ROUNDS=$ROUNDS: want 1 to 50"
((NMAP_ROUNDS <= 50)) || die "NMAP_ROUNDS=$NMAP_ROUNDS: want 0 to 50"
((MASSCAN_ROUNDS <= 50)) || die "MASSCAN_ROUNDS=$MASSCAN_ROUNDS: want 0 to 50"
((CMD_TIMEOUT >= 5 && CMD_TIMEOUT <= 600)) || die "CMD_TIMEOUT=$CMD_TIMEOUT: want 5 to 600"
((MASSCAN_WAIT <= 60)) || die "MASSCAN_WAIT=$MASSCAN_WAIT: want 0 to 60"
((LISTEN_BASE >= 1024 && LISTEN_BASE + LISTENERS <= 20000)) ||
  die "LISTEN_BASE=$LISTEN_BASE: the $LISTENERS listeners must lie in 1024-19999"
for c in $CASES; do [[ $c =~ ^(precision|bottleneck)$ ]] || die "CASES: unknown case $c"; done
[ -n "${CASES// /}" ] || die "CASES is empty"
want_case() { [[ " $CASES " == *" $1 "* ]]; }

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, raw sockets, tc): sudo $0"
for c in nmap tcpdump tc ip ss python3 timeout; do
  command -v "$c" >/dev/null || die "$c not found"
done
if ((MASSCAN_ROUNDS > 0)) && ! command -v masscan >/dev/null; then
  echo "installing masscan (Debian package masscan)..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq masscan >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq masscan >/dev/null 2>&1; } ||
    die "masscan is missing and apt-get could not install it (or run with MASSCAN_ROUNDS=0)"
fi
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then PATH=$PATH:/usr/local/go/bin; fi
command -v go >/dev/null || die "go not found"
# The interpreter itself, not a version manager's shim.
PY=$(python3 -c 'import sys; print(sys.executable)') || die "python3 does not run"

cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
helpers=()
namespaces=()
running= # the timed command's timeout process
capture= # tcpdump's timeout process
cleanup() {
  local p
  for p in "$running" "$capture"; do
    [ -n "$p" ] || continue
    kill -TERM "$p" 2>/dev/null || true # timeout passes it on
    wait "$p" 2>/dev/null || true
  done
  exec 9>&- 2>/dev/null || true # the helpers see their stdin close
  for p in "${helpers[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${helpers[@]}"; do wait "$p" 2>/dev/null || true; done
  # Deleting a namespace takes its veth end, qdisc and listeners with it.
  for ns in "${namespaces[@]}"; do timeout 10 ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${AJAR_BIN:-}" ]; then
  [ -x "$AJAR_BIN" ] || die "AJAR_BIN=$AJAR_BIN: not an executable"
  cp "$AJAR_BIN" "$tmp/ajar"
else
  echo "building ajar..." >&2
  CGO_ENABLED=0 go build -trimpath -o "$tmp/ajar" ./cmd/ajar || die "ajar does not build"
fi
AJAR=$tmp/ajar

# check.py syns FILE RATE: tcpdump's lines (one SYN each) of a round:
#   "PACKETS MEAN W1 W10 W100" (W: the most SYNs in any window of 1, 10
#   and 100 ms).
# check.py ajar|nmap|masscan FILE HOST OPEN PORTS: a scan's output against
#   the truth (OPEN open, the rest of PORTS closed): "WRONGPORTS verdict",
#   the verdict "ok: ..." or "WRONG: ...", then the mistakes, one a line.
cat >"$tmp/check.py" <<'EOF'
import json, sys, xml.etree.ElementTree as ET

def parse_ports(s):
    out = set()
    for part in filter(None, s.split(",")):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out

def fmt_ports(ports, limit=12):
    runs = []
    for p in sorted(ports):
        if runs and runs[-1][1] == p - 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    s = [str(a) if a == b else "%d-%d" % (a, b) for a, b in runs]
    return ",".join(s[:limit]) + (" ... (%d ranges)" % len(s) if len(s) > limit else "")

def busiest(ts, w):
    """The most timestamps (sorted) in any window [t, t+w)."""
    best, j = 0, 0
    for i in range(len(ts)):
        while ts[i] - ts[j] >= w:
            j += 1
        best = max(best, i - j + 1)
    return best

def syns(path, rate):
    ts = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) < 2 or w[1] != "IP":
                continue
            ts.append(float(w[0]))
    ts.sort()
    n = len(ts)
    span = ts[-1] - ts[0] if n > 1 else 0
    mean = (n - 1) / span if span > 0 else 0
    print("%d %.0f %d %d %d" % (n, mean, busiest(ts, 0.001), busiest(ts, 0.010), busiest(ts, 0.100)))

def ajar(path, host, problems):
    got, bad = {}, 0
    with open(path) as f:
        for n, line in enumerate(f, 1):
            try:
                o = json.loads(line)
                p, s = int(o["port"]), o["state"]
                if o["host"] != host or o["proto"] != "tcp":
                    raise ValueError("unexpected record")
            except (ValueError, KeyError, TypeError) as e:
                bad += 1
                if bad <= 3:
                    problems.append("line %d: %s: %.150s" % (n, e, line.strip()))
                continue
            if p in got:
                problems.append("port %d written twice" % p)
            got[p] = s
    return got, bad

def nmap(path, host, problems):
    got = {}
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        problems.append("no XML: %s" % e)
        return got, 1
    hosts = [h for h in root.iter("host") if any(a.get("addr") == host for a in h.iter("address"))]
    if len(hosts) != 1:
        problems.append("%d <host> elements for %s" % (len(hosts), host))
        return got, 1
    for port in hosts[0].iter("port"):
        st, p = port.find("state"), int(port.get("portid"))
        if port.get("protocol") != "tcp" or st is None:
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
    bad = 0
    if fin is None or fin.get("exit") != "success":
        problems.append("nmap did not finish")
        bad = 1
    return got, bad

def masscan(path, host, problems):
    """-oL: "open tcp PORT HOST TIME" for each open port, nothing else."""
    got, bad = {}, 0
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            if len(w) < 4 or w[0] != "open" or w[1] != "tcp" or w[3] != host:
                bad += 1
                problems.append("odd line %.100s" % line.strip())
                continue
            got[int(w[2])] = "open"
    return got, bad

def scan(tool, path, host, open_, ports):
    problems = []
    got, bad = {"ajar": ajar, "nmap": nmap, "masscan": masscan}[tool](path, host, problems)
    wrong = set()
    if tool == "masscan":
        missed, extra = open_ - set(got), set(got) - open_
        wrong = missed | extra
        if missed:
            problems.append("%d open ports missed: %s" % (len(missed), fmt_ports(missed)))
        if extra:
            problems.append("%d ports reported open wrongly: %s" % (len(extra), fmt_ports(extra)))
        summary = "open %d of %d (masscan reports open ports only)" % (len(set(got) & open_), len(open_))
    else:
        counts, diff = {}, {}
        for p, s in got.items():
            counts[s] = counts.get(s, 0) + 1
            want = "open" if p in open_ else "closed" if p in ports else "(not scanned)"
            if s != want:
                diff.setdefault((want, s), []).append(p)
                wrong.add(p)
        missing = ports - set(got)
        wrong |= missing
        if missing:
            problems.append("%d ports missing: %s" % (len(missing), fmt_ports(missing)))
        for (want, s), ps in sorted(diff.items()):
            problems.append("want %s, got %s: %d ports: %s" % (want, s, len(ps), fmt_ports(ps)))
        summary = ", ".join("%s %d" % (s, counts[s]) for s in sorted(counts))
    nwrong = len(wrong) + bad
    print(nwrong)
    if problems:
        print("WRONG: %d wrong ports; %s" % (nwrong, summary))
        for m in problems[:6]:
            print("  " + m)
        return 1
    print("ok: " + summary)
    return 0

if __name__ == "__main__":
    if sys.argv[1] == "syns":
        syns(sys.argv[2], float(sys.argv[3]))
        sys.exit(0)
    tool, path, host, open_, ports = sys.argv[1:6]
    sys.exit(scan(tool, path, host, parse_ports(open_), parse_ports(ports)))
EOF


# shellcheck source=bench/helpers.sh
source bench/helpers.sh
helpers_init

# --- The namespaces ------------------------------------------------------------
# shellcheck source=bench/bed.sh
source bench/bed.sh # the scripts run from the repository root
bed_up ajpace ap
last=$((LISTEN_BASE + LISTENERS - 1))

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load_before=$(loadavg)
# One untimed run of each warms the page cache.
ip netns exec "$SNS" timeout 30 "$AJAR" scan -sS -q -p 1-100 "$TADDR" >/dev/null 2>&1 || die "ajar does not run"
ip netns exec "$SNS" timeout 30 nmap -sS -p 1-100 -n -Pn "$TADDR" >/dev/null 2>&1 || die "nmap does not run"

# timed TIMES_FILE CMD...: runs CMD (stdout to $tmp/out, stderr to
# $tmp/err, killed after CMD_TIMEOUT), appends its time to TIMES_FILE and
# sets rc to its exit status.
timed() {
  local f=$1 t0 t1
  shift
  rc=0
  t0=$EPOCHREALTIME
  # In the background and waited for, so that a signal to the script runs
  # its trap at once (cleanup then stops the command).
  timeout -k 5 "$CMD_TIMEOUT" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null &
  running=$!
  wait "$running" || rc=$?
  running=
  t1=$EPOCHREALTIME
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  echo "$secs" >>"$f"
}
exit_note() { # why a command with status $rc failed
  local m="exit status $rc"
  ((rc != 124)) || m+=" (killed after ${CMD_TIMEOUT}s)"
  echo "$m: $(tail -n3 "$tmp/err" | tr '\r\n' '  ' | cut -c1-200)"
}

# order N TOOL:ROUNDS...: the tools with a round N, reversed on even N.
order() {
  local n=$1 spec out=()
  shift
  for spec in "$@"; do ((n <= ${spec#*:})) && out+=("${spec%%:*}"); done
  ((n % 2)) || out=($(printf '%s\n' "${out[@]}" | tac))
  echo "${out[@]}"
}
maxrounds() { local m=0 s; for s in "$@"; do ((${s#*:} > m)) && m=${s#*:}; done; echo "$m"; }

# --- Case 1: precision -----------------------------------------------------------
# veth_drops: packets the veth pair dropped so far, either way (a burst
# beyond the receiving end's backlog, net.core.netdev_max_backlog, is
# dropped: the sender's tx_dropped, the receiver's rx_dropped).
veth_drops() {
  local a b c d
  a=$(ip netns exec "$SNS" cat "/sys/class/net/$SLINK/statistics/tx_dropped")
  b=$(ip netns exec "$SNS" cat "/sys/class/net/$SLINK/statistics/rx_dropped")
  c=$(ip netns exec "$TNS" cat "/sys/class/net/$TLINK/statistics/tx_dropped")
  d=$(ip netns exec "$TNS" cat "/sys/class/net/$TLINK/statistics/rx_dropped")
  echo $((a + b + c + d))
}
# prec_round TOOL ROUND: TOOL at RATE under tcpdump; appends "PACKETS MEAN
# W1 W10 W100" to $tmp/prec.TOOL (a void round: nothing).
prec_round() {
  local tool=$1 round=$2 cmd deadline stats captured dropped drops0 lost
  case $tool in
  ajar) cmd=(ip netns exec "$SNS" "$AJAR" scan -sS --rate "$RATE" -p "$PREC_PORTS" --retries 0 -o jsonl -q "$TADDR") ;;
  nmap) cmd=(ip netns exec "$SNS" nmap -sS -n -Pn --min-rate "$RATE" --max-rate "$RATE" --max-retries 0
    -p "$PREC_PORTS" -oX - "$TADDR") ;;
  masscan) cmd=(bash bench/masscan.sh "$SNS" "$TNS" "$SLINK" "$SADDR" "$TADDR" "$PREC_PORTS" "$RATE" 0) ;;
  esac
  ip netns exec "$TNS" timeout -k 5 $((CMD_TIMEOUT + 30)) tcpdump -i "$TLINK" -nn -tt -l -Q in -B 32768 \
    "src host $SADDR and dst host $TADDR and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn" \
    >"$tmp/syns" 2>"$tmp/tcpdump.err" </dev/null &
  capture=$!
  deadline=$((SECONDS + READY_TIMEOUT))
  until grep -qs 'listening on' "$tmp/tcpdump.err"; do
    kill -0 "$capture" 2>/dev/null || { cat "$tmp/tcpdump.err" >&2; die "tcpdump exited before it was listening"; }
    ((SECONDS < deadline)) || die "tcpdump not listening after ${READY_TIMEOUT}s"
    sleep 0.05
  done
  drops0=$(veth_drops)
  timed "$tmp/prec.$tool.times" "${cmd[@]}"
  sleep 0.3 # the last SYNs reach the capture
  lost=$(($(veth_drops) - drops0))
  kill -INT "$capture" 2>/dev/null || true
  wait "$capture" 2>/dev/null || true
  capture=
  captured=$(awk '/packets captured/ { print $1 }' "$tmp/tcpdump.err")
  dropped=$(awk '/packets dropped by kernel/ { print $1 }' "$tmp/tcpdump.err")
  stats=$("$PY" "$tmp/check.py" syns "$tmp/syns" "$RATE")
  local msg
  msg=$(printf '%s s, %s SYNs captured (tcpdump: %s, %s dropped), %s packets lost on the veth' \
    "$secs" "${stats%% *}" "${captured:-?}" "${dropped:-?}" "$lost")
  [ -z "${PACE_DEBUG_DIR:-}" ] || cp "$tmp/syns" "$PACE_DEBUG_DIR/syns.$tool.$round"
  if ((rc != 0)); then
    echo "  precision $tool round $round: $msg; $(exit_note), void" | tee -a "$tmp/prec.notes" >&2
  elif [ "${dropped:-x}" != 0 ] || [ "${stats%% *}" = 0 ] || [ "${stats%% *}" != "${captured:-x}" ]; then
    echo "  precision $tool round $round: $msg: the capture is incomplete, void" | tee -a "$tmp/prec.notes" >&2
  else
    echo "$stats" >>"$tmp/prec.$tool"
    printf '  precision %-7s round %d: %s; mean %s/s, busiest 1/10/100 ms: %s\n' "$tool" "$round" "$msg" \
      "$(cut -d' ' -f2 <<<"$stats")" "$(cut -d' ' -f3- <<<"$stats" | tr ' ' /)" >&2
  fi
}
PREC=("ajar:$ROUNDS" "nmap:$NMAP_ROUNDS" "masscan:$MASSCAN_ROUNDS")
if want_case precision; then
  echo "case 1: precision, $TADDR ports $PREC_PORTS at $RATE probes/s, SYNs captured on $TLINK" >&2
  for ((r = 1; r <= $(maxrounds "${PREC[@]}"); r++)); do
    for t in $(order "$r" "${PREC[@]}"); do prec_round "$t" "$r"; done
  done
fi

# --- Case 2: bottleneck ----------------------------------------------------------
# bottle_round TOOL ROUND: appends the time to $tmp/bot.TOOL.times, 1 or 0
# to .ok, the wrong ports to .wrong, the verdict line to .lines.
bottle_round() {
  local tool=$1 round=$2 cmd checker=$1 verdict nwrong
  case $tool in
  ajar) cmd=(ip netns exec "$SNS" "$AJAR" scan -p "$BOTTLE_PORTS" --all-ports -o jsonl "$TADDR") ;;
  ajar_fixed)
    cmd=(ip netns exec "$SNS" "$AJAR" scan -p "$BOTTLE_PORTS" --all-ports -o jsonl --rate "$FAST_RATE" "$TADDR")
    checker=ajar
    ;;
  nmap) cmd=(ip netns exec "$SNS" nmap -sS -p "$BOTTLE_PORTS" -n -Pn -oX - "$TADDR") ;;
  masscan) cmd=(bash bench/masscan.sh "$SNS" "$TNS" "$SLINK" "$SADDR" "$TADDR" "$BOTTLE_PORTS" "$FAST_RATE" "$MASSCAN_WAIT") ;;
  esac
  timed "$tmp/bot.$tool.times" "${cmd[@]}"
  if ((rc != 0)); then
    nwrong=- verdict="WRONG: $(exit_note)"
  else
    verdict=$("$PY" "$tmp/check.py" "$checker" "$tmp/out" "$TADDR" "$LISTEN_BASE-$last" "$BOTTLE_PORTS") || true
    nwrong=$(head -n1 <<<"$verdict")
    verdict=$(tail -n +2 <<<"$verdict")
  fi
  if [[ $verdict == ok:* ]]; then echo 1 >>"$tmp/bot.$tool.ok"; else echo 0 >>"$tmp/bot.$tool.ok"; fi
  [ "$nwrong" = - ] || echo "$nwrong" >>"$tmp/bot.$tool.wrong"
  printf '  %-10s round %d: %8.3f s  %s\n' "$tool" "$round" "$secs" "$verdict" | tee -a "$tmp/bot.$tool.lines" >&2
  if [[ $tool == ajar* ]]; then
    # ajar's notes: what it picked, and how far it backed off.
    grep -v '^{' "$tmp/err" | tr '\r' '\n' | grep . | sed "s/^/    $tool round $round: /" >>"$tmp/bot.notes" || true
  fi
}
BOTTLE=("ajar:$ROUNDS" "ajar_fixed:$ROUNDS" "nmap:$NMAP_ROUNDS" "masscan:$MASSCAN_ROUNDS")
if want_case bottleneck; then
  ip netns exec "$TNS" tc qdisc add dev "$TLINK" root tbf $TBF
  qdisc=$(ip netns exec "$TNS" tc qdisc show dev "$TLINK" | head -n1)
  [[ $qdisc == *tbf* ]] || die "no tbf qdisc on $TLINK: $qdisc"
  start_helper listen ip netns exec "$TNS" "$PY" bench/listen.py "$LISTEN_BASE" "$LISTENERS"
  ip netns exec "$SNS" timeout 5 bash -c "exec 3<>/dev/tcp/$TADDR/$LISTEN_BASE" ||
    die "the scanner namespace cannot reach $TADDR:$LISTEN_BASE"
  echo "case 2: bottleneck, $TADDR ports $BOTTLE_PORTS, $LISTEN_BASE-$last open; $TLINK: $qdisc" >&2
  for ((r = 1; r <= $(maxrounds "${BOTTLE[@]}"); r++)); do
    for t in $(order "$r" "${BOTTLE[@]}"); do bottle_round "$t" "$r"; done
  done
  qdisc_stats=$(ip netns exec "$TNS" tc -s qdisc show dev "$TLINK" | awk '/Sent/ { print; exit }')
fi
load_after=$(loadavg)

# --- Report ------------------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { cut -d' ' -f"$2" "$1" | median; } # file column: the column's median
goals=()
goal() { # description measured condition
  local v=FAIL
  if awk "BEGIN { exit !($3) }"; then v=PASS; fi
  printf '%-58s %-30s %s\n' "$1" "$2" "$v" >>"$tmp/goals"
  goals+=("$v")
}

echo
echo "ajar $(git describe --tags --always --dirty 2>/dev/null || echo dev) vs nmap $(nmap --version | awk 'NR == 1 { print $3 }')" \
  "$(command -v masscan >/dev/null && masscan --version 2>/dev/null | awk '/version/ { print "and masscan " $3; exit }'):" \
  "$(nproc) CPUs, Linux $(uname -r), load average $load_before before, $load_after after"
declare -A PREC_LABELS=(
  [ajar]="ajar scan -sS --rate $RATE --retries 0"
  [nmap]="nmap -sS --min-rate/--max-rate $RATE --max-retries 0"
  [masscan]="masscan --rate $RATE --wait 0"
)
if want_case precision; then
  ideal1=$((RATE / 1000)) ideal10=$((RATE / 100)) ideal100=$((RATE / 10))
  echo
  echo "case 1, precision: SYNs arriving at $TADDR (ports $PREC_PORTS, closed), each tool at $RATE probes/s;"
  echo "busiest windows as SYNs (x ideal: $ideal1 per 1 ms, $ideal10 per 10 ms, $ideal100 per 100 ms); medians over the rounds"
  printf '%-52s %7s %8s %8s %13s %13s %13s %7s\n' COMMAND ROUNDS PACKETS "MEAN/s" "BUSIEST 1ms" "BUSIEST 10ms" "BUSIEST 100ms" "TIME s"
  for t in ajar nmap masscan; do
    f=$tmp/prec.$t
    [ -s "$tmp/prec.$t.times" ] || continue
    if [ -s "$f" ]; then
      w1=$(col "$f" 3) w10=$(col "$f" 4) w100=$(col "$f" 5)
      printf '%-52s %7s %8.0f %8.0f %6.0f %5.2fx %6.0f %5.2fx %6.0f %5.2fx %7.3f\n' "${PREC_LABELS[$t]}" \
        "$(wc -l <"$f")/$(wc -l <"$tmp/prec.$t.times")" "$(col "$f" 1)" "$(col "$f" 2)" \
        "$w1" "$(awk -v a="$w1" -v b="$ideal1" 'BEGIN { print a / b }')" \
        "$w10" "$(awk -v a="$w10" -v b="$ideal10" 'BEGIN { print a / b }')" \
        "$w100" "$(awk -v a="$w100" -v b="$ideal100" 'BEGIN { print a / b }')" \
        "$(median <"$tmp/prec.$t.times")"
    else
      printf '%-52s %7s  (no valid round)\n' "${PREC_LABELS[$t]}" "0/$(wc -l <"$tmp/prec.$t.times")"
    fi
  done
  echo "per round: PACKETS MEAN/s BUSIEST-1ms/10ms/100ms"
  for t in ajar nmap masscan; do
    [ -s "$tmp/prec.$t" ] && echo "  $t: $(awk '{ printf "%s%s %s %s/%s/%s", (NR > 1 ? ", " : ""), $1, $2, $3, $4, $5 }' "$tmp/prec.$t")"
  done
  [ -s "$tmp/prec.notes" ] && cat "$tmp/prec.notes"
  if [ -s "$tmp/prec.ajar" ]; then
    w10=$(col "$tmp/prec.ajar" 4) mean=$(col "$tmp/prec.ajar" 2)
    goal "precision: ajar's busiest 10 ms <= $WIN10_GOAL x ideal ($(awk -v g="$WIN10_GOAL" -v i="$ideal10" 'BEGIN { print g * i }'))" \
      "$w10 ($(awk -v a="$w10" -v b="$ideal10" 'BEGIN { printf "%.2f", a / b }')x)" "$w10 <= $WIN10_GOAL * $ideal10"
    goal "precision: ajar's mean rate within $(awk -v g="$MEAN_GOAL" 'BEGIN { print g * 100 }')% of $RATE/s" \
      "$mean/s ($(awk -v a="$mean" -v b="$RATE" 'BEGIN { printf "%+.1f%%", (a / b - 1) * 100 }'))" \
      "$mean >= (1 - $MEAN_GOAL) * $RATE && $mean <= (1 + $MEAN_GOAL) * $RATE"
  else
    goal "precision: ajar measured" "no valid round" 0
  fi
fi
declare -A BOT_LABELS=(
  [ajar]="ajar scan -p $BOTTLE_PORTS --all-ports (default: adaptive)"
  [ajar_fixed]="ajar scan -p $BOTTLE_PORTS --all-ports --rate $FAST_RATE"
  [nmap]="nmap -sS -p $BOTTLE_PORTS -n -Pn (default timing)"
  [masscan]="masscan -p$BOTTLE_PORTS --rate $FAST_RATE --wait $MASSCAN_WAIT"
)
if want_case bottleneck; then
  echo
  echo "case 2, bottleneck: $TADDR ports $BOTTLE_PORTS ($LISTEN_BASE-$last open, the rest closed), the target's answers"
  echo "through tbf $TBF (about 11,500 resets a second); correct = every port right (masscan: the $LISTENERS open ones)"
  printf '%-52s %9s %8s %13s  %s\n' COMMAND "MEDIAN s" CORRECT "WRONG PORTS" "ROUNDS s"
  for t in ajar ajar_fixed nmap masscan; do
    f=$tmp/bot.$t.times
    [ -s "$f" ] || continue
    printf '%-52s %9.3f %8s %13s  %s\n' "${BOT_LABELS[$t]}" "$(median <"$f")" \
      "$(grep -c 1 "$tmp/bot.$t.ok" || true)/$(wc -l <"$tmp/bot.$t.ok")" \
      "$([ -s "$tmp/bot.$t.wrong" ] && median <"$tmp/bot.$t.wrong" || echo -)" "$(paste -sd' ' "$f")"
  done
  echo "per round:"
  for t in ajar ajar_fixed nmap masscan; do [ -s "$tmp/bot.$t.lines" ] && cat "$tmp/bot.$t.lines"; done
  if [ -s "$tmp/bot.notes" ]; then
    echo "ajar's stderr:"
    cat "$tmp/bot.notes"
  fi
  echo "the tbf qdisc after the runs: ${qdisc_stats:-?}"
  goal "bottleneck: ajar (default) correct every round" \
    "$(grep -c 1 "$tmp/bot.ajar.ok" || true)/$(wc -l <"$tmp/bot.ajar.ok")" \
    "$(grep -c 1 "$tmp/bot.ajar.ok" || true) == $(wc -l <"$tmp/bot.ajar.ok")"
fi
echo
printf '%-58s %-30s %s\n' GOAL MEASURED RESULT
cat "$tmp/goals"
if awk -v l="${load_before%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
  echo
  echo "note: the load average (${load_before%% *}) exceeded the CPU count: other work skews these numbers"
fi
fails=0
for v in "${goals[@]}"; do [ "$v" = PASS ] || fails=$((fails + 1)); done
((fails == 0)) || exit 1
