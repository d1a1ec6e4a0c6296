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
# The LDAP tests start Debian's OpenLDAP server (slapd) themselves (packages/server/src/testing/ldap.ts).
if [ ! -x /usr/sbin/slapd ] || [ ! -x /usr/bin/ldapmodify ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends slapd ldap-utils >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends slapd ldap-utils >/dev/null; }
  else echo "parley: LDAP tests need Debian's OpenLDAP server: run 'sudo apt-get install -y slapd ldap-utils'" >&2; exit 1; fi
fi
# The KMS tests make their own SoftHSM2 token in a temp dir (packages/server/src/testing/softhsm.ts).
if [ ! -e /usr/lib/softhsm/libsofthsm2.so ] || [ ! -x /usr/bin/softhsm2-util ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends softhsm2 >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends softhsm2 >/dev/null; }
  else echo "parley: the HSM tests need Debian's SoftHSM2: run 'sudo apt-get install -y softhsm2'" >&2; exit 1; fi
fi
# The shared rate-limit tests start Debian's Redis themselves (packages/server/src/testing/redis.ts).
if [ ! -x /usr/bin/redis-server ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server >/dev/null; }
  else echo "parley: the Redis tests need Debian's redis-server: run 'sudo apt-get install -y redis-server'" >&2; exit 1; fi
fi
# test/prometheus.test.ts lints /metrics and deploy/prometheus/alerts.yml with Prometheus's promtool.
if [ ! -x /usr/bin/promtool ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends prometheus >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }
  else echo "parley: the metrics tests need Prometheus's promtool: run 'sudo apt-get install -y --no-install-recommends prometheus'" >&2; exit 1; fi
fi
# The bus tests start Debian's NATS server themselves (packages/server/src/testing/nats.ts).
if [ ! -x /usr/sbin/nats-server ] && [ ! -x /usr/bin/nats-server ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends nats-server >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends nats-server >/dev/null; }
  else echo "parley: the bus tests need Debian's NATS server: run 'sudo apt-get install -y nats-server'" >&2; exit 1; fi
fi
# The call media tests start Debian's coturn (TURN) and Janus (SFU) per test file through
# scripts/coturn.sh and scripts/janus.sh (packages/server/src/testing/coturn.ts, janus.ts).
if [ ! -x /usr/bin/turnserver ] || [ ! -x /usr/bin/janus ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends coturn janus >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends coturn janus >/dev/null; }
  else echo "parley: the call media tests need Debian's coturn and Janus: run 'sudo apt-get install -y --no-install-recommends coturn janus'" >&2; exit 1; fi
fi
npm run --silent typecheck
npm run --silent lint
# Web component tests (*.component.test.tsx: vitest, React Testing Library, jsdom); a failure fails the suite.
npm run --silent test -w @parley/web
# Everything else (unit, store on SQLite + PostgreSQL, system, browser): node's test runner,
# under c8 (.c8rc.json: V8 coverage of it and every process it starts), then the coverage
# table per package, checked against coverage-floor.json (scripts/coverage.ts).
# PARLEY_COVERAGE=0 runs the tests without measuring. A run given arguments (files,
# --test-name-pattern) prints the table but checks no floor.
tests=(node --test --test-concurrency=2 --test-timeout=120000
  --test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination=coverage/node-test.tap
  "$@" "packages/*/src/**/*.test.ts" "test/**/*.test.ts" "bench/src/**/*.test.ts")
rm -rf coverage && mkdir -p coverage
status=0
if [ "${PARLEY_COVERAGE:-1}" = 0 ]; then
  "${tests[@]}" || status=$?
else
  c8 "${tests[@]}" || status=$?
  if [ "$status" = 0 ]; then node scripts/coverage.ts $([ $# -gt 0 ] && echo --no-floor) || status=$?
  else node scripts/coverage.ts --no-floor || true; fi
  rm -rf coverage/tmp
fi
# One closing line with node's counts, as the runner's own summary is no longer last.
# A test cancelled by its timeout counts as failed.
awk '/^# (pass|fail|cancelled|skipped) /{n[$2]=$3} END{printf "tests: %d passed, %d failed, %d skipped\n", n["pass"], n["fail"] + n["cancelled"], n["skipped"]}' coverage/node-test.tap
exit "$status"
