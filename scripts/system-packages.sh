#!/usr/bin/env bash
# The system packages the tests need, installed from Debian's apt when
# missing: Chromium for the browser tests (driven by playwright-core) and
# redis-server for the scale-out tests (each starts its own, persistence off).
# Run by `npm test` and by .ci/run; a no-op when everything is there.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-packages: the tests need ${missing[*]}; install it (Debian: apt-get install ${missing[*]}) or run as root on Debian." >&2
  exit 1
fi
echo "system-packages: installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
