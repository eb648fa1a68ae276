"""Reports: figures worked by hand from a known history, on both databases; exports, PDFs,
charts, and a technician kept to their own place everywhere."""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.catalogue.models import Item
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.locations.models import Location
from hilogistics.reports.charts import BarChart, bar_chart_svg, nice_ticks
from hilogistics.stock import ledger
from hilogistics.stock.models import Grant, Lot, TransactionKind
from hilogistics.stock.queries import stock_card
from tests.conftest import sign_in
from tests.factories import (
    make_grant,
    make_item,
    make_location,
    make_lot,
    make_user,
    make_warehouse,
    operation_key,
    virtual,
)

TODAY = business_today()


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def move(kind: TransactionKind, lot: Lot, quantity: int, origin: Location, to: Location, on: date):
    """Post one line through the ledger, as the services do."""
    return ledger.post(
        kind=kind,
        lines=[
            ledger.Line(
                item_id=lot.item_id,
                lot_id=lot.id,
                quantity=quantity,
                from_location_id=origin.id,
                to_location_id=to.id,
            )
        ],
        actor=SYSTEM,
        occurred_on=on,
        operation_key=operation_key(),
    )


@dataclass
class History:
    """A warehouse, two centres, one item in two grants' lots, moved on known dates."""

    item: Item
    warehouse: Location
    centre: Location
    other: Location
    g1: Grant
    g2: Grant


@pytest.fixture
def history(app: Flask) -> History:
    item = make_item(code="REP-A")
    warehouse = make_warehouse(code="REP-W", name="Report warehouse")
    centre = make_location(code="REP-C", name="Report centre")
    other = make_location(code="REP-O", name="Other centre")
    g1, g2 = make_grant(code="REP-G1"), make_grant(code="REP-G2")
    lot1, lot2 = make_lot(item, grant_id=g1.id), make_lot(item, grant_id=g2.id)
    supplier, transit = virtual("SUPPLIER"), virtual("TRANSIT")
    recipients, loss = virtual("RECIPIENTS"), virtual("LOSS")
    k = TransactionKind
    move(k.RECEIPT, lot1, 100, supplier, warehouse, days_ago(30))
    move(k.RECEIPT, lot2, 40, supplier, warehouse, days_ago(30))
    move(k.DISPATCH, lot1, 30, warehouse, transit, days_ago(20))
    move(k.ARRIVAL, lot1, 30, transit, centre, days_ago(18))
    move(k.DISPATCH, lot2, 15, warehouse, transit, days_ago(10))
    move(k.ARRIVAL, lot2, 15, transit, other, days_ago(10))
    move(k.DISTRIBUTION, lot1, 12, centre, recipients, days_ago(5))
    move(k.ADJUSTMENT, lot1, 5, warehouse, loss, days_ago(2))
    db.session.commit()
    return History(item, warehouse, centre, other, g1, g2)


def rows_of_csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def stock_figures(client: FlaskClient, **args: object) -> dict[tuple[str, str], int]:
    """(place, grant) → quantity of the report's CSV for item REP-A, and its totals row."""
    response = client.get("/reports/stock/export", query_string={"format": "csv", **args})
    assert response.status_code == 200
    rows = rows_of_csv(response.data)
    header, body = rows[0], rows[1:]
    place, grant, code, qty = (header.index(h) for h in ("Place", "Grant", "Code", "On hand"))
    figures = {(r[place], r[grant]): int(r[qty]) for r in body if r[code] == "REP-A"}
    figures[("Total", "")] = int(body[-1][qty])
    assert body[-1][0] == "Total"
    return figures


