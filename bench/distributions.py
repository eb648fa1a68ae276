"""What distributions cost: 200 slips in one PDF, and their pages at growing histories.

    .venv/bin/python bench/distributions.py [--sizes 20000,1000000] [--repeat 15] [--out DIR]
        [--lot-lines 150] [--month-slips 6]

Each size is a fresh SQLite database filled by the seed-scale code (as ``bench/stock.py``;
``--out`` keeps and reuses them). On the largest history, 200 slips are drawn as one PDF as
the "print a day" button does (time and size; the issue asks well under 10 s). Then, the sizes
interleaved request by request, each page is requested ``--repeat`` times after a warm-up; the
median and the SQL statements of one request are printed, and the large/small ratio (target
<= 1.3).

Issue 10's "flat" means that a page costs the same whatever the length of the ledger, for the
same amount shown. seed-scale packs a fixed three-year history, so a longer ledger is a denser
one: its busiest lot and month show many times more. The target rows therefore pick, at each
size, comparable subjects: the lot whose current slip lines are closest to ``--lot-lines``
and the (place, month) whose slips are closest to ``--month-slips`` (newest month on a tie);
the counts are printed. The "busiest" rows keep the old measurement (the lot handed out most
and the busiest place's last month on the largest history, the same at every size): they grow
with what they show and are printed for information, not held to the target.
"""

import argparse
import statistics
import sys
import time
from contextlib import ExitStack
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import and_, func, select  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from bench.common import bench_users, sized_app  # noqa: E402
from bench.stock import (  # noqa: E402
    PASSWORD,
    Result,
    build_database,
    open_site,
    signed_in,
)
from hilogistics.actors import SYSTEM  # noqa: E402
from hilogistics.auth.models import Role  # noqa: E402
from hilogistics.db import db  # noqa: E402
from hilogistics.distributions.models import (  # noqa: E402
    Distribution,
    DistributionLine,
    DistributionStatus,
)
from hilogistics.distributions.summary import item_rows_query  # noqa: E402
from hilogistics.documents.distributions import slips_pdf  # noqa: E402
from hilogistics.documents.layout import Printing  # noqa: E402

# (key, label, role of the client, held to the target ratio)
PAGES = [
    ("recall", "recall, comparable lot", "logistics", True),
    ("recall-busiest", "recall, busiest lot", "logistics", False),
    ("unreturned", "slips not returned", "logistics", True),
    ("summary", "summary, comparable month", "technician", True),
    ("summary-busiest", "summary, busiest month", "technician-busiest", False),
]
SLIPS = 200
TARGET_RATIO = 1.3
TARGET_PDF_SECONDS = 10.0
MONTH = func.strftime("%Y-%m", Distribution.distributed_on)
CURRENT_LINES = and_(
    DistributionLine.distribution_id == Distribution.id,
    DistributionLine.revision == Distribution.revision,
)


def busiest_targets(app) -> dict[str, object]:  # noqa: ANN001
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


def comparable_targets(app, lot_lines: int, month_slips: int) -> dict[str, object]:  # noqa: ANN001
    """The lot with about ``lot_lines`` current lines; the place and month with ``month_slips``.

    Chosen at each size, so that both sizes' pages show about as much.
    """
    with app.app_context():
        count = func.count()
        lot_id = db.session.execute(
            select(DistributionLine.lot_id)
            .join(Distribution, CURRENT_LINES)
            .group_by(DistributionLine.lot_id)
            .order_by(func.abs(count - lot_lines), DistributionLine.lot_id)
            .limit(1)
        ).scalar_one()
        location_id, month = db.session.execute(
            select(Distribution.location_id, MONTH)
            .group_by(Distribution.location_id, MONTH)
            .order_by(func.abs(count - month_slips), MONTH.desc(), Distribution.location_id)
            .limit(1)
        ).one()
    return {"lot": lot_id, "location": location_id, "month": month}


def prepare(app, comparable: dict, busiest: dict) -> dict[str, int]:  # noqa: ANN001
    """(Re)create the benchmark users; count what the pages show at this size."""
    with app.app_context():
        bench_users(
            PASSWORD,
            ("bench", Role.LOGISTICS, None),
            ("bench-tech", Role.TECHNICIAN, comparable["location"]),
            ("bench-tech-busiest", Role.TECHNICIAN, busiest["location"]),
            ("bench-viewer", Role.VIEWER, None),  # open_site() signs it in too
        )

        def lot_lines(lot_id: object) -> int:
            return db.session.scalar(
                select(func.count())
                .select_from(DistributionLine)
                .join(Distribution, CURRENT_LINES)
                .where(DistributionLine.lot_id == lot_id)
            )

        def month_slips(targets: dict) -> int:
            return db.session.scalar(
                select(func.count()).where(
                    Distribution.location_id == targets["location"], MONTH == targets["month"]
                )
            )

        def month_rows(targets: dict) -> int:
            # the summary's item rows, from its own query (the page draws PER_PAGE of them)
            month = date.fromisoformat(f"{targets['month']}-01")
            statement = item_rows_query(SYSTEM, month=month, location_id=targets["location"])
            return len(db.session.execute(statement).all())

        counts = {
            "slips": db.session.scalar(select(func.count()).select_from(Distribution)),
            "recall": lot_lines(comparable["lot"]),
            "recall-busiest": lot_lines(busiest["lot"]),
            "unreturned": db.session.scalar(
                select(func.count()).where(Distribution.status == DistributionStatus.ISSUED)
            ),
            "summary": month_slips(comparable),
            "summary rows": month_rows(comparable),
            "summary-busiest": month_slips(busiest),
            "summary-busiest rows": month_rows(busiest),
        }
        db.session.commit()
    return counts


