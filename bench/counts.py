"""What a big count costs: keying and posting a count of N lots (the issue asks 2 000 < 5 s).

    .venv/bin/python bench/counts.py [--lines 2000] [--database sqlite|postgres]

On a fresh migrated database (SQLite file, or a throwaway PostgreSQL cluster as the tests
start): one warehouse receives N items (one lot each), a count of the whole warehouse is
opened, every lot is keyed one unit short in one call (as pages of the entry form add up),
then the count is posted: N movements in one transaction. Prints the seconds of keying and of
posting, and the statements each ran, beside those of the receipt of N lines that set it up
(the ledger's own cost of N lines).
"""

import argparse
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench.common import fresh_app  # noqa: E402
from hilogistics.actors import SYSTEM  # noqa: E402
from hilogistics.counts.services import (  # noqa: E402
    CountEntry,
    open_count,
    post_count,
    record_counts,
)
from hilogistics.dates import business_today  # noqa: E402
from hilogistics.db import db  # noqa: E402
from hilogistics.stock.services import ReceiptLine, record_receipt  # noqa: E402
from tests.factories import make_item, make_warehouse  # noqa: E402


def measure(lines: int) -> dict[str, tuple[float, int]]:
    """(seconds, statements) of keying and of posting a count of ``lines`` lots."""
    items = [make_item() for _ in range(lines)]
    warehouse = make_warehouse()
    db.session.commit()
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    results = {}
    start = time.perf_counter()
    posted = record_receipt(
        actor=SYSTEM,
        warehouse_id=warehouse.id,
        occurred_on=business_today(),
        lines=[ReceiptLine(item_id=item.id, quantity=50, lot_code="B1") for item in items],
        operation_key=uuid.uuid4().hex,
    )
    lots = [(m.item_id, m.lot_id) for m in posted.movements]
    db.session.commit()
    # For comparison: the ledger's cost of a receipt of as many lines.
    results["receipt"] = (time.perf_counter() - start, len(statements))
    count = open_count(actor=SYSTEM, location_id=warehouse.id, recount_quantity=100)
    db.session.commit()
    statements.clear()
    start = time.perf_counter()
    record_counts(
        actor=SYSTEM,
        count_id=count.id,
        entries=[CountEntry(item_id, 49, lot_id=lot_id) for item_id, lot_id in lots],
    )
    db.session.commit()
    results["keying"] = (time.perf_counter() - start, len(statements))
    statements.clear()
    start = time.perf_counter()
    post_count(
        actor=SYSTEM,
        count_id=count.id,
        occurred_on=business_today(),
        operation_key=uuid.uuid4().hex,
    )
    db.session.commit()
    results["posting"] = (time.perf_counter() - start, len(statements))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    with fresh_app(args.database, "counts") as app:
        with app.app_context():
            for name, (seconds, count) in measure(args.lines).items():
                print(
                    f"{args.database} {name:8} {args.lines} lines: {seconds:6.2f} s, "
                    f"{count} statements"
                )
            db.engine.dispose()


if __name__ == "__main__":
    main()
