#!/usr/bin/env bash
# A consumer project on the lowest Effect we support: packs the built package (npm pack), installs the
# tarball in a fresh project with effect and @effect/platform at the floor of our peer ranges (a
# different minor than our own dev copies) from the npm registry, then type-checks (tsc, no skipLibCheck)
# and runs test/consumer/main.ts: the root, a service subpath, effect-ovirt/testing and effect-ovirt/promise.
# Needs the network to the npm registry, so it runs in .ci/run, not in `npm test`. Run `npm run build` first.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
EFFECT_VERSION="${EFFECT_VERSION:-3.21.0}"
PLATFORM_VERSION="${PLATFORM_VERSION:-0.96.0}"
[ -f "$root/dist/src/index.js" ] || { echo "consumer-check: dist/ is missing: run npm run build first" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tarball="$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)"
cp "$root/test/consumer/main.ts" "$root/test/consumer/tsconfig.json" "$work/"
typescript="$(node -p "require('$root/node_modules/typescript/package.json').version")"
types_node="$(node -p "require('$root/node_modules/@types/node/package.json').version")"
cat > "$work/package.json" <<JSON
{ "name": "effect-ovirt-consumer", "private": true, "type": "module" }
JSON
cd "$work"
npm install --no-audit --no-fund --loglevel=error \
  "./$tarball" "effect@$EFFECT_VERSION" "@effect/platform@$PLATFORM_VERSION" "typescript@$typescript" "@types/node@$types_node"

# One copy of Effect: ours must not have brought its own.
copies="$(find node_modules -path '*/effect/package.json' -not -path '*/node_modules/@*/effect/*' | wc -l)"
installed="$(node -p "require('effect/package.json').version")"
if [ "$copies" -ne 1 ] || [ "$installed" != "$EFFECT_VERSION" ]; then
  echo "consumer-check: expected one copy of effect $EFFECT_VERSION, found $copies (top: $installed)" >&2
  find node_modules -path '*/effect/package.json' >&2
  exit 1
fi

node node_modules/typescript/bin/tsc -p tsconfig.json
node out/main.js
echo "consumer-check: effect $EFFECT_VERSION, @effect/platform $PLATFORM_VERSION: type-checked and ran"
