#!/usr/bin/env bash
# masscan.sh SNS TNS LINK SADDR TADDR PORTS RATE WAIT: runs masscan in
# network namespace SNS against TADDR (in TNS, over LINK) and prints its
# list output; for bench/scan.sh and bench/pace.sh. masscan 1.3.2 can hang
# once its wait is over, its receive thread blocked until a packet comes:
# then one is sent, a connection attempt from the target to the scanner (a
# SYN to port 9, not one of the scanner's SYNs, which bench/pace.sh counts).
set -u
sns=$1 tns=$2 link=$3 saddr=$4 taddr=$5 ports=$6 rate=$7 wait=$8
mac=$(ip -n "$tns" -o link show | awk '{ for (i = 1; i < NF; i++) if ($i == "link/ether") print $(i + 1) }' | head -n1)
out=$(mktemp) err=$(mktemp)
ip netns exec "$sns" masscan -p"$ports" --rate "$rate" --wait "$wait" --adapter "$link" --adapter-ip "$saddr" \
  --router-mac "$mac" -oL "$out" "$taddr" >/dev/null 2>"$err" &
pid=$!
trap 'kill -INT $pid 2>/dev/null; rm -f "$out" "$err"' EXIT
while kill -0 "$pid" 2>/dev/null; do
  if tr '\r' '\n' <"$err" | grep -q 'waiting -[0-9]*-secs'; then
    timeout 1 ip netns exec "$tns" bash -c "exec 3<>/dev/tcp/$saddr/9" 2>/dev/null
  fi
  sleep 0.05
done
wait "$pid" || { tr '\r' '\n' <"$err" | tail -n3 >&2; exit 1; }
cat "$out"
