"""Whether PostgreSQL could update the balance rows in place (HOT), and what it would save.

    .venv/bin/python bench/hot.py [--posts 300] [--rows 3000]

On a throwaway cluster: a warehouse holding ``--rows`` items (so that its rows fill many heap
pages, as the busiest place does), then ``--posts`` one-unit adjustments of one of them through
the service, measured three ways: as the schema stands (the covering indexes carry the
quantities, so no update is heap-only), with ``fillfactor`` 80 alone, and with the quantities
taken out of the two covering indexes as well (heap-only updates become possible). For each:
heap-only updates, WAL bytes and milliseconds per adjustment, and whether the stock page's
count of a place's held items can still read the index alone (sequential scans ruled out).
"""

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from bench.common import fresh_app  # noqa: E402
from hilogistics.actors import SYSTEM  # noqa: E402
from hilogistics.dates import business_today  # noqa: E402
from hilogistics.db import db  # noqa: E402
from hilogistics.stock.models import AdjustmentDirection, AdjustmentReason  # noqa: E402
from hilogistics.stock.services import ReceiptLine, adjust_stock, record_receipt  # noqa: E402
from tests.factories import make_item, make_warehouse  # noqa: E402

# What the stock page asks of a place: its items held (an index-only scan when covered).
COUNT_HELD = (
    "SELECT count(*) FROM item_balances WHERE location_id = :place AND on_hand - reserved > 0"
)
VARIANTS = {
    "as it stands": [],
    "fillfactor 80": [
        "ALTER TABLE balances SET (fillfactor = 80)",
        "ALTER TABLE item_balances SET (fillfactor = 80)",
        "VACUUM FULL balances",
        "VACUUM FULL item_balances",
    ],
    "80 + no quantities in indexes": [
        "DROP INDEX ix_balances_lot_stock",
        "CREATE INDEX ix_balances_lot_stock ON balances (lot_id, location_id)",
        "DROP INDEX ix_item_balances_location_item_stock",
        "CREATE INDEX ix_item_balances_location_item_stock ON item_balances (location_id, item_id)",
        "VACUUM FULL balances",
        "VACUUM FULL item_balances",
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--rows", type=int, default=3000)
    args = parser.parse_args()
    with fresh_app("postgres", "hot") as app, app.app_context():
        warehouse = make_warehouse()
        items = [make_item() for _ in range(args.rows)]
        db.session.flush()
        posted = record_receipt(
            actor=SYSTEM,
            warehouse_id=warehouse.id,
            occurred_on=business_today(),
            lines=[ReceiptLine(item_id=item.id, quantity=1000) for item in items],
            operation_key=uuid.uuid4().hex,
        )
        # The middle item: its rows sit among the others on the heap.
        movement = posted.movements[len(items) // 2]
        item_id, lot_id, place_id = movement.item_id, movement.lot_id, warehouse.id
        reason_id = db.session.scalar(
            select(AdjustmentReason.id).where(AdjustmentReason.code == "lost")
        )
        db.session.commit()
        connection_url = db.engine.url
        print(f"PostgreSQL {connection_url.host}:{connection_url.port}, {args.rows} rows")
        for name, setup in VARIANTS.items():
            for statement in setup:
                with db.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                ) as connection:
                    connection.execute(text(statement))
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE balances"))
                c.execute(text("VACUUM ANALYZE item_balances"))
                c.execute(text("SELECT pg_stat_reset()"))
            before = db.session.scalar(text("SELECT pg_current_wal_lsn()"))
            db.session.commit()
            times = []
            for n in range(args.posts):
                started = time.perf_counter()
                adjust_stock(
                    actor=SYSTEM,
                    location_id=place_id,
                    item_id=item_id,
                    lot_id=lot_id,
                    quantity=1,
                    direction=AdjustmentDirection.OUT,
                    reason_id=reason_id,
                    occurred_on=business_today(),
                    operation_key=uuid.uuid4().hex,
                    note=f"hot {n}",
                )
                db.session.commit()
                times.append((time.perf_counter() - started) * 1000)
            wal = db.session.scalar(
                text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), :before)"), {"before": before}
            )
            db.session.execute(text("SELECT pg_stat_force_next_flush()"))
            db.session.commit()
            time.sleep(1.1)  # this backend's counters reach the shared statistics
            stats = db.session.execute(
                text(
                    "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                    "WHERE relname IN ('balances', 'item_balances') ORDER BY relname"
                )
            ).all()
            # The place's rows are the whole table here: a sequential scan would win anyway, so
            # it is ruled out to see whether the index alone can answer.
            db.session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(
                row[0]
                for row in db.session.execute(
                    text("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + COUNT_HELD),
                    {"place": place_id},
                )
            )
            db.session.commit()
            hot = ", ".join(f"{r.relname} {r.n_tup_hot_upd}/{r.n_tup_upd} HOT" for r in stats)
            scan = next(
                (line.strip() for line in plan.splitlines() if "Scan" in line), plan.splitlines()[0]
            )
            fetches = next(
                (line.strip() for line in plan.splitlines() if "Heap Fetches" in line), ""
            )
            print(
                f"{name:30} {statistics.median(times):6.2f} ms/post, "
                f"{float(wal) / args.posts:7.0f} WAL bytes/post; {hot}\n"
                f"{'':30} count of held items: {scan} {fetches}"
            )
        db.engine.dispose()


if __name__ == "__main__":
    main()
