#!/usr/bin/env bash
# The whole test suite: starts PostgreSQL (stopped again at exit), then runs
# every *.test.ts with node's test runner on Node 24.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PARLEY_ROOT"
if [ -z "${PARLEY_TEST_PG_URL:-}" ]; then
  bash scripts/pg.sh start
  trap 'bash scripts/pg.sh stop' EXIT
  export PARLEY_TEST_PG_URL="postgres://postgres@127.0.0.1:${PARLEY_TEST_PG_PORT:-25432}/postgres"
fi
# The browser tests serve the built web app and drive Debian's chromium.
bash scripts/web-build.sh
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; }
  else echo "parley: browser tests need Debian's chromium at /usr/bin/chromium: run 'sudo apt-get install -y chromium'" >&2; exit 1; fi
fi
npm run --silent typecheck
npm run --silent lint
# Web component tests (*.component.test.tsx: vitest, React Testing Library, jsdom); a failure fails the suite.
npm run --silent test -w @parley/web
# Everything else (unit, store on SQLite + PostgreSQL, system, browser): node's test runner,
# last, so its summary closes the output.
node --test --test-concurrency=2 --test-timeout=120000 "$@" \
  "packages/*/src/**/*.test.ts" "test/**/*.test.ts" "bench/src/**/*.test.ts"
