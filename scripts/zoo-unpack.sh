#!/usr/bin/env bash
# Unpacks the zoo's Debian packages that cannot be installed beside the
# others (ntpsec conflicts with the zoo's chrony: both are time daemons)
# into /var/lib/ajar-zoo/unpacked/PACKAGE, with the version in VERSION;
# internal/zoo runs them from there (a daemon's `unpacked`). Nothing of
# theirs is configured or started on this host. Quick when done: one
# test per package. Called by scripts/zoo-deps.sh.
set -euo pipefail
root=/var/lib/ajar-zoo/unpacked
pkgs=(ntpsec)
for p in "${pkgs[@]}"; do
  [ -s "$root/$p/VERSION" ] && continue
  if [ "$(id -u)" -ne 0 ]; then
    echo "zoo-unpack: $p is not unpacked under $root: run 'sudo $0'; the audit zoo tests will skip" >&2
    continue
  fi
  tmp=$(mktemp -d)
  (cd "$tmp" && chmod 755 . && apt-get download -qq "$p" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get download -qq "$p"; })
  deb=$(ls "$tmp"/"$p"_*.deb)
  rm -rf "$root/$p"
  mkdir -p "$root/$p"
  dpkg-deb -x "$deb" "$root/$p"
  dpkg-deb -f "$deb" Version > "$root/$p/VERSION"
  rm -rf "$tmp"
  echo "zoo-unpack: $p $(cat "$root/$p/VERSION") unpacked under $root/$p" >&2
done
