"""App CPU time and SQL statements of one whole stock-on-hand request, on SQLite and PostgreSQL.

    .venv/bin/python bench/request.py [--databases sqlite,postgres] [--requests 200]
        [--rounds 5] [--profile] [--statements] [--baseline] [--out bench/out]

For each database: a database of ``--movements`` (SQLite: reused from ``--out``; PostgreSQL: a
throwaway cluster, seeded and ``VACUUM ANALYZE``d), a logistics user signed in through
``POST /login`` (test client, CSRF off, the app as served: ``TESTING`` off, ``gc.freeze()``);
then the busiest place's stock-on-hand page is requested ``--requests`` times per round and the
process CPU time per request is printed (median and spread of ``--rounds`` rounds; the
databases' rounds interleaved), with the statements one request runs. Process CPU time is
stable on a shared machine, where wall-clock time is not. It counts the app's Python and the
driver (SQLite runs the queries themselves in-process; PostgreSQL runs them in the server,
which is not counted). ``--profile`` prints the top functions of one round; ``--statements``
prints each statement of one request; ``--baseline`` also times ``bench/baseline_app.py`` on
the same database and place, interleaved round by round, and prints baseline/ours.
"""

import argparse
import cProfile
import gc
import os
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

import flask_migrate  # noqa: E402
import stock as stock_bench  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from bench.common import config  # noqa: E402
from hilogistics import create_app  # noqa: E402
from hilogistics.db import db  # noqa: E402
from hilogistics.stock import bulk  # noqa: E402


def _served(app: Any) -> Any:
    app.config["TESTING"] = False  # as served: no template auto-reload, no test hooks
    return app


def sqlite_app(args: argparse.Namespace, stack: ExitStack) -> Any:
    """The SQLite app on a database seeded once (kept in ``--out`` when given)."""
    if args.out:
        folder = Path(args.out).resolve()
        folder.mkdir(parents=True, exist_ok=True)
    else:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hilo-request-")))
    instance = folder / f"instance-{args.movements}"
    instance.mkdir(exist_ok=True)
    database = folder / f"stock-bench-{args.movements}.sqlite"
    app = create_app(config(f"sqlite:///{database}", instance))
    stock_bench.build_database(app, args.movements, args.items, args.locations)
    return _served(app)


def postgres_app(args: argparse.Namespace, stack: ExitStack) -> Any:
    """The PostgreSQL app on a throwaway cluster, seeded and analysed."""
    from tests.pg import Cluster

    cluster = Cluster().start()
    stack.callback(cluster.stop)
    url = cluster.create_database("bench_request")
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hilo-request-pg-")))
    app = create_app(config(url, folder))
    with app.app_context():
        flask_migrate.upgrade()
        bulk.seed_scale(items=args.items, locations=args.locations, movements=args.movements)
        db.session.commit()
        db.session.remove()
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE")
            )
    stack.callback(lambda: _dispose(app))
    return _served(app)


def _dispose(app: Any) -> None:
    with app.app_context():
        db.engine.dispose()


class Baseline:
    """``bench/baseline_app.py`` on the same database, its page of the same place."""

    def __init__(self, site: "Site") -> None:
        os.environ["DATABASE_URL"] = str(site.app.config["SQLALCHEMY_DATABASE_URI"])
        import baseline_app

        self.name = f"{site.name} baseline"
        self.app = baseline_app.create_baseline()
        self.client = self.app.test_client()
        self.url = "/locations/" + site.url.rsplit("/", 1)[1]
        self.timings: list[float] = []

    def get(self) -> Any:
        response = self.client.get(self.url)
        if response.status_code != 200:
            raise SystemExit(f"{self.name} {self.url}: HTTP {response.status_code}")
        return response

    def round(self, requests: int) -> None:
        started = time.process_time()
        for _ in range(requests):
            self.get()
        self.timings.append((time.process_time() - started) * 1000 / requests)


