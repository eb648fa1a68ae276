"""Time to render printed documents: a 100-line document (a waybill's size) and a stock card.

    .venv/bin/python bench/documents.py [--lines 100] [--repeat 5]

Target (issue 9): a 100-line document renders in well under a second.
"""

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hilogistics import create_app  # noqa: E402
from hilogistics.documents.layout import Column, Document, both, render  # noqa: E402


def document(lines: int) -> Document:
    """A waybill-shaped document: Korean and English names, lots, quantities, signatures."""
    return Document(
        title="Stock card",
        number="SHP-2026-00042",
        columns=[
            Column(both("Code"), 16),
            Column(both("Item"), 40),
            Column(both("Lot"), 12),
            Column(both("Expiry"), 12),
            Column(both("Quantity"), 10, "R"),
        ],
        rows=[
            [
                f"ORT-KNEE-{n:03d}",
                f"무릎관절 {n}호 · Knee joint size {n}",
                f"L{n:04d}",
                "2027-06-30",
                str(n * 3),
            ]
            for n in range(lines)
        ],
        facts=[(both("Place"), "평양중앙창고 · Central warehouse, Pyongyang")],
        signatures=[both("Prepared by"), both("Carried by"), both("Received by")],
        organisation="Handicap International",
        partner="조선장애자보호련맹",
        printed_by="Kim Chol",
        printed_at=datetime(2026, 11, 29, 9, 0),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    with app.test_request_context():
        render(document(1))  # warm-up: imports, font tables
        times, size = [], 0
        for _ in range(args.repeat):
            start = time.perf_counter()
            size = len(render(document(args.lines), strict=True))
            times.append(time.perf_counter() - start)
    print(
        f"{args.lines}-line document: median {statistics.median(times) * 1000:.0f} ms "
        f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}), {size / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()
