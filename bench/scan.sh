#!/usr/bin/env bash
# Benchmarks `ajar scan` against nmap (and, for SYN scans, masscan), side by
# side in one run, as the issues ask. TCP connect (-sT):
#
#   1. all 65,535 ports of 127.0.0.1, 20 of them open:
#      ajar's median time <= 0.5 x nmap -sT's, and ajar correct every round;
#   2. all 65,535 ports of a target namespace whose firewall drops
#      20000-65535: ajar's median time <= 3 s (nmap -sT needs about 41 s),
#      and ajar correct every round.
#
# TCP SYN (raw sockets):
#
#   3. all ports of 127.0.0.1: ajar -sS's median time <= nmap -sS's, and
#      ajar correct every round;
#   4. all ports of the namespace target: ajar at default settings (a SYN
#      scan, as root) median <= 1.5 s and correct every round, beside
#      nmap -sS at its default timing, nmap -sS --min-rate 100000 and
#      masscan --rate 100000 (masscan reports open ports only, and waits
#      10 s after its last packet by default: its time includes that);
#   5. the raw send rate on the veth pair: packets a second leaving the
#      scanner namespace (its veth's tx_packets, sampled every 10 ms), for
#      ajar sending as fast as it can (-sS --retries 0 --max-parallel
#      60000 --min-timeout 50ms --initial-timeout 50ms over all ports) and
#      for masscan --rate 10000000; peak over 100 ms and mean over the
#      sending period.
#
# Commands timed:
#   ajar scan -sT -p- --all-ports -o jsonl -q HOST
#   nmap -sT -p- -n -Pn -oX - HOST
#   ajar scan -sS -p- --all-ports -o jsonl -q 127.0.0.1
#   nmap -sS -p- -n -Pn -oX - 127.0.0.1
#   ajar scan -p- --all-ports -o jsonl HOST    (default: must say "SYN scan")
#   nmap -sS -p- -n -Pn -oX - HOST
#   nmap -sS -p- -n -Pn --min-rate 100000 -oX - HOST
#   masscan -p1-65535 --rate 100000 --adapter LINK --adapter-ip SCANNER
#     --router-mac TARGET-MAC -oL FILE HOST
# (masscan 1.3.2 may never exit after its wait when no packet arrives: the
# wrapper sends it one, a TCP connection attempt from the target, once its
# countdown has run out.)
# Both write every port's state (nmap folds closed and filtered ports into
# <extraports>, whose <extrareasons ports="..."> still names them), and each
# round's output is checked port by port:
#   loopback: open = the TCP ports listening on 127.0.0.1 or a wildcard
#     address per `ss -Htln` just before the command (other processes on the
#     machine may listen too; a port whose listener came or went while the
#     command ran may be open or closed), every other port closed;
#   namespace: the 20 listeners open, 1-19999 otherwise closed, 20000-65535
#     filtered.
#
# The test bed: bench/sockhold holds the 20 loopback listeners. The
# namespace case builds two network namespaces, scanner and target, joined
# by a veth pair (10.A.B.1/30 and 10.A.B.2/30, random A and B, existing
# only inside the two namespaces); python3 holds the target's listeners on
# 0.0.0.0 (sockhold listens only on loopback addresses), and nftables inside
# the target namespace drops tcp dport 20000-65535. ajar and nmap run inside
# the scanner namespace. Packets go only to 127.0.0.1 and between the two
# namespaces; the host's own nftables ruleset is never touched. Everything
# is removed on exit, also on failure or Ctrl-C.
#
# Each tool runs ROUNDS (ajar) or NMAP_ROUNDS / NMAP_NS_ROUNDS (nmap) times,
# alternating which goes first; every command is killed after CMD_TIMEOUT
# seconds (a killed command is a wrong round). The script prints a table per
# case (median, min, max, correct rounds), the goals with PASS or FAIL and
# the load average before and after, and exits 1 when a goal fails, 2 when
# it cannot run (it must run as root).
#
# Environment: ROUNDS (5), NMAP_ROUNDS (3), NMAP_NS_ROUNDS (1; 0 skips nmap
# there), NMAP_SYN_NS_ROUNDS (1: nmap -sS at default timing takes about a
# minute there; 0 skips it), NMAP_FAST_ROUNDS (1), MASSCAN_ROUNDS (3; 0
# skips masscan), RATE_ROUNDS (3), LISTEN_BASE (15100: 20 ports, outside
# the ephemeral range), CMD_TIMEOUT (120), NS_GOAL_S (3), RATIO_GOAL (0.5),
# SYN_NS_GOAL_S (1.5), SYN_LO_RATIO_GOAL (1), CASES (all of "connect syn
# rate"; "cost" runs bench/cost.sh alone: wall, CPU and peak RSS of ajar
# before and after a change, nmap and masscan, per scenario). Needs go,
# nmap, nft, ip, ss, python3 and timeout; masscan is installed with
# apt-get when missing (Debian package masscan).
set -euo pipefail

