# bed.sh: the scanner and target namespaces the bench scripts share.
# Sourced, not run. The caller defines die, READY_TIMEOUT and the array
# namespaces (which its exit trap deletes).

# bed_up NS_PREFIX LINK_PREFIX: makes namespaces NS_PREFIX-s-ID and
# NS_PREFIX-t-ID joined by a veth pair (LINK_PREFIX s/t + ID), on a random
# 10.A.B.0/30, waits until both ends are up, and sets SNS, TNS, SLINK,
# TLINK, SADDR and TADDR.
bed_up() {
  local id A B ns link deadline
  id=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
  read -r A B < <(od -An -N2 -tu1 /dev/urandom)
  SNS=$1-s-$id
  TNS=$1-t-$id
  SLINK=${2}s-$id # IFNAMSIZ: at most 15 characters
  TLINK=${2}t-$id
  SADDR=10.$A.$B.1
  TADDR=10.$A.$B.2
  ip netns add "$SNS" && namespaces+=("$SNS")
  ip netns add "$TNS" && namespaces+=("$TNS")
  # The pair is born inside the scanner namespace with its peer moved
  # straight to the target: it never exists in the host's namespace.
  # Distinct indexes keep the kernel from batching the two ends' carrier
  # changes (a second's delay otherwise).
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
}
