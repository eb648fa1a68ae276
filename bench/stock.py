"""Time the stock pages against synthetic histories of growing size (SQLite, Flask test client).

    python bench/stock.py [--sizes 20000,1000000] [--repeat 15] [--out bench/out]

For each size: a fresh SQLite database in a temporary folder (or reused from --out), migrated
with Alembic, filled by the seed-scale code, a logistics user signed in through POST /login;
then each page is requested ``--repeat`` times after a warm-up and the median is printed with
the number of SQL statements one request runs. The on-hand and item pages read balances only,
so their time should barely grow with the history (target: large/small <= 1.3); so should the
shipments list, a shipment's page and the home pages (a technician's, logistics', a viewer's),
whose lists of today's work read documents, levels and balances with a LIMIT.
"""

import argparse
import math
import secrets
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from flask import Flask  # noqa: E402
from sqlalchemy import event, func, or_, select  # noqa: E402

from bench.common import bench_users, sized_app  # noqa: E402
from hilogistics.auth.models import Role  # noqa: E402
from hilogistics.db import db  # noqa: E402
from hilogistics.locations.models import PHYSICAL_KINDS, Location  # noqa: E402
from hilogistics.shipments.models import (  # noqa: E402
    AWAITING,
    Shipment,
    ShipmentLine,
)
from hilogistics.stock import bulk  # noqa: E402
from hilogistics.stock.models import (  # noqa: E402
    Balance,
    ItemBalance,
    Movement,
    ReorderLevel,
)

PAGES = [
    # name, endpoint, whether the large/small target applies
    ("on-hand", "stock.on_hand", True),
    ("item", "stock.item", True),
    ("card p.1", "stock.card", False),
    ("card last", "stock.card", False),
    ("shipments", "shipments.index", True),
    ("shipment", "shipments.page", True),
    # A technician's home page: the shipments awaiting receipt at their place, and the rest
    # of their place's work.
    ("awaiting", "main.home", True),
    # The logistics and viewer home pages: every list of today's work (and the month's figures).
    ("home log.", "main.home", True),
    ("home view.", "main.home", True),
]
# Who requests each page (logistics unless named).
PAGE_ROLES = {"awaiting": "technician", "home view.": "viewer"}
# The shipment page shows one with this many lines (the newest such), at every size.
SHIPMENT_LINES = 10
TARGET_RATIO = 1.3
PASSWORD = secrets.token_urlsafe(16)


@dataclass
class Result:
    status: int | None = None
    median_ms: float | None = None
    queries: int | None = None
    note: str = ""


def build_database(app: Flask, size: int, items: int, locations: int) -> None:
    with app.app_context():
        flask_migrate.upgrade()
        if db.session.scalar(select(func.count()).select_from(Movement)):
            return
        started = time.perf_counter()
        bulk.seed_scale(items=items, locations=locations, movements=size)
        db.session.commit()
        bulk.compact_sqlite()
        print(f"  seeded {size} movements in {time.perf_counter() - started:.1f} s", flush=True)


def busy_targets(app: Flask) -> dict[str, int]:
    """The place with the most items on hand, the item on hand at most places, the longest card."""
    with app.app_context():
        physical = select(Location.id).where(Location.kind.in_(PHYSICAL_KINDS))
        location_id = db.session.execute(
            select(Balance.location_id)
            .where(Balance.quantity > 0, Balance.location_id.in_(physical))
            .group_by(Balance.location_id)
            .order_by(func.count().desc(), Balance.location_id)
            .limit(1)
        ).scalar_one()
        item_id = db.session.execute(
            select(Balance.item_id)
            .where(Balance.quantity > 0, Balance.location_id.in_(physical))
            .group_by(Balance.item_id)
            .order_by(func.count().desc(), Balance.item_id)
            .limit(1)
        ).scalar_one()
        card_location, card_item = db.session.execute(
            select(Movement.to_location_id, Movement.item_id)
            .where(Movement.to_location_id.in_(physical))
            .group_by(Movement.to_location_id, Movement.item_id)
            .order_by(func.count().desc(), Movement.to_location_id, Movement.item_id)
            .limit(1)
        ).one()
    return {
        "location": location_id,
        "item": item_id,
        "card_location": card_location,
        "card_item": card_item,
    }


