"""Report pages: a page of rows with its range and links that keep the filters, totals over all
pages, exports of every row, and a technician's page of their own place only."""

import csv
import io
import re
from datetime import timedelta
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.catalogue.models import Category
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.locations.models import Location
from hilogistics.reports.registry import REPORTS
from hilogistics.stock.models import Grant, TransactionKind
from tests.conftest import sign_in
from tests.factories import (
    make_category,
    make_grant,
    make_item,
    make_long_named,
    make_lot,
    make_user,
    make_warehouse,
    operation_key,
    receive,
    virtual,
)
from tests.test_documents import beyond_the_margins, broken_words, pdf_fragments, pdf_pages
from tests.test_reports import TODAY, days_ago, move, rows_of_csv


def _places(app: Flask) -> tuple[Location, Location]:
    """Five items received at one store (1, 2, … 5 of each), two at another; one category."""
    category = make_category(code="PAGES", name="Paged")
    warehouse = make_warehouse(code="PG-W", name="A paged warehouse")
    centre = make_warehouse(code="PG-C", name="B paged store")
    for n in range(1, 6):
        receive(make_item(code=f"PG-{n}", category_id=category.id), n, warehouse)
    for n in (6, 7):
        receive(make_item(code=f"PG-{n}", category_id=category.id), n, centre)
    db.session.commit()
    return warehouse, centre


def _codes(body: str) -> list[str]:
    return re.findall(r"<td>(PG-\d)</td>", body)


@pytest.mark.parametrize("as_of", ["", "today"])
def test_a_report_page_shows_its_range_keeps_the_filters_and_totals_every_page(
    app: Flask, client: FlaskClient, as_of: str
) -> None:
    """Today's page reads the summaries in order; a past date's counts in the page's pass."""
    warehouse, centre = _places(app)
    sign_in(client, make_user(Role.LOGISTICS))
    db.session.commit()
    category_id = db.session.scalar(select(Category.id).where(Category.code == "PAGES"))
    query = f"category={category_id}&per_page=3"
    if as_of:
        query += f"&as_of={business_today().isoformat()}"
    first = unescape(client.get(f"/reports/stock?{query}").get_data(as_text=True))
    assert "Rows 1–3 of 7" in first
    assert _codes(first) == ["PG-1", "PG-2", "PG-3"]
    assert "Total (all pages)" in first and '<td class="number">28</td>' in first
    # The next page's link keeps the category and the page size.
    [next_link] = re.findall(r'href="([^"]+)" rel="next"', first)
    assert f"category={category_id}" in next_link and "per_page=3" in next_link
    second = unescape(client.get(next_link).get_data(as_text=True))
    assert "Rows 4–6 of 7" in second
    assert _codes(second) == ["PG-4", "PG-5", "PG-6"]
    assert '<td class="number">28</td>' in second
    assert re.search(r'href="[^"]*page=1[^"]*" rel="prev"', second)
    last = unescape(client.get(f"/reports/stock?{query}&page=3").get_data(as_text=True))
    assert "Rows 7–7 of 7" in last and _codes(last) == ["PG-7"]
    # Past the end: no rows, no range, no crash.
    beyond = client.get(f"/reports/stock?{query}&page=9")
    assert beyond.status_code == 200 and b"Rows " not in beyond.data

    # The exports hold every row, whatever page was read, and the total.
    export = client.get(f"/reports/stock/export?{query}&page=2&format=csv")
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert [r[2] for r in rows[1:-1]] == [f"PG-{n}" for n in range(1, 8)]
    assert rows[-1][0] == "Total" and rows[-1][-1] == "28"


def test_a_technicians_report_page_counts_and_totals_their_place_only(
    app: Flask, client: FlaskClient
) -> None:
    warehouse, centre = _places(app)
    sign_in(client, make_user(Role.TECHNICIAN, location=centre))
    db.session.commit()
    page = unescape(
        client.get(f"/reports/stock?location={warehouse.id}&per_page=1").get_data(as_text=True)
    )
    assert "Rows 1–1 of 2" in page and _codes(page) == ["PG-6"]
    assert "A paged warehouse" not in page.split("<table")[1]
    assert '<td class="number">13</td>' in page


