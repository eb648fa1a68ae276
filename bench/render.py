"""CPU time of rendering the stock-on-hand page alone: the real template with its real 50 rows.

    .venv/bin/python bench/render.py [--renders 400] [--rounds 5] [--out bench/out] [--profile]

Seeds (or reuses, with ``--out``) a SQLite database as ``bench/stock.py`` does, signs a
logistics user in, requests the busiest place's stock-on-hand page once to capture what the
view hands to ``render_template``, then, inside that same request, renders the template
``--renders`` times per round and prints the process CPU time per render (median and spread
of ``--rounds`` rounds) with the page's size. Process CPU time is stable on a busy machine,
where wall-clock time is not. Target (issue 13): under 3 ms.
"""

import argparse
import copy
import cProfile
import gc
import pstats
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import stock as stock_bench  # noqa: E402

from bench.common import config  # noqa: E402
from hilogistics import create_app, pagememo  # noqa: E402
from hilogistics.db import db  # noqa: E402
from hilogistics.stock.views import pages  # noqa: E402

TARGET_MS = 3.0


def _ablate(render: Any, template: str, context: dict[str, Any], renders: int) -> None:
    """Print the CPU time per render without the rows, without the filter form, without both."""
    page = copy.copy(context["page"])
    page.items = []
    variants = {
        "as served": context,
        "no rows": {**context, "page": page},
        "no filter form": {**context, "form": []},
        "neither": {**context, "page": page, "form": []},
    }
    for name, variant in variants.items():
        started = time.process_time()
        for _ in range(renders):
            render(template, variant)
        print(f"  {name:15} {(time.process_time() - started) * 1000 / renders:.2f} ms")


def main() -> int:
    """Measure; exit 1 when the median is above the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--locations", type=int, default=120)
    parser.add_argument("--renders", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--locale", default="en", help="en, ko_KP or fr")
    parser.add_argument("--out", help="keep and reuse the database in this folder")
    parser.add_argument("--profile", action="store_true", help="print the top functions")
    parser.add_argument("--ablate", action="store_true", help="also time without rows/form")
    parser.add_argument("--callees", help="with --profile: what functions matching this call")
    parser.add_argument("--callers", help="with --profile: who calls functions matching this")
    args = parser.parse_args()
    with ExitStack() as stack:
        if args.out:
            folder = Path(args.out).resolve()
            folder.mkdir(parents=True, exist_ok=True)
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hilo-render-")))
        database = folder / f"stock-bench-{args.movements}.sqlite"
        instance = folder / f"instance-{args.movements}"
        instance.mkdir(exist_ok=True)
        app = create_app(config(f"sqlite:///{database}", instance))
        app.config["TESTING"] = False  # as served: no template auto-reload, no test hooks
        stock_bench.build_database(app, args.movements, args.items, args.locations)
        targets = stock_bench.prepare(app, stock_bench.busy_targets(app))
        url = stock_bench.page_urls(targets)["on-hand"]
        gc.freeze()  # as a served app does at start-up (create_app, when not testing)
        client = app.test_client()
        login = client.post("/login", data={"username": "bench", "password": stock_bench.PASSWORD})
        if login.status_code != 302:
            raise SystemExit(f"login failed: HTTP {login.status_code}")
        timings: list[float] = []
        size = 0
        real_render = pages.render_template
        real_rows = getattr(pages, "on_hand_rows", None)
        rows_call: list[tuple[Any, ...]] = []

        def kept_rows(*a: Any, **k: Any) -> Any:
            rows_call.append((a, k))
            return real_rows(*a, **k)

        def render(template: str, context: dict[str, Any]) -> str:
            # The rows written in Python (since issue 13) count as rendering too.
            for a, k in rows_call if context["page"].items else ():
                context = {**context, "rows_html": real_rows(*a, **k)}
            return real_render(template, **context)

        def timed_render(template: str, **context: Any) -> str:
            nonlocal size
            html = render(template, context)
            size = len(html.encode())
            for _round in range(args.rounds):
                started = time.process_time()
                for _ in range(args.renders):
                    render(template, context)
                timings.append((time.process_time() - started) * 1000 / args.renders)
            if args.ablate:
                _ablate(render, template, context, args.renders)
            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(args.renders):
                    render(template, context)
                profiler.disable()
                stats = pstats.Stats(profiler).sort_stats("tottime")
                stats.print_stats(25)
                if args.callers:
                    stats.print_callers(args.callers)
                if args.callees:
                    stats.print_callees(args.callees)
            return html

        pages.render_template = timed_render
        # The view renders through the page memo (a miss: a whole render is what is timed).
        pagememo.render_template = timed_render
        if real_rows is not None:
            pages.on_hand_rows = kept_rows
        try:
            response = client.get(url, headers={"Accept-Language": args.locale})
        finally:
            pages.render_template = real_render
            pagememo.render_template = real_render
            if real_rows is not None:
                pages.on_hand_rows = real_rows
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        rows = response.get_data(as_text=True).count('<td class="code">')
        with app.app_context():
            db.engine.dispose()
    median = statistics.median(timings)
    print(
        f"stock on hand {url} ({rows} rows, {size / 1024:.1f} KiB, locale {args.locale}): "
        f"{median:.2f} ms CPU per render (rounds {min(timings):.2f}-{max(timings):.2f}, "
        f"{args.renders} renders each); target < {TARGET_MS} ms"
    )
    return 0 if median < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
