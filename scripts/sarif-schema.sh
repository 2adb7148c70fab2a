#!/usr/bin/env bash
# Installs the SARIF 2.1.0 JSON schema that report's tests validate
# `-o sarif` against, from the npm package @microsoft/jest-sarif (MIT),
# which ships it, to /usr/local/share/ajar/sarif-schema-2.1.0.json. Needs
# npm (Debian package npm) and root; otherwise it says what is missing and
# the test skips (or fails, under CI=true).
set -euo pipefail
dest=/usr/local/share/ajar/sarif-schema-2.1.0.json
pkg=@microsoft/jest-sarif@1.0.0-beta.0
[ -s "$dest" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "sarif-schema: run as root to install $dest" >&2
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null && tar xzf ./*.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json)
install -D -m 0644 "$tmp/package/lib/schemas/sarif-2.1.0-rtm.5.json" "$dest"
echo "sarif-schema: installed $dest" >&2
