"""Form weight against catalogue size: the receipt and adjustment forms, and the item lookup.

    python bench/forms.py [--items 100,10000] [--repeat 15]

For each catalogue size: a fresh SQLite database in a temporary folder, migrated with Alembic,
filled by the seed-scale code (that many active items, a few places, a short history), a
logistics user signed in through POST /login (Flask test client, CSRF off). Then each page is
requested twice to warm up and ``--repeat`` times, the sizes taking turns request by
request (the machine is shared: load then slows every size alike); the script prints each
page's size in bytes (as sent and gzipped), its median time in milliseconds and the SQL
statements of one request.

Target (issue 8): a form's size and render time do not grow with the catalogue
(large/small <= 1.3); the lookup answers in a few milliseconds at 10 000 items.
"""

import argparse
import gzip
import secrets
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from bench.common import bench_users, config  # noqa: E402
from hilogistics import create_app  # noqa: E402
from hilogistics.auth.models import Role  # noqa: E402
from hilogistics.catalogue.models import Item  # noqa: E402
from hilogistics.db import db  # noqa: E402
from hilogistics.locations.models import Location, LocationKind  # noqa: E402
from hilogistics.stock import bulk  # noqa: E402

TARGET_RATIO = 1.3
PASSWORD = secrets.token_urlsafe(16)
FORMS = ("receipt form", "adjust form", "adjust step 2")


@dataclass
class Result:
    status: int
    size: int = 0
    gzipped: int = 0
    median_ms: float = 0.0
    queries: int = 0


def build(app: Flask, items: int) -> dict[str, str]:
    """Migrate, seed ``items`` active items, create the user; the URLs to measure."""
    with app.app_context():
        flask_migrate.upgrade()
        bulk.seed_scale(items=items, locations=10, movements=200)
        bench_users(PASSWORD, ("bench", Role.LOGISTICS, None))
        db.session.commit()
        warehouse = db.session.scalar(
            select(Location.id).where(Location.kind == LocationKind.WAREHOUSE).limit(1)
        )
        first = db.session.scalar(select(Item.code).order_by(Item.id).limit(1))
        db.engine.dispose()
    prefix = first.split("-")[0]  # "ORT": a prefix shared by many items
    return {
        "receipt form": "/stock/receipts/new",
        "adjust form": "/stock/adjust",
        "adjust step 2": f"/stock/adjust?location_id={warehouse}&item={first}",
        "lookup prefix": f"/catalogue/lookup?q={prefix}",
        "lookup exact": f"/catalogue/lookup?q={first}",
        "lookup name": "/catalogue/lookup?q=foot",
    }


def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    login = client.post("/login", data={"username": "bench", "password": PASSWORD})
    if login.status_code != 302:
        raise SystemExit(f"login failed: HTTP {login.status_code}")
    return client


def measure(apps: dict[int, tuple[Flask, dict[str, str]]], repeat: int) -> dict[int, dict]:
    """Every page of every size, the sizes interleaved request by request.

    The machine is shared: a burst of someone else's work then slows both sizes alike,
    instead of whichever size happened to be measured at the time.
    """
    counter = {"n": 0}

    def count(*_args: object) -> None:
        counter["n"] += 1

    clients = {}
    for size, (app, _urls) in apps.items():
        clients[size] = signed_in(app)
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", count)
    results: dict[int, dict[str, Result]] = {size: {} for size in apps}
    names = list(next(iter(apps.values()))[1])
    for name in names:
        timings: dict[int, list[float]] = {size: [] for size in apps}
        queries: dict[int, int] = {}
        bodies: dict[int, bytes] = {}
        for size, (_app, urls) in apps.items():
            for _ in range(2):  # warm-up: compiled statements, template cache, OS page cache
                response = clients[size].get(urls[name])
            bodies[size] = response.get_data()
            if response.status_code != 200:
                results[size][name] = Result(status=response.status_code)
        for _ in range(repeat):
            for size, (_app, urls) in apps.items():
                counter["n"] = 0
                started = time.perf_counter()
                clients[size].get(urls[name])
                timings[size].append((time.perf_counter() - started) * 1000)
                queries[size] = counter["n"]
        for size in apps:
            if name in results[size]:
                continue
            body = bodies[size]
            results[size][name] = Result(
                status=200,
                size=len(body),
                gzipped=len(gzip.compress(body, compresslevel=6)),
                median_ms=statistics.median(timings[size]),
                queries=queries[size],
            )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", default="100,10000", help="catalogue sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    sizes = [int(s) for s in args.items.split(",")]
    with ExitStack() as stack:
        apps = {}
        for size in sizes:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="hilo-forms-"))
            instance = Path(folder) / "instance"
            instance.mkdir()
            app = create_app(config(f"sqlite:///{folder}/forms.sqlite", instance))
            started = time.perf_counter()
            apps[size] = (app, build(app, size))
            print(f"{size} items seeded in {time.perf_counter() - started:.1f} s", flush=True)
        results = measure(apps, args.repeat)
        for app, _urls in apps.values():
            with app.app_context():
                db.engine.dispose()
    names = list(results[sizes[0]])
    print()
    print(f"{'page':<14}" + "".join(f"{size:>32} items" for size in sizes))
    for name in names:
        cells = []
        for size in sizes:
            r = results[size][name]
            if r.status != 200:
                cells.append(f"{'HTTP ' + str(r.status):>38}")
            else:
                cells.append(
                    f"{r.size:>9} B {r.gzipped:>7} B gz {r.median_ms:>7.1f} ms {r.queries:>2} q"
                )
        print(f"{name:<14}" + "".join(cells))
    failed = 0
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print(f"\nratio {large}/{small} items (target <= {TARGET_RATIO} for the forms):")
        for name in names:
            a, b = results[small][name], results[large][name]
            if a.status != 200 or b.status != 200:
                print(f"  {name:<14} n/a")
                continue
            size_ratio, time_ratio = b.size / a.size, b.median_ms / a.median_ms
            verdict = ""
            if name in FORMS:
                bad = max(size_ratio, time_ratio) > TARGET_RATIO
                failed += bad
                verdict = "ABOVE TARGET" if bad else "ok"
            print(f"  {name:<14} size {size_ratio:6.2f}  time {time_ratio:6.2f}  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
