# Shared by scripts/coturn.sh and scripts/janus.sh (sourced, not run): a background server with
# a private directory DIR and a PID file PIDFILE, started detached and stopped by its PID.

# True while the PID in PIDFILE is alive.
running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

# A random secret made once into DIR/$1 (mode 0600) and printed, so restarts keep it.
secret_file() {
  local f="$DIR/$1"
  if [ ! -s "$f" ]; then (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f"); fi
  cat "$f"
}

# Refuse ports at or above 32768 (the ephemeral range): ports_below_32768 NAME PORT...
ports_below_32768() {
  local what="$1"; shift
  for p in "$@"; do
    if [ "$p" -ge 32768 ]; then echo "parley: $what ports must be below 32768 (got $p)" >&2; exit 1; fi
  done
}

# Run "$@" detached, PID into PIDFILE, and wait until 127.0.0.1:PORT accepts TCP: start_detached NAME PORT LOG CMD...
start_detached() {
  local what="$1" port="$2" log="$3"; shift 3
  rm -f "$PIDFILE"
  setsid "$@" </dev/null >>"$DIR/$what.out" 2>&1 &
  local pid=$!
  echo "$pid" >"$PIDFILE"
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "parley: $what exited at start; see $log" >&2; tail -5 "$log" >&2 || true; exit 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$pid" >"$PIDFILE"; return 0; fi
    sleep 0.05
  done
  echo "parley: $what did not listen on 127.0.0.1:$port within 15 s" >&2; kill "$pid" 2>/dev/null || true; exit 1
}

# Stop by PID: TERM, up to 5 s, then KILL.
stop_daemon() {
  if running; then
    local pid
    pid="$(cat "$PIDFILE")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
}

# status_daemon NAME PORT: one line, exit 3 when stopped.
status_daemon() {
  if running; then echo "$1 running (pid $(cat "$PIDFILE")) on 127.0.0.1:$2"; else echo "$1 stopped"; exit 3; fi
}
