#!/usr/bin/env bash
# Installs the daemon zoo that ajar's service identification tests run
# (internal/zoo, zoo/README.md): real servers from Debian's packages, which
# the tests start themselves inside throw-away network namespaces.
#
# Run as root it installs the missing packages with apt-get, with
# /usr/sbin/policy-rc.d answering 101 so that apt starts none of them on
# this host, and then stops any daemon a package's scripts started anyway
# (by pid: only processes that were not running before the install).
# Run as another user it says what is missing; the zoo tests then skip
# (or fail, under CI=true). Quick when everything is installed: one
# dpkg-query.
set -euo pipefail

# Debian packages of the zoo. Keep in step with internal/zoo/daemons.go.
pkgs=(
  openssh-server nginx apache2 vsftpd exim4-daemon-light
  dovecot-imapd dovecot-pop3d redis-server memcached postgresql
  mariadb-server mosquitto dnsmasq-base snmpd chrony rabbitmq-server
  nats-server slapd samba tigervnc-standalone-server inetutils-telnetd openbsd-inetd squid
  etcd-server haproxy ngircd prosody rsync rpcbind influxdb
  prometheus-node-exporter dante-server tinyproxy xrdp kamailio
  # The audit zoo's network services (internal/zoo/audit_net.go).
  prometheus
  # The audit zoo's data stores (internal/zoo/audit_store.go).
  zookeeper docker.io
  # The audit zoo's NFS servers, with rpcbind (internal/zoo/audit_nfs.go).
  nfs-ganesha nfs-ganesha-mem
  # The second zoo (internal/zoo, Options.Set = Second): daemons the
  # first does not run. Keep in step with internal/zoo/second.go.
  lighttpd unbound beanstalkd stunnel4 varnish gearman-job-server privoxy
  dropbear-bin gophernicus oidentd coturn nsd webfs mini-httpd ziproxy
  cups-daemon subversion git mpd tarantool dictd dict-jargon xvfb munin-node
  ganglia-monitor zabbix-agent knot krb5-kdc mumble-server libcoap3-bin
  pptpd
)

# Packages that conflict with installed ones, unpacked instead.
"$(dirname "$0")/zoo-unpack.sh"

# One dpkg-query for all: it names the installed ones (and exits 1 when
# some package is unknown, which is what we are finding out).
installed=" $(dpkg-query -W -f='${db:Status-Status} ${Package}\n' "${pkgs[@]}" 2>/dev/null |
  awk '$1 == "installed" {printf "%s ", $2}' || true) "
missing=()
for p in "${pkgs[@]}"; do
  [[ "$installed" == *" $p "* ]] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "zoo-deps: missing Debian packages: ${missing[*]}" >&2
  echo "zoo-deps: run 'sudo $0' (or make test as root); the zoo tests will skip" >&2
  exit 0
fi

# Never let the install start daemons on this host: every invoke-rc.d asks
# policy-rc.d first, and 101 means "not allowed". A policy-rc.d that was
# there before stays as it was.
made_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
before=$(mktemp)
trap 'rm -f "$before"; [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d' EXIT
ps -e -o pid= | tr -d ' ' | sort > "$before"

echo "zoo-deps: installing ${missing[*]}" >&2
start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}" >/dev/null
echo "zoo-deps: installed in $(( $(date +%s) - start ))s" >&2

# Units and init scripts of the zoo's packages: none may start at boot or
# stay running; the tests start their own copies.
units=(ssh nginx apache2 vsftpd exim4 dovecot redis-server memcached
  postgresql mariadb mosquitto snmpd chrony rabbitmq-server nats-server
  slapd smbd nmbd samba-ad-dc squid etcd haproxy ngircd prosody rsync
  rpcbind rpcbind.socket influxdb prometheus-node-exporter danted
  tinyproxy xrdp xrdp-sesman kamailio epmd epmd.socket prometheus
  zookeeper docker docker.socket containerd
  nfs-ganesha nfs-ganesha-lock nfs-ganesha-config
  lighttpd unbound unbound-resolvconf beanstalkd stunnel4 varnish varnishncsa
  gearman-job-server privoxy dropbear gophernicus.socket oidentd coturn nsd
  webfs mini-httpd ziproxy cups cups.socket cups.path
  mpd mpd.socket tarantool dictd munin-node ganglia-monitor zabbix-agent
  knot krb5-kdc mumble-server pptpd)
if [ -d /run/systemd/system ]; then
  systemctl disable --now "${units[@]}" >/dev/null 2>&1 || true
else
  for u in "${units[@]}"; do
    [ -x "/etc/init.d/$u" ] && update-rc.d "$u" disable >/dev/null 2>&1 || true
  done
fi

# Whatever a package script started despite all that: new processes whose
# program belongs to one of the zoo's packages, stopped by pid.
zoo_bins=$(dpkg -L "${pkgs[@]}" erlang-base 2>/dev/null | grep -E '/(s?bin|lib)/' | sort -u || true)
for pid in $(ps -e -o pid= | tr -d ' ' | sort | comm -13 "$before" -); do
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
  if grep -qxF "$exe" <<<"$zoo_bins"; then
    echo "zoo-deps: stopping $exe (pid $pid), started by its package" >&2
    kill "$pid" 2>/dev/null || true
  fi
done
