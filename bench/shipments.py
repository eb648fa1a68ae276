"""Time to dispatch and receive a 100-line shipment, and to print its waybill (issue 9).

    .venv/bin/python bench/shipments.py [--lines 100] [--repeat 3] [--database URL]

Builds a throwaway SQLite database (or uses ``--database``, which must be migrated and may
hold anything), stocks a warehouse with one lot of each of ``--lines`` items, then for each
repeat: a draft of one line per item, dispatch (``dispatch`` origin → transit), receipt of
every line (``arrival``), and the waybill rendered and logged as a print. Targets: dispatch
and receipt each under a second; the waybill well under a second.
"""

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402

from hilogistics import create_app  # noqa: E402
from hilogistics.actors import SYSTEM  # noqa: E402
from hilogistics.catalogue.models import Category, Item, ItemKind, Unit  # noqa: E402
from hilogistics.dates import business_today  # noqa: E402
from hilogistics.db import db  # noqa: E402
from hilogistics.documents.layout import Printing  # noqa: E402
from hilogistics.locations.models import Location, LocationKind  # noqa: E402
from hilogistics.shipments.services import (  # noqa: E402
    DraftLine,
    LineReceipt,
    create_dispatch,
    dispatch_shipment,
    print_shipment,
    receive_shipment,
)
from hilogistics.stock.models import Balance  # noqa: E402
from hilogistics.stock.services import ReceiptLine, record_receipt  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if not args.database:
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        tag = uuid.uuid4().hex[:6].upper()
        category = db.session.scalar(db.select(Category).limit(1))
        unit = db.session.scalar(db.select(Unit).where(Unit.code == "piece"))
        places = [
            Location(code=f"B-{tag}-{n}", kind=kind, name=f"Bench {n}", name_ko=f"시험 {n}")
            for n, kind in enumerate((LocationKind.WAREHOUSE, LocationKind.CENTRE))
        ]
        items = [
            Item(
                code=f"B-{tag}-{n:03d}",
                name=f"Knee joint size {n}",
                name_ko=f"무릎관절 {n}호",
                category=category,
                unit=unit,
                pack_size=1,
                kind=ItemKind.CONSUMABLE,
            )
            for n in range(args.lines)
        ]
        db.session.add_all(places + items)
        db.session.flush()
        warehouse, centre = places
        record_receipt(
            actor=SYSTEM,
            warehouse_id=warehouse.id,
            occurred_on=business_today(),
            lines=[ReceiptLine(item.id, 1000, lot_code="L1") for item in items],
            operation_key=uuid.uuid4().hex,
        )
        db.session.commit()
        lots = dict(
            db.session.execute(
                db.select(Balance.item_id, Balance.lot_id).where(
                    Balance.location_id == warehouse.id
                )
            ).all()
        )
        printing = Printing(
            "Handicap International", "조선장애자보호련맹", "bench", datetime.now(), "en"
        )
        timings: dict[str, list[float]] = {"dispatch": [], "receive": [], "waybill": []}
        # CPU seconds of this process beside the wall clock: on a shared, loaded machine the
        # wall clock mostly measures the wait for a core.
        cpu: dict[str, list[float]] = {name: [] for name in timings}
        for _repeat in range(args.repeat):
            draft = create_dispatch(
                actor=SYSTEM,
                origin_id=warehouse.id,
                destination_id=centre.id,
                lines=[DraftLine(item_id=i.id, lot_id=lots[i.id], quantity=3) for i in items],
            )
            db.session.commit()
            started, cpu_started = time.perf_counter(), time.process_time()
            dispatch_shipment(
                actor=SYSTEM,
                shipment_id=draft.id,
                dispatched_on=business_today(),
                operation_key=uuid.uuid4().hex,
            )
            db.session.commit()
            timings["dispatch"].append(time.perf_counter() - started)
            cpu["dispatch"].append(time.process_time() - cpu_started)
            started, cpu_started = time.perf_counter(), time.process_time()
            print_shipment(actor=SYSTEM, shipment_id=draft.id, printing=printing)
            db.session.commit()
            timings["waybill"].append(time.perf_counter() - started)
            cpu["waybill"].append(time.process_time() - cpu_started)
            line_ids = [line.id for line in draft.lines]
            started, cpu_started = time.perf_counter(), time.process_time()
            receive_shipment(
                actor=SYSTEM,
                shipment_id=draft.id,
                lines=[LineReceipt(line_id=i, received=3) for i in line_ids],
                received_on=business_today(),
                operation_key=uuid.uuid4().hex,
            )
            db.session.commit()
            timings["receive"].append(time.perf_counter() - started)
            cpu["receive"].append(time.process_time() - cpu_started)
        engine = db.engine.dialect.name
        for name, values in timings.items():
            print(
                f"{name:8} {args.lines} lines on {engine}: "
                f"median {statistics.median(values):.3f} s, "
                f"max {max(values):.3f} s ({args.repeat} runs); "
                f"CPU median {statistics.median(cpu[name]):.3f} s"
            )


if __name__ == "__main__":
    main()