ROUNDS=${ROUNDS:-5}
NMAP_ROUNDS=${NMAP_ROUNDS:-3}
NMAP_NS_ROUNDS=${NMAP_NS_ROUNDS:-1}
LISTEN_BASE=${LISTEN_BASE:-15100}
CMD_TIMEOUT=${CMD_TIMEOUT:-120}
NS_GOAL_S=${NS_GOAL_S:-3}
RATIO_GOAL=${RATIO_GOAL:-0.5}
NMAP_SYN_NS_ROUNDS=${NMAP_SYN_NS_ROUNDS:-1}
NMAP_FAST_ROUNDS=${NMAP_FAST_ROUNDS:-1}
MASSCAN_ROUNDS=${MASSCAN_ROUNDS:-3}
RATE_ROUNDS=${RATE_ROUNDS:-3}
SYN_NS_GOAL_S=${SYN_NS_GOAL_S:-1.5}
SYN_LO_RATIO_GOAL=${SYN_LO_RATIO_GOAL:-1}
CASES=${CASES:-connect syn rate}
LISTENERS=20
FILTER_FROM=20000 # the target drops tcp dport FILTER_FROM-65535
READY_TIMEOUT=30  # seconds for the listeners to open, and for the link

die() { echo "scan.sh: $*" >&2; exit 2; }
isnum() { [[ $1 =~ ^[0-9]+$ ]]; }
for v in ROUNDS NMAP_ROUNDS NMAP_NS_ROUNDS NMAP_SYN_NS_ROUNDS NMAP_FAST_ROUNDS MASSCAN_ROUNDS RATE_ROUNDS LISTEN_BASE CMD_TIMEOUT; do
  isnum "${!v}" || die "$v=${!v}: want a number"
