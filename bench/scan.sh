#!/usr/bin/env bash
# Benchmarks `ajar scan` (TCP connect, default settings) against nmap -sT at
# its default timing, side by side in one run, as the issue asks:
#
#   1. all 65,535 ports of 127.0.0.1, 20 of them open:
#      ajar's median time <= 0.5 x nmap's, and ajar correct every round;
#   2. all 65,535 ports of a target namespace whose firewall drops
#      20000-65535: ajar's median time <= 3 s (nmap -sT needs about 41 s),
#      and ajar correct every round.
#
# Commands timed:
#   ajar scan -p- --all-ports -o jsonl -q HOST
#   nmap -sT -p- -n -Pn -oX - HOST
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
# there), LISTEN_BASE (15100: 20 ports, outside the ephemeral range),
# CMD_TIMEOUT (120), NS_GOAL_S (3), RATIO_GOAL (0.5). Needs go, nmap, nft,
# ip, ss, python3 and timeout.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
NMAP_ROUNDS=${NMAP_ROUNDS:-3}
NMAP_NS_ROUNDS=${NMAP_NS_ROUNDS:-1}
LISTEN_BASE=${LISTEN_BASE:-15100}
CMD_TIMEOUT=${CMD_TIMEOUT:-120}
NS_GOAL_S=${NS_GOAL_S:-3}
RATIO_GOAL=${RATIO_GOAL:-0.5}
LISTENERS=20
FILTER_FROM=20000 # the target drops tcp dport FILTER_FROM-65535
READY_TIMEOUT=30  # seconds for the listeners to open, and for the link

die() { echo "scan.sh: $*" >&2; exit 2; }
isnum() { [[ $1 =~ ^[0-9]+$ ]]; }
for v in ROUNDS NMAP_ROUNDS NMAP_NS_ROUNDS LISTEN_BASE CMD_TIMEOUT; do
  isnum "${!v}" || die "$v=${!v}: want a number"
