"""Time the requisition pages against synthetic histories of growing size (SQLite, test client).

    python bench/requisitions.py [--sizes 20000,1000000] [--repeat 10] [--out bench/out]

For each size: the seeded database of bench/stock.py (reused from --out when there), then at
the place with the most consumption: a draft requisition of 100 items (its edit form computes
on hand, on its way and three months' consumption for all of them in one statement), the same
requisition submitted (its page and timeline), 20 other submitted requisitions (the review
queue), and a print of the requisition form. Each page is requested ``--repeat`` times after a
warm-up, the sizes interleaved; the median and the statements of one request are printed. The
pages read one place's recent movements through an index, so their time should barely grow
with the history (target: large/small <= 1.3).
"""

import argparse
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from bench.common import bench_users, sized_app  # noqa: E402
from bench.stock import PASSWORD, build_database, signed_in  # noqa: E402
from hilogistics.actors import SYSTEM  # noqa: E402
from hilogistics.auth.models import Role  # noqa: E402
from hilogistics.catalogue.models import Item  # noqa: E402
from hilogistics.db import db  # noqa: E402
from hilogistics.locations.models import Location, LocationKind  # noqa: E402
from hilogistics.requisitions.services import (  # noqa: E402
    RequestLine,
    create_requisition,
    submit_requisition,
)
from hilogistics.stock.models import Movement, StockTransaction, TransactionKind  # noqa: E402

LINES = 100
QUEUE = 20
TARGET_RATIO = 1.3
PAGES = [("form", True), ("queue", True), ("page", True), ("print", True)]


def busiest_place(app: Flask) -> int:
    """The centre, school or camp with the most distribution and consumption movements."""
    with app.app_context():
        return db.session.execute(
            select(Movement.from_location_id)
            .join(StockTransaction, StockTransaction.id == Movement.transaction_id)
            .where(
                StockTransaction.kind.in_(
                    [TransactionKind.DISTRIBUTION, TransactionKind.CONSUMPTION]
                )
            )
            .group_by(Movement.from_location_id)
            .order_by(func.count().desc(), Movement.from_location_id)
            .limit(1)
        ).scalar_one()


def prepare(app: Flask, place_id: int) -> dict[str, int]:
    """The benchmark's users and requisitions at ``place_id`` (made again at every run)."""
    with app.app_context():
        place = db.session.get(Location, place_id)
        if place.supplied_by_id is None:
            place.supplied_by_id = db.session.scalar(
                select(Location.id).where(Location.kind == LocationKind.WAREHOUSE).limit(1)
            )
        bench_users(
            PASSWORD,
            ("bench", Role.LOGISTICS, None),
            ("bench-tech", Role.TECHNICIAN, place_id),
        )
        # The items the place consumed most, then others: 100 lines with figures to compute.
        used = list(
            db.session.scalars(
                select(Movement.item_id)
                .where(Movement.from_location_id == place_id)
                .group_by(Movement.item_id)
                .order_by(func.count().desc())
                .limit(LINES)
            )
        )
        others = db.session.scalars(
            select(Item.id).where(Item.is_active, Item.id.not_in(used)).limit(LINES - len(used))
        )
        items = [*used, *others]
        lines = [RequestLine(item_id=i, quantity=5, reason="bench") for i in items]
        draft = create_requisition(actor=SYSTEM, location_id=place_id, lines=lines)
        shown = create_requisition(actor=SYSTEM, location_id=place_id, lines=lines)
        submit_requisition(actor=SYSTEM, requisition_id=shown.id)
        for _ in range(QUEUE):
            other = create_requisition(actor=SYSTEM, location_id=place_id, lines=lines[:5])
            submit_requisition(actor=SYSTEM, requisition_id=other.id)
        db.session.commit()
        return {"draft": draft.id, "shown": shown.id}


def measure(sites: dict[int, tuple[Any, dict[str, int]]], repeat: int) -> dict[int, dict]:
    """Median ms and statements per page at every size, the sizes interleaved."""
    results: dict[int, dict] = {size: {} for size in sites}
    for name, _target in PAGES:
        timings: dict[int, list[float]] = {size: [] for size in sites}
        statements: dict[int, int] = {}
        for round_ in range(repeat + 2):
            for size, (site, ids) in sites.items():
                app, client, counter = site
                counter["n"] = 0
                started = time.perf_counter()
                if name == "form":
                    response = client.get(f"/requisitions/{ids['draft']}/edit")
                elif name == "queue":
                    response = client.get("/requisitions/review")
                elif name == "page":
                    response = client.get(f"/requisitions/{ids['shown']}")
                else:
                    response = client.post(f"/requisitions/{ids['shown']}/print")
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{name} at {size}: HTTP {response.status_code}")
                if round_ >= 2:  # the first two warm up
                    timings[size].append(elapsed)
                    statements[size] = counter["n"]
        for size in sites:
            results[size][name] = (statistics.median(timings[size]), statements[size])
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20000,1000000")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--locations", type=int, default=120)
    parser.add_argument("--out", help="keep (and reuse) the databases in this folder")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    sites: dict[int, tuple[Any, dict[str, int]]] = {}
    with ExitStack() as stack:
        for size in sizes:
            app = sized_app(size, args.out, stack, "stock")
            build_database(app, size, args.items, args.locations)
            ids = prepare(app, busiest_place(app))
            client = signed_in(app, "bench")
            counter = {"n": 0}
            with app.app_context():
                event.listen(
                    db.engine,
                    "before_cursor_execute",
                    lambda *_a, c=counter: c.update(n=c["n"] + 1),
                )
            sites[size] = ((app, client, counter), ids)
        results = measure(sites, args.repeat)
        for (app, _client, _counter), _ids in sites.values():
            with app.app_context():
                db.engine.dispose()
    print(f"\n{'page':<8}" + "".join(f"{size:>16,} mvts".replace(",", " ") for size in sizes))
    for name, _target in PAGES:
        print(
            f"{name:<8}"
            + "".join(f"{results[s][name][0]:>10.1f} ms {results[s][name][1]:>3} q" for s in sizes)
        )
    failed = 0
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print(f"\nratio {large}/{small} (target <= {TARGET_RATIO}):")
        for name, _target in PAGES:
            ratio = results[large][name][0] / results[small][name][0]
            failed += ratio > TARGET_RATIO
            verdict = "ok" if ratio <= TARGET_RATIO else "ABOVE TARGET"
            print(f"  {name:<8} {ratio:5.2f} {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