done
[[ $NS_GOAL_S =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "NS_GOAL_S=$NS_GOAL_S: want a number"
for v in RATIO_GOAL SYN_NS_GOAL_S SYN_LO_RATIO_GOAL; do
  [[ ${!v} =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "$v=${!v}: want a number"
done
if [ "$CASES" = cost ]; then exec bash "$(dirname "$0")/cost.sh"; fi
for c in $CASES; do [[ $c =~ ^(connect|syn|rate)$ ]] || die "CASES: unknown case $c"; done
want_case() { [[ " $CASES " == *" $1 "* ]]; }
((ROUNDS >= 1 && ROUNDS <= 100)) || die "ROUNDS=$ROUNDS: want 1 to 100"
((NMAP_ROUNDS >= 1 && NMAP_ROUNDS <= 100)) || die "NMAP_ROUNDS=$NMAP_ROUNDS: want 1 to 100"
for v in NMAP_NS_ROUNDS NMAP_SYN_NS_ROUNDS NMAP_FAST_ROUNDS MASSCAN_ROUNDS RATE_ROUNDS; do
  ((${!v} <= 100)) || die "$v=${!v}: want 0 to 100"
done
((CMD_TIMEOUT >= 1 && CMD_TIMEOUT <= 600)) || die "CMD_TIMEOUT=$CMD_TIMEOUT: want 1 to 600"
((LISTEN_BASE >= 1024 && LISTEN_BASE + LISTENERS <= FILTER_FROM)) ||
  die "LISTEN_BASE=$LISTEN_BASE: the $LISTENERS listeners must lie in 1024-$((FILTER_FROM - 1))"
read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range
((LISTEN_BASE + LISTENERS <= eph_lo || LISTEN_BASE > eph_hi)) ||
  die "LISTEN_BASE=$LISTEN_BASE: the listeners run into the ephemeral range $eph_lo-$eph_hi"

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, nftables): sudo $0"
for c in nmap nft ip ss python3 timeout; do
  command -v "$c" >/dev/null || die "$c not found"
done
if ((MASSCAN_ROUNDS + RATE_ROUNDS > 0)) && ! command -v masscan >/dev/null; then
  echo "installing masscan (Debian package masscan)..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq masscan >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq masscan >/dev/null 2>&1; } ||
    die "masscan is missing and apt-get could not install it (or run with MASSCAN_ROUNDS=0 RATE_ROUNDS=0)"
fi
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then PATH=$PATH:/usr/local/go/bin; fi
command -v go >/dev/null || die "go not found"
# The interpreter itself, not a version manager's shim: it starts faster
# and runs the same inside a namespace.
PY=$(python3 -c 'import sys; print(sys.executable)') || die "python3 does not run"

cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
helpers=()
namespaces=()
running= # the timed command's timeout process
cleanup() {
  if [ -n "$running" ]; then
    kill -TERM "$running" 2>/dev/null || true # timeout passes it on
    wait "$running" 2>/dev/null || true
  fi
  exec 9>&- 2>/dev/null || true # the helpers see their stdin close
  for p in "${helpers[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${helpers[@]}"; do wait "$p" 2>/dev/null || true; done
  # Deleting a namespace takes its veth end, addresses and nftables with it.
  for ns in "${namespaces[@]}"; do timeout 10 ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building ajar and sockhold..." >&2
CGO_ENABLED=0 go build -trimpath -o "$tmp/ajar" ./cmd/ajar
CGO_ENABLED=0 go build -trimpath -o "$tmp/sockhold" ./bench/sockhold
AJAR=$tmp/ajar

# check.py: the truth from ss, and each tool's output checked against it.
cat >"$tmp/check.py" <<'EOF'
import json, sys, xml.etree.ElementTree as ET

ALL = range(1, 65536)

def parse_ports(s):
    out = set()
    for part in filter(None, s.split(",")):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out

def fmt_ports(ports, limit=25):
    ports, runs = sorted(ports), []
    for p in ports:
        if runs and runs[-1][1] == p - 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    s = [str(a) if a == b else "%d-%d" % (a, b) for a, b in runs]
    more = " ... (%d ranges)" % len(s) if len(s) > limit else ""
    return ",".join(s[:limit]) + more

def truth(target):
    """Ports of `ss -Htln` (stdin) that accept connections to target."""
    ok = {target, "0.0.0.0", "*", "::ffff:" + target, "::ffff:0.0.0.0"}
    open_ = set()
    for line in sys.stdin:
        f = line.split()
        if len(f) < 5 or f[0] != "LISTEN":
            continue
        addr, _, port = f[3].rpartition(":")
        addr, _, dev = addr.partition("%")
        if dev and not (dev == "lo" and target.startswith("127.")):
            continue
        if addr.strip("[]") in ok:
            open_.add(int(port))
    print(fmt_ports(open_, limit=10**6))

def compare(got, reasons, open_, filtered, either, problems):
    """got: port -> state. Prints a verdict; returns the exit status."""
    counts = {}
    for p in ALL:
        s = got.get(p)
        if s is not None:
            counts[s] = counts.get(s, 0) + 1
    missing = [p for p in ALL if p not in got]
    if missing:
        problems.append("%d ports missing: %s" % (len(missing), fmt_ports(missing)))
    diff = {}
    for p, s in got.items():
        want = "open" if p in open_ else "filtered" if p in filtered else "closed"
        if s == want or (p in either and s in ("open", "closed")):
            continue
        diff.setdefault((want, s, reasons.get(p, "?")), []).append(p)
    for (want, s, r), ps in sorted(diff.items()):
        problems.append("want %s, got %s (reason %s): %d ports: %s" % (want, s, r, len(ps), fmt_ports(ps)))
    summary = ", ".join("%s %d" % (s, counts[s]) for s in sorted(counts))
    if either:
        summary += "; open or closed accepted on %s (listener came or went)" % fmt_ports(either)
    if problems:
        print("WRONG: " + summary)
        for m in problems:
            print("  " + m)
        return 1
    print("ok: " + summary)
    return 0

def ajar(path, host):
    got, reasons, problems = {}, {}, []
    bad = dup = 0
    with open(path) as f:
        for n, line in enumerate(f, 1):
            try:
                o = json.loads(line)
                p, s = int(o["port"]), o["state"]
                if o["host"] != host or o["proto"] != "tcp" or s not in ("open", "closed", "filtered") or not 1 <= p <= 65535:
                    raise ValueError("unexpected record")
            except (ValueError, KeyError, TypeError) as e:
                bad += 1
                if bad <= 3:
                    problems.append("line %d: %s: %.200s" % (n, e, line.strip()))
                continue
            if p in got:
                dup += 1
                if dup <= 3:
                    problems.append("port %d written twice (%s, then %s)" % (p, got[p], s))
            got[p], reasons[p] = s, o.get("reason")
    if bad:
        problems.append("%d bad lines" % bad)
    if dup:
        problems.append("%d ports written more than once" % dup)
    return got, reasons, problems

def nmap(path, host):
    got, reasons, problems = {}, {}, []
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        return got, reasons, ["no XML: %s" % e]
    hosts = [h for h in root.iter("host") if any(a.get("addr") == host for a in h.iter("address"))]
    if len(hosts) != 1:
        return got, reasons, ["%d <host> elements for %s" % (len(hosts), host)]
    for port in hosts[0].iter("port"):
        st = port.find("state")
        p = int(port.get("portid"))
        if port.get("protocol") != "tcp" or st is None:
            problems.append("odd <port> %d" % p)
            continue
        if p in got:
            problems.append("port %d listed twice" % p)
        got[p], reasons[p] = st.get("state"), st.get("reason")
    for ex in hosts[0].iter("extraports"):
        s, n = ex.get("state"), 0
        for er in ex.iter("extrareasons"):
            if er.get("ports") is None:
                problems.append("<extrareasons> without ports=: nmap too old to check")
                continue
            for p in parse_ports(er.get("ports")):
                if p in got:
                    problems.append("port %d listed twice" % p)
                got[p], reasons[p] = s, er.get("reason")
                n += 1
        if n != int(ex.get("count")):
            problems.append("<extraports state=%s count=%s> names %d ports" % (s, ex.get("count"), n))
    fin = root.find("runstats/finished")
    if fin is None or fin.get("exit") != "success":
        problems.append("nmap did not finish")
    return got, reasons, problems

def masscan(path, host):
    """masscan -oL: "open tcp PORT HOST TIME" for each open port, nothing
    for the rest: only the open ports can be checked."""
    got, problems = {}, []
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            if len(w) < 4 or w[0] != "open" or w[1] != "tcp" or w[3] != host:
                problems.append("odd line %.100s" % line.strip())
                continue
            got[int(w[2])] = "open"
    return got, problems

def compare_open(got, open_, problems):
    missed, extra = sorted(open_ - set(got)), sorted(set(got) - open_)
    if missed:
        problems.append("%d open ports missed: %s" % (len(missed), fmt_ports(missed)))
    if extra:
        problems.append("%d ports reported open wrongly: %s" % (len(extra), fmt_ports(extra)))
    summary = "open %d (open ports only: closed and filtered ones are not reported)" % len(got)
    if problems:
        print("WRONG: " + summary)
        for m in problems:
            print("  " + m)
        return 1
    print("ok: " + summary)
    return 0

def rates(path):
    """Samples "TIME COUNT" of a tx_packets counter: the peak packets a
    second over 100 ms, and the mean over the sending period."""
    pts = [tuple(map(float, l.split())) for l in open(path) if len(l.split()) == 2]
    if len(pts) < 2 or pts[-1][1] == pts[0][1]:
        print("0 0 0")
        return
    base = pts[0][1]
    total = pts[-1][1] - base
    # The sending period: from the first 0.5% of the packets to the last
    # 0.5%, leaving out stragglers (resets of late answers, a poke).
    lo = next(t for t, c in pts if c - base >= 0.005 * total)
    hi = next(t for t, c in pts if c - base >= 0.995 * total)
    peak, j = 0.0, 0
    for i in range(len(pts)):
        while pts[i][0] - pts[j][0] > 0.1:
            j += 1
        if i > j and pts[i][0] - pts[j][0] >= 0.05:
            peak = max(peak, (pts[i][1] - pts[j][1]) / (pts[i][0] - pts[j][0]))
    print("%.0f %.0f %d" % (peak, 0.99 * total / max(hi - lo, 1e-3), total))

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "rates":
        rates(sys.argv[2])
        sys.exit(0)
    if cmd == "truth":
        truth(sys.argv[2])
        sys.exit(0)
    if cmd == "count":
        print(len(parse_ports(sys.argv[2])))
        sys.exit(0)
    if cmd == "minus":
        print(fmt_ports(parse_ports(sys.argv[2]) - parse_ports(sys.argv[3]), limit=10**6))
        sys.exit(0)
    path, host, open_, filtered, either = sys.argv[2:7]
    if cmd == "masscan":
        got, problems = masscan(path, host)
        sys.exit(compare_open(got, parse_ports(open_), problems))
    got, reasons, problems = {"ajar": ajar, "nmap": nmap}[cmd](path, host)
    sys.exit(compare(got, reasons, parse_ports(open_), parse_ports(filtered), parse_ports(either), problems))
EOF


# sample.py LINK: the link's tx_packets, "TIME COUNT" every 10 ms, until
# stdin closes (run inside the namespace that holds LINK).
cat >"$tmp/sample.py" <<'EOF'
import os, select, sys, time
path = "/sys/class/net/%s/statistics/tx_packets" % sys.argv[1]
print("ready", flush=True)
while True:
    with open(path) as f:
        print("%.6f %s" % (time.monotonic(), f.read().strip()), flush=True)
    r, _, _ = select.select([sys.stdin], [], [], 0.01)
    if r and not os.read(0, 1024):
        break
EOF

# shellcheck source=bench/helpers.sh
source bench/helpers.sh
helpers_init

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load_before=$(loadavg)
last=$((LISTEN_BASE + LISTENERS - 1))
AJAR_BASE=("$AJAR" scan -p- --all-ports -o jsonl)
# The commands of each tool, by name; the checker is the name's first word.
declare -A CMDS=(
  [ajar]="${AJAR_BASE[*]} -sT -q"
  [nmap]="nmap -sT -p- -n -Pn -oX -"
  [ajar_syn]="${AJAR_BASE[*]} -sS -q"
  [nmap_syn]="nmap -sS -p- -n -Pn -oX -"
  [ajar_default]="${AJAR_BASE[*]}"
  [nmap_fast]="nmap -sS -p- -n -Pn --min-rate 100000 -oX -"
)
declare -A LABELS=(
  [ajar]="ajar scan -sT -p- (connect, defaults)"
  [nmap]="nmap -sT -p- -n -Pn (default timing)"
  [ajar_syn]="ajar scan -sS -p- (SYN, defaults)"
  [nmap_syn]="nmap -sS -p- -n -Pn (default timing)"
  [ajar_default]="ajar scan -p- (default: SYN as root)"
  [nmap_fast]="nmap -sS -p- -n -Pn --min-rate 100000"
  [masscan]="masscan -p1-65535 --rate 100000"
)
checker() { echo "${1%%_*}"; }
# AJAR_BASE's words contain no spaces ($tmp has none), so the commands split
# back into words.
read -r -a _probe <<<"${CMDS[ajar]}"
[ -x "${_probe[0]}" ] || die "the ajar command does not split into words"

# run_round CASE TOOL HOST OPEN FILTERED EITHER CMD...: times CMD (stdout
# to $tmp/out, killed after CMD_TIMEOUT), appends the time to
# $tmp/CASE.TOOL.times and sets verdict to the check of its output: "ok: …"
# or "WRONG: …" and the mistakes, one a line.
run_round() {
  local cs=$1 tool=$2 host=$3 open=$4 filtered=$5 either=$6
  shift 6
  local t0 t1 rc=0
  t0=$EPOCHREALTIME
  # In the background and waited for, so that a signal to the script runs
  # its trap at once (cleanup then stops the command).
  timeout -k 5 "$CMD_TIMEOUT" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null &
  running=$!
  wait "$running" || rc=$?
  running=
  t1=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }' >>"$tmp/$cs.$tool.times"
  if ((rc != 0)); then
    verdict="WRONG: exit status $rc"
    ((rc != 124)) || verdict+=" (killed after ${CMD_TIMEOUT}s)"
    verdict+=": $(tail -n3 "$tmp/err" | tr '\n' ' ')"
  else
    verdict=$("$PY" "$tmp/check.py" "$(checker "$tool")" "$tmp/out" "$host" "$open" "$filtered" "$either") || true
  fi
  if [ "$tool" = ajar_default ] && [[ $verdict == ok:* ]] && ! grep -qx 'ajar: SYN scan .*' "$tmp/err"; then
    verdict="WRONG: the default scan did not say it is a SYN scan: $(head -c 200 "$tmp/err")"
  fi
}

verdict=
# record CASE TOOL ROUND: notes the verdict of the round just run.
record() {
  local cs=$1 tool=$2 round=$3
  printf '  %-6s %-12s round %d: %7.3f s  %s\n' "$cs" "$tool" "$round" "$(tail -n1 "$tmp/$cs.$tool.times")" "$(head -n1 <<<"$verdict")" >&2
  if [[ $verdict == ok:* ]]; then
    echo 1 >>"$tmp/$cs.$tool.ok"
  else
    echo 0 >>"$tmp/$cs.$tool.ok"
    echo "$cs $tool round $round: $verdict" >>"$tmp/$cs.$tool.wrong"
  fi
}

# rounds CASE R TOOL:N...: runs round r of each tool that has N >= r
# rounds, alternating the order from round to round; RUN_TOOL runs one.
rounds() {
  local cs=$1 r=$2 spec tools=() n
  shift 2
  for spec in "$@"; do
    n=${spec#*:}
    ((r <= n)) && tools+=("${spec%%:*}")
  done
  ((r % 2)) || tools=($(printf '%s\n' "${tools[@]}" | tac))
  for t in "${tools[@]}"; do RUN_TOOL "$t" "$r"; done
}
maxrounds() { local m=0 s; for s in "$@"; do ((${s#*:} > m)) && m=${s#*:}; done; echo "$m"; }

# listening TARGET [NS]: the ports that accept connections to TARGET.
listening() {
  if [ -n "${2:-}" ]; then
    ip netns exec "$2" ss -Htln | "$PY" "$tmp/check.py" truth "$1"
  else
    ss -Htln | "$PY" "$tmp/check.py" truth "$1"
  fi
}

# --- Cases 1 and 3: 127.0.0.1 ------------------------------------------------
start_helper sockhold "$tmp/sockhold" -listen "$LISTENERS" -base "$LISTEN_BASE"
# One untimed run of each warms the page cache (nmap's data files).
timeout "$CMD_TIMEOUT" "$AJAR" scan -sT -q -p 1-1000 127.0.0.1 >/dev/null 2>&1 || die "ajar does not run"
timeout "$CMD_TIMEOUT" nmap -sT -p 1-1000 -n -Pn 127.0.0.1 >/dev/null 2>&1 || die "nmap does not run"

lo_round() { # case tool round
  local cs=$1 tool=$2 before after either cmd lost
  read -r -a cmd <<<"${CMDS[$tool]}"
  before=$(listening 127.0.0.1)
  lost=$("$PY" "$tmp/check.py" minus "$LISTEN_BASE-$last" "$before")
  [ -z "$lost" ] || die "sockhold's listeners $lost are gone"
  run_round "$cs" "$tool" 127.0.0.1 "$before" "" "" "${cmd[@]}" 127.0.0.1
  after=$(listening 127.0.0.1)
  if [ "$before" != "$after" ] && [[ $verdict != ok:* ]] && [ -s "$tmp/out" ]; then
    # The truth is taken just before the command; a listener that came or
    # went while it ran may be seen either way.
    either=$("$PY" "$tmp/check.py" minus "$before" "$after"),$("$PY" "$tmp/check.py" minus "$after" "$before")
    verdict=$("$PY" "$tmp/check.py" "$(checker "$tool")" "$tmp/out" 127.0.0.1 "$before" "" "$either") || true
  fi
  record "$cs" "$tool" "$3"
}

lo_truth=$(listening 127.0.0.1)
lo_others=$("$PY" "$tmp/check.py" minus "$lo_truth" "$LISTEN_BASE-$last")
lo_others_n=$("$PY" "$tmp/check.py" count "$lo_others")
if want_case connect; then
  echo "case 1: 127.0.0.1, connect; listening: $lo_truth" >&2
  RUN_TOOL() { lo_round lo "$@"; }
  for ((r = 1; r <= $(maxrounds "ajar:$ROUNDS" "nmap:$NMAP_ROUNDS"); r++)); do
    rounds lo "$r" "ajar:$ROUNDS" "nmap:$NMAP_ROUNDS"
  done
fi
if want_case syn; then
  echo "case 3: 127.0.0.1, SYN; listening: $lo_truth" >&2
  RUN_TOOL() { lo_round losyn "$@"; }
  for ((r = 1; r <= $(maxrounds "ajar_syn:$ROUNDS" "nmap_syn:$NMAP_ROUNDS"); r++)); do
    rounds losyn "$r" "ajar_syn:$ROUNDS" "nmap_syn:$NMAP_ROUNDS"
  done
fi

# --- Cases 2, 4 and 5: the namespaces ------------------------------------
# shellcheck source=bench/bed.sh
source bench/bed.sh # the scripts run from the repository root
bed_up ajscan aj
ip netns exec "$TNS" nft -f - <<EOF
table inet bench {
  chain input {
    type filter hook input priority 0;
    tcp dport $FILTER_FROM-65535 drop
  }
}
EOF
start_helper listen ip netns exec "$TNS" "$PY" bench/listen.py "$LISTEN_BASE" "$LISTENERS"
ns_truth=$(listening "$TADDR" "$TNS")
[ "$ns_truth" = "$LISTEN_BASE-$last" ] || die "the target listens on $ns_truth, want $LISTEN_BASE-$last"
ip netns exec "$SNS" timeout 5 bash -c "exec 3<>/dev/tcp/$TADDR/$LISTEN_BASE" ||
  die "the scanner namespace cannot reach $TADDR:$LISTEN_BASE"

ns_round() { # case tool round
  local cs=$1 tool=$2 cmd
  if [ "$tool" = masscan ]; then
    cmd=(bash bench/masscan.sh "$SNS" "$TNS" "$SLINK" "$SADDR" "$TADDR" 1-65535 100000 10)
  else
    read -r -a cmd <<<"${CMDS[$tool]}"
    cmd=(ip netns exec "$SNS" "${cmd[@]}" "$TADDR")
  fi
  run_round "$cs" "$tool" "$TADDR" "$ns_truth" "$FILTER_FROM-65535" "" "${cmd[@]}"
  record "$cs" "$tool" "$3"
}
if want_case connect; then
  echo "case 2: $TADDR in namespace $TNS, from $SNS, connect; listening: $ns_truth; dropped: $FILTER_FROM-65535" >&2
  RUN_TOOL() { ns_round ns "$@"; }
  for ((r = 1; r <= $(maxrounds "ajar:$ROUNDS" "nmap:$NMAP_NS_ROUNDS"); r++)); do
    rounds ns "$r" "ajar:$ROUNDS" "nmap:$NMAP_NS_ROUNDS"
  done
fi
NS_SYN=("ajar_default:$ROUNDS" "nmap_syn:$NMAP_SYN_NS_ROUNDS" "nmap_fast:$NMAP_FAST_ROUNDS" "masscan:$MASSCAN_ROUNDS")
if want_case syn; then
  echo "case 4: $TADDR, SYN; listening: $ns_truth; dropped: $FILTER_FROM-65535" >&2
  RUN_TOOL() { ns_round nssyn "$@"; }
  for ((r = 1; r <= $(maxrounds "${NS_SYN[@]}"); r++)); do
    rounds nssyn "$r" "${NS_SYN[@]}"
  done
fi

# rate_round TOOL ROUND: packets a second out of the scanner's veth while
# TOOL sends as fast as it can; appends "PEAK MEAN PACKETS" to
# $tmp/rate.TOOL.
rate_round() {
  local tool=$1 cmd pid
  case $tool in
  ajar) cmd=(ip netns exec "$SNS" "$AJAR" scan -sS -p- --retries 0 --max-parallel 60000 --min-timeout 50ms
    --initial-timeout 50ms --all-ports -o jsonl -q "$TADDR") ;;
  masscan) cmd=(bash bench/masscan.sh "$SNS" "$TNS" "$SLINK" "$SADDR" "$TADDR" 1-65535 10000000 1) ;;
  esac
  ip netns exec "$SNS" "$PY" "$tmp/sample.py" "$SLINK" <"$tmp/hold" >"$tmp/samples" 9>&- &
  pid=$!
  until grep -qs ready "$tmp/samples"; do sleep 0.01; done
  timeout -k 5 "$CMD_TIMEOUT" "${cmd[@]}" >/dev/null 2>"$tmp/err" </dev/null || echo "  rate $tool round $2: exit status $?" >&2
  sleep 0.1
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
  grep -v ready "$tmp/samples" >"$tmp/samples.clean"
  "$PY" "$tmp/check.py" rates "$tmp/samples.clean" >>"$tmp/rate.$tool"
  printf '  rate   %-12s round %d: peak %s pkt/s, mean %s pkt/s, %s packets\n' "$tool" "$2" $(tail -n1 "$tmp/rate.$tool") >&2
}
if want_case rate && ((RATE_ROUNDS > 0)); then
  echo "case 5: the send rate on $SLINK" >&2
  for ((r = 1; r <= RATE_ROUNDS; r++)); do
    rate_round ajar "$r"
    rate_round masscan "$r"
  done
fi
load_after=$(loadavg)

# --- Report ----------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A med ok total
table() { # case title tool...
  local cs=$1 title=$2 t f
  shift 2
  echo
  echo "$title"
  printf '%-44s %9s %9s %9s %9s  %s\n' COMMAND "MEDIAN s" "MIN s" "MAX s" CORRECT "ROUNDS s"
  for t in "$@"; do
    f=$tmp/$cs.$t.times
    [ -s "$f" ] || continue
    med[$cs.$t]=$(median <"$f")
    ok[$cs.$t]=$(grep -c 1 "$tmp/$cs.$t.ok" || true)
    total[$cs.$t]=$(wc -l <"$tmp/$cs.$t.ok")
    printf '%-44s %9.3f %9.3f %9.3f %9s  %s\n' "${LABELS[$t]}" \
      "${med[$cs.$t]}" "$(sort -g "$f" | head -n1)" "$(sort -g "$f" | tail -n1)" \
      "${ok[$cs.$t]}/${total[$cs.$t]}" "$(awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 }' "$f")"
  done
  for t in "$@"; do
    [ -s "$tmp/$cs.$t.wrong" ] && cat "$tmp/$cs.$t.wrong"
  done
  return 0
}
verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
ratio() { awk -v a="$1" -v n="$2" 'BEGIN { printf "%.2f", a / n }'; }
goals=()
goal() { # description measured condition
  local v
  v=$(verdict "$3")
  printf '%-62s %-34s %s\n' "$1" "$2" "$v" >>"$tmp/goals"
  goals+=("$v")
}

echo
echo "ajar $(git describe --tags --always --dirty 2>/dev/null || echo dev) scan vs nmap $(nmap --version | awk 'NR == 1 { print $3 }')" \
  "$(command -v masscan >/dev/null && masscan --version 2>/dev/null | awk '/version/ { print "and masscan " $3; exit }'):" \
  "$(nproc) CPUs, Linux $(uname -r), load average $load_before before, $load_after after"
lo_title="all 65,535 ports of 127.0.0.1 ($LISTENERS sockhold listeners on $LISTEN_BASE-$last"\
"$( ((lo_others_n == 0)) || echo ", and $lo_others_n of other processes before the runs: ${lo_others:0:100}$( ((${#lo_others} <= 100)) || echo ...)")), every other port closed"
ns_title="all 65,535 ports of $TADDR in a target namespace, from a scanner namespace: $LISTEN_BASE-$last open, 1-$((FILTER_FROM - 1)) otherwise closed, $FILTER_FROM-65535 dropped (filtered)"
if want_case connect; then
  table lo "case 1, connect: $lo_title" ajar nmap
  table ns "case 2, connect: $ns_title" ajar nmap
  goal "127.0.0.1 -sT: ajar median <= $RATIO_GOAL x nmap median" "ajar/nmap = $(ratio "${med[lo.ajar]}" "${med[lo.nmap]}")x" \
    "${med[lo.ajar]} <= $RATIO_GOAL * ${med[lo.nmap]}"
  goal "127.0.0.1 -sT: ajar correct every round" "${ok[lo.ajar]}/${total[lo.ajar]}" "${ok[lo.ajar]} == ${total[lo.ajar]}"
  ns_measured=$(printf '%.3f s' "${med[ns.ajar]}")
  [ -n "${med[ns.nmap]:-}" ] && ns_measured+=" (ajar/nmap = $(ratio "${med[ns.ajar]}" "${med[ns.nmap]}")x)"
  goal "namespace -sT: ajar median <= $NS_GOAL_S s" "$ns_measured" "${med[ns.ajar]} <= $NS_GOAL_S"
  goal "namespace -sT: ajar correct every round" "${ok[ns.ajar]}/${total[ns.ajar]}" "${ok[ns.ajar]} == ${total[ns.ajar]}"
fi
if want_case syn; then
  table losyn "case 3, SYN: $lo_title" ajar_syn nmap_syn
  table nssyn "case 4, SYN: $ns_title" ajar_default nmap_syn nmap_fast masscan
  goal "127.0.0.1 -sS: ajar median <= $SYN_LO_RATIO_GOAL x nmap -sS median" \
    "ajar/nmap = $(ratio "${med[losyn.ajar_syn]}" "${med[losyn.nmap_syn]}")x" \
    "${med[losyn.ajar_syn]} <= $SYN_LO_RATIO_GOAL * ${med[losyn.nmap_syn]}"
  goal "127.0.0.1 -sS: ajar correct every round" "${ok[losyn.ajar_syn]}/${total[losyn.ajar_syn]}" \
    "${ok[losyn.ajar_syn]} == ${total[losyn.ajar_syn]}"
  m=$(printf '%.3f s' "${med[nssyn.ajar_default]}")
  for t in nmap_syn nmap_fast masscan; do
    [ -n "${med[nssyn.$t]:-}" ] && m+=", ${t%%_*}$([ "$t" = nmap_fast ] && echo " fast") $(ratio "${med[nssyn.$t]}" "${med[nssyn.ajar_default]}")x slower"
  done
  goal "namespace, default (SYN): ajar median <= $SYN_NS_GOAL_S s" "${m:0:34}" "${med[nssyn.ajar_default]} <= $SYN_NS_GOAL_S"
  [ ${#m} -gt 34 ] && printf '%-62s %s\n' "" "${m:34}" >>"$tmp/goals"
  goal "namespace, default (SYN): ajar correct every round" "${ok[nssyn.ajar_default]}/${total[nssyn.ajar_default]}" \
    "${ok[nssyn.ajar_default]} == ${total[nssyn.ajar_default]}"
fi
if want_case rate && [ -s "$tmp/rate.ajar" ]; then
  echo
  echo "case 5: packets a second out of the scanner's veth, each tool sending as fast as it can"
  printf '%-44s %14s %14s  %s\n' COMMAND "MEDIAN PEAK" "MEDIAN MEAN" "ROUNDS (peak/mean/packets)"
  for t in ajar masscan; do
    [ -s "$tmp/rate.$t" ] || continue
    printf '%-44s %14.0f %14.0f  %s\n' \
      "$([ $t = ajar ] && echo "ajar -sS --retries 0 --max-parallel 60000" || echo "masscan --rate 10000000")" \
      "$(cut -d' ' -f1 "$tmp/rate.$t" | median)" "$(cut -d' ' -f2 "$tmp/rate.$t" | median)" \
      "$(awk '{ printf "%s%s/%s/%s", (NR > 1 ? " " : ""), $1, $2, $3 }' "$tmp/rate.$t")"
  done
fi
if [ -s "$tmp/goals" ]; then
  echo
  printf '%-62s %-34s %s\n' GOAL MEASURED RESULT
  cat "$tmp/goals"
fi
if awk -v l="${load_before%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
  echo
  echo "note: the load average (${load_before%% *}) exceeded the CPU count: other work skews these times"
fi
fails=0
for v in "${goals[@]}"; do [ "$v" = PASS ] || fails=$((fails + 1)); done
((fails == 0)) || exit 1