def test_stock_today_and_as_of_past_dates_match_hand_worked_figures(
    history: History, client: FlaskClient
) -> None:
    sign_in(client, make_user(Role.VIEWER))
    db.session.commit()
    only = {"category": "", "grant": ""}
    # Today: warehouse G1 100-30-5, G2 40-15; centre G1 30-12; other centre G2 15.
    assert stock_figures(client, **only) == {
        ("Report warehouse", "REP-G1"): 65,
        ("Report warehouse", "REP-G2"): 25,
        ("Report centre", "REP-G1"): 18,
        ("Other centre", "REP-G2"): 15,
        ("Total", ""): 123,
    }
    # 15 days ago: the G1 dispatch had arrived, the G2 one not left yet.
    assert stock_figures(client, as_of=days_ago(15).isoformat()) == {
        ("Report warehouse", "REP-G1"): 70,
        ("Report warehouse", "REP-G2"): 40,
        ("Report centre", "REP-G1"): 30,
        ("Total", ""): 140,
    }
    # 19 days ago: 30 on the road (transit is no place of the report).
    assert stock_figures(client, as_of=days_ago(19).isoformat()) == {
        ("Report warehouse", "REP-G1"): 70,
        ("Report warehouse", "REP-G2"): 40,
        ("Total", ""): 110,
    }
    # One grant, one place.
    by_grant = stock_figures(
        client, grant=history.g2.id, location=history.warehouse.id, as_of=days_ago(15).isoformat()
    )
    assert by_grant == {("Report warehouse", "REP-G2"): 40, ("Total", ""): 40}


def test_stock_as_of_equals_the_stock_card_on_every_date(history: History) -> None:
    from hilogistics.reports.registry import REPORTS

    report = REPORTS["stock"]
    viewer = make_user(Role.VIEWER)
    for n in (31, 30, 20, 19, 18, 10, 5, 2, 1, 0):
        for place in (history.warehouse, history.centre, history.other):
            card = stock_card(history.item.id, place.id, as_of=days_ago(n), page=1, per_page=50)
            with _request(f"?as_of={days_ago(n).isoformat()}&location={place.id}"):
                form = report.form_class(__import__("flask").request.args)
                report.prepare(form, viewer, "en")
                assert form.validate()
                rows = db.session.execute(report.statement(form, viewer, "en")).all()
            assert sum(r.quantity for r in rows if r.code == "REP-A") == card.closing, (n, place)


def _request(query: str):
    from flask import current_app

    return current_app.test_request_context("/reports/stock" + query)


