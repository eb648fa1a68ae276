"""EXPLAIN (ANALYZE, BUFFERS) of every statement the stock pages run, on PostgreSQL.

    .venv/bin/python bench/explain.py [--movements 1000000] [--plans]

Starts a throwaway PostgreSQL cluster (as the tests do), migrates and seeds it with
``seed-scale``, runs ``VACUUM ANALYZE``, then requests the stock pages of ``bench/stock.py``
(stock on hand at the busiest place, the item page, the first and last page of the longest
stock card) through the Flask test client, recording each SELECT with its parameters. Each one
is then run again under ``EXPLAIN (ANALYZE, BUFFERS)``: the script prints its execution time,
the buffers it touched, the rows each table's scans returned, and any sequential scan of a
ledger table (balances, item_balances, movements, lots), which would mean reading more than the
place's rows. ``--plans`` prints the whole plans. Exits 1 when a ledger table is scanned whole.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import flask_migrate  # noqa: E402
import stock as stock_bench  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from bench.common import config  # noqa: E402
from hilogistics import create_app  # noqa: E402
from hilogistics.db import db  # noqa: E402
from hilogistics.stock import bulk  # noqa: E402
from tests.pg import Cluster  # noqa: E402

LEDGER_TABLES = {"balances", "item_balances", "movements", "lots"}


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [node]
    for child in node.get("Plans", []):
        nodes.extend(_walk(child))
    return nodes


def main() -> int:
    """Seed, request the pages, explain what they ran; 1 when a ledger table is read whole."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--locations", type=int, default=120)
    parser.add_argument("--plans", action="store_true", help="print every plan in full")
    args = parser.parse_args()
    cluster = Cluster().start()
    whole_scans = 0
    try:
        url = cluster.create_database("bench_explain")
        folder = Path(tempfile.mkdtemp(prefix="hilo-explain-"))
        app = create_app(config(url, folder))
        with app.app_context():
            flask_migrate.upgrade()
            started = time.perf_counter()
            bulk.seed_scale(items=args.items, locations=args.locations, movements=args.movements)
            db.session.commit()
            print(f"seeded {args.movements} movements in {time.perf_counter() - started:.0f} s")
            db.session.remove()
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE")
                )
        targets = stock_bench.prepare(app, stock_bench.busy_targets(app))
        urls = stock_bench.page_urls(targets)
        client = app.test_client()
        login = client.post("/login", data={"username": "bench", "password": stock_bench.PASSWORD})
        if login.status_code != 302:
            raise SystemExit(f"login failed: HTTP {login.status_code}")
        with app.app_context():
            engine = db.engine
        recorded: list[tuple[str, str, Any]] = []
        page = [""]

        def record(_conn: object, _cursor: object, statement: str, params: Any, *_: object) -> None:
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                recorded.append((page[0], statement, params))

        for name, path in urls.items():
            client.get(path)  # warm-up: the same statements, without recording
            event.listen(engine, "before_cursor_execute", record)
            page[0] = name
            response = client.get(path)
            event.remove(engine, "before_cursor_execute", record)
            print(f"{name}: {path} HTTP {response.status_code}")
        print(
            f"\nplace {targets['location']}, item {targets['item']}, card "
            f"{targets['card_location']}/{targets['card_item']} ({targets['card_lines']} lines)"
        )
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for name, statement, params in recorded:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, params)
                plan = cursor.fetchone()[0][0]
                nodes = _walk(plan["Plan"])
                buffers = plan["Plan"].get("Shared Hit Blocks", 0) + plan["Plan"].get(
                    "Shared Read Blocks", 0
                )
                scans = [
                    f"{n['Node Type']} {n.get('Index Name') or n['Relation Name']} "
                    f"({n['Actual Rows'] * n.get('Actual Loops', 1)} rows)"
                    for n in nodes
                    if "Relation Name" in n
                ]
                whole = [
                    n["Relation Name"]
                    for n in nodes
                    if n["Node Type"] == "Seq Scan" and n["Relation Name"] in LEDGER_TABLES
                ]
                whole_scans += len(whole)
                first = " ".join(statement.split())[:70]
                print(
                    f"\n[{name}] {plan['Execution Time']:.2f} ms, {buffers} buffers: {first}…\n"
                    + "".join(f"    {scan}\n" for scan in scans)
                    + (f"    READS WHOLE: {', '.join(whole)}\n" if whole else ""),
                    end="",
                )
                if args.plans:
                    print(json.dumps(plan["Plan"], indent=1))
            raw.rollback()
        finally:
            raw.close()
        with app.app_context():
            db.engine.dispose()
    finally:
        cluster.stop()
    print(f"\n{whole_scans} sequential scans of a ledger table")
    return 1 if whole_scans else 0


if __name__ == "__main__":
    sys.exit(main())
