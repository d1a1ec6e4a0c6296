#!/usr/bin/env bash
# scripts/pg.sh start|stop — a throwaway PostgreSQL for tests and benchmarks on
# 127.0.0.1:${PARLEY_TEST_PG_PORT:-25432}, data under .tools/pg-data, run as
# user postgres. Installs Debian's postgresql if no server binaries are found.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PORT="${PARLEY_TEST_PG_PORT:-25432}"
DATA="$ROOT/.tools/pg-data"
find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
BIN="$(find_bin || true)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-start}" in
start)
  if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "parley: installing Debian postgresql for the tests (one time)" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) || { echo "parley: PostgreSQL is missing and could not be installed: apt-get install postgresql" >&2; exit 1; }
      BIN="$(find_bin)"
    else
      echo "parley: PostgreSQL server binaries are missing: apt-get install postgresql (or set PARLEY_TEST_PG_URL)" >&2; exit 1
    fi
  fi
  mkdir -p "$ROOT/.tools"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"; chown postgres "$DATA" 2>/dev/null || true
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then exit 0; fi
  # Tuned for a test box: durable (fsync on) but small.
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=/tmp -c max_connections=300 -c shared_buffers=256MB" >/dev/null
  ;;
stop)
  [ -n "$BIN" ] && [ -f "$DATA/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null || true
  ;;
esac
