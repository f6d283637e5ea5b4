#!/usr/bin/env bash
# Installs what test/kerberos.test.ts needs: an MIT Kerberos KDC, the GSSAPI headers and the optional
# native `kerberos` package. Never part of `npm ci`; run after it. Idempotent; fails loudly.
set -euo pipefail
cd "$(dirname "$0")/.."

KERBEROS_RANGE="${KERBEROS_RANGE:-^2.2.0}"
APT_PACKAGES=(libkrb5-dev krb5-kdc krb5-admin-server krb5-user)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for tool in krb5kdc kdb5_util kadmin.local kinit; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "kerberos-setup: $tool not found after install" >&2; exit 1; }
done

if node -e 'require("kerberos")' 2>/dev/null; then
  echo "kerberos-setup: kerberos $(node -p 'require("kerberos/package.json").version') already installed"
  exit 0
fi
# No prebuilt binary can be fetched here: build from source against Node's own headers when they ship with it.
export npm_config_build_from_source=true
node_prefix="$(dirname "$(dirname "$(command -v node)")")"
if [ -f "$node_prefix/include/node/node.h" ]; then export npm_config_nodedir="$node_prefix"; fi
# npm never installs a root project's optional peer dependency (package.json declares kerberos so), even when
# asked by name: build it in a scratch prefix and copy it in. At run time it needs nothing but its own files.
scratch="node_modules/.effect-ovirt-kerberos-build"
rm -rf "$scratch"
mkdir -p "$scratch"
echo '{ "private": true }' > "$scratch/package.json"
npm install --prefix "$scratch" --no-save --no-package-lock --no-audit --no-fund "kerberos@${KERBEROS_RANGE}"
rm -rf node_modules/kerberos
cp -a "$scratch/node_modules/kerberos" node_modules/kerberos
rm -rf "$scratch"
node -e 'require("kerberos")'
echo "kerberos-setup: kerberos $(node -p 'require("kerberos/package.json").version') installed"