def page_urls(comparable: dict, busiest: dict) -> dict[str, str]:
    """The address of each page of PAGES at one size."""

    def summary(targets: dict) -> str:
        return f"/distributions/summary?month={targets['month']}&location={targets['location']}"

    return {
        "recall": f"/distributions/lots/{comparable['lot']}",
        "recall-busiest": f"/distributions/lots/{busiest['lot']}",
        "unreturned": "/distributions/unreturned",
        "summary": summary(comparable),
        "summary-busiest": summary(busiest),
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
    """Each page at every size, the sizes interleaved request by request (as bench/stock.py).

    The machine is shared: interleaving puts the sizes under the same load, so their ratio
    holds even when the load drifts during the run.
    """
    results: dict[int, dict[str, Result]] = {size: {} for size in sites}
    for name, _label, role, _held in PAGES:
        timings: dict[int, list[float]] = {}
        for size, site in sites.items():
            for _ in range(2):  # warm-up: compiled statements, template cache, OS page cache
                response = site.clients[role].get(site.urls[name])
            if response.status_code != 200:
                results[size][name] = Result(
                    status=response.status_code, note=f"HTTP {response.status_code}"
                )
                continue
            timings[size] = []
        for _ in range(repeat):
            for size in timings:
                site = sites[size]
                site.counter["n"] = 0
                started = time.perf_counter()
                site.clients[role].get(site.urls[name])
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
    parser.add_argument(
        "--lot-lines", type=int, default=150, help="slip lines of the comparable lot"
    )
    parser.add_argument(
        "--month-slips", type=int, default=6, help="slips of the comparable place and month"
    )
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    sites = {}
    counts: dict[int, dict[str, int]] = {}
    busiest = None
    failed = 0
    with ExitStack() as stack:
        for size in sorted(sizes, reverse=True):
            app = sized_app(size, args.out, stack, "distributions")
            build_database(app, size, args.items, args.locations)
            if busiest is None:
                busiest = busiest_targets(app)
                seconds, cpu, size_bytes, lines = bench_slips(app)
                verdict = "ok" if cpu < TARGET_PDF_SECONDS else "ABOVE TARGET"
                failed += cpu >= TARGET_PDF_SECONDS
                print(
                    f"  {SLIPS} slips ({lines} lines) in one PDF: {seconds:.2f} s wall, "
                    f"{cpu:.2f} s CPU, {size_bytes / 1024:.0f} KiB ({verdict}, by CPU time)",
                    flush=True,
                )
            comparable = comparable_targets(app, args.lot_lines, args.month_slips)
            counts[size] = prepare(app, comparable, busiest)
            print(f"  comparable {comparable}; busiest {busiest}", flush=True)
            print(f"  shown: {counts[size]}", flush=True)
            sites[size] = open_site(app, page_urls(comparable, busiest))
            sites[size].clients["technician-busiest"] = signed_in(app, "bench-tech-busiest")
        results = measure(sites, args.repeat)
        for site in sites.values():
            with site.app.app_context():
                db.engine.dispose()
    print()
    print(f"{'page':<27}" + "".join(f"{size:>21,} mvts" for size in sizes))
    for name, label, _role, _held in PAGES:
        cells = []
        for size in sizes:
            result = results[size][name]
            shown = f"[{counts[size][name]}]"
            if result.median_ms is None:
                cells.append(f"{result.note:>26}")
            else:
                cells.append(f"{shown:>7} {result.median_ms:>7.1f} ms {result.queries:>3} q")
        print(f"{label:<27}" + "".join(f"{cell:>26}" for cell in cells))
    print("[n]: lines of the lot, slips not returned, slips of the place and month")
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print(f"\nratio {large}/{small} (target <= {TARGET_RATIO}, busiest rows for information):")
        for name, label, _role, held in PAGES:
            a, b = results[small][name].median_ms, results[large][name].median_ms
            if a is None or b is None:
                print(f"  {label:<27} n/a")
                continue
            ratio = b / a
            if not held:
                verdict = "(information: shows more at the larger size)"
            elif ratio <= TARGET_RATIO:
                verdict = "ok"
            else:
                verdict = "ABOVE TARGET"
                failed += 1
            print(f"  {label:<27} {ratio:5.2f} {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
