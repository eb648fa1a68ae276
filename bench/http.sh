#!/usr/bin/env bash
# Load test of the stock-on-hand page under gunicorn (2 workers) against a bare baseline app
# (bench/baseline_app.py, also 2 workers) on the same 1 000 000-movement SQLite database.
#
#   bench/http.sh                 # seeds bench/out/http-1000000.sqlite once, then reuses it
#   MOVEMENTS=200000 DURATION=5s bench/http.sh
#
# Prints requests/s and p50/p99 latency of both, and ours/baseline (target >= 0.6).
# Traffic goes to 127.0.0.1 only; both servers are stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.venv/bin"
OUT="$ROOT/bench/out"
MOVEMENTS="${MOVEMENTS:-1000000}"
DURATION="${DURATION:-10s}"
TARGET=0.6
DB="$OUT/http-$MOVEMENTS.sqlite"
LOGIN_FILE="$OUT/http-$MOVEMENTS.login"
mkdir -p "$OUT"

if ! command -v wrk >/dev/null; then
    if [[ $EUID -eq 0 ]]; then
        apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
    else
        echo "wrk is missing: sudo apt-get install wrk" >&2
        exit 1
    fi
fi

export PYTHONPATH="$ROOT"
export FLASK_APP=hilogistics
export DATABASE_URL="sqlite:///$DB"
SECRET_KEY="$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(48))')"
export SECRET_KEY
unset FLASK_DEBUG

if [[ ! -f "$DB.done" ]]; then
    echo "seeding $DB ($MOVEMENTS movements)…"
    rm -f "$DB" "$DB-wal" "$DB-shm" "$LOGIN_FILE"
    "$BIN/flask" db upgrade >/dev/null 2>&1
    "$BIN/flask" hilo seed-scale --movements "$MOVEMENTS"
    touch "$DB.done"
fi
if [[ ! -s "$LOGIN_FILE" ]]; then
    PASSWORD="$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(18))')"
    printf '%s\n' "$PASSWORD" | "$BIN/flask" hilo create-user --username bench \
        --display-name "HTTP benchmark" --role logistics --password-stdin
    (umask 077 && printf '%s\n' "$PASSWORD" >"$LOGIN_FILE")
fi
PASSWORD="$(cat "$LOGIN_FILE")"

# The busiest place: the most items on hand.
LOCATION="$("$BIN/python" - "$DB" <<'PY'
import sqlite3, sys
with sqlite3.connect(sys.argv[1]) as connection:
    print(connection.execute(
        "SELECT b.location_id FROM balances b JOIN locations l ON l.id = b.location_id "
        "WHERE b.quantity > 0 AND l.kind IN ('warehouse', 'centre', 'school', 'camp') "
        "GROUP BY b.location_id ORDER BY count(*) DESC, b.location_id LIMIT 1"
    ).fetchone()[0])
PY
)"

free_port() {
    "$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
APP_PORT="$(free_port)"
BASE_PORT="$(free_port)"
while [[ "$BASE_PORT" == "$APP_PORT" ]]; do BASE_PORT="$(free_port)"; done

PIDS=()
JAR="$(mktemp)"
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -f "$JAR"
}
trap cleanup EXIT INT TERM

"$BIN/gunicorn" -w 2 -b "127.0.0.1:$APP_PORT" --chdir "$ROOT" \
    --error-logfile "$OUT/gunicorn-app.log" 'hilogistics:create_app()' &
PIDS+=($!)
"$BIN/gunicorn" -w 2 -b "127.0.0.1:$BASE_PORT" --chdir "$ROOT/bench" \
    --error-logfile "$OUT/gunicorn-baseline.log" baseline_app:app &
PIDS+=($!)

wait_for() {
    for _ in $(seq 1 100); do
        if curl -s -o /dev/null "$1"; then return 0; fi
        sleep 0.2
    done
    echo "server at $1 did not start (see $OUT/gunicorn-*.log)" >&2
    exit 1
}
wait_for "http://127.0.0.1:$APP_PORT/login"
wait_for "http://127.0.0.1:$BASE_PORT/locations/$LOCATION"

# Sign in as a browser would: the form's CSRF token, then the credentials.
TOKEN="$(curl -s -c "$JAR" -b "$JAR" "http://127.0.0.1:$APP_PORT/login" \
    | grep -o '<input[^>]*name="csrf_token"[^>]*>' | grep -o 'value="[^"]*"' | head -1 | cut -d'"' -f2)"
STATUS="$(curl -s -o /dev/null -w '%{http_code}' -c "$JAR" -b "$JAR" \
    --data-urlencode "csrf_token=$TOKEN" --data-urlencode "username=bench" \
    --data-urlencode "password=$PASSWORD" "http://127.0.0.1:$APP_PORT/login")"
if [[ "$STATUS" != "302" ]]; then
    echo "login failed (HTTP $STATUS)" >&2
    exit 1
fi
COOKIE="hilo_session=$(awk -F'\t' '$6 == "hilo_session" {print $7}' "$JAR")"

OURS_URL="http://127.0.0.1:$APP_PORT/stock/locations/$LOCATION"
BASE_URL="http://127.0.0.1:$BASE_PORT/locations/$LOCATION"

to_ms() {
    awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
           else if (v ~ /ms$/) { sub(/ms$/, "", v) }
           else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
           printf "%.1f", v }'
}
run() {  # name url [header]
    local name="$1" url="$2" output
    shift 2
    wrk -t2 -c8 -d2s "$@" "$url" >/dev/null  # warm-up
    output="$(wrk -t2 -c8 -d"$DURATION" --latency "$@" "$url")"
    RPS[$name]="$(awk '/^Requests\/sec/ {print $2}' <<<"$output")"
    P50[$name]="$(awk '$1 == "50%" {print $2}' <<<"$output" | to_ms)"
    P99[$name]="$(awk '$1 == "99%" {print $2}' <<<"$output" | to_ms)"
    if grep -q "Non-2xx" <<<"$output"; then
        echo "warning: $name answered errors: $(grep 'Non-2xx' <<<"$output")" >&2
    fi
}
declare -A RPS P50 P99

echo "location $LOCATION; database $DB ($(du -h "$DB" | cut -f1))"
OURS_STATUS="$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "$OURS_URL")"
if [[ "$OURS_STATUS" != "200" ]]; then
    echo "ours: page not available yet (HTTP $OURS_STATUS at /stock/locations/$LOCATION)"
else
    run ours "$OURS_URL" -H "Cookie: $COOKIE"
    # Still signed in at the end? (A redirect to the login page would have looked fast.)
    AFTER="$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "$OURS_URL")"
    [[ "$AFTER" == "200" ]] || echo "warning: ours answered HTTP $AFTER after the run" >&2
fi
run baseline "$BASE_URL"

printf '\n%-9s %10s %9s %9s\n' "" "req/s" "p50 ms" "p99 ms"
for name in ours baseline; do
    [[ -n "${RPS[$name]:-}" ]] || continue
    printf '%-9s %10s %9s %9s\n' "$name" "${RPS[$name]}" "${P50[$name]}" "${P99[$name]}"
done
if [[ -n "${RPS[ours]:-}" ]]; then
    awk -v a="${RPS[ours]}" -v b="${RPS[baseline]}" -v t="$TARGET" 'BEGIN {
        r = a / b; printf "\nours/baseline %.2f (target >= %.1f): %s\n", r, t, (r >= t ? "ok" : "BELOW TARGET")
        exit (r >= t ? 0 : 2) }'
fi