class Site:
    """One database's app, signed-in client, page address and statement log."""

    def __init__(self, name: str, app: Any) -> None:
        self.name = name
        self.app = app
        targets = stock_bench.prepare(app, stock_bench.busy_targets(app))
        self.url = stock_bench.page_urls(targets)["on-hand"]
        self.client = app.test_client()
        login = self.client.post(
            "/login", data={"username": "bench", "password": stock_bench.PASSWORD}
        )
        if login.status_code != 302:
            raise SystemExit(f"{name}: login failed: HTTP {login.status_code}")
        self.statements: list[str] = []
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._log)
        self.timings: list[float] = []

    def _log(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        self.statements.append(statement)

    def get(self) -> Any:
        response = self.client.get(self.url)
        if response.status_code != 200:
            raise SystemExit(f"{self.name} {self.url}: HTTP {response.status_code}")
        return response

    def round(self, requests: int) -> None:
        started = time.process_time()
        for _ in range(requests):
            self.get()
        self.timings.append((time.process_time() - started) * 1000 / requests)


def _ablate(sites: list[Site], args: argparse.Namespace) -> None:
    """Time each site as served, without the menu's badges, and without the menu, interleaved."""
    from hilogistics.main import navigation, work

    real_badges, real_menu = work.menu_badges, navigation.menu_for
    variants = {
        "as served": (real_badges, real_menu),
        "no badges": (lambda user: {}, real_menu),
        "no menu": (real_badges, lambda user: []),
    }
    timings: dict[tuple[str, str], list[float]] = {}
    try:
        for _ in range(args.rounds):
            for name, (badges, menu) in variants.items():
                work.menu_badges, navigation.menu_for = badges, menu
                for site in sites:
                    started = time.process_time()
                    for _ in range(args.requests):
                        site.get()
                    spent = (time.process_time() - started) * 1000 / args.requests
                    timings.setdefault((site.name, name), []).append(spent)
    finally:
        work.menu_badges, navigation.menu_for = real_badges, real_menu
    for (site_name, name), values in timings.items():
        print(f"  {site_name} {name:10} {statistics.median(values):.2f} ms")


def main() -> int:
    """Measure and print; always 0 (a report, not a gate)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--movements", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--locations", type=int, default=120)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", help="keep and reuse the SQLite database in this folder")
    parser.add_argument("--profile", action="store_true", help="print the top functions")
    parser.add_argument("--sort", default="cumulative", help="with --profile: pstats order")
    parser.add_argument("--statements", action="store_true", help="print one request's SQL")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also time bench/baseline_app.py in-process, interleaved; print baseline/ours",
    )
    parser.add_argument(
        "--ablate", action="store_true", help="also time without the badges, without the menu"
    )
    args = parser.parse_args()
    makers = {"sqlite": sqlite_app, "postgres": postgres_app}
    with ExitStack() as stack:
        sites = [
            Site(name, makers[name](args, stack)) for name in args.databases.split(",") if name
        ]
        gc.freeze()  # as a served app does at start-up
        for site in sites:
            for _ in range(5):  # warm-up: compiled statements, templates, prepared statements
                response = site.get()
            site.statements.clear()
            response = site.get()
            rows = response.get_data(as_text=True).count('<td class="code">')
            print(
                f"{site.name}: {site.url}, {rows} rows, {len(response.data) / 1024:.1f} KiB, "
                f"{len(site.statements)} statements per request"
            )
            if args.statements:
                for statement in site.statements:
                    print("   ", " ".join(statement.split())[:300])
        baselines = [Baseline(site) for site in sites] if args.baseline else []
        for baseline in baselines:
            for _ in range(5):
                baseline.get()
        for _ in range(args.rounds):
            for site in sites:
                site.round(args.requests)
            for baseline in baselines:
                baseline.round(args.requests)
        if args.ablate:
            _ablate(sites, args)
        for site, baseline in zip(sites, baselines, strict=False):
            ours, theirs = statistics.median(site.timings), statistics.median(baseline.timings)
            print(
                f"{site.name}: baseline {theirs:.2f} ms app CPU per request (rounds "
                f"{min(baseline.timings):.2f}-{max(baseline.timings):.2f}); baseline/ours "
                f"{theirs / ours:.2f} (the ratio of throughputs if the app's CPU bound them)"
            )
        for site in sites:
            print(
                f"{site.name}: {statistics.median(site.timings):.2f} ms app CPU per request "
                f"(rounds {min(site.timings):.2f}-{max(site.timings):.2f}, "
                f"{args.requests} requests each)"
            )
            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(args.requests):
                    site.get()
                profiler.disable()
                pstats.Stats(profiler).sort_stats(args.sort).print_stats(40)
    return 0


if __name__ == "__main__":
    sys.exit(main())
