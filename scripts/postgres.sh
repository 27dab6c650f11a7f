#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1 for the test suite (Debian's postgresql package).
# Prints the TEST_POSTGRES_URL to use. Usage: scripts/postgres.sh start|stop|resume
# (start: a fresh, empty server unless one runs there; resume: start the existing data again, as after
# an outage; ENGARDE_PG_PORT and ENGARDE_PG_DATA choose the port and the data directory).
set -euo pipefail
PORT="${ENGARDE_PG_PORT:-55432}"
DATA="${ENGARDE_PG_DATA:-/tmp/engarde-pg-$PORT}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"

as_postgres() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  start)
    if [ -z "$BIN" ]; then
      echo "PostgreSQL is not installed: apt-get install -y postgresql" >&2
      exit 1
    fi
    if ! as_postgres "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
      rm -rf "$DATA"
      mkdir -p "$DATA"
      [ "$(id -u)" = "0" ] && chown postgres:postgres "$DATA"
      as_postgres "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null
      as_postgres "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DATA -c fsync=off" start >/dev/null
    fi
    echo "postgresql://postgres@127.0.0.1:$PORT/postgres"
    ;;
  resume)
    as_postgres "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DATA -c fsync=off" start >/dev/null
    echo "postgresql://postgres@127.0.0.1:$PORT/postgres"
    ;;
  stop)
    [ -n "$BIN" ] && as_postgres "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
    ;;
esac
