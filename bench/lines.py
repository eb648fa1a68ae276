"""What a pasted or imported packing list costs the server: parse + preview, then record.

    .venv/bin/python bench/lines.py [--lines 25,100] [--repeat 5] [--database sqlite|postgres]

Through the web app (a test client signed in as logistics), on a fresh migrated database:
the receipt page shows pasted rows as lines ("Show the pasted rows as lines"), a packing-list
CSV is previewed, and the lines shown are recorded. Half the items track expiry, a tenth
serial numbers (two units each, as a range). Prints the median milliseconds of each step.
"""

import argparse
import io
import re
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import fresh_app  # noqa: E402
from hilogistics.auth.models import Role  # noqa: E402
from hilogistics.db import db  # noqa: E402
from tests.conftest import sign_in  # noqa: E402
from tests.factories import make_item, make_user, make_warehouse  # noqa: E402

URL = "/stock/receipts/new"
FIELDS = ("item", "packs", "units", "lot_code", "expires_on", "serials")


def _rows(items: list, batch: int) -> list[list[str]]:
    rows = []
    for n, item in enumerate(items):
        serials = f"B{batch}-{n}-01..B{batch}-{n}-02" if item.tracks_serial else ""
        expiry = "2030-05-31" if item.tracks_expiry else ""
        rows.append([item.code, "2" if serials else "100", f"L{batch}", expiry, serials])
    return rows


def _shown(body: str) -> dict[str, str]:
    """The line inputs of a rendered receipt form, as the browser would send them back."""
    values = {}
    pattern = r"<(?:input|textarea)[^>]*name=\"lines-[^>]*>(?:[^<]*</textarea>)?"
    for tag in re.findall(pattern, body):
        name = re.search(r'name="([^"]+)"', tag)[1]
        if tag.startswith("<textarea"):
            values[name] = tag.split(">", 1)[1].removesuffix("</textarea>").strip()
        else:
            value = re.search(r'value="([^"]*)"', tag)
            values[name] = value[1] if value else ""
    return values


def measure(client, warehouse_id: int, items: list, repeat: int) -> dict[str, float]:
    """Median ms of: paste → lines, CSV upload → preview, record the lines shown."""
    times: dict[str, list[float]] = {"paste+preview": [], "file preview": [], "record": []}
    for batch in range(repeat):
        rows = _rows(items, batch)
        header = {
            "warehouse_id": str(warehouse_id),
            "occurred_on": _today(),
            "operation_key": uuid.uuid4().hex,
            "show_paste": "y",
            "paste": "\n".join("\t".join(row) for row in rows),
        }
        start = time.perf_counter()
        body = client.post(URL, data=header).get_data(as_text=True)
        times["paste+preview"].append((time.perf_counter() - start) * 1000)
        assert "Error:" not in body, "the pasted lines have problems"

        csv = "code,quantity,lot,expiry,serials\r\n" + "".join(
            ",".join(row) + "\r\n" for row in _rows(items, batch + 1000)
        )
        start = time.perf_counter()
        preview = client.post(
            "/stock/receipts/import",
            data={"file": (io.BytesIO(csv.encode()), "list.csv")},
            content_type="multipart/form-data",
        )
        times["file preview"].append((time.perf_counter() - start) * 1000)
        assert preview.status_code == 200 and "Put these lines in the form" in preview.text

        data = {k: v for k, v in header.items() if k not in ("show_paste", "paste")}
        data.update(_shown(body))
        start = time.perf_counter()
        response = client.post(URL, data=data)
        times["record"].append((time.perf_counter() - start) * 1000)
        assert response.status_code == 302, "the receipt was not recorded"
    return {name: statistics.median(values) for name, values in times.items()}


def _today() -> str:
    from hilogistics.dates import business_today

    return business_today().isoformat()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", default="25,100")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    with fresh_app(args.database, "lines") as app:
        with app.app_context():
            user = make_user(Role.LOGISTICS)
            warehouse = make_warehouse()
            db.session.commit()
            for count in (int(n) for n in args.lines.split(",")):
                items = [
                    make_item(tracks_expiry=n % 2 == 0, tracks_serial=n % 10 == 5)
                    for n in range(count)
                ]
                db.session.commit()
                client = app.test_client()
                sign_in(client, user)
                for name, ms in measure(client, warehouse.id, items, args.repeat).items():
                    print(f"{args.database} {count:3} lines: {name:14} {ms:7.1f} ms")
            db.engine.dispose()


if __name__ == "__main__":
    main()
