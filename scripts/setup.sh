#!/usr/bin/env bash
# Brings what svc-labs needs onto a Debian 12 machine, and nothing more than is missing:
# the system packages (as root, through apt) and Node 24 (through npm: the `node` package).
# Safe to run again; both start.sh and test.sh call it.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(
  iproute2 iptables conntrack tcpdump socat dnsutils iputils-ping busybox procps psmisc
  openssl util-linux curl ca-certificates gcc libc6-dev
)
# Browser tests drive Debian's Chromium; a CJK font lets its screenshots of the Chinese lessons be read.
if [[ "${SVC_LABS_BROWSER:-1}" == 1 ]]; then SYSTEM_PACKAGES+=(chromium fonts-wqy-zenhei); fi

missing=()
for p in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "svc-labs needs these Debian packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install ${missing[*]}" >&2
    exit 2
  fi
  echo "==> installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Install only when the lock file changed since the last install. `npm install` rather than
# `npm ci`: npm 11 leaves other platforms' optional packages (biome's CLIs) out of the lock and
# then refuses `npm ci` on it; the lock still pins every version that gets installed.
stamp=node_modules/.svc-labs-installed
if [[ ! -f $stamp || package-lock.json -nt $stamp || package.json -nt $stamp ]]; then
  echo "==> installing npm packages (brings Node 24)"
  npm install --no-audit --no-fund --no-save --loglevel=error
  touch "$stamp"
fi

node_bin=node_modules/.bin/node
version=$("$node_bin" -p 'process.versions.node.split(".")[0]')
if ((version < 22)); then
  echo "node_modules/.bin/node is Node $version; svc-labs needs Node 22 or newer" >&2
  exit 2
fi
if ! command -v kubectl >/dev/null 2>&1; then
  echo "warning: kubectl is not on PATH; labs work, but learners and tests need the real kubectl" >&2
fi
