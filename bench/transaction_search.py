"""Show PostgreSQL's plans for the transaction list's searches on a seeded history.

    python bench/transaction_search.py [--movements 300000]

Starts a throwaway PostgreSQL cluster (as the tests do), migrates, seeds a synthetic history
(``seed-scale``), gives every receipt a reference and a supplier, then runs EXPLAIN ANALYZE on
the count and the first page of ``/stock/transactions`` for each search, alone and combined
with the other filters. For each it prints the time and the tables read whole (Seq Scan): a
reference or supplier search must not read the movements table.
"""

import argparse
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from hilogistics import create_app  # noqa: E402
from hilogistics.auth.models import Role, User  # noqa: E402
from hilogistics.db import db  # noqa: E402
from hilogistics.stock import bulk  # noqa: E402
from hilogistics.stock.models import Lot, StockTransaction  # noqa: E402
from hilogistics.stock.queries import TransactionFilters, transactions_query  # noqa: E402
from tests.pg import Cluster  # noqa: E402


def plan_lines(stmt, explain: str) -> list[str]:  # noqa: ANN001
    """PostgreSQL's plan of ``stmt``, run with its parameters bound as the app binds them."""
    compiled = stmt.compile(db.engine)
    result = db.session.connection().exec_driver_sql(f"{explain} {compiled}", compiled.params)
    return list(result.scalars())


def explain(stmt) -> tuple[float, list[str]]:  # noqa: ANN001
    """Execution time (ms) and the tables PostgreSQL scans whole for ``stmt``."""
    plan = "\n".join(plan_lines(stmt, "EXPLAIN (ANALYZE, BUFFERS)"))
    took = float(re.search(r"Execution Time: ([\d.]+) ms", plan)[1])
    return took, sorted(set(re.findall(r"Seq Scan on (\w+)", plan)))


def main() -> None:
    """Seed, then print one line per search: count and page times, tables scanned whole."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movements", type=int, default=300_000)
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--show", action="append", default=[], help="print this search's plan")
    args = parser.parse_args()
    cluster = Cluster().start()
    try:
        url = cluster.create_database("bench")
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": secrets.token_urlsafe(48),
                "SQLALCHEMY_DATABASE_URI": url,
                "INSTANCE_PATH": tempfile.mkdtemp(prefix="hilo-bench-"),
            }
        )
        with app.app_context():
            flask_migrate.upgrade()
            started = time.perf_counter()
            bulk.seed_scale(items=args.items, locations=120, movements=args.movements)
            db.session.execute(
                text(
                    "UPDATE stock_transactions SET reference = 'WB-' || to_char(occurred_on, "
                    "'YYYY') || '-' || id, supplier = (ARRAY['Ottobock', 'UNICEF', 'ICRC', "
                    "'Handicap International'])[1 + id % 4] WHERE kind = 'receipt'"
                )
            )
            db.session.commit()
            db.session.execute(text("ANALYZE"))
            print(f"seeded in {time.perf_counter() - started:.0f} s:", end=" ")
            for table in ("stock_transactions", "movements", "items", "lots"):
                count = db.session.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608
                print(f"{table} {count}", end="; ")
            print()
            admin = User(username="bench", display_name="bench", role=Role.ADMIN)
            reference = db.session.scalar(
                select(StockTransaction.reference)
                .where(StockTransaction.reference.like("WB-%"))
                .order_by(StockTransaction.id.desc())
                .limit(1)
            )
            grant_id = db.session.scalar(
                select(Lot.grant_id).where(Lot.grant_id.is_not(None)).limit(1)
            )
            location_id = db.session.scalar(select(func.min(StockTransaction.location_id)))
            searches = {
                "no filter": TransactionFilters(),
                "reference (whole)": TransactionFilters(reference=reference),
                "reference (part)": TransactionFilters(reference=reference[3:].lower()),
                "reference, none": TransactionFilters(reference="NO-SUCH-WAYBILL"),
                "reference + place": TransactionFilters(
                    reference=reference, location_id=location_id
                ),
                "supplier": TransactionFilters(supplier="otto"),
                "item (code part)": TransactionFilters(item="0012"),
                "grant": TransactionFilters(grant_id=grant_id),
                "item + grant + kind": TransactionFilters(
                    item="0012", grant_id=grant_id, kind=None
                ),
            }
            print(f"{'search':24} {'count ms':>9} {'page ms':>9}  tables read whole")
            for name, filters in searches.items():
                stmt = transactions_query(admin, filters)
                count = select(func.count()).select_from(stmt.order_by(None).subquery())
                count_ms, count_scans = explain(count)
                page_ms, page_scans = explain(stmt.limit(50))
                scans = ", ".join(sorted(set(count_scans + page_scans))) or "none"
                print(f"{name:24} {count_ms:9.1f} {page_ms:9.1f}  {scans}")
                if name in args.show:
                    for line in plan_lines(count, "EXPLAIN ANALYZE"):
                        print("   ", line)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
