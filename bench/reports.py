"""Time the report pages against synthetic histories of 20 000 and 1 000 000 movements.

    python bench/reports.py [--sizes 20000,1000000] [--repeat 7] [--out /tmp/reports-bench]

Same set-up as bench/stock.py (seed-scale history, SQLite, Flask test client, a logistics user
and a technician signed in, sizes interleaved request by request); each report page is asked
with the filters a reader would use, and the median time and the large/small ratio printed.
Targets (issue 12): under a second at 1 000 000 movements, ratio at most 1.5. Beside each
ratio, the rows of the whole answer at each size ("Rows 1–100 of N"; every page's totals and
chart cover them all) and their ratio: a report whose answer grows with the ledger is judged
against that growth too.
"""

import argparse
import re
import statistics
import sys
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import stock as stock_bench  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.common import config  # noqa: E402
from hilogistics import create_app  # noqa: E402
from hilogistics.dates import business_today  # noqa: E402
from hilogistics.db import db  # noqa: E402
from hilogistics.stock.models import Grant  # noqa: E402

TARGET_MS, TARGET_RATIO = 1000.0, 1.5
ROW_RANGE = re.compile(r'<p class="row-range">Rows \d+–\d+ of (\d+)</p>')


def answer_rows(html: str) -> int:
    """How many rows the whole answer has, as the page says (0 when it shows none)."""
    found = ROW_RANGE.search(html)
    return int(found.group(1)) if found else 0


def report_urls(app: object) -> dict[str, tuple[str, str]]:
    """name → (who, URL) of each report as measured."""
    today = business_today()
    with app.app_context():  # type: ignore[attr-defined]
        grant = db.session.execute(
            select(Grant.id, Grant.starts_on).order_by(Grant.starts_on.desc()).limit(1)
        ).one()
    month_ago = (today - timedelta(days=30)).isoformat()
    quarter = (today - timedelta(days=90)).isoformat()
    days_75 = (today - timedelta(days=75)).isoformat()
    return {
        "stock today": ("logistics", "/reports/stock"),
        "stock as-of 30d": ("logistics", f"/reports/stock?as_of={month_ago}"),
        "stock tech": ("technician", "/reports/stock"),
        "distrib 90d": ("logistics", f"/reports/distributions?date_from={quarter}&group=place"),
        "distrib item 75d": (
            "logistics",
            f"/reports/distributions?date_from={days_75}&group=item",
        ),
        "distrib tech": ("technician", f"/reports/distributions?date_from={quarter}"),
        "expiry": ("logistics", "/reports/expiry"),
        "grant": ("logistics", f"/reports/grant?grant={grant.id}"),
        "stock-outs 90d": ("logistics", "/reports/stockouts"),
        "stock-outs tech": ("technician", "/reports/stockouts"),
        "months all": ("logistics", "/reports/months"),
        "months needed": ("logistics", "/reports/months?needed=y"),
        "months tech": ("technician", "/reports/months"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20000,1000000")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--locations", type=int, default=120)
    parser.add_argument("--out", default="/tmp/reports-bench")
    parser.add_argument("--only", default="", help="comma-separated report names to measure")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    folder = Path(args.out).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    sites, urls = {}, {}
    targets = None
    with ExitStack():
        for size in sorted(sizes, reverse=True):
            instance = folder / f"instance-{size}"
            instance.mkdir(exist_ok=True)
            database = folder / f"reports-bench-{size}.sqlite"
            app = create_app(config(f"sqlite:///{database}", instance))
            print(f"size {size}: {database}", flush=True)
            stock_bench.build_database(app, size, args.items, args.locations)
            targets = stock_bench.prepare(app, targets or stock_bench.busy_targets(app))
            clients = {
                "logistics": stock_bench.signed_in(app, "bench"),
                "technician": stock_bench.signed_in(app, "bench-tech"),
            }
            sites[size] = clients
            urls[size] = report_urls(app)
        names = list(urls[sizes[0]])
        if args.only:
            names = [name for name in names if name in args.only.split(",")]
        medians: dict[str, dict[int, float]] = {}
        answers: dict[str, dict[int, int]] = {}
        for name in names:
            timings: dict[int, list[float]] = {size: [] for size in sizes}
            answers[name] = {}
            for size in sizes:
                who, url = urls[size][name]
                for _ in range(2):  # warm-up
                    response = sites[size][who].get(url)
                    if response.status_code != 200:
                        raise SystemExit(f"{name} at {size}: HTTP {response.status_code}")
                answers[name][size] = answer_rows(response.get_data(as_text=True))
            for _ in range(args.repeat):
                for size in sizes:
                    who, url = urls[size][name]
                    started = time.perf_counter()
                    sites[size][who].get(url)
                    timings[size].append((time.perf_counter() - started) * 1000)
            medians[name] = {size: statistics.median(t) for size, t in timings.items()}
    print()
    print(
        f"{'report':<16}"
        + "".join(f"{size:>16,} mvts" for size in sizes)
        + "   ratio   answer rows (ratio)"
    )
    failed = 0
    for name in names:
        cells = "".join(f"{medians[name][size]:>18.1f} ms" for size in sizes)
        ratio = medians[name][sizes[-1]] / medians[name][sizes[0]]
        slow = medians[name][sizes[-1]] > TARGET_MS or ratio > TARGET_RATIO
        failed += slow
        rows = answers[name]
        grown = f"({rows[sizes[-1]] / rows[sizes[0]]:.1f}x)" if rows[sizes[0]] else ""
        counts = " → ".join(f"{rows[size]:,}" for size in sizes)
        print(
            f"{name:<16}{cells}   {ratio:5.2f} {'ABOVE TARGET' if slow else 'ok':<12}"
            f"   {counts} {grown}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
