#!/usr/bin/env bash
# Installs what ajar's tests need on Debian: the programs the tests compare
# against or drive: ss and ip (iproute2), nft (nftables) for the test bed's
# firewall, ndiff and xsltproc with nmap's stylesheet (nmap-common) to check
# our nmap XML, python3-lxml to validate it against nmap's DTD; iptables,
# ufw and firewalld (firewall-offline-cmd) to check ajar firewall's output;
# sslscan, whose TLS suites the TLS audit's must equal; OpenIPMI's BMC
# simulator and xdm, real peers of the ipmi and xdmcp UDP probes. Run as root it installs missing
# packages with apt-get; otherwise it says what is missing, and the tests
# that need them skip (or fail, under CI=true).
set -euo pipefail

"$(dirname "$0")/zoo-deps.sh" # the daemon zoo (internal/zoo): its own script, its own checks
"$(dirname "$0")/sarif-schema.sh" # the SARIF 2.1.0 schema report's tests validate against

# command -> Debian package
declare -A need=(
  [ss]=iproute2
  [ip]=iproute2
  [nft]=nftables
  [iptables-restore]=iptables
  [ufw]=ufw
  [firewall-offline-cmd]=firewalld
  [ndiff]=ndiff
  [nmap]=nmap
  [sslscan]=sslscan
  [xsltproc]=xsltproc
  [tcpdump]=tcpdump
  [masscan]=masscan
  [ipmi_sim]=openipmi
  [xdm]=xdm
  [/usr/share/nmap/nmap.xsl]=nmap-common
  [/usr/lib/python3/dist-packages/lxml]=python3-lxml
)

missing=()
for cmd in "${!need[@]}"; do
  case "$cmd" in
    /*) [ -e "$cmd" ] || missing+=("${need[$cmd]}") ;;
    *) command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}") ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')

if [ "$(id -u)" -ne 0 ]; then
  echo "test-deps: missing Debian packages: $pkgs" >&2
  echo "test-deps: run 'sudo apt-get install $pkgs' (or make test as root); tests that need them will skip" >&2
  exit 0
fi
# Never let package installs start daemons on this host.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
fi
echo "test-deps: installing $pkgs" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
