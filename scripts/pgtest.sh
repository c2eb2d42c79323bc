#!/usr/bin/env bash
# A throw-away PostgreSQL + PostGIS cluster for the test suite, under var/pgtest on a free
# local port (PGTEST_DIR puts it elsewhere, so two runs can live side by side). `start` prints
# its DATABASE_URL; `stop` stops it and removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${PGTEST_DIR:-$PWD/var/pgtest}"
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
  start)
    [ -x "$BIN/initdb" ] || { echo "PostgreSQL is not installed (apt-get install postgresql postgresql-15-postgis-3)" >&2; exit 1; }
    [ -d "$DIR" ] && as_owner "$BIN/pg_ctl" -D "$DIR/data" stop -m immediate >/dev/null 2>&1 || true
    rm -rf "$DIR"; mkdir -p "$DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres "$DIR"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$BIN/initdb" -D "$DIR/data" -U urbanmgmt --auth=trust -E UTF8 --no-locale >"$DIR/initdb.log" 2>&1 \
      || { cat "$DIR/initdb.log" >&2; exit 1; }
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
      -o "-p $port -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c client_connection_check_interval=2s" \
      start >/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
    echo "$port" > "$DIR/port"
    echo "postgres://urbanmgmt@127.0.0.1:$port/urbanmgmt"
    ;;
  stop)
    [ -d "$DIR/data" ] && as_owner "$BIN/pg_ctl" -D "$DIR/data" stop -m fast >/dev/null 2>&1 || true
    rm -rf "$DIR"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
