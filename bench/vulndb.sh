#!/usr/bin/env bash
# vulndb.sh: the vulnerability database at the size of the real one
# (issue 15). The real feeds cannot be reached from these machines, so
# bench/vulndbgen writes N CVEs (300,000) shaped like NVD's API 2.0 dump
# (descriptions, CVSS 3.1 and 2.0 metrics, weaknesses, references, one or
# two configurations with version ranges, a fifth AND-ed with a platform),
# a KEV catalog (one CVE in 200), EPSS scores for every CVE and Debian 12
# OSV records for the zoo's products. Then:
#
#   import   ajar vulndb import of those files: wall time, peak RSS
#   size     the database file
#   status   ajar vulndb status: median wall time of ROUNDS runs
#   match    BenchmarkMatch1000Ports: open the database and match 1,000
#            open ports' services (what --audit adds to such a scan)
#   zoo      BenchmarkVulnZoo (as root, with the zoo's packages): the
#            zoo's real banners identified by ajar scan -sV, findings per
#            port with the distribution's data deciding vs version only
#
# Goals: import of 300,000 CVEs works, the database < 500 MB, status <
# 100 ms, matching < 50 ms for 1,000 ports. Nothing leaves the machine:
# the zoo runs in namespaces it creates and removes.
set -euo pipefail
N=${N:-300000}
ROUNDS=${ROUNDS:-10}
ZOO=${ZOO:-1}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/ajar-vulndb-bench.XXXXXX)
# KEEP=1 keeps the generated feeds and database (the path is printed).
if [[ ${KEEP:-0} == 1 ]]; then trap 'echo "kept $tmp"' EXIT; else trap 'rm -rf "$tmp"' EXIT; fi
die() { echo "vulndb.sh: $*" >&2; exit 1; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

CGO_ENABLED=0 go build -o "$tmp/ajar" ./cmd/ajar
CGO_ENABLED=0 go build -o "$tmp/vulndbgen" ./bench/vulndbgen
mkdir "$tmp/feeds" "$tmp/data"
t0=$(date +%s%N)
"$tmp/vulndbgen" -n "$N" -out "$tmp/feeds"
gen_ms=$(ms "$t0")
feeds=$(du -sh "$tmp/feeds" | cut -f1)

t0=$(date +%s%N)
/usr/bin/time -f '%M' -o "$tmp/rss" "$tmp/ajar" --data-dir "$tmp/data" vulndb import "$tmp"/feeds/* >"$tmp/import.out" ||
  die "import failed: $(cat "$tmp/import.out")"
import_ms=$(ms "$t0")
rss_mb=$(( $(tail -1 "$tmp/rss") / 1024 ))
size_mb=$(( $(stat -c %s "$tmp/data/vulndb.sqlite") / 1000000 ))

times=()
for _ in $(seq "$ROUNDS"); do
  t0=$(date +%s%N)
  "$tmp/ajar" --data-dir "$tmp/data" vulndb status >/dev/null
  times+=("$(ms "$t0")")
done
status_ms=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
# The same for ajar version: what starting the binary costs on this host.
times=()
for _ in $(seq "$ROUNDS"); do
  t0=$(date +%s%N)
  "$tmp/ajar" version >/dev/null
  times+=("$(ms "$t0")")
done
version_ms=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

match=$(AJAR_VULNDB_DIR="$tmp/data" go test ./vulndb -run '^$' -bench 'Match1000Ports|Status' -benchtime 5x | grep '^Benchmark')
match_ms=$(awk '/Match1000Ports/ {printf "%.0f", $3/1e6}' <<<"$match")
findings=$(awk '/Match1000Ports/ {print $5}' <<<"$match")

echo
echo "generated: $N CVEs ($feeds of feed files) in $((gen_ms / 1000)) s"
printf '%-40s %s\n' "what" "result (goal)"
printf '%-40s %s\n' "import, $N CVEs + KEV + EPSS + OSV" "$((import_ms / 1000)) s, peak RSS $rss_mb MB"
printf '%-40s %s\n' "database file" "$size_mb MB (< 500 MB)"
printf '%-40s %s\n' "ajar vulndb status (median of $ROUNDS)" "$status_ms ms (< 100 ms); ajar version: $version_ms ms"
printf '%-40s %s\n' "  reading the manifest (BenchmarkStatus)" "$(awk '/BenchmarkStatus/ {printf "%.3f ms", $3/1e6}' <<<"$match")"
printf '%-40s %s\n' "match 1,000 ports (open + match)" "$match_ms ms, $findings findings (< 50 ms)"
cat "$tmp/import.out"

if [[ $ZOO == 1 ]]; then
  if [[ $(id -u) != 0 ]]; then
    echo "zoo: skipped (needs root)"
  else
    AJAR_VULNDB_DIR="$tmp/data" go test ./cmd/ajar -run '^$' -bench VulnZoo -benchtime 1x -v 2>&1 |
      grep -E 'port |Benchmark|SKIP|FAIL' || true
  fi
fi
