#!/usr/bin/env bash
# Service identification benchmark: `ajar scan -sV` against `nmap -sV` on
# both daemon zoos (internal/zoo: the first, and the second of daemons no
# detector was written against), once with every daemon on its usual port
# and once with the ports shuffled, in one run. Prints, per port, the truth,
# ajar's answer and nmap's, then the totals (names right, false names,
# products, versions) and wall times. BEFORE=<git revision> also scores
# ajar as it was at that revision, on the same zoo, for a before/after.
#
# Needs root (namespaces, the zoo's daemons), nmap and the zoo's packages
# (scripts/zoo-deps.sh installs them). Every packet stays inside the
# namespaces the zoo creates.
#
#   sudo ./bench/identify.sh            both zoos, both layouts
#   SETS=second LAYOUTS=shuffled BEFORE=8559981 ./bench/identify.sh
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
if [ -n "${BEFORE:-}" ]; then
  mkdir "$tmp/before-src"
  git archive "$BEFORE" | tar -x -C "$tmp/before-src"
  (cd "$tmp/before-src" && CGO_ENABLED=0 go build -o "$tmp/ajar-before" ./cmd/ajar)
fi
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
if [ -x "$tools/ajar-before" ]; then
  "$tools/ajar-before" scan -sV -sT -sU -p "$ports" "$target" -o jsonl -q > "$out/before.jsonl" 2> "$out/before.err" || true
  tb=$(now)
  echo "$t1 $tb" > "$out/before-times"
  t1=$tb
fi
nmap -sV -sS -sU -p "$ports" -n -Pn "$target" -oX "$out/nmap.xml" > /dev/null
t2=$(now)
echo "$t0 $t1 $t2" > "$out/times"
RUN
chmod +x "$tmp/run.sh"

for set in ${SETS:-first second}; do
for layout in ${LAYOUTS:-usual shuffled}; do
  out="$tmp/$set-$layout"
  mkdir -p "$out"
  "$tmp/zoo" -set "$set" -layout "$layout" -truth "$out/truth.json" -- "$tmp/run.sh" "{target}" "$out/truth.json" "$out" "$tmp"
  read -r t0 t1 t2 < "$out/times"
  ajar_s=$(awk "BEGIN{print $t1 - $t0}")
  nmap_s=$(awk "BEGIN{print $t2 - $t1}")
  if [ -f "$out/before-times" ]; then
    read -r b0 b1 < "$out/before-times"
    ajar_s=$(awk "BEGIN{print $ajar_s - ($b1 - $b0)}")
    echo
    echo "== zoo $set, ajar before ($BEFORE)"
    "$tmp/idcompare" -layout "$set-$layout-before" -truth "$out/truth.json" -ajar "$out/before.jsonl" -nmap "$out/nmap.xml" \
      -ajar-seconds "$(awk "BEGIN{print $b1 - $b0}")" -nmap-seconds "$nmap_s"
  fi
  echo
  echo "== zoo $set"
  "$tmp/idcompare" -layout "$set-$layout" -truth "$out/truth.json" -ajar "$out/ajar.jsonl" -nmap "$out/nmap.xml" \
    -ajar-seconds "$ajar_s" -nmap-seconds "$nmap_s"
done
done