def prepare(app: Flask, targets: dict[str, int]) -> dict[str, int]:
    """Count the card's lines at this size and (re)create the benchmark user."""
    with app.app_context():
        lines = db.session.scalar(
            select(func.count())
            .select_from(Movement)
            .where(
                Movement.item_id == targets["card_item"],
                or_(
                    Movement.to_location_id == targets["card_location"],
                    Movement.from_location_id == targets["card_location"],
                ),
            )
        )
        per_page = int(app.config.get("PER_PAGE", 50))
        # Chosen at each size (shipment ids differ between histories): the newest shipment
        # with SHIPMENT_LINES lines, so the page shows as much at every size.
        shipment_id = db.session.scalar(
            select(ShipmentLine.shipment_id)
            .group_by(ShipmentLine.shipment_id)
            .having(func.count() == SHIPMENT_LINES)
            .order_by(ShipmentLine.shipment_id.desc())
            .limit(1)
        )
        # The technician's place, chosen at each size so that both show about as much (as
        # bench/distributions.py picks comparable subjects): the place with about
        # TECH_AWAITING shipments awaiting receipt and, among those, about TECH_ROWS items on
        # hand. The place with the most awaiting grows with the history and so did its page.
        awaiting_location, awaiting, tech_rows = comparable_technician_place()
        bench_users(
            PASSWORD,
            ("bench", Role.LOGISTICS, None),
            ("bench-tech", Role.TECHNICIAN, awaiting_location),
            ("bench-viewer", Role.VIEWER, None),
        )
        _reorder_levels(awaiting_location)
        shipments = db.session.scalar(select(func.count()).select_from(Shipment))
        db.session.commit()
    return {
        **targets,
        "card_lines": lines,
        "last_page": max(1, math.ceil(lines / per_page)),
        "shipment": shipment_id or 0,
        "shipments": shipments,
        "awaiting": awaiting,
        "awaiting_location": awaiting_location,
        "tech_rows": tech_rows,
    }


# What the technician's place holds at every size (see comparable_technician_place).
TECH_AWAITING = 1
TECH_ROWS = 350


def comparable_technician_place() -> tuple[int, int, int]:
    """(place, shipments awaiting receipt there, items on hand there) closest to the targets."""
    awaiting = (
        select(func.count())
        .where(Shipment.destination_id == Location.id, Shipment.status.in_(AWAITING))
        .scalar_subquery()
        .label("awaiting")
    )
    rows = (
        select(func.count())
        .where(ItemBalance.location_id == Location.id, ItemBalance.on_hand > 0)
        .scalar_subquery()
        .label("rows")
    )
    place = select(Location.id, awaiting, rows).where(Location.kind.in_(PHYSICAL_KINDS)).subquery()
    found = db.session.execute(
        select(place)
        .order_by(
            func.abs(place.c.awaiting - TECH_AWAITING),
            func.abs(place.c.rows - TECH_ROWS),
            place.c.id,
        )
        .limit(1)
    ).one()
    return int(found[0]), int(found[1]), int(found[2])


# Reorder levels the seeding does not set: this many items at the busiest places, half of them
# below their minimum, so the home pages' "below minimum" lists have rows at every size.
LEVELS = 400


def _reorder_levels(technician_place: int) -> None:
    """Set LEVELS reorder levels (once): the first item rows of the technician's place, then
    of the places with the most items; every other one below its minimum."""
    if db.session.scalar(select(func.count()).select_from(ReorderLevel)):
        # Levels exist; the technician's place (chosen at each size) gets its own if it has none.
        here = select(func.count()).where(ReorderLevel.location_id == technician_place)
        if db.session.scalar(here):
            return
        rows = db.session.execute(
            select(ItemBalance.location_id, ItemBalance.item_id, ItemBalance.on_hand)
            .where(ItemBalance.location_id == technician_place)
            .order_by(ItemBalance.id)
            .limit(TECH_LEVELS)
        ).all()
        _add_levels(rows)
        return
    physical = select(Location.id).where(Location.kind.in_(PHYSICAL_KINDS))
    rows = db.session.execute(
        select(ItemBalance.location_id, ItemBalance.item_id, ItemBalance.on_hand)
        .where(ItemBalance.location_id.in_(physical))
        .order_by(ItemBalance.location_id != technician_place, ItemBalance.id)
        .limit(LEVELS)
    ).all()
    _add_levels(rows)


# Levels given to a technician's place that had none when it was chosen.
TECH_LEVELS = 40


def _add_levels(rows: Any) -> None:
    for n, (location_id, item_id, on_hand) in enumerate(rows):
        minimum = on_hand + 1 if n % 2 == 0 else max(on_hand - 1, 0)
        db.session.add(ReorderLevel(location_id=location_id, item_id=item_id, minimum=minimum))
    db.session.flush()


def page_urls(targets: dict[str, int]) -> dict[str, str]:
    card = f"/stock/locations/{targets['card_location']}/items/{targets['card_item']}"
    return {
        "on-hand": f"/stock/locations/{targets['location']}",
        "item": f"/stock/items/{targets['item']}",
        "card p.1": f"{card}?page=1",
        "card last": f"{card}?page={targets['last_page']}",
        "shipments": "/shipments",
        "shipment": f"/shipments/{targets['shipment']}",
        "awaiting": "/",
        "home log.": "/",
        "home view.": "/",
    }


