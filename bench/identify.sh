#!/usr/bin/env bash
# Service identification benchmark: `ajar scan -sV` against `nmap -sV` on
# the daemon zoo (internal/zoo), once with every daemon on its usual port
# and once with the ports shuffled, in one run. Prints, per port, the truth,
# ajar's answer and nmap's, then the totals and wall times.
#
# Needs root (namespaces, the zoo's daemons), nmap and the zoo's packages
# (scripts/zoo-deps.sh installs them). Every packet stays inside the
# namespaces the zoo creates.
#
#   sudo ./bench/identify.sh            both layouts
#   LAYOUTS=shuffled ./bench/identify.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "bench/identify.sh: needs root (network namespaces, daemons)" >&2
  exit 2
fi
command -v nmap >/dev/null || apt-get install -y --no-install-recommends nmap >/dev/null
scripts/zoo-deps.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -o "$tmp/ajar" ./cmd/ajar
go build -o "$tmp/zoo" ./internal/zoo/cmd/zoo
go build -o "$tmp/idcompare" ./bench/idcompare

# run.sh runs inside the zoo's scanner namespace: both tools on the same
# ports of the same target, one after the other, each timed.
cat > "$tmp/run.sh" <<'RUN'
#!/usr/bin/env bash
set -euo pipefail
target=$1 truth=$2 out=$3 tools=$4
ports=$("$tools/idcompare" -truth "$truth" -ports)
now() { date +%s.%N; }
t0=$(now)
"$tools/ajar" scan -sV -sS -sU -p "$ports" "$target" -o jsonl -q > "$out/ajar.jsonl" 2> "$out/ajar.err" ||
  "$tools/ajar" scan -sV -sT -sU -p "$ports" "$target" -o jsonl -q > "$out/ajar.jsonl" 2> "$out/ajar.err"
t1=$(now)
nmap -sV -sS -sU -p "$ports" -n -Pn "$target" -oX "$out/nmap.xml" > /dev/null
t2=$(now)
echo "$t0 $t1 $t2" > "$out/times"
RUN
chmod +x "$tmp/run.sh"

for layout in ${LAYOUTS:-usual shuffled}; do
  out="$tmp/$layout"
  mkdir -p "$out"
  "$tmp/zoo" -layout "$layout" -truth "$out/truth.json" -- "$tmp/run.sh" "{target}" "$out/truth.json" "$out" "$tmp"
  read -r t0 t1 t2 < "$out/times"
  ajar_s=$(awk "BEGIN{print $t1 - $t0}")
  nmap_s=$(awk "BEGIN{print $t2 - $t1}")
  echo
  "$tmp/idcompare" -layout "$layout" -truth "$out/truth.json" -ajar "$out/ajar.jsonl" -nmap "$out/nmap.xml" \
    -ajar-seconds "$ajar_s" -nmap-seconds "$nmap_s"
done