def test_a_french_reader_reads_places_by_their_french_names(
    app: Flask, client: FlaskClient
) -> None:
    _warehouse, centre = _places(app)
    centre.name_fr = "Magasin B"
    sign_in(client, make_user(Role.LOGISTICS))
    db.session.commit()
    url = f"/reports/stock?location={centre.id}"
    page = unescape(client.get(url, headers={"Accept-Language": "fr"}).get_data(as_text=True))
    assert "Magasin B" in page.split("<table")[1] and "B paged store" not in page
    english = unescape(client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert "B paged store" in english.split("<table")[1] and "Magasin B" not in english


@pytest.mark.parametrize(
    ("name", "group"), [(name, "") for name in sorted(REPORTS)] + [("distributions", "item")]
)
def test_every_reports_pdf_keeps_each_heading_word_whole(
    name: str, group: str, app: Flask, client: FlaskClient
) -> None:
    """Column widths leave room for each heading word at the smallest heading size: a word cut
    letter by letter ("Suggeste / d") reads badly on paper. With no grant recorded yet, the
    per-grant report prints empty (it failed comparing dates with nothing)."""
    sign_in(client, make_user(Role.LOGISTICS))
    response = client.get(f"/reports/{name}/print.pdf", query_string={"group": group})
    assert response.status_code == 200
    lines = pdf_pages(response.data)[0].splitlines()
    report = REPORTS[name]
    form = report.form_class(MultiDict({"group": group}), meta={"csrf": False})
    for column in report.columns(form):
        for word in str(column.label).split():
            assert any(word in line for line in lines), (name, word)


@pytest.fixture
def long_names(app: Flask) -> Grant:
    """Names as long as the programme's: a roll (두루마리, rouleau), long French names, codes.

    Received under a grant with an expiry, sent on to a centre, handed out there to nothing
    left (a stock-out) and on a slip: every report has rows.
    """
    from hilogistics.distributions.models import RecipientType
    from hilogistics.distributions.services import LineInput, Recipient, record_distribution

    category = make_category(
        code="LN-ORTHO",
        name="Orthopaedic materials and consumables",
        name_ko="정형외과재료 및 소모품",
        name_fr="Matériaux et consommables orthopédiques",
    )
    warehouse, centre, items = make_long_named(category=category, first_expires=True)
    grant = make_grant(
        code="ECHO-PRK-25-0714",
        donor="European Commission, Humanitarian Aid (ECHO)",
        title="Physical rehabilitation services in Pyongyang and the provinces",
    )
    supplier, transit = virtual("SUPPLIER"), virtual("TRANSIT")
    k = TransactionKind
    for item in items:
        lot = make_lot(
            item,
            code="LOT-2026-PYONGYANG-0001",
            grant_id=grant.id,
            expires_on=TODAY + timedelta(days=40) if item.tracks_expiry else None,
        )
        move(k.RECEIPT, lot, 120, supplier, warehouse, days_ago(30))
        move(k.DISPATCH, lot, 20, warehouse, transit, days_ago(20))
        move(k.ARRIVAL, lot, 20, transit, centre, days_ago(18))
        record_distribution(
            actor=SYSTEM,
            location_id=centre.id,
            distributed_on=days_ago(10),
            recipient=Recipient(RecipientType.CLASS, reference="CLS-01", headcounts={"girls": 3}),
            lines=[LineInput(item.id, lot.id, 20)],
            operation_key=operation_key(),
        )
    db.session.commit()
    return grant


@pytest.mark.parametrize("locale", ["ko_KP", "fr"])
def test_every_reports_pdf_keeps_each_word_of_headings_and_cells_whole(
    locale: str, long_names: Grant, app: Flask, client: FlaskClient
) -> None:
    """Long names in the reader's language ("Matériaux et consommables orthopédiques",
    "두루마리", item codes): no heading or cell word is cut between two lines (words printed
    whole are found in one drawn piece of text), nor runs off the paper. The reports with many
    number columns (per grant, months of stock, distributions) turn landscape for it; the
    others too when their rows would wrap on more than four lines in portrait."""
    user = make_user(Role.ADMIN, locale=locale)
    db.session.commit()
    sign_in(client, user)
    reports = [(name, {}) for name in sorted(REPORTS)] + [("distributions", {"group": "item"})]
    for name, args in reports:
        if name == "grant":
            args = {"grant": long_names.id}
        response = client.get(f"/reports/{name}/print.pdf", query_string=args)
        assert response.status_code == 200, name
        fragments = pdf_fragments(response.data)
        # The same rows in the reader's language, as the export gives them.
        export = client.get(f"/reports/{name}/export", query_string={**args, "format": "csv"})
        cells = [value for row in rows_of_csv(export.data)[1:] for value in row]
        assert any("MAT-" in value for value in cells) or name == "distributions", name
        report = REPORTS[name]
        form = report.form_class(MultiDict(args), meta={"csrf": False})
        headings = []
        for language in ("ko_KP", "en"):
            with force_locale(language):
                headings += [str(column.label) for column in report.columns(form)]
        assert broken_words(headings + cells, fragments) == [], (name, locale)
        assert beyond_the_margins(response.data) == [], (name, locale)
        page = PdfReader(io.BytesIO(response.data)).pages[0].mediabox
        if name in ("grant", "months", "distributions"):
            assert page.width > page.height, (name, locale)