done
[[ $NS_GOAL_S =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "NS_GOAL_S=$NS_GOAL_S: want a number"
[[ $RATIO_GOAL =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "RATIO_GOAL=$RATIO_GOAL: want a number"
((ROUNDS >= 1 && ROUNDS <= 100)) || die "ROUNDS=$ROUNDS: want 1 to 100"
((NMAP_ROUNDS >= 1 && NMAP_ROUNDS <= 100)) || die "NMAP_ROUNDS=$NMAP_ROUNDS: want 1 to 100"
((NMAP_NS_ROUNDS <= 100)) || die "NMAP_NS_ROUNDS=$NMAP_NS_ROUNDS: want 0 to 100"
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

if __name__ == "__main__":
    cmd = sys.argv[1]
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
    got, reasons, problems = {"ajar": ajar, "nmap": nmap}[cmd](path, host)
    sys.exit(compare(got, reasons, parse_ports(open_), parse_ports(filtered), parse_ports(either), problems))
EOF

# listen.py: listeners on 0.0.0.0 for the target namespace, held (never
# accepted, like sockhold's) until stdin closes.
cat >"$tmp/listen.py" <<'EOF'
import socket, sys
base, n = int(sys.argv[1]), int(sys.argv[2])
held = []
for port in range(base, base + n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(4096)
    held.append(s)
print("ready", flush=True)
sys.stdin.read()
EOF

# The helpers read their stdin from a FIFO this script holds open (fd 9,
# read-write so that opening never blocks): if the script dies, even by
# SIGKILL, the FIFO loses its last writer and the helpers exit.
mkfifo "$tmp/hold"
exec 9<>"$tmp/hold"

start_helper() { # name, command...
  local name=$1
  shift
  "$@" <"$tmp/hold" >"$tmp/$name.out" 2>"$tmp/$name.err" 9>&- &
  helpers+=($!)
}
wait_ready() { # name: wait for the helper's "ready" within READY_TIMEOUT
  local name=$1 pid=${helpers[-1]} deadline=$((SECONDS + READY_TIMEOUT))
  until grep -qsx ready "$tmp/$name.out"; do
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/$name.err" >&2; die "helper $name exited before it was ready"; }
    ((SECONDS < deadline)) || { cat "$tmp/$name.err" >&2; die "helper $name not ready after ${READY_TIMEOUT}s"; }
    sleep 0.05
  done
}

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
    verdict=$("$PY" "$tmp/check.py" "$tool" "$tmp/out" "$host" "$open" "$filtered" "$either") || true
  fi
}

verdict=
# record CASE TOOL ROUND: notes the verdict of the round just run.
record() {
  local cs=$1 tool=$2 round=$3
  printf '  %-4s %-4s round %d: %7.3f s  %s\n' "$cs" "$tool" "$round" "$(tail -n1 "$tmp/$cs.$tool.times")" "$(head -n1 <<<"$verdict")" >&2
  if [[ $verdict == ok:* ]]; then
    echo 1 >>"$tmp/$cs.$tool.ok"
  else
    echo 0 >>"$tmp/$cs.$tool.ok"
    echo "$cs $tool round $round: $verdict" >>"$tmp/$cs.$tool.wrong"
  fi
}

# listening TARGET [NS]: the ports that accept connections to TARGET.
listening() {
  if [ -n "${2:-}" ]; then
    ip netns exec "$2" ss -Htln | "$PY" "$tmp/check.py" truth "$1"
  else
    ss -Htln | "$PY" "$tmp/check.py" truth "$1"
  fi
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load_before=$(loadavg)
last=$((LISTEN_BASE + LISTENERS - 1))
NMAP=(nmap -sT -p- -n -Pn -oX -)
AJARCMD=("$AJAR" scan -p- --all-ports -o jsonl -q)

# --- Case 1: 127.0.0.1 ---------------------------------------------------
start_helper sockhold "$tmp/sockhold" -listen "$LISTENERS" -base "$LISTEN_BASE"
wait_ready sockhold
# One untimed run of each warms the page cache (nmap's data files).
timeout "$CMD_TIMEOUT" "${AJARCMD[@]}" -p 1-1000 127.0.0.1 >/dev/null 2>&1 || die "ajar does not run"
timeout "$CMD_TIMEOUT" nmap -sT -p 1-1000 -n -Pn 127.0.0.1 >/dev/null 2>&1 || die "nmap does not run"

lo_round() { # tool round
  local before after either cmd lost
  case $1 in
  ajar) cmd=("${AJARCMD[@]}" 127.0.0.1) ;;
  nmap) cmd=("${NMAP[@]}" 127.0.0.1) ;;
  esac
  before=$(listening 127.0.0.1)
  lost=$("$PY" "$tmp/check.py" minus "$LISTEN_BASE-$last" "$before")
  [ -z "$lost" ] || die "sockhold's listeners $lost are gone"
  run_round lo "$1" 127.0.0.1 "$before" "" "" "${cmd[@]}"
  after=$(listening 127.0.0.1)
  if [ "$before" != "$after" ] && [[ $verdict != ok:* ]] && [ -s "$tmp/out" ]; then
    # The truth is taken just before the command; a listener that came or
    # went while it ran may be seen either way.
    either=$("$PY" "$tmp/check.py" minus "$before" "$after"),$("$PY" "$tmp/check.py" minus "$after" "$before")
    verdict=$("$PY" "$tmp/check.py" "$1" "$tmp/out" 127.0.0.1 "$before" "" "$either") || true
  fi
  record lo "$1" "$2"
}

lo_truth=$(listening 127.0.0.1)
lo_others=$("$PY" "$tmp/check.py" minus "$lo_truth" "$LISTEN_BASE-$last")
lo_others_n=$("$PY" "$tmp/check.py" count "$lo_others")
echo "case 1: 127.0.0.1, listening: $lo_truth" >&2
for ((r = 1; r <= (ROUNDS > NMAP_ROUNDS ? ROUNDS : NMAP_ROUNDS); r++)); do
  order=(ajar nmap)
  ((r % 2)) || order=(nmap ajar)
  for t in "${order[@]}"; do
    if [ "$t" = ajar ] && ((r <= ROUNDS)); then lo_round ajar "$r"; fi
    if [ "$t" = nmap ] && ((r <= NMAP_ROUNDS)); then lo_round nmap "$r"; fi
  done
done

# --- Case 2: the namespaces ----------------------------------------------
id=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
read -r A B < <(od -An -N2 -tu1 /dev/urandom)
SNS=ajscan-s-$id
TNS=ajscan-t-$id
SLINK=ajs-$id # IFNAMSIZ: at most 15 characters
TLINK=ajt-$id
SADDR=10.$A.$B.1
TADDR=10.$A.$B.2
ip netns add "$SNS" && namespaces+=("$SNS")
ip netns add "$TNS" && namespaces+=("$TNS")
# The pair is born inside the scanner namespace with its peer moved straight
# to the target: it never exists in the host's namespace. Distinct indexes
# keep the kernel from batching the two ends' carrier changes (a second's
# delay otherwise).
ip -n "$SNS" link add "$SLINK" index 10 type veth peer name "$TLINK" index 20 netns "$TNS"
ip -n "$SNS" addr add "$SADDR/30" dev "$SLINK"
ip -n "$TNS" addr add "$TADDR/30" dev "$TLINK"
for end in "$SNS $SLINK" "$TNS $TLINK"; do
  read -r ns link <<<"$end"
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$link" up
done
deadline=$((SECONDS + READY_TIMEOUT))
for end in "$SNS $SLINK" "$TNS $TLINK"; do
  read -r ns link <<<"$end"
  until ip -n "$ns" -o link show dev "$link" | grep -q 'state UP'; do
    ((SECONDS < deadline)) || die "link $link in $ns not up after ${READY_TIMEOUT}s"
    sleep 0.05
  done
done
ip netns exec "$TNS" nft -f - <<EOF
table inet bench {
  chain input {
    type filter hook input priority 0;
    tcp dport $FILTER_FROM-65535 drop
  }
}
EOF
start_helper listen ip netns exec "$TNS" "$PY" "$tmp/listen.py" "$LISTEN_BASE" "$LISTENERS"
wait_ready listen
ns_truth=$(listening "$TADDR" "$TNS")
[ "$ns_truth" = "$LISTEN_BASE-$last" ] || die "the target listens on $ns_truth, want $LISTEN_BASE-$last"
ip netns exec "$SNS" timeout 5 bash -c "exec 3<>/dev/tcp/$TADDR/$LISTEN_BASE" ||
  die "the scanner namespace cannot reach $TADDR:$LISTEN_BASE"
echo "case 2: $TADDR in namespace $TNS, from $SNS; listening: $ns_truth; dropped: $FILTER_FROM-65535" >&2
for ((r = 1; r <= (ROUNDS > NMAP_NS_ROUNDS ? ROUNDS : NMAP_NS_ROUNDS); r++)); do
  order=(ajar nmap)
  ((r % 2)) || order=(nmap ajar)
  for t in "${order[@]}"; do
    if [ "$t" = ajar ] && ((r <= ROUNDS)); then
      run_round ns ajar "$TADDR" "$ns_truth" "$FILTER_FROM-65535" "" ip netns exec "$SNS" "${AJARCMD[@]}" "$TADDR"
      record ns ajar "$r"
    fi
    if [ "$t" = nmap ] && ((r <= NMAP_NS_ROUNDS)); then
      run_round ns nmap "$TADDR" "$ns_truth" "$FILTER_FROM-65535" "" ip netns exec "$SNS" "${NMAP[@]}" "$TADDR"
      record ns nmap "$r"
    fi
  done
done
load_after=$(loadavg)

# --- Report ----------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A med ok total
table() { # case title
  local cs=$1 t f
  echo
  echo "$2"
  printf '%-44s %9s %9s %9s %9s  %s\n' COMMAND "MEDIAN s" "MIN s" "MAX s" CORRECT "ROUNDS s"
  for t in ajar nmap; do
    f=$tmp/$cs.$t.times
    [ -s "$f" ] || continue
    med[$cs.$t]=$(median <"$f")
    ok[$cs.$t]=$(grep -c 1 "$tmp/$cs.$t.ok" || true)
    total[$cs.$t]=$(wc -l <"$tmp/$cs.$t.ok")
    printf '%-44s %9.3f %9.3f %9.3f %9s  %s\n' \
      "$([ $t = ajar ] && echo "ajar scan -p- (connect, defaults)" || echo "nmap -sT -p- -n -Pn (default timing)")" \
      "${med[$cs.$t]}" "$(sort -g "$f" | head -n1)" "$(sort -g "$f" | tail -n1)" \
      "${ok[$cs.$t]}/${total[$cs.$t]}" "$(awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 }' "$f")"
  done
  for t in ajar nmap; do
    [ -s "$tmp/$cs.$t.wrong" ] && cat "$tmp/$cs.$t.wrong"
  done
  return 0
}
verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
ratio() { awk -v a="$1" -v n="$2" 'BEGIN { printf "%.2f", a / n }'; }

echo
echo "ajar $(git describe --tags --always --dirty 2>/dev/null || echo dev) scan vs nmap $(nmap --version | awk 'NR == 1 { print $3 }'):" \
  "$(nproc) CPUs, Linux $(uname -r), load average $load_before before, $load_after after"
table lo "case 1: all 65,535 ports of 127.0.0.1 ($LISTENERS sockhold listeners on $LISTEN_BASE-$last"\
"$( ((lo_others_n == 0)) || echo ", and $lo_others_n of other processes before the runs: ${lo_others:0:100}$( ((${#lo_others} <= 100)) || echo ...)")), every other port closed"
table ns "case 2: all 65,535 ports of $TADDR in a target namespace, from a scanner namespace: $LISTEN_BASE-$last open, 1-$((FILTER_FROM - 1)) otherwise closed, $FILTER_FROM-65535 dropped (filtered)"

r_lo=$(ratio "${med[lo.ajar]}" "${med[lo.nmap]}")
v1=$(verdict "${med[lo.ajar]} <= $RATIO_GOAL * ${med[lo.nmap]}")
v2=$(verdict "${ok[lo.ajar]} == ${total[lo.ajar]}")
v3=$(verdict "${med[ns.ajar]} <= $NS_GOAL_S")
v4=$(verdict "${ok[ns.ajar]} == ${total[ns.ajar]}")
ns_measured=$(printf '%.3f s' "${med[ns.ajar]}")
[ -n "${med[ns.nmap]:-}" ] && ns_measured+=" (ajar/nmap = $(ratio "${med[ns.ajar]}" "${med[ns.nmap]}")x)"
echo
printf '%-56s %-30s %s\n' GOAL MEASURED RESULT
printf '%-56s %-30s %s\n' "127.0.0.1: ajar median <= $RATIO_GOAL x nmap median" "ajar/nmap = ${r_lo}x" "$v1"
printf '%-56s %-30s %s\n' "127.0.0.1: ajar correct every round" "${ok[lo.ajar]}/${total[lo.ajar]}" "$v2"
printf '%-56s %-30s %s\n' "namespace, $FILTER_FROM-65535 dropped: ajar median <= $NS_GOAL_S s" "$ns_measured" "$v3"
printf '%-56s %-30s %s\n' "namespace, $FILTER_FROM-65535 dropped: ajar correct every round" "${ok[ns.ajar]}/${total[ns.ajar]}" "$v4"
if awk -v l="${load_before%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
  echo
  echo "note: the load average (${load_before%% *}) exceeded the CPU count: other work skews these times"
fi
fails=0
for v in "$v1" "$v2" "$v3" "$v4"; do [ "$v" = PASS ] || fails=$((fails + 1)); done
((fails == 0)) || exit 1
