#!/usr/bin/env bash
# Installs everything pycalico needs on a fresh Debian (bookworm) machine, as root:
# apt packages (etcd, BGP daemons for the interop tests, iproute2), bird2 unpacked beside bird 1.6,
# and a virtualenv in .venv with pycalico installed in editable mode plus the test extras.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(python3 python3-venv python3-dev gcc etcd-server etcd-client openssl bird gobgpd frr iproute2 iptables nftables iputils-ping procps libssh-gcrypt-4 fish zsh)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# BIRD 2 conflicts with BIRD 1.6 as a package: unpack it beside, under /opt/bird2.
if [ ! -x /opt/bird2/usr/sbin/bird ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download bird2 >/dev/null 2>&1 || { apt-get update -q && apt-get download bird2; })
  mkdir -p /opt/bird2
  dpkg -x "$tmp"/bird2_*.deb /opt/bird2
  rm -rf "$tmp"
fi

if [ ! -x .venv/bin/python ]; then
  /usr/bin/python3 -m venv .venv
fi
# Editable install in "compat" mode: a plain path entry in a .pth file. The default mode installs an
# import-hook finder whose start-up (pathlib, re, urllib) costs every pycalicoctl call 15-35 ms.
if ! .venv/bin/python -c "import pycalicoctl, pytest, hypothesis, importlinter" 2>/dev/null \
   || [ setup.cfg -nt .venv/.installed ] \
   || compgen -G '.venv/lib/python3*/site-packages/__editable___pycalico_*_finder.py' >/dev/null; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[test]' --config-settings editable_mode=compat
  touch .venv/.installed
fi
