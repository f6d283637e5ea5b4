#!/usr/bin/env bash
# How long a small consumer project takes to type-check against the built .d.ts (run `npm run build` first).
# Three consumers: effect alone (the baseline), one service through its subpath, and the root entry point.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ -f "$root/dist/src/index.d.ts" ] || { echo "run npm run build first" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/node_modules"
ln -s "$root" "$work/node_modules/effect-ovirt"
for dep in effect @effect @types; do ln -s "$root/node_modules/$dep" "$work/node_modules/$dep"; done
cat > "$work/tsconfig.json" <<'JSON'
{ "compilerOptions": { "strict": true, "module": "NodeNext", "moduleResolution": "NodeNext", "target": "ES2022",
  "noEmit": true, "skipLibCheck": true, "types": ["node"] }, "files": ["main.ts"] }
JSON
echo '{ "type": "module" }' > "$work/package.json"
run() {
  printf '%s\n' "$2" > "$work/main.ts"
  local out
  out="$(cd "$work" && node "$root/node_modules/typescript/bin/tsc" --extendedDiagnostics -p tsconfig.json)"
  printf '%-28s %s, %s\n' "$1" "$(grep -E '^Total time' <<<"$out" | tr -s ' ')" "$(grep -E '^Memory used' <<<"$out" | tr -s ' ')"
}
run "effect only (baseline)" 'import { Effect } from "effect"
export const p = Effect.succeed(1)'
run "one service (subpath)" 'import { Effect } from "effect"
import * as VmsService from "effect-ovirt/services/VmsService"
export const p = VmsService.list("vms", { search: "name=web*" }).pipe(Effect.map((vms) => vms.map((vm) => vm.name)))'
run "root entry (system tree)" 'import { Effect } from "effect"
import { system } from "effect-ovirt"
export const p = system.vms.vm("123").diskAttachments.list().pipe(Effect.map((a) => a.length))'
run "promise facade" 'import { connect } from "effect-ovirt/promise"
export const p = async () => { const conn = await connect({ url: "https://e/ovirt-engine/api" }); const a = await conn.system.vms.vm("123").diskAttachments.list(); await conn.close(); return a.length }'
