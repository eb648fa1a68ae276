"""The stock-on-hand page and adjustment posts under gunicorn, on SQLite and PostgreSQL.

    .venv/bin/python bench/load.py                          # both databases, 200 000 movements
    .venv/bin/python bench/load.py --databases postgres --movements 1000000 --runs 3
    .venv/bin/python bench/load.py --no-writes --duration 5
    .venv/bin/python bench/load.py --no-memo        # every request renders the page

For each database: a seeded database (SQLite: ``bench/out/http-<movements>.sqlite``, built once
and reused; PostgreSQL: a throwaway cluster in a temporary folder, **fsync on**, seeded afresh
and vacuumed), a ``bench`` logistics account, then two ``gunicorn -w 2`` servers on loopback:
our app and ``bench/baseline_app.py`` (the same 50 rows with nothing around them). ``wrk -t2
-c8`` loads our stock-on-hand page and the baseline in turn, ``--runs`` times, interleaved
(ours first on odd runs, the baseline first on even ones), each after a 2 s warm-up. Then
8 threads post adjustments through the real form (``POST /stock/adjust``) for ``--duration``
seconds, ``--runs`` times. Prints, per database, the median of the runs with their spread
(min-max) and the ratio ours/baseline of the medians; exits 2 when a target is missed.
"""

import argparse
import http.client
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pg import Cluster, free_port  # noqa: E402

BIN = ROOT / ".venv" / "bin"
OUT = ROOT / "bench" / "out"
READ_TARGET = 0.9  # ours / fair baseline, requests per second
WRITE_P99_TARGET_MS = 150.0


class DurableCluster(Cluster):
    """A throwaway cluster as the tests start one, but durable: fsync and full page writes on."""

    def start(self) -> "DurableCluster":
        """Create and start the cluster with PostgreSQL's default durability; returns self."""
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c max_connections=100 -c shared_buffers=128MB "
            "-c shared_preload_libraries=pg_stat_statements"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip
        return self