def test_a_technician_sees_only_their_place_in_page_exports_and_pdf(
    history: History, client: FlaskClient
) -> None:
    technician = make_user(Role.TECHNICIAN, location=history.centre)
    db.session.commit()
    sign_in(client, technician)
    # Asking for the warehouse changes nothing: the place is the technician's own.
    figures = stock_figures(client, location=history.warehouse.id)
    assert figures == {("Report centre", "REP-G1"): 18, ("Total", ""): 18}
    page = client.get(f"/reports/stock?location={history.warehouse.id}")
    assert page.status_code == 200
    assert b"Report centre" in page.data
    assert b"Report warehouse" not in page.data and b"Other centre" not in page.data
    workbook = load_workbook(
        io.BytesIO(client.get("/reports/stock/export?format=xlsx").data), read_only=True
    )
    text = " ".join(str(v) for row in workbook.active.iter_rows(values_only=True) for v in row if v)
    assert "Report centre" in text and "Report warehouse" not in text
    pdf = client.get("/reports/stock/print.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_report_pages_answer_with_filters_and_bad_filters(
    history: History, client: FlaskClient
) -> None:
    sign_in(client, make_user(Role.LOGISTICS))
    db.session.commit()
    assert client.get("/reports").status_code == 200
    page = client.get("/reports/stock?as_of=not-a-date&location=x&grant=999999&per_page=2")
    assert page.status_code == 200
    assert b"Total (all pages)" in page.data
    assert client.get("/reports/nothing").status_code == 404
    pdf = client.get(f"/reports/stock/print.pdf?as_of={days_ago(15).isoformat()}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_chart_with_nothing_to_show_is_not_drawn(app: Flask, client: FlaskClient) -> None:
    """No stock-out in the period: the page says so in its table, without empty axes."""
    sign_in(client, make_user(Role.LOGISTICS))
    db.session.commit()
    page = client.get("/reports/stockouts").get_data(as_text=True)
    assert "<svg" not in page and "report-chart" not in page
    pdf = client.get("/reports/stockouts/print.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_bar_chart_has_title_description_axes_and_escapes_its_text() -> None:
    chart = BarChart(
        title="Units <by> month",
        description="Three months",
        labels=["2026-01", "2026-02", "평양 & co"],
        values=[3, 10, 7],
        x_caption="Month",
        y_caption="Units",
    )
    svg = bar_chart_svg(chart, element_id="c")
    assert 'role="img"' in svg and 'aria-labelledby="c-t c-d"' in svg
    assert '<title id="c-t">Units &lt;by&gt; month</title>' in svg
    assert '<desc id="c-d">Three months</desc>' in svg
    assert "평양 &amp; co" in svg and svg.count("<rect") == 4  # background and three bars
    assert "<title" not in bar_chart_svg(chart, printable=True)
    assert nice_ticks(10) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(7)[-1] >= 7


@dataclass
class Slips:
    """Four slips at two centres over two months (see the test for the figures)."""

    centre: Location
    other: Location
    previous: str
    current: str


@pytest.fixture
def slips(app: Flask) -> Slips:
    from hilogistics.distributions.models import FittingService, RecipientType, Side
    from hilogistics.distributions.services import LineInput, Recipient, record_distribution

    item = make_item(code="REP-D")
    centre = make_location(code="REP-DC", name="Slip centre")
    other = make_location(code="REP-DO", name="Camp centre")
    lot = make_lot(item)
    supplier = virtual("SUPPLIER")
    first = TODAY.replace(day=1)
    previous_start = (first - timedelta(days=1)).replace(day=1)
    move(TransactionKind.RECEIPT, lot, 50, supplier, centre, previous_start)
    move(TransactionKind.RECEIPT, lot, 50, supplier, other, previous_start)

    def slip(place: Location, on: date, quantity: int, recipient: Recipient) -> None:
        record_distribution(
            actor=SYSTEM,
            location_id=place.id,
            distributed_on=on,
            recipient=recipient,
            lines=[LineInput(item.id, lot.id, quantity)],
            operation_key=operation_key(),
        )

    t = RecipientType
    slip(
        centre,
        previous_start + timedelta(days=2),
        2,
        Recipient(t.PATIENT, reference="BEN-0001", service=FittingService.NEW, side=Side.LEFT),
    )
    slip(
        centre,
        previous_start + timedelta(days=5),
        10,
        Recipient(t.CLASS, reference="CLS-01", headcounts={"girls": 3, "boys": 4}),
    )
    slip(centre, first, 5, Recipient(t.WORKSHOP))
    slip(
        other,
        previous_start + timedelta(days=5),
        6,
        Recipient(
            t.CAMP_SESSION,
            reference="CMP-01",
            headcounts={"women": 2, "men": 1, "older_women": 1},
        ),
    )
    db.session.commit()
    return Slips(centre, other, previous_start.strftime("%Y-%m"), first.strftime("%Y-%m"))


def report_csv(client: FlaskClient, name: str, **args: object) -> list[dict[str, str]]:
    response = client.get(f"/reports/{name}/export", query_string={"format": "csv", **args})
    assert response.status_code == 200
    rows = rows_of_csv(response.data)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_distributions_by_month_and_place_match_hand_worked_figures(
    slips: Slips, client: FlaskClient
) -> None:
    sign_in(client, make_user(Role.VIEWER))
    db.session.commit()
    fields = ("Slips", "Girls (0–17)", "Boys (0–17)", "Women (18–59)", "Men (18–59)")
    fields += ("Women (60 and over)", "Individuals", "People served", "Quantity")
    rows = report_csv(client, "distributions", group="place")
    figures = {(r["Month"], r["Place"]): tuple(r[f] for f in fields) for r in rows}
    assert figures == {
        (slips.previous, "Slip centre"): ("2", "3", "4", "0", "0", "0", "1", "8", "12"),
        (slips.previous, "Camp centre"): ("1", "0", "0", "2", "1", "1", "0", "4", "6"),
        (slips.current, "Slip centre"): ("1", "0", "0", "0", "0", "0", "0", "0", "5"),
        ("Total", ""): ("4", "3", "4", "2", "1", "1", "1", "12", "23"),
    }
    by_type = report_csv(client, "distributions", group="recipient_type")
    units = {r["Recipient type"]: r["Quantity"] for r in by_type if r["Month"] == slips.previous}
    assert units == {"Patient fitting": "2", "Class or school": "10", "Camp session": "6"}
    months = report_csv(client, "distributions", group="")
    assert [(r["Month"], r["People served"], r["Quantity"]) for r in months] == [
        (slips.previous, "12", "18"),
        (slips.current, "0", "5"),
        ("Total", "12", "23"),
    ]
    by_service = report_csv(client, "distributions", group="service", service="new")
    assert [(r["Month"], r["Service"], r["Quantity"]) for r in by_service] == [
        (slips.previous, "New fitting", "2"),
        ("Total", "", "2"),
    ]
    page = client.get("/reports/distributions")
    assert page.status_code == 200
    assert b'role="img"' in page.data and b"Units distributed per month" in page.data
    pdf = client.get("/reports/distributions/print.pdf?group=item")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_breakdown_by_item_reads_the_slips_once_for_page_totals_and_chart(
    slips: Slips, client: FlaskClient, count_queries: Callable[[], list[str]]
) -> None:
    """One execution per page, PDF and export; the chart read alone past the end agrees."""
    sign_in(client, make_user(Role.VIEWER))
    db.session.commit()

    def worked(url: str) -> tuple[str, int]:
        before = len(count_queries())
        body = unescape(client.get(url).data.decode("utf-8", "replace"))
        return body, sum("distribution_lines" in s for s in count_queries()[before:])

    second, runs = worked("/reports/distributions?group=item&per_page=1&page=2")
    assert runs == 1 and "Rows 2–2 of 2" in second
    assert second.count("<td>REP-D") == 1 and '<td class="number">23</td>' in second
    chart = f"Units handed out or used per month: {slips.previous} 18, {slips.current} 5."
    assert chart in second
    beyond, _runs = worked("/reports/distributions?group=item&per_page=1&page=9")
    assert chart in beyond
    _pdf, runs = worked("/reports/distributions/print.pdf?group=item")
    assert runs == 1
    export, runs = worked("/reports/distributions/export?group=item&format=csv")
    assert runs == 1 and export.strip().splitlines()[-1].endswith(",23")


def test_a_technician_sees_only_their_own_slips(slips: Slips, client: FlaskClient) -> None:
    sign_in(client, make_user(Role.TECHNICIAN, location=slips.other))
    db.session.commit()
    rows = report_csv(client, "distributions", group="place", location=slips.centre.id)
    assert [(r["Place"], r["Quantity"]) for r in rows] == [("Camp centre", "6"), ("", "6")]
    page = client.get("/reports/distributions?group=place")
    assert b"Slip centre" not in page.data
    # The chart counts only the technician's units too.
    assert b"Units handed out or used per month: " + slips.previous.encode() + b" 6" in page.data


@pytest.fixture
def expiring(app: Flask) -> tuple[Location, Location]:
    item = make_item(code="REP-E", tracks_expiry=True)
    warehouse = make_warehouse(code="REP-EW", name="Expiry warehouse")
    centre = make_location(code="REP-EC", name="Expiry centre")
    supplier = virtual("SUPPLIER")
    for days, place, quantity in (
        (-3, warehouse, 8),
        (10, warehouse, 5),
        (10, centre, 4),
        (60, warehouse, 7),
        (150, warehouse, 9),
        (400, warehouse, 11),
    ):
        lot = make_lot(item, code=f"E{days}", expires_on=TODAY + timedelta(days=days))
        ledger.post(
            kind=TransactionKind.RECEIPT,
            lines=[ledger.Line(item.id, lot.id, quantity, supplier.id, place.id)],
            actor=SYSTEM,
            occurred_on=days_ago(10),
            operation_key=operation_key(),
            receive_expired=True,
        )
    db.session.commit()
    return warehouse, centre


def test_expiry_bands_and_chart_match_hand_worked_figures(
    expiring: tuple[Location, Location], client: FlaskClient
) -> None:
    warehouse, centre = expiring
    sign_in(client, make_user(Role.LOGISTICS))
    db.session.commit()
    rows = report_csv(client, "expiry")
    assert [(r["Place"], r["Lot"], r["When"], r["On hand"]) for r in rows] == [
        ("Expiry warehouse", "E-3", "Expired", "8"),
        ("Expiry centre", "E10", "Within 30 days", "4"),
        ("Expiry warehouse", "E10", "Within 30 days", "5"),
        ("Expiry warehouse", "E60", "In 31 to 90 days", "7"),
        ("Expiry warehouse", "E150", "In 91 to 180 days", "9"),
        ("Total", "", "", "33"),
    ]
    assert [r["On hand"] for r in report_csv(client, "expiry", horizon="30")][-1] == "17"
    page = client.get("/reports/expiry")
    assert (
        "Units on hand by expiry: Expired 8, Within 30 days 9, In 31 to 90 days 7, "
        "In 91 to 180 days 9." in page.get_data(as_text=True)
    )
    sign_in(client, make_user(Role.TECHNICIAN, location=centre))
    db.session.commit()
    rows = report_csv(client, "expiry", location=warehouse.id)
    assert [(r["Place"], r["On hand"]) for r in rows] == [("Expiry centre", "4"), ("Total", "4")]
    assert "Expired 0, Within 30 days 4," in client.get("/reports/expiry").get_data(as_text=True)
    pdf = client.get("/reports/expiry/print.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_grant_report_balances_down_the_chain_with_hand_worked_figures(
    app: Flask, client: FlaskClient
) -> None:
    from hilogistics.distributions.models import RecipientType
    from hilogistics.distributions.services import LineInput, Recipient, record_distribution

    item = make_item(code="REP-GR")
    warehouse = make_warehouse(code="REP-GW")
    centre = make_location(code="REP-GC")
    grant = make_grant(code="REP-GRANT", starts_on=days_ago(40), ends_on=days_ago(3))
    other_grant = make_grant(code="REP-OTHER")
    lot, other_lot = make_lot(item, grant_id=grant.id), make_lot(item, grant_id=other_grant.id)
    supplier, transit = virtual("SUPPLIER"), virtual("TRANSIT")
    loss = virtual("LOSS")
    k = TransactionKind
    move(k.RECEIPT, lot, 20, supplier, warehouse, days_ago(50))  # before the period: opening
    move(k.RECEIPT, lot, 100, supplier, warehouse, days_ago(30))
    move(k.RECEIPT, other_lot, 7, supplier, warehouse, days_ago(30))  # another grant's
    move(k.DISPATCH, lot, 40, warehouse, transit, days_ago(25))
    move(k.ARRIVAL, lot, 40, transit, centre, days_ago(24))

    def slip(on: date, quantity: int, **headcounts: int) -> None:
        record_distribution(
            actor=SYSTEM,
            location_id=centre.id,
            distributed_on=on,
            recipient=Recipient(RecipientType.CLASS, reference="CLS-02", headcounts=headcounts),
            lines=[LineInput(item.id, lot.id, quantity)],
            operation_key=operation_key(),
        )

    slip(days_ago(20), 15, girls=3, boys=2)
    move(k.ADJUSTMENT, lot, 6, warehouse, loss, days_ago(10))
    move(k.DISPATCH, lot, 10, warehouse, transit, days_ago(5))  # on the road at the end
    slip(days_ago(1), 4, women=1)  # after the period: not counted
    db.session.commit()
    sign_in(client, make_user(Role.VIEWER))
    db.session.commit()
    rows = report_csv(client, "grant", grant=grant.id)
    names = ("Opening", "Received", "Dispatched", "Distributed", "Lost or written off")
    names += ("On hand at warehouses", "On hand elsewhere", "People served")
    figures = [tuple(int(r[n]) for n in names) for r in rows]
    assert figures == [(20, 100, 50, 15, 6, 64, 35, 5), (20, 100, 50, 15, 6, 64, 35, 5)]
    opening, received, dispatched, distributed, lost, warehouses, elsewhere, _ = figures[0]
    assert opening + received == distributed + lost + warehouses + elsewhere
    assert opening + received == dispatched + lost + warehouses  # the warehouse's share
    assert dispatched == distributed + elsewhere  # the field's share
    # Up to today instead: the last slip is in, the 10 on the road still are.
    rows = report_csv(client, "grant", grant=grant.id, date_to=TODAY.isoformat())
    assert [int(rows[0][n]) for n in ("Distributed", "On hand elsewhere", "People served")] == [
        19,
        31,
        6,
    ]
    assert client.get(f"/reports/grant?grant={grant.id}").status_code == 200
    assert client.get(f"/reports/grant/print.pdf?grant={grant.id}").data.startswith(b"%PDF")
    # Opened from the menu, no grant chosen yet: the first grant, not an error about the field.
    opened = client.get("/reports/grant").get_data(as_text=True)
    assert "Not a valid choice" not in opened and "Error:" not in opened
    assert item.code in opened
    # The chain runs through every place: not a technician's report.
    sign_in(client, make_user(Role.TECHNICIAN, location=centre))
    db.session.commit()
    assert client.get("/reports/grant").status_code == 404
    assert client.get("/reports/grant/export").status_code == 404
    assert b"/reports/grant" not in client.get("/reports").data


def test_stock_outs_count_the_days_with_nothing_on_hand(app: Flask, client: FlaskClient) -> None:
    s_item, t_item = make_item(code="REP-S"), make_item(code="REP-T")
    centre = make_location(code="REP-SC", name="Out centre")
    other = make_location(code="REP-SO", name="Empty centre")
    warehouse = make_warehouse(code="REP-SW", name="Full warehouse")
    s_lot, t_lot = make_lot(s_item), make_lot(t_item)
    supplier, recipients = virtual("SUPPLIER"), virtual("RECIPIENTS")
    k = TransactionKind
    move(k.RECEIPT, s_lot, 100, supplier, warehouse, days_ago(40))
    move(k.RECEIPT, s_lot, 10, supplier, centre, days_ago(40))
    move(k.DISTRIBUTION, s_lot, 10, centre, recipients, days_ago(35))
    move(k.RECEIPT, s_lot, 5, supplier, centre, days_ago(25))
    move(k.DISTRIBUTION, s_lot, 5, centre, recipients, days_ago(20))
    move(k.RECEIPT, s_lot, 3, supplier, centre, days_ago(15))
    move(k.DISTRIBUTION, s_lot, 3, centre, recipients, days_ago(5))  # after the period
    move(k.RECEIPT, t_lot, 4, supplier, centre, days_ago(22))  # first ever: not out before
    move(k.DISTRIBUTION, t_lot, 4, centre, recipients, days_ago(12))
    move(k.RECEIPT, s_lot, 2, supplier, other, days_ago(40))
    move(k.DISTRIBUTION, s_lot, 2, other, recipients, days_ago(30))
    db.session.commit()
    sign_in(client, make_user(Role.VIEWER))
    db.session.commit()
    period = {"date_from": days_ago(29).isoformat(), "date_to": days_ago(10).isoformat()}
    rows = report_csv(client, "stockouts", **period)
    # Centre, S: out days 29–26 (4) and 20–16 (5); T: days 12–10 (3); the other centre: all 20.
    assert [
        (r["Place"], r["Code"], r["Days out of stock"], r["On hand at the end"]) for r in rows
    ] == [
        ("Empty centre", "REP-S", "20", "0"),
        ("Out centre", "REP-S", "9", "3"),
        ("Out centre", "REP-T", "3", "0"),
        ("Total", "", "32", "3"),
    ]
    page = client.get("/reports/stockouts", query_string=period).get_data(as_text=True)
    assert "for the 2 items out longest: REP-S 29, REP-T 3." in page
    assert client.get("/reports/stockouts/print.pdf").data.startswith(b"%PDF")
    sign_in(client, make_user(Role.TECHNICIAN, location=centre))
    db.session.commit()
    rows = report_csv(client, "stockouts", location=other.id, **period)
    assert [(r["Code"], r["Days out of stock"]) for r in rows] == [
        ("REP-S", "9"),
        ("REP-T", "3"),
        ("", "12"),
    ]
    page = client.get("/reports/stockouts", query_string=period).get_data(as_text=True)
    assert "Empty centre" not in page and "REP-S 9, REP-T 3." in page