def signed_in(app: Flask, username: str) -> Any:
    """A test client signed in through POST /login."""
    client = app.test_client()
    login = client.post("/login", data={"username": username, "password": PASSWORD})
    if login.status_code != 302:
        raise SystemExit(f"login failed for {username}: HTTP {login.status_code}")
    return client


@dataclass
class Site:
    """One size's app, its pages' addresses and signed-in clients, and a statement counter."""

    app: Flask
    urls: dict[str, str]
    clients: dict[str, Any]
    counter: dict[str, int]


def open_site(app: Flask, urls: dict[str, str]) -> Site:
    clients = {
        "logistics": signed_in(app, "bench"),
        "technician": signed_in(app, "bench-tech"),
        "viewer": signed_in(app, "bench-viewer"),
    }
    counter = {"n": 0}

    def count(*_args: object) -> None:
        counter["n"] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    return Site(app, urls, clients, counter)


def measure(sites: dict[int, Site], repeat: int) -> dict[int, dict[str, Result]]:
    """Each page at every size, the sizes interleaved request by request.

    The machine is shared: interleaving puts the sizes under the same load, so their ratio
    holds even when the load drifts during the run (one size after the other, it did not).
    """
    results: dict[int, dict[str, Result]] = {size: {} for size in sites}
    for name, endpoint, _target in PAGES:
        timings: dict[int, list[float]] = {}
        for size, site in sites.items():
            if endpoint not in site.app.view_functions:
                results[size][name] = Result(note="page not available yet")
                continue
            client = site.clients[PAGE_ROLES.get(name, "logistics")]
            for _ in range(2):  # warm-up: compiled statements, template cache, OS page cache
                response = client.get(site.urls[name])
            if response.status_code != 200:
                results[size][name] = Result(
                    status=response.status_code, note=f"HTTP {response.status_code}"
                )
                continue
            timings[size] = []
        for _ in range(repeat):
            for size in timings:
                site = sites[size]
                client = site.clients[PAGE_ROLES.get(name, "logistics")]
                site.counter["n"] = 0
                started = time.perf_counter()
                client.get(site.urls[name])
                timings[size].append((time.perf_counter() - started) * 1000)
        for size, values in timings.items():
            results[size][name] = Result(
                status=200, median_ms=statistics.median(values), queries=sites[size].counter["n"]
            )
    return results


def run_size(
    size: int, args: argparse.Namespace, stack: ExitStack, targets: dict[str, int] | None
) -> tuple[Site, dict[str, int]]:
    app = sized_app(size, args.out, stack, "stock")
    build_database(app, size, args.items, args.locations)
    # The same place, item and card at every size (the seeding is deterministic, so ids match):
    # chosen on the largest history, where they are busiest.
    targets = prepare(app, targets or busy_targets(app))
    print(
        f"  location {targets['location']}, item {targets['item']}, card "
        f"{targets['card_location']}/{targets['card_item']} ({targets['card_lines']} lines, "
        f"{targets['last_page']} pages); {targets['shipments']} shipments, shipment "
        f"{targets['shipment']}, {targets['awaiting']} awaiting at "
        f"{targets['awaiting_location']} (the technician's place, {targets['tech_rows']} items "
        "on hand)",
        flush=True,
    )
    return open_site(app, page_urls(targets)), targets


def report(sizes: list[int], results: dict[int, dict[str, Result]]) -> int:
    print()
    header = f"{'page':<10}" + "".join(f"{size:>14,} mvts" for size in sizes)
    print(header.replace(",", " "))
    for name, _endpoint, _target in PAGES:
        cells = []
        for size in sizes:
            result = results[size][name]
            if result.median_ms is None:
                cells.append(f"{result.note:>19}"[-19:])
            else:
                cells.append(f"{result.median_ms:>9.1f} ms {result.queries:>3} q")
        print(f"{name:<10}" + "".join(f"{cell:>19}" for cell in cells))
    failed = 0
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print(f"\nratio {large}/{small} (target <= {TARGET_RATIO} where marked):")
        for name, _endpoint, target in PAGES:
            a, b = results[small][name].median_ms, results[large][name].median_ms
            if a is None or b is None:
                print(
                    f"  {name:<10} n/a ({results[large][name].note or results[small][name].note})"
                )
                continue
            ratio = b / a
            verdict = ""
            if target:
                verdict = "ok" if ratio <= TARGET_RATIO else "ABOVE TARGET"
                failed += ratio > TARGET_RATIO
            print(f"  {name:<10} {ratio:5.2f} {verdict}")
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20000,1000000", help="movement counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--locations", type=int, default=120)
    parser.add_argument("--out", help="keep (and reuse) the databases in this folder")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    sites: dict[int, Site] = {}
    targets = None
    with ExitStack() as stack:
        for size in sorted(sizes, reverse=True):
            sites[size], targets = run_size(size, args, stack, targets)
        results = measure(sites, args.repeat)
        for site in sites.values():
            with site.app.app_context():
                db.engine.dispose()
    failed = report(sizes, results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