@dataclass
class Figures:
    """Runs of one load: requests per second, p50 and p99 in milliseconds."""

    rps: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    errors: int = 0

    def cell(self, values: list[float], digits: int = 1) -> str:
        """Median and spread (min-max) of ``values``."""
        if not values:
            return "n/a"
        median = statistics.median(values)
        return f"{median:.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def flask(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run ``flask --app hilogistics <args>`` and return its output; fail loudly."""
    result = subprocess.run(  # noqa: S603
        [str(BIN / "flask"), "--app", "hilogistics", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def seed(env: dict[str, str], movements: int) -> None:
    """Migrate, seed ``movements`` movements and create the ``bench`` account."""
    started = time.perf_counter()
    flask(env, "db", "upgrade")
    flask(env, "hilo", "seed-scale", "--movements", str(movements))
    print(f"  seeded {movements} movements in {time.perf_counter() - started:.0f} s", flush=True)


def ensure_user(env: dict[str, str], login_file: Path) -> str:
    """The bench account's password (created on first use, kept in ``login_file``, 0600)."""
    if login_file.exists() and login_file.read_text().strip():
        return login_file.read_text().strip()
    password = secrets.token_urlsafe(18)
    flask(
        env, "hilo", "create-user", "--username", "bench", "--display-name", "HTTP benchmark",
        "--role", "logistics", "--password-stdin", stdin=password + "\n",
    )  # fmt: skip
    login_file.touch(mode=0o600)
    login_file.write_text(password + "\n")
    return password


def targets(url: str) -> tuple[int, int, str, int, int]:
    """The busiest place; and a (place, item code, lot, 'found' reason) to adjust upwards."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        location = connection.execute(
            text(
                "SELECT b.location_id FROM balances b JOIN locations l ON l.id = b.location_id "
                "WHERE b.quantity > 0 AND l.kind IN ('warehouse', 'centre', 'school', 'camp') "
                "GROUP BY b.location_id ORDER BY count(*) DESC, b.location_id LIMIT 1"
            )
        ).scalar_one()
        place, code, lot = connection.execute(
            text(
                "SELECT b.location_id, i.code, b.lot_id FROM balances b "
                "JOIN items i ON i.id = b.item_id JOIN lots o ON o.id = b.lot_id "
                "JOIN locations l ON l.id = b.location_id "
                "WHERE b.quantity > 0 AND l.kind = 'warehouse' AND o.serial IS NULL "
                "AND i.is_active ORDER BY b.quantity DESC, b.id LIMIT 1"
            )
        ).one()
        reason = connection.execute(
            text("SELECT id FROM adjustment_reasons WHERE code = 'found'")
        ).scalar_one()
    engine.dispose()
    return location, place, code, lot, reason


class Client:
    """A tiny cookie-keeping HTTP client for one server on 127.0.0.1."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict[str, str] | None = None):  # noqa: ANN201
        """Send one request; returns (status, headers, body text). Keeps Set-Cookie values."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        connection.close()
        return response.status, response.headers, text


def csrf_token(page: str) -> str:
    """The CSRF token of the first form on ``page``."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    if match is None:
        raise SystemExit("no CSRF token on the page")
    return match[1]


def sign_in(port: int, password: str) -> Client:
    """A client signed in as ``bench``, as a browser would (CSRF token, then credentials)."""
    client = Client(port)
    _status, _headers, page = client.request("GET", "/login")
    body = {"csrf_token": csrf_token(page), "username": "bench", "password": password}
    status, headers, _page = client.request("POST", "/login", body)
    if status != 302:
        raise SystemExit(f"login failed (HTTP {status})")
    # Follow the redirect as a browser does: it shows the "Welcome" message once and takes it
    # out of the session. Without it, wrk's fixed cookie carried that message on every request,
    # so every page showed it and none could come from the page memo (pages with a message are
    # never kept): the runs before this measured an uncached page, not the page users get.
    client.request("GET", urllib.parse.urlsplit(headers["Location"]).path or "/")
    return client


def wait_for(port: int, path: str) -> None:
    """Wait until a server answers on ``port``."""
    for _ in range(150):
        try:
            Client(port).request("GET", path)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start (see {OUT}/gunicorn-*.log)")


def to_ms(value: str) -> float:
    """wrk's '1.23ms', '850.00us' or '1.02s' in milliseconds."""
    for suffix, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if value.endswith(suffix):
            return float(value[: -len(suffix)]) * scale
    return float(value)


def wrk(url: str, seconds: int, cookie: str | None, figures: Figures) -> None:
    """Warm up 2 s, then load ``url`` for ``seconds`` at 8 connections; add to ``figures``."""
    header = ["-H", f"Cookie: {cookie}"] if cookie else []
    subprocess.run(  # noqa: S603
        ["wrk", "-t2", "-c8", "-d2s", *header, url], capture_output=True, check=True
    )  # fmt: skip
    output = subprocess.run(  # noqa: S603
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", *header, url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    figures.rps.append(float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]))
    figures.p50.append(to_ms(re.search(r"^\s+50%\s+(\S+)", output, re.M)[1]))
    figures.p99.append(to_ms(re.search(r"^\s+99%\s+(\S+)", output, re.M)[1]))
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        figures.errors += int(match[1])


def post_adjustments(
    port: int, client: Client, target: tuple[int, str, int, int], seconds: int, figures: Figures
) -> None:
    """8 threads post 1-unit 'found' adjustments through the form for ``seconds``."""
    place, code, lot, reason = target
    path = f"/stock/adjust?location_id={place}&item={urllib.parse.quote(code)}"
    _status, _headers, page = client.request("GET", path)
    token = csrf_token(page)
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    today = re.search(r'name="occurred_on"[^>]*value="([\d-]+)"', page)[1]
    latencies: list[float] = []
    failures = [0]
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def writer() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < stop:
            body = urllib.parse.urlencode(
                {
                    "csrf_token": token, "lot_id": lot, "reason": f"{reason}-in",
                    "quantity": 1, "occurred_on": today, "note": "bench",
                    "operation_key": uuid.uuid4().hex,
                }
            )  # fmt: skip
            started = time.perf_counter()
            connection.request(
                "POST", path, body=body,
                headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            )  # fmt: skip
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if response.status == 302:
                    latencies.append(elapsed)
                else:
                    failures[0] += 1

    threads = [threading.Thread(target=writer) for _ in range(8)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    figures.rps.append(len(latencies) / elapsed)
    figures.p50.append(statistics.median(latencies) if latencies else float("nan"))
    figures.p99.append(latencies[int(len(latencies) * 0.99)] if latencies else float("nan"))
    figures.errors += failures[0]


def gunicorn(env: dict[str, str], name: str, app: str, port: int, chdir: Path):  # noqa: ANN201
    """Start ``gunicorn -w 2`` serving ``app`` on ``port``."""
    return subprocess.Popen(  # noqa: S603
        [
            str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--chdir", str(chdir),
            "--error-logfile", str(OUT / f"gunicorn-{name}.log"), app,
        ],
        env=env,
    )  # fmt: skip


def bench_database(kind: str, args: argparse.Namespace) -> dict[str, Figures]:
    """Seed (or reuse), serve and load one database; returns the figures by load."""
    env = {k: v for k, v in os.environ.items() if k != "FLASK_DEBUG"}
    env["PYTHONPATH"] = str(ROOT)
    env["SECRET_KEY"] = secrets.token_urlsafe(48)
    if not args.memo:
        env["HILOGISTICS_PAGE_MEMO_ENTRIES"] = "0"
    cluster = None
    servers: list[subprocess.Popen] = []
    try:
        if kind == "postgres":
            cluster = DurableCluster().start()
            url = cluster.create_database("bench")
            env["DATABASE_URL"] = url
            login_file = cluster.root / "login"
            seed(env, args.movements)
            with subprocess.Popen(  # noqa: S603
                [str(cluster.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(cluster.port),
                 "-U", "postgres", "-d", "bench", "-q", "-c", "VACUUM ANALYZE",
                 "-c", "CREATE EXTENSION pg_stat_statements"],
            ) as vacuum:  # fmt: skip
                vacuum.wait()
            if not args.covering_index:
                psql(cluster, "DROP INDEX ix_item_balances_location_item_stock")
        else:
            database = OUT / f"http-{args.movements}.sqlite"
            url = f"sqlite:///{database}"
            env["DATABASE_URL"] = url
            login_file = OUT / f"http-{args.movements}.login"
            if not Path(f"{database}.done").exists():
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{database}{suffix}").unlink(missing_ok=True)
                login_file.unlink(missing_ok=True)
                seed(env, args.movements)
                Path(f"{database}.done").touch()
            else:
                # A database seeded by an older checkout: bring it to this one's schema (the
                # migrations fill new tables from the data), or writes fail on a missing table.
                flask(env, "db", "upgrade")
        password = ensure_user(env, login_file)
        location, *adjusted = targets(url)
        ours_port, base_port = free_port(), free_port()
        while base_port == ours_port:
            base_port = free_port()
        servers.append(gunicorn(env, "app", "hilogistics:create_app()", ours_port, ROOT))
        servers.append(gunicorn(env, "baseline", "baseline_app:app", base_port, ROOT / "bench"))
        wait_for(ours_port, "/login")
        wait_for(base_port, f"/locations/{location}")
        client = sign_in(ours_port, password)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        ours_url = f"http://127.0.0.1:{ours_port}/stock/locations/{location}"
        base_url = f"http://127.0.0.1:{base_port}/locations/{location}"
        status = Client(ours_port)
        status.cookies = dict(client.cookies)
        answer, _headers, page = status.request("GET", f"/stock/locations/{location}")
        if answer != 200:
            raise SystemExit("our stock-on-hand page did not answer 200")
        if 'class="flashes"' in page:
            raise SystemExit("the page wrk loads shows a message: it would never be kept")
        print(f"{kind}: location {location}, {url}", flush=True)
        figures = {"ours": Figures(), "baseline": Figures(), "writes": Figures()}
        for run in range(args.runs if args.reads else 0):
            order = [("ours", ours_url, cookie), ("baseline", base_url, None)]
            for name, target_url, header in order if run % 2 == 0 else order[::-1]:
                wrk(target_url, args.duration, header, figures[name])
                print(f"  run {run + 1} {name:9} {figures[name].rps[-1]:8.1f} req/s", flush=True)
        if status.request("GET", f"/stock/locations/{location}")[0] != 200:
            print("warning: no longer signed in after the runs", file=sys.stderr)
        if args.writes:
            for run in range(args.runs):
                writes = figures["writes"]
                post_adjustments(ours_port, client, tuple(adjusted), args.duration, writes)
                print(f"  run {run + 1} writes    {figures['writes'].rps[-1]:8.1f} /s", flush=True)
            if cluster is not None:
                # Heap-only updates: an UPDATE that changes no indexed column writes no index
                # entry. The covering index carries on_hand and reserved, so it rules them out.
                print(
                    psql(
                        cluster,
                        "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                        "WHERE relname IN ('balances', 'item_balances') ORDER BY relname",
                    ),
                    flush=True,
                )
        return figures
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait()
        if cluster is not None:
            cluster.stop()


def psql(cluster: Cluster, command: str) -> str:
    """Run one SQL command on the bench database; its output."""
    return subprocess.run(  # noqa: S603
        [str(cluster.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(cluster.port),
         "-U", "postgres", "-d", "bench", "-c", command],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


def report(results: dict[str, dict[str, Figures]]) -> int:
    """Print the table of every database; the number of missed targets."""
    missed = 0
    print(f"\n{'':21}{'req/s':>24}{'p50 ms':>22}{'p99 ms':>24}   (median of runs, min-max)")
    for kind, figures in results.items():
        for name, runs in figures.items():
            if not runs.rps:
                continue
            print(
                f"{kind:9}{name:12}{runs.cell(runs.rps):>24}{runs.cell(runs.p50, 2):>22}"
                f"{runs.cell(runs.p99, 1):>24}" + (f"  {runs.errors} errors" if runs.errors else "")
            )
        if figures["ours"].rps:
            ours, base = (
                statistics.median(figures["ours"].rps),
                statistics.median(figures["baseline"].rps),
            )
            ratios = [
                a / b for a, b in zip(figures["ours"].rps, figures["baseline"].rps, strict=True)
            ]
            verdict = "ok" if ours / base >= READ_TARGET else "BELOW TARGET"
            missed += ours / base < READ_TARGET
            print(
                f"{kind:9}ours/baseline {ours / base:.2f} "
                f"(runs {min(ratios):.2f}-{max(ratios):.2f}; target >= {READ_TARGET}): {verdict}"
            )
        if figures["writes"].p99:
            p99 = statistics.median(figures["writes"].p99)
            verdict = "ok" if p99 < WRITE_P99_TARGET_MS else "ABOVE TARGET"
            missed += p99 >= WRITE_P99_TARGET_MS
            print(f"{kind:9}write p99 {p99:.0f} ms (target < {WRITE_P99_TARGET_MS:.0f}): {verdict}")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--movements", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per load")
    parser.add_argument("--writes", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--reads", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--memo",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="--no-memo: serve our page without its kept copies (every request renders it)",
    )
    parser.add_argument(
        "--covering-index",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="PostgreSQL: keep ix_item_balances_location_item_stock (--no-covering-index drops it)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    OUT.mkdir(parents=True, exist_ok=True)
    results = {kind: bench_database(kind, args) for kind in args.databases.split(",")}
    return 2 if report(results) else 0


if __name__ == "__main__":
    sys.exit(main())
