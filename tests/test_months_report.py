"""Months of stock and replenishment suggestions: figures worked by hand, on both databases.

The report must say what the requisition form says for the same place (both read
``requisitions/suggestions.py``), and keep a technician to their own place in the page, the
exports, the PDF and the chart.
"""

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import literal, select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.catalogue.models import Item
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.locations.models import Location
from hilogistics.requisitions.models import one_decimal
from hilogistics.requisitions.suggestions import (
    fill_suggestions,
    one_decimal_sql,
    suggestions_for,
    window,
)
from hilogistics.stock import ledger
from hilogistics.stock.models import Balance, Lot, ReorderLevel, TransactionKind
from tests.conftest import sign_in
from tests.factories import (
    dispatch,
    make_dispatch,
    make_item,
    make_location,
    make_lot,
    make_user,
    make_warehouse,
    operation_key,
    receive,
    virtual,
)

START, END = window(business_today())


def in_month(k: int, day: int) -> date:
    """Day ``day`` of the k-th month of the window (0, 1, 2); k = 3 is this month."""
    month_index = START.year * 12 + START.month - 1 + k
    return date(month_index // 12, month_index % 12 + 1, day)


def move(lot: Lot, quantity: int, origin: Location, to: Location, on: date, kind=None) -> None:  # noqa: ANN001
    """Post one line through the ledger on a chosen date."""
    ledger.post(
        kind=kind or TransactionKind.RECEIPT,
        lines=[ledger.Line(lot.item_id, lot.id, quantity, origin.id, to.id)],
        actor=SYSTEM,
        occurred_on=on,
        operation_key=operation_key(),
    )


@dataclass
class Places:
    """Two centres with known histories (one aims for six months), and their items."""

    centre: Location
    other: Location
    steady: Item
    levelled: Item
    plenty: Item


@pytest.fixture
def places(app: Flask) -> Places:
    centre = make_location(code="MOS-C", name="Months centre", target_months=6)
    other = make_location(code="MOS-O", name="Other months centre", target_months=3)
    supplier, recipients = virtual("SUPPLIER"), virtual("RECIPIENTS")
    steady = make_item(code="MOS-A", name="Steady item")
    levelled = make_item(code="MOS-B", name="Levelled item")
    plenty = make_item(code="MOS-P", name="Plenty item")
    lot, plenty_lot = make_lot(steady), make_lot(plenty)
    give, use = TransactionKind.DISTRIBUTION, TransactionKind.CONSUMPTION
    before = START - timedelta(days=20)
    # Steady at the centre: 100 in before the window; 10 used before it, 30 in its first
    # month, none in the second, 15 in the third, 20 this month: 25 on hand, 45 in 3 months.
    move(lot, 100, supplier, centre, before)
    move(lot, 10, centre, recipients, before + timedelta(days=5), give)
    move(lot, 30, centre, recipients, in_month(0, 12), give)
    move(lot, 15, centre, recipients, in_month(2, 5), use)
    move(lot, 20, centre, recipients, END, give)
    # 7 more on its way from a warehouse.
    warehouse = make_warehouse(code="MOS-W", name="Months warehouse")
    receive(steady, 7, warehouse)
    warehouse_lot = db.session.scalars(
        select(Lot)
        .join(Balance, Balance.lot_id == Lot.id)
        .where(Balance.location_id == warehouse.id, Lot.item_id == steady.id)
    ).one()
    dispatch(make_dispatch(warehouse, centre, [(steady, warehouse_lot, 7)]))
    # Levelled: never stocked at the centre, which wants at least 10.
    db.session.add(ReorderLevel(location_id=centre.id, item_id=levelled.id, minimum=10))
    # Plenty: 200 before the window, 30 used in its second month: 170 last 17 months.
    move(plenty_lot, 200, supplier, centre, before)
    move(plenty_lot, 30, centre, recipients, in_month(1, 3), give)
    # The other centre: steady, 50 in before the window, 30 used in its second month.
    move(lot, 50, supplier, other, before)
    move(lot, 30, other, recipients, in_month(1, 8), give)
    db.session.flush()
    return Places(centre, other, steady, levelled, plenty)


def report_rows(client: FlaskClient, **args: object) -> list[dict[str, str]]:
    response = client.get("/reports/months/export", query_string={"format": "csv", **args})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


FIELDS = (
    "Place",
    "Code",
    "On hand",
    "On its way",
    "Average monthly use",
    "Months of stock",
    "Minimum",
    "Suggested quantity",
)


def test_months_of_stock_and_suggestions_match_figures_worked_by_hand(
    places: Places, client: FlaskClient
) -> None:
    sign_in(client, make_user(Role.VIEWER))
    db.session.commit()
    rows = [tuple(r[f] for f in FIELDS) for r in report_rows(client)]
    centre, other = "Months centre", "Other months centre"
    # 45 used over 3 months = 15 a month; 25 last 1.7 months; 6 × 15 − 25 − 7 = 58.
    # Other centre, 3 months: 30 in 3 months = 10 a month; 20 last 2.0; 3 × 10 − 20 = 10.
    mine = [r for r in rows if r[0] in (centre, other)]
    assert mine == [
        (centre, "MOS-A", "25", "7", "15.0", "1.7", "", "58"),
        (centre, "MOS-P", "170", "0", "10.0", "17.0", "", "0"),
        (centre, "MOS-B", "0", "0", "0.0", "", "10", "0"),
        (other, "MOS-A", "20", "0", "10.0", "2.0", "", "10"),
    ]
    # The totals row sums every row (nothing else in this database is consumed or expected).
    total = report_rows(client)[-1]
    assert total["Place"] == "Total"
    assert (total["On its way"], total["Suggested quantity"]) == ("7", "68")
    # Only what needs replenishment: something suggested, or below the minimum.
    needed = [(r["Place"], r["Code"]) for r in report_rows(client, needed="y")[:-1]]
    assert [n for n in needed if n[0] in (centre, other)] == [
        (centre, "MOS-A"),
        (centre, "MOS-B"),
        (other, "MOS-A"),
    ]
    # One place, one category.
    one = report_rows(client, location=places.other.id, category=places.steady.category_id)
    assert [(r["Place"], r["Code"], r["Suggested quantity"]) for r in one] == [
        (other, "MOS-A", "10"),
        ("Total", "", "10"),
    ]


def test_the_report_says_what_the_requisition_form_suggests(
    places: Places, client: FlaskClient
) -> None:
    sign_in(client, make_user(Role.LOGISTICS))
    db.session.commit()
    for place in (places.centre, places.other):
        rows = report_rows(client, location=place.id)[:-1]
        figures = suggestions_for(place.id, target_months=place.target_months)
        codes = {item.id: item.code for item in db.session.scalars(select(Item))}
        shown = {r["Code"]: r for r in rows}
        assert set(shown) == {codes[item_id] for item_id in figures}
        for item_id, s in figures.items():
            row = shown[codes[item_id]]
            rate, left = s.monthly_consumption, s.months_left
            assert row["On hand"] == str(s.on_hand)
            assert row["On its way"] == str(s.on_the_way)
            assert row["Average monthly use"] == ("" if rate is None else f"{rate:.1f}")
            assert row["Months of stock"] == ("" if left is None else f"{left:.1f}")
            assert row["Suggested quantity"] == str(s.suggested)
        # The fill button's items are the report's "needing replenishment" rows.
        needed = report_rows(client, location=place.id, needed="y")[:-1]
        filled = fill_suggestions(place)
        assert [r["Code"] for r in sorted(needed, key=lambda r: r["Code"])] == [
            item.code for item, _s in filled
        ]
        assert {r["Code"]: int(r["Suggested quantity"]) for r in needed} == {
            item.code: s.suggested for item, s in filled
        }


def test_the_chart_counts_places_and_items_by_months_of_stock(
    places: Places, client: FlaskClient
) -> None:
    sign_in(client, make_user(Role.LOGISTICS))
    db.session.commit()
    page = client.get(f"/reports/months?location={places.centre.id}").get_data(as_text=True)
    assert 'role="img"' in page and "Items by months of stock" in page
    # Steady 1.7 months, plenty 17.0; the levelled item has no use and no band.
    assert (
        "None left 0, Under 1 month 0, 1 to 3 months 1, 3 to 6 months 0, 6 months or more 1."
        in page
    )
    assert "58" in page and "Months centre" in page
    pdf = client.get(f"/reports/months/print.pdf?location={places.centre.id}&needed=y")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    xlsx = client.get("/reports/months/export?format=xlsx&needed=y")
    workbook = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    text = " ".join(str(v) for row in workbook.active.iter_rows(values_only=True) for v in row if v)
    assert "Only items needing replenishment: Yes" in text and "MOS-B" in text


def test_a_technician_sees_only_their_place_in_page_exports_pdf_and_chart(
    places: Places, client: FlaskClient
) -> None:
    sign_in(client, make_user(Role.TECHNICIAN, location=places.other))
    db.session.commit()
    # Asking for the other centre changes nothing: the place is the technician's own.
    rows = report_rows(client, location=places.centre.id)
    assert [(r["Place"], r["Code"], r["Suggested quantity"]) for r in rows] == [
        ("Other months centre", "MOS-A", "10"),
        ("Total", "", "10"),
    ]
    page = client.get(f"/reports/months?location={places.centre.id}").get_data(as_text=True)
    assert "Months centre" not in page.replace("Other months centre", "")
    assert "1 to 3 months 1, 3 to 6 months 0, 6 months or more 0." in page
    xlsx = client.get(f"/reports/months/export?format=xlsx&location={places.centre.id}")
    workbook = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    text = " ".join(str(v) for row in workbook.active.iter_rows(values_only=True) for v in row if v)
    assert "MOS-P" not in text and "Other months centre" in text
    pdf = client.get(f"/reports/months/print.pdf?location={places.centre.id}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_bad_filters_fall_back_and_nothing_breaks(places: Places, client: FlaskClient) -> None:
    sign_in(client, make_user(Role.LOGISTICS))
    db.session.commit()
    page = client.get("/reports/months?location=x&category=999999&needed=maybe&per_page=1")
    assert page.status_code == 200
    assert client.get("/reports").get_data(as_text=True).count("/reports/months") == 1


def test_sql_and_python_round_to_one_decimal_alike(app: Flask) -> None:
    """The report rounds in SQL, the requisition form in Python: the same, halves included."""
    pairs = [(n, d) for n in (0, 1, 3, 7, 25, 75, 101, 1234) for d in (1, 2, 3, 7, 20, 45, 60)]
    shown = db.session.execute(
        select(*(one_decimal_sql(literal(n), literal(d)) for n, d in pairs))
    ).one()
    assert list(shown) == [one_decimal(n, d) for n, d in pairs]
    # 3 ÷ 20 = 0.15 exactly: "%.1f" of the float would print 0.1.
    assert one_decimal(3, 20) == Decimal("0.2") and one_decimal(75, 45) == Decimal("1.7")


def _chart_text(body: str) -> str:
    [text] = re.findall(r"<figcaption>(.*?)</figcaption>", unescape(body), re.S)
    return text


def test_a_page_works_the_figures_once_with_the_same_count_totals_and_chart(
    places: Places, client: FlaskClient, count_queries: Callable[[], list[str]]
) -> None:
    """Page, count, totals and chart come from one execution; each read alone agrees."""
    sign_in(client, make_user(Role.LOGISTICS))
    db.session.commit()
    rows = report_rows(client)
    [total] = [r for r in rows if r["Place"] == "Total"]
    assert int(total["On hand"]) == sum(int(r["On hand"]) for r in rows if r is not total)

    def worked(url: str) -> tuple[str, int]:
        before = len(count_queries())
        body = client.get(url).data.decode("utf-8", "replace")
        return body, sum("figures AS" in s for s in count_queries()[before:])

    second, runs = worked("/reports/months?per_page=1&page=2")
    assert runs == 1
    assert f"Rows 2–2 of {len(rows) - 1}" in unescape(second)
    assert f'<td class="number">{total["On hand"]}</td>' in second
    # Past the last page the chart is read on its own: the same bands.
    beyond, _runs = worked("/reports/months?per_page=1&page=99")
    bands = "1 to 3 months 2, 3 to 6 months 0, 6 months or more 1."
    assert bands in _chart_text(second) and _chart_text(beyond) == _chart_text(second)
    pdf, runs = worked("/reports/months/print.pdf")
    assert runs == 1
    _csv, runs = worked("/reports/months/export?format=csv")
    assert runs == 1
    # Nothing found: no chart and no second reading.
    quiet = make_location(code="MOS-Q", name="Quiet months centre")
    db.session.commit()
    empty, runs = worked(f"/reports/months?location={quiet.id}")
    assert runs == 1 and "Items by months of stock" not in empty and "Rows " not in empty
