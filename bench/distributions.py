"""What distributions cost: 200 slips in one PDF, and their pages at growing histories.

    .venv/bin/python bench/distributions.py [--sizes 20000,1000000] [--repeat 15] [--out DIR]

Each size is a fresh SQLite database filled by the seed-scale code (as ``bench/stock.py``;
``--out`` keeps and reuses them). On the largest history, 200 slips are drawn as one PDF as
the "print a day" button does (time and size; the issue asks well under 10 s). Then, the sizes
interleaved request by request, the recall page of a lot, the slips not returned and the
monthly summary of a place are requested ``--repeat`` times after a warm-up; the median and
the SQL statements of one request are printed, and the large/small ratio (target <= 1.3).
The lot, the place and the month are the same at every size (the seeding is deterministic),
chosen on the largest history where they are busiest.
"""

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from bench.stock import PASSWORD, Result, build_database, config, open_site  # noqa: E402
from hilogistics import create_app  # noqa: E402
from hilogistics.actors import SYSTEM  # noqa: E402
from hilogistics.auth import services as auth_services  # noqa: E402
from hilogistics.auth.models import Role, User  # noqa: E402
from hilogistics.db import db  # noqa: E402
from hilogistics.distributions.models import (  # noqa: E402
    Distribution,
    DistributionLine,
    DistributionStatus,
)
from hilogistics.documents.distributions import slips_pdf  # noqa: E402
from hilogistics.documents.layout import Printing  # noqa: E402

PAGES = ["recall", "unreturned", "summary"]
SLIPS = 200
TARGET_RATIO = 1.3
TARGET_PDF_SECONDS = 10.0


def targets_of(app) -> dict[str, object]:  # noqa: ANN001
    """The lot distributed most often, and the place and month with the most slips."""
    with app.app_context():
        lot_id = db.session.execute(
            select(DistributionLine.lot_id)
            .group_by(DistributionLine.lot_id)
            .order_by(func.count().desc(), DistributionLine.lot_id)
            .limit(1)
        ).scalar_one()
        newest = db.session.scalar(select(func.max(Distribution.distributed_on)))
        month = newest.replace(day=1)
        location_id = db.session.execute(
            select(Distribution.location_id)
            .where(Distribution.distributed_on >= month)
            .group_by(Distribution.location_id)
            .order_by(func.count().desc(), Distribution.location_id)
            .limit(1)
        ).scalar_one()
    return {"lot": lot_id, "location": location_id, "month": month.strftime("%Y-%m")}


def prepare(app, targets: dict[str, object]) -> dict[str, int]:  # noqa: ANN001
    """(Re)create the benchmark users; count what the pages show at this size."""
    with app.app_context():
        db.session.execute(db.delete(User).where(User.username.in_(["bench", "bench-tech"])))
        for username, role, location in (
            ("bench", Role.LOGISTICS, None),
            ("bench-tech", Role.TECHNICIAN, targets["location"]),
        ):
            auth_services.create_user(
                actor=SYSTEM,
                username=username,
                display_name=username,
                role=role,
                password=PASSWORD,
                location_id=location,
            )
        counts = {
            "slips": db.session.scalar(select(func.count()).select_from(Distribution)),
            "lot lines": db.session.scalar(
                select(func.count()).where(DistributionLine.lot_id == targets["lot"])
            ),
            "unreturned": db.session.scalar(
                select(func.count()).where(Distribution.status == DistributionStatus.ISSUED)
            ),
            "month's slips": db.session.scalar(
                select(func.count()).where(
                    Distribution.location_id == targets["location"],
                    func.strftime("%Y-%m", Distribution.distributed_on) == targets["month"],
                )
            ),
        }
        db.session.commit()
    return counts


def page_urls(targets: dict[str, object]) -> dict[str, str]:
    return {
        "recall": f"/distributions/lots/{targets['lot']}",
        "unreturned": "/distributions/unreturned",
        "summary": (
            f"/distributions/summary?month={targets['month']}&location={targets['location']}"
        ),
    }


