#!/usr/bin/env bash
# Build the web app (packages/web/dist) when it is missing or older than any
# of its sources (the app, or the sdk/protocol/crypto packages it bundles).
# Sourced environment: scripts/env.sh (Node + npm dependencies).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stamp="$ROOT/packages/web/dist/index.html"
if [ -f "$stamp" ] && [ -z "$(find "$ROOT/packages/web/src" "$ROOT/packages/web/public" "$ROOT/packages/web/index.html" \
    "$ROOT/packages/web/vite.config.ts" "$ROOT/packages/web/package.json" \
    "$ROOT/packages/sdk/src" "$ROOT/packages/protocol/src" "$ROOT/packages/crypto/src" \
    -newer "$stamp" -not -name '*.test.ts' -print -quit 2>/dev/null)" ]; then
  exit 0
fi
echo "parley: building the web app (packages/web/dist)" >&2
(cd "$ROOT" && npm run --silent build -w @parley/web -- --logLevel error >/dev/null)
