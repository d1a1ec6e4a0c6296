# Sourced by ./run and .ci/run: makes Node 24 (from the npm registry) and the
# project's npm dependencies available, installing them on first use.
# Needs only the system's npm (any Node >= 18) and the npm registry.
set -euo pipefail
PARLEY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PARLEY_NODE_VERSION="24.9.0"
TOOLS="$PARLEY_ROOT/.tools"
NODE_BIN="$TOOLS/node_modules/node/bin"

if [ ! -x "$NODE_BIN/node" ] || [ "$("$NODE_BIN/node" -v)" != "v$PARLEY_NODE_VERSION" ]; then
  command -v npm >/dev/null || { echo "parley: npm is missing; install Node.js (any version >= 18) so Node $PARLEY_NODE_VERSION can be fetched" >&2; exit 1; }
  echo "parley: installing Node $PARLEY_NODE_VERSION into .tools/ (one time)" >&2
  mkdir -p "$TOOLS"
  (cd "$TOOLS" && npm install --no-save --no-audit --no-fund --loglevel=error --prefix . "node@$PARLEY_NODE_VERSION" >/dev/null)
fi
export PATH="$NODE_BIN:$PARLEY_ROOT/node_modules/.bin:$PATH"
# Node's on-disk compile cache (type-stripped TypeScript and V8 code, keyed by the source's
# hash): every later process starts ~40 % faster, the test suite's many children included.
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$PARLEY_ROOT/node_modules/.cache/node-compile}"

stamp="$PARLEY_ROOT/node_modules/.parley-installed"
# Reinstall when the lock file or a patch of a dependency (patches/, applied by patch-package) changed.
if [ ! -f "$stamp" ] || [ "$PARLEY_ROOT/package-lock.json" -nt "$stamp" ] || [ -n "$(find "$PARLEY_ROOT/patches" -newer "$stamp" 2>/dev/null)" ]; then
  echo "parley: installing npm dependencies (one time)" >&2
  (cd "$PARLEY_ROOT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  touch "$stamp"
fi