def bench_slips(app) -> tuple[float, float, int, int]:  # noqa: ANN001
    """Wall and CPU seconds and bytes of SLIPS slips in one PDF, and their lines.

    The CPU seconds are what the drawing costs; on a busy 2-core machine the wall clock is
    mostly the wait for a core.
    """
    with app.app_context():
        distributions = list(
            db.session.scalars(
                select(Distribution)
                .options(
                    selectinload(Distribution.all_lines),
                    selectinload(Distribution.location),
                )
                .order_by(Distribution.id.desc())
                .limit(SLIPS)
            )
        )
        lines = sum(len(d.lines) for d in distributions)
        printing = Printing(
            organisation="Handicap International",
            partner="조선장애자보호련맹",
            printed_by="Benchmark",
            printed_at=datetime.now(),
            locale="en",
        )
        started, cpu = time.perf_counter(), time.process_time()
        body = slips_pdf([(d, 1) for d in distributions], printing=printing)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return seconds, cpu, len(body), lines


def measure(sites: dict[int, object], repeat: int) -> dict[int, dict[str, Result]]:
    """Each page at every size, the sizes interleaved request by request (as bench/stock.py)."""
    results: dict[int, dict[str, Result]] = {size: {} for size in sites}
    for name in PAGES:
        timings: dict[int, list[float]] = {}
        for size, site in sites.items():
            client = site.clients["technician" if name == "summary" else "logistics"]
            for _ in range(2):
                response = client.get(site.urls[name])
            if response.status_code != 200:
                results[size][name] = Result(status=response.status_code, note="HTTP error")
                continue
            timings[size] = []
        for _ in range(repeat):
            for size in timings:
                site = sites[size]
                client = site.clients["technician" if name == "summary" else "logistics"]
                site.counter["n"] = 0
                started = time.perf_counter()
                client.get(site.urls[name])
                timings[size].append((time.perf_counter() - started) * 1000)
        for size, values in timings.items():
            results[size][name] = Result(
                status=200, median_ms=statistics.median(values), queries=sites[size].counter["n"]
            )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20000,1000000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--locations", type=int, default=120)
    parser.add_argument("--out", help="keep (and reuse) the databases in this folder")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    sites = {}
    targets = None
    failed = 0
    with ExitStack() as stack:
        for size in sorted(sizes, reverse=True):
            if args.out:
                folder = Path(args.out).resolve()
                folder.mkdir(parents=True, exist_ok=True)
                database = folder / f"distributions-bench-{size}.sqlite"
            else:
                folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hilo-")))
                database = folder / "bench.sqlite"
            instance = folder / f"instance-{size}"
            instance.mkdir(exist_ok=True)
            app = create_app(config(f"sqlite:///{database}", instance))
            print(f"size {size}: {database}", flush=True)
            build_database(app, size, args.items, args.locations)
            if targets is None:
                targets = targets_of(app)
                seconds, cpu, size_bytes, lines = bench_slips(app)
                verdict = "ok" if cpu < TARGET_PDF_SECONDS else "ABOVE TARGET"
                failed += cpu >= TARGET_PDF_SECONDS
                print(
                    f"  {SLIPS} slips ({lines} lines) in one PDF: {seconds:.2f} s wall, "
                    f"{cpu:.2f} s CPU, {size_bytes / 1024:.0f} KiB ({verdict}, by CPU time)",
                    flush=True,
                )
            counts = prepare(app, targets)
            print(f"  targets {targets}; {counts}", flush=True)
            sites[size] = open_site(app, page_urls(targets))
        results = measure(sites, args.repeat)
        for site in sites.values():
            with site.app.app_context():
                db.engine.dispose()
    print()
    print(f"{'page':<12}" + "".join(f"{size:>16,} mvts" for size in sizes))
    for name in PAGES:
        cells = []
        for size in sizes:
            result = results[size][name]
            if result.median_ms is None:
                cells.append(f"{result.note:>21}")
            else:
                cells.append(f"{result.median_ms:>11.1f} ms {result.queries:>3} q")
        print(f"{name:<12}" + "".join(f"{cell:>21}" for cell in cells))
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print(f"\nratio {large}/{small} (target <= {TARGET_RATIO}):")
        for name in PAGES:
            a, b = results[small][name].median_ms, results[large][name].median_ms
            if a is None or b is None:
                print(f"  {name:<12} n/a")
                continue
            ratio = b / a
            failed += ratio > TARGET_RATIO
            print(f"  {name:<12} {ratio:5.2f} {'ok' if ratio <= TARGET_RATIO else 'ABOVE TARGET'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
