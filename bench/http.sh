#!/usr/bin/env bash
# Load test of the stock-on-hand page and of adjustment posts under gunicorn (2 workers), ours
# against the fair baseline (bench/baseline_app.py), on SQLite and on a throwaway PostgreSQL
# cluster with fsync on: see bench/load.py, which does the work, and bench/README.md.
#
#   bench/http.sh                                   # 200 000 movements, 3 interleaved runs
#   MOVEMENTS=1000000 DURATION=10 bench/http.sh --databases postgres
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v wrk >/dev/null; then
    if [[ $EUID -eq 0 ]]; then
        apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
    else
        echo "wrk is missing: sudo apt-get install wrk" >&2
        exit 1
    fi
fi
exec "$ROOT/.venv/bin/python" "$ROOT/bench/load.py" \
    --movements "${MOVEMENTS:-200000}" --duration "${DURATION:-10}" "$@"
