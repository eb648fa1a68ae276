"""What one stock post costs: SQL statements and milliseconds per receipt and per adjustment.

    .venv/bin/python bench/post.py [--posts 300] [--lines 1,10] [--database sqlite|postgres]

Posts through the services (as the forms do), one commit each, on a fresh migrated database
(SQLite file, or a throwaway PostgreSQL cluster as the tests start). Prints the median time
and the statement count of a receipt and of an adjustment, for each number of lines.
"""

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, select  # noqa: E402

from bench.common import fresh_app  # noqa: E402
from hilogistics.db import db  # noqa: E402
from hilogistics.stock.models import AdjustmentDirection, AdjustmentReason  # noqa: E402
from hilogistics.stock.services import ReceiptLine, adjust_stock, record_receipt  # noqa: E402
from tests.factories import make_item, make_warehouse  # noqa: E402

try:  # the ledger's second step names the system; the first took None
    from hilogistics.actors import SYSTEM as ACTOR
except ImportError:  # pragma: no cover - measuring an older commit
    ACTOR = None


def measure(posts: int, lines: int, show: bool = False) -> dict[str, tuple[float, int]]:
    """(median ms, statements) of a receipt and of an adjustment with ``lines`` lines."""
    items = [make_item() for _ in range(lines)]
    warehouse = make_warehouse()
    reason = db.session.scalar(select(AdjustmentReason).where(AdjustmentReason.code == "lost"))
    db.session.commit()
    item_ids, warehouse_id, reason_id = [i.id for i in items], warehouse.id, reason.id
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    results: dict[str, tuple[float, int]] = {}
    lot_ids: list[int] = []
    for name in ("receipt", "adjustment"):
        times, counts = [], []
        for n in range(posts):
            statements.clear()
            start = time.perf_counter()
            if name == "receipt":
                posted = record_receipt(
                    actor=ACTOR,
                    warehouse_id=warehouse_id,
                    occurred_on=_today(),
                    lines=[ReceiptLine(item_id=i, quantity=1000) for i in item_ids],
                    operation_key=uuid.uuid4().hex,
                )
                if not lot_ids:
                    lot_ids = [m.lot_id for m in posted.movements]
            else:
                # One adjustment per line: the form adjusts one lot at a time.
                for item_id, lot_id in zip(item_ids, lot_ids, strict=True):
                    adjust_stock(
                        actor=ACTOR,
                        location_id=warehouse_id,
                        item_id=item_id,
                        lot_id=lot_id,
                        quantity=1,
                        direction=AdjustmentDirection.OUT,
                        reason_id=reason_id,
                        occurred_on=_today(),
                        operation_key=uuid.uuid4().hex,
                        note=f"bench {n}",
                    )
            db.session.commit()
            times.append((time.perf_counter() - start) * 1000)
            counts.append(len(statements))
        results[name] = (statistics.median(times), int(statistics.median(counts)))
        if show:
            print(f"--- the last {name}:")
            for statement in statements:
                print("   ", " ".join(statement.split())[:150])
    return results


def measure_form(app, posts: int) -> tuple[float, float, int]:  # noqa: ANN001
    """(median ms, median CPU ms, statements) of one POST /stock/adjust through the form."""
    from datetime import date

    from tests.conftest import sign_in
    from tests.factories import make_user

    with app.app_context():
        item, warehouse = make_item(), make_warehouse()
        reason = db.session.scalar(select(AdjustmentReason).where(AdjustmentReason.code == "found"))
        posted = record_receipt(
            actor=ACTOR,
            warehouse_id=warehouse.id,
            occurred_on=_today(),
            lines=[ReceiptLine(item_id=item.id, quantity=1000)],
            operation_key=uuid.uuid4().hex,
        )
        lot_id, reason_id = posted.movements[0].lot_id, reason.id
        user = make_user()
        db.session.commit()
        url = f"/stock/adjust?location_id={warehouse.id}&item_id={item.id}"
        engine = db.engine
        client = app.test_client()
        sign_in(client, user)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    today: date = _today()
    times, cpu, counts = [], [], []
    for n in range(posts + 3):
        statements.clear()
        data = {
            "lot_id": lot_id,
            "reason": f"{reason_id}-in",
            "quantity": "1",
            "occurred_on": today.isoformat(),
            "note": f"bench {n}",
            "operation_key": uuid.uuid4().hex,
        }
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.post(url, data=data)
        if response.status_code != 302:
            raise SystemExit(f"POST {url}: HTTP {response.status_code}")
        if n >= 3:  # after a warm-up
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            counts.append(len(statements))
    return statistics.median(times), statistics.median(cpu), int(statistics.median(counts))


def _today():  # noqa: ANN202
    try:
        from hilogistics.dates import business_today
    except ImportError:  # pragma: no cover - an older commit
        from datetime import date

        return date.today()
    return business_today()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--lines", default="1,10")
    parser.add_argument("--form", action="store_true", help="POST /stock/adjust instead")
    parser.add_argument("--show", action="store_true", help="print the last post's statements")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    with fresh_app(args.database, "post") as app:
        if args.form:
            app.config["WTF_CSRF_ENABLED"] = False
            ms, cpu_ms, count = measure_form(app, args.posts)
            print(
                f"{args.database} POST /stock/adjust: {ms:7.2f} ms, {cpu_ms:.2f} ms of app CPU, "
                f"{count} statements"
            )
            return
        with app.app_context():
            for lines in (int(n) for n in args.lines.split(",")):
                for name, (ms, count) in measure(args.posts, lines, args.show).items():
                    per = "post" if name == "receipt" else f"{lines} posts"
                    print(
                        f"{args.database} {name:10} {lines:3} line(s): {ms:7.2f} ms, "
                        f"{count} statements per {per}"
                    )
            db.engine.dispose()


if __name__ == "__main__":
    main()
