#!/usr/bin/env bash
# Audit benchmark: on the audit zoo (planted misconfigurations and their
# hardened twins, internal/zoo), in one run, `ajar scan --audit` against
# `nmap -sV --script "(default or safe or vuln) and not (external or
# broadcast)"` (Debian's nmap; the external and broadcast scripts are left
# out because packets must stay in the zoo's namespaces, and vulners needs
# the internet: it finds nothing here), plus Debian's ssh-audit on the SSH
# ports and testssl.sh and sslscan on the TLS ports. Prints per planted
# risk the truth, ajar's and nmap's verdicts, the totals (found, missed,
# false alarms at high or above, false alarms on the hardened twins) as
# zoo.JudgeAudit (TestAuditZoo's judge) counts them, the wall times, CPU
# times and peak RSS, and where ajar's TLS suites and SSH algorithms agree with
# those tools. The planted risks come from the zoo's code
# (zoo.AuditTruth), so risks other checks add are scored too.
#
# Needs root (namespaces, the zoo's daemons) and the zoo's packages
# (scripts/zoo-deps.sh). Every packet stays inside the zoo's namespaces.
#
#   sudo ./bench/audit.sh
#   KEEP=/tmp/audit-bench ./bench/audit.sh     keep the tools' outputs
#   SKIP=audit-xvfb-open ./bench/audit.sh      leave daemons out (their rows
#                                              are not scored)
#   FAST=1 ./bench/audit.sh                    ajar alone: no nmap, no TLS or
#                                              SSH tools (while iterating)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "bench/audit.sh: needs root (network namespaces, daemons)" >&2
  exit 2
fi
for tool in nmap ssh-audit testssl sslscan; do
  command -v "$tool" >/dev/null || apt-get install -y --no-install-recommends nmap ssh-audit testssl.sh sslscan >/dev/null
done
[ -x /usr/bin/time ] || apt-get install -y --no-install-recommends time >/dev/null # GNU time: CPU and peak RSS
scripts/zoo-deps.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -o "$tmp/ajar" ./cmd/ajar
go build -o "$tmp/zoo" ./internal/zoo/cmd/zoo
go build -o "$tmp/auditcompare" ./bench/auditcompare
go build -o "$tmp/tlsprobe" ./bench/tlsprobe
out=${KEEP:-$tmp/out}
mkdir -p "$out"

# run.sh runs inside the zoo's scanner namespace.
cat > "$tmp/run.sh" <<'RUN'
#!/usr/bin/env bash
set -euo pipefail
target=$1 out=$2 tools=$3
truth=$ZOO_TRUTH
export SSL_CERT_FILE=$ZOO_DIR/audit-ca.pem # the hardened twins' CA
cmp="$tools/auditcompare -truth $truth"
ports=$($cmp -ports)
now() { date +%s.%N; }
t0=$(now)
# --audit-intrusive: the zoo plants an open relay, which only the
# intrusive SMTP check (it stops before DATA) can find.
/usr/bin/time -f "%U %S %M" -o "$out/ajar.time" "$tools/ajar" scan -sS -sU --audit-intrusive -p "$ports" -o jsonl -q "$target" > "$out/ajar.jsonl" 2> "$out/ajar.err" || true
t1=$(now)
if [ -n "${FAST:-}" ]; then
  echo "$t0 $t1 $t1" > "$out/times"
  exit 0
fi
/usr/bin/time -f "%U %S %M" -o "$out/nmap.time" nmap -sS -sU -sV --script "(default or safe or vuln) and not (external or broadcast)" --script-timeout 60s \
  -p "$ports" -n -Pn "$target" -oX "$out/nmap.xml" > /dev/null 2> "$out/nmap.err"
t2=$(now)
echo "$t0 $t1 $t2" > "$out/times"
# The TLS and SSH tools, for agreement, not timed against each other.
declare -A starttls=([ftp]="AUTH TLS" [smtp]=STARTTLS [imap]=STARTTLS [pop3]=STLS)
pids=()
: > "$out/tlsprobe.jsonl"
while read -r port proto; do
  if [ -n "$proto" ] && [ -z "${starttls[$proto]:-}" ]; then
    echo "bench/audit.sh: $port: no STARTTLS dialogue for $proto in the tools: not compared" >&2
    continue
  elif [ -n "$proto" ]; then
    "$tools/tlsprobe" -starttls "$proto:${starttls[$proto]}" "$target:$port" >> "$out/tlsprobe.jsonl"
    sslscan --no-colour --starttls-"$proto" --xml="$out/sslscan-$port.xml" "$target:$port" > /dev/null 2>&1 || true
    (cd "$out" && testssl --quiet --warnings off --color 0 --nodns none -t "$proto" -p -E -S \
      --jsonfile "$out/testssl-$port.json" "$target:$port" > "$out/testssl-$port.txt" 2>&1 || true) &
  else
    "$tools/tlsprobe" "$target:$port" >> "$out/tlsprobe.jsonl"
    sslscan --no-colour --xml="$out/sslscan-$port.xml" "$target:$port" > /dev/null 2>&1 || true
    (cd "$out" && testssl --quiet --warnings off --color 0 --nodns none -p -E -S \
      --jsonfile "$out/testssl-$port.json" "$target:$port" > "$out/testssl-$port.txt" 2>&1 || true) &
  fi
  pids+=($!)
done < <($cmp -tls)
for port in $($cmp -ssh); do
  ssh-audit -n -l warn -p "$port" "$target" > "$out/ssh-audit-$port.txt" 2>&1 || true
done
wait "${pids[@]}" || true
RUN
chmod +x "$tmp/run.sh"

only=()
if [ -n "${SKIP:-}" ]; then
  only=(-only "$("$tmp/auditcompare" -daemons-but "$SKIP")")
fi
rm -f "$out/nmap.xml" "$out/nmap.time" "$out/ajar.time"
FAST=${FAST:-} "$tmp/zoo" -set audit -start-timeout 4m "${only[@]}" -truth "$out/truth.json" -- "$tmp/run.sh" "{target}" "$out" "$tmp"
read -r t0 t1 t2 < "$out/times"
"$tmp/auditcompare" -truth "$out/truth.json" -dir "$out" \
  -ajar-seconds "$(awk "BEGIN{print $t1 - $t0}")" -nmap-seconds "$(awk "BEGIN{print $t2 - $t1}")"
