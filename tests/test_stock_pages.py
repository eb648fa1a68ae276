"""Stock pages: on hand from balances, flags, export, reorder levels, item, card, transactions."""

import csv
import dataclasses
import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Category, Item
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.locations.models import Location
from hilogistics.stock import ledger
from hilogistics.stock.models import (
    AdjustmentDirection,
    AdjustmentReason,
    Lot,
    ReorderLevel,
    StockTransaction,
)
from hilogistics.stock.services import (
    ReceiptLine,
    adjust_stock,
    record_receipt,
    reverse_transaction,
    set_reorder_level,
)
from tests.conftest import sign_in
from tests.factories import (
    make_grant,
    make_item,
    make_location,
    make_province,
    make_warehouse,
    operation_key,
    receive,
    virtual,
)

TODAY = business_today()


# --- helpers ----------------------------------------------------------------------------------


class _Tables(HTMLParser):
    """Collects every table of a page: caption → body rows → cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: list[str] | None = None
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self._rows = []
        elif tag == "caption":
            self._caption = []
        elif tag in ("tbody", "tfoot"):
            self._in_body = True
        elif tag == "tr" and self._in_body and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._in_body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self._current = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag in ("tbody", "tfoot"):
            self._in_body = False
        elif tag == "table" and self._rows is not None:
            self.tables[self._current] = self._rows
            self._rows = None

    def handle_data(self, data: str) -> None:
        if self._caption is not None:
            self._caption.append(data)
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    """Caption → rows of cell texts, for every table on the page."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def table(html: str, caption_start: str) -> list[list[str]]:
    """The rows of the one table whose caption starts with ``caption_start``."""
    [rows] = [rows for caption, rows in tables(html).items() if caption.startswith(caption_start)]
    return rows


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def reason(code: str) -> AdjustmentReason:
    return db.session.scalar(select(AdjustmentReason).where(AdjustmentReason.code == code))


def category(code: str) -> Category:
    return db.session.scalar(select(Category).where(Category.code == code))


def adjust(
    location: Location,
    item: Item,
    lot_id: int,
    quantity: int,
    *,
    direction: AdjustmentDirection = AdjustmentDirection.OUT,
    days_ago: int = 0,
) -> StockTransaction:
    """Take stock out as damaged, or bring it in as found, on a business date in the past."""
    return adjust_stock(
        actor=SYSTEM,
        location_id=location.id,
        item_id=item.id,
        lot_id=lot_id,
        quantity=quantity,
        direction=direction,
        reason_id=reason("damaged" if direction is AdjustmentDirection.OUT else "found").id,
        occurred_on=TODAY - timedelta(days=days_ago),
        operation_key=operation_key(),
        note="test adjustment",
    )


def receipt(
    item: Item, quantity: int, warehouse: Location, *, days_ago: int = 0, reference: str = ""
) -> StockTransaction:
    """A receipt with a reference, on a business date in the past."""
    return record_receipt(
        actor=SYSTEM,
        warehouse_id=warehouse.id,
        occurred_on=TODAY - timedelta(days=days_ago),
        operation_key=operation_key(),
        reference=reference,
        lines=[ReceiptLine(item.id, quantity)],
    )


def lot_id(transaction: StockTransaction) -> int:
    return transaction.movements[0].lot_id


def stock_at(location: Location, item: Item, quantity: int, **lot: object) -> int:
    """Give a place stock: received into a warehouse, found at any other place. Returns the lot."""
    if location.kind.value == "warehouse":
        return lot_id(receive(item, quantity, location, **lot))
    warehouse = make_warehouse()
    lot_of_item = lot_id(receive(item, quantity, warehouse, **lot))
    adjust(warehouse, item, lot_of_item, quantity)
    adjust(location, item, lot_of_item, quantity, direction=AdjustmentDirection.IN)
    return lot_of_item


def level(location: Location, item: Item, minimum: int, maximum: int | None = None) -> None:
    set_reorder_level(
        actor=SYSTEM, location_id=location.id, item_id=item.id, minimum=minimum, maximum=maximum
    )


@pytest.fixture
def staff(login_as: Callable[..., User]) -> User:
    return login_as(Role.LOGISTICS)


# --- stock on hand ----------------------------------------------------------------------------


def test_on_hand_sums_each_item_over_its_lots_with_reserved_and_earliest_expiry(
    client: FlaskClient, staff: User
) -> None:
    warehouse = make_warehouse()
    item = make_item(code="ORT-KNEE-01", tracks_expiry=True)
    soon, later = TODAY + timedelta(days=20), TODAY + timedelta(days=200)
    stock_at(warehouse, item, 4, lot_code="A", expires_on=soon)
    stock_at(warehouse, item, 10, lot_code="B", expires_on=later)
    emptied = stock_at(warehouse, item, 1, lot_code="C", expires_on=TODAY + timedelta(days=5))
    adjust(warehouse, item, emptied, 1)
    # Reservations are per item, whatever lot is picked later.
    ledger.reserve(
        actor=SYSTEM, holder="REQ-1/1", location_id=warehouse.id, item_id=item.id, quantity=3
    )
    db.session.commit()

    html = page(client, f"/stock/locations/{warehouse.id}")

    [row] = table(html, "Items at")
    code, _name, _cat, unit, on_hand, available, expiry, minimum, flags, _card = row
    assert (code, unit, on_hand, available) == ("ORT-KNEE-01", "piece", "14", "11")
    assert expiry == soon.isoformat()  # lot C expires sooner but holds nothing
    assert (minimum, flags) == ("—", "Expiring within 90 days")
    assert f"/stock/locations/{warehouse.id}/items/{item.id}" in html
    assert f"/stock/items/{item.id}" in html


def test_on_hand_filters_by_category_with_children_family_and_text_in_any_language(
    client: FlaskClient, staff: User
) -> None:
    warehouse = make_warehouse()
    foot = make_item(code="ORT-FOOT-22", category=category("ORTHO-PROS"), family="sach")
    make_item(code="ORT-FOOT-24", category=category("ORTHO-PROS"), family="sach")
    braille = make_item(code="EDU-BRL-1", category=category("EDU-BRL"), name_ko="점자판")
    paint = make_item(code="RENO-PAINT", category=category("RENO"), name_fr="Peinture blanche")
    for item in db.session.scalars(select(Item)):
        stock_at(warehouse, item, 5)
    db.session.commit()
    base = f"/stock/locations/{warehouse.id}"

    def codes(query: str) -> list[str]:
        return [row[0] for row in table(page(client, f"{base}?{query}"), "Items at")]

    assert codes(f"category={category('ORTHO').id}") == ["ORT-FOOT-22", "ORT-FOOT-24"]
    assert codes(f"category={category('EDU-BRL').id}") == [braille.code]
    assert codes("family=sach&q=FOOT-22") == [foot.code]
    assert codes("q=점자") == [braille.code]
    assert codes("q=peinture") == [paint.code]
    assert codes("q=%25") == ["No item matches."]  # a wildcard is searched for, not obeyed


def test_flags_are_words_and_only_flagged_keeps_short_expiring_and_expired_items(
    client: FlaskClient, staff: User
) -> None:
    warehouse = make_warehouse()
    short = make_item(code="A-SHORT")
    expiring = make_item(code="B-EXPIRING", tracks_expiry=True)
    expired = make_item(code="C-EXPIRED", tracks_expiry=True)
    fine = make_item(code="D-FINE", tracks_expiry=True)
    stock_at(warehouse, short, 5)
    level(warehouse, short, 10)
    stock_at(warehouse, expiring, 5, lot_code="E", expires_on=TODAY + timedelta(days=30))
    # Received before it expired (an expired lot is no longer received).
    stock_at(
        warehouse,
        expired,
        5,
        lot_code="X",
        expires_on=TODAY - timedelta(days=1),
        occurred_on=TODAY - timedelta(days=5),
    )
    stock_at(warehouse, fine, 5, lot_code="F", expires_on=TODAY + timedelta(days=400))
    db.session.commit()
    base = f"/stock/locations/{warehouse.id}"

    flags = {row[0]: row[8] for row in table(page(client, base), "Items at")}
    assert flags == {
        "A-SHORT": "Below minimum",
        "B-EXPIRING": "Expiring within 90 days",
        "C-EXPIRED": "Expired",
        "D-FINE": "",
    }
    flagged = [row[0] for row in table(page(client, f"{base}?flagged=y"), "Items at")]
    assert flagged == ["A-SHORT", "B-EXPIRING", "C-EXPIRED"]
    by_expiry = [row[0] for row in table(page(client, f"{base}?sort=expiry"), "Items at")]
    assert by_expiry == ["C-EXPIRED", "B-EXPIRING", "D-FINE", "A-SHORT"]  # no expiry: last
    by_expiry = [
        row[0] for row in table(page(client, f"{base}?sort=expiry&order=desc"), "Items at")
    ]
    assert by_expiry == ["D-FINE", "B-EXPIRING", "C-EXPIRED", "A-SHORT"]
    flagged = [row[0] for row in table(page(client, f"{base}?flagged=y&days=10"), "Items at")]
    assert flagged == ["A-SHORT", "C-EXPIRED"]
    html = page(client, f"{base}?days=500")
    assert {row[0]: row[8] for row in table(html, "Items at")}["D-FINE"] == (
        "Expiring within 500 days"
    )


def test_on_hand_rows_escape_their_text_and_label_every_cell_in_the_readers_language(
    client: FlaskClient, staff: User
) -> None:
    """The rows are written in Python (issue 13): the markup the template wrote, escaped."""
    warehouse = make_warehouse()
    item = make_item(code="ESC-<1>", name="Bolt & <b>nut</b>", name_ko="볼트 <i>")
    stock_at(warehouse, item, 5)
    level(warehouse, item, 10)
    db.session.commit()
    url = f"/stock/locations/{warehouse.id}?family=%22%3E"

    html = page(client, url)
    assert (
        f'<td class="code"><a href="/stock/items/{item.id}">ESC-&lt;1&gt;</a></td>\n'
        '    <td class="lead">Bolt &amp; &lt;b&gt;nut&lt;/b&gt;</td>'
    ) in html
    assert '<td data-label="Flags"><strong class="flag flag-below-minimum">Below minimum' in html
    assert (
        f'<a href="/stock/locations/{warehouse.id}/items/{item.id}">Stock card'
        '<span class="visually-hidden"> ESC-&lt;1&gt;</span></a>'
    ) in html
    assert '<option selected value="">All families</option>' in html
    assert "<b>" not in html.split("<tbody>")[1]
    korean = client.get(url, headers={"Accept-Language": "ko"}).get_data(as_text=True)
    cells = re.findall(r'<td[^>]*data-label="([^"]*)"', korean.split("<tbody>")[1])
    assert len(cells) == 8 and "Flags" not in cells and "볼트 &lt;i&gt;" in korean


def test_each_reader_sees_places_and_provinces_in_their_own_language(
    client: FlaskClient, staff: User
) -> None:
    """English, Korean, and French where the place and province have a French name."""
    province = make_province(name="North Hamgyong", name_ko="함경북도", name_fr="Hamgyong du Nord")
    names = {
        "en": ("Chongjin store", "North Hamgyong"),
        "ko": ("청진창고", "함경북도"),
        "fr": ("Entrepôt de Chongjin", "Hamgyong du Nord"),
    }
    warehouse = make_warehouse(
        name="Chongjin store", name_ko="청진창고", name_fr="Entrepôt de Chongjin", province=province
    )
    item = make_item(code="LANG-1")
    stock_at(warehouse, item, 5)
    db.session.commit()
    for language, (place, region) in names.items():
        headers = {"Accept-Language": language}
        others = [name for other, pair in names.items() if other != language for name in pair]
        on_hand = client.get(f"/stock/locations/{warehouse.id}", headers=headers)
        html = on_hand.get_data(as_text=True)
        heading = re.search(r"<h1>(.*?)</h1>", html)
        assert heading and place in heading.group(1) and f"· {region} ·" in html, language
        assert not [name for name in others if name in html], language
        overview = client.get("/stock", headers=headers).get_data(as_text=True)
        assert place in overview and region in overview, language
        item_page = client.get(f"/stock/items/{item.id}", headers=headers).get_data(as_text=True)
        assert f"<td>{place}</td>" in item_page, language


def test_on_hand_sorts_by_whitelisted_keys_only_and_pages(client: FlaskClient, staff: User) -> None:
    warehouse = make_warehouse()
    for code, quantity in [("P-1", 30), ("P-2", 10), ("P-3", 50), ("P-4", 20), ("P-5", 40)]:
        stock_at(warehouse, make_item(code=code), quantity)
    db.session.commit()
    base = f"/stock/locations/{warehouse.id}"

    def codes(query: str) -> list[str]:
        return [row[0] for row in table(page(client, f"{base}?{query}"), "Items at")]

    assert codes("sort=quantity&order=desc") == ["P-3", "P-5", "P-1", "P-4", "P-2"]
    assert codes("sort=quantity") == ["P-2", "P-4", "P-1", "P-5", "P-3"]
    assert codes("sort=id%3Bdrop%20table%20items&order=sideways") == [
        "P-1",
        "P-2",
        "P-3",
        "P-4",
        "P-5",
    ]
    assert codes("per_page=2&page=2") == ["P-3", "P-4"]
    html = page(client, f"{base}?sort=quantity&per_page=2&page=3")
    assert [row[0] for row in table(html, "Items at")] == ["P-3"]
    assert "Page 3 of 3 (5 in all)" in html
    assert "sort=quantity" in html.split('rel="prev"')[0].rsplit("<a", 1)[1]  # filters kept


def test_the_export_is_a_bom_csv_or_an_xlsx_with_neutralised_cells(
    client: FlaskClient, staff: User
) -> None:
    warehouse = make_warehouse()
    stock_at(warehouse, make_item(code="X-1", name='=HYPERLINK("http://evil")'), 7)
    stock_at(warehouse, make_item(code="X-2", name="Crutch"), 3)
    db.session.commit()
    url = f"/stock/locations/{warehouse.id}/export?q=X-1&format="

    response = client.get(url + "csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Code", "Name", "Category", "Unit", "On hand"]
    assert rows[1][:2] == ["X-1", '\'=HYPERLINK("http://evil")'] and rows[1][4] == "7"
    assert len(rows) == 2  # the filter applies

    response = client.get(url + "xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    # Three caption lines say what, where, when and which filters; then the header, frozen.
    assert values[0][0] == f"Stock on hand at {warehouse.name}"
    assert values[1][0].startswith("As recorded on ") and "exported by" in values[1][0]
    assert (
        values[2][0] == "Filters: Code or name: X-1; Expiring within (days): 90; "
        "Sort by: Code; Order: Ascending"
    )
    assert values[3][:2] == ("Code", "Name") and sheet["A4"].font.bold
    assert sheet.freeze_panes == "A5" and sheet.auto_filter.ref == "A4:K5"
    assert values[4][:2] == ("X-1", '\'=HYPERLINK("http://evil")') and values[4][4] == 7


def test_xlsx_columns_are_wide_enough_for_korean_names(client: FlaskClient, staff: User) -> None:
    warehouse = make_warehouse()
    stock_at(warehouse, make_item(code="K-1", name="장애자용 보조기구 무릎관절 (성인용)"), 1)
    db.session.commit()
    body = client.get(f"/stock/locations/{warehouse.id}/export?format=xlsx").data
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    # 15 Hangul syllables (two columns each) and 5 other characters: 35 columns wide.
    assert sheet.column_dimensions["B"].width >= 35


def test_the_on_hand_page_reads_balances_in_the_same_number_of_queries_for_5_or_60_items(
    client: FlaskClient, staff: User, count_queries: Callable[[], list[str]]
) -> None:
    small, large, other = make_warehouse(), make_warehouse(), make_warehouse()
    categories = db.session.scalars(select(Category)).all()
    for location, count in ((small, 5), (large, 60)):
        items = [
            make_item(category=categories[n % len(categories)], tracks_expiry=n % 2 == 0)
            for n in range(count)
        ]
        record_receipt(
            actor=SYSTEM,
            warehouse_id=location.id,
            occurred_on=TODAY,
            operation_key=operation_key(),
            lines=[
                ReceiptLine(item.id, 3, "L", TODAY + timedelta(days=30) if n % 2 == 0 else None)
                for n, item in enumerate(items)
            ],
        )
        level(location, items[0], 10)
    db.session.commit()

    def statements_for(url: str) -> list[str]:
        before = len(count_queries())
        page(client, url)
        return count_queries()[before:]

    # The menu's badges and the filter form's choices: read once, then kept.
    page(client, f"/stock/locations/{other.id}")
    # A place's first page reads its heading, counts on its own and renders (loading the place);
    # the next one keeps the heading (readcache), reads its page and count in one statement
    # (PostgreSQL: the page alone, the count kept at the same snapshot) and comes from the page
    # memo.
    first = [statements_for(f"/stock/locations/{place.id}") for place in (small, large)]
    again = [statements_for(f"/stock/locations/{place.id}") for place in (small, large)]
    assert len(first[0]) == len(first[1]) <= 10
    assert len(again[0]) == len(again[1]) == len(first[0]) - 3
    assert not any("movements" in statement for statement in first[0] + first[1] + again[1])


def test_the_on_hand_page_runs_its_two_selects_and_nothing_for_the_layout(
    client: FlaskClient, staff: User, count_queries: Callable[[], list[str]]
) -> None:
    """Issue 13: the page's own reads only (user, then the page with its count). The place's
    heading, the menu's badges and the filter form's categories and families are read once,
    then kept (readcache); a statement added to every page shows here first."""
    warehouse, item = make_warehouse(), make_item()
    stock_at(warehouse, item, 3)
    db.session.commit()
    url = f"/stock/locations/{warehouse.id}"
    page(client, url)  # the first page after signing in counts the menu's badges
    before = len(count_queries())
    body = page(client, url)
    selects = [s for s in count_queries()[before:] if s.lstrip().upper().startswith("SELECT")]
    # The page and its count are one statement once the place's size has been seen.
    assert len(selects) == 2, selects
    assert not any("FROM locations" in statement for statement in selects)
    for table in ("requisitions", "shipments", "distributions", "stock_counts", "categories"):
        assert not any(f"FROM {table}" in statement for statement in selects), table
    assert '<nav class="site-nav"' in body  # the menu is still drawn


def test_without_filters_in_the_query_the_page_is_the_one_the_filter_form_gives(
    app: Flask, client: FlaskClient, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page skips reading the filter form when the query string has none of its inputs:
    its default filters are the form's, its fields are the ones checked, and the page (plain,
    paged, with an unknown argument) is byte for byte the one read through the form."""
    from hilogistics.stock.views import pages

    with app.test_request_context("/"):
        form = pages._on_hand_form("en", ([], []))[0]
        assert pages._on_hand_filters(form) == pages.DEFAULT_ON_HAND_FILTERS
        assert tuple(form._fields) == pages.ON_HAND_FILTER_FIELDS
    warehouse, item = make_warehouse(), make_item()
    stock_at(warehouse, item, 3)
    db.session.commit()
    url = f"/stock/locations/{warehouse.id}"
    token = re.compile(r'name="csrf_token" value="[^"]+"')
    urls = [url, f"{url}?per_page=1&page=1", f"{url}?other=1", f"{url}?days=x"]
    skipped = [token.sub("T", page(client, each)) for each in urls]
    kept = app.extensions.pop("hilogistics.pagememo")  # then rendered afresh, through the form
    assert kept.entries and all("error-summary" not in "".join(p) for p in kept.entries.values())
    monkeypatch.setattr(pages, "_asks_filters", lambda: True)
    assert [token.sub("T", page(client, each)) for each in urls] == skipped
    assert 'id="error-summary"' in skipped[3] and 'id="error-summary"' not in skipped[0]


def test_the_on_hand_page_reads_the_same_rows_from_the_items_or_from_the_balances(
    app: Flask,
) -> None:
    """Sorted by code, a page is read from the items or from the place's balances (whichever
    costs less): both must give the rows of the full query, page by page, either way round.
    """
    from hilogistics.stock.queries import on_hand

    warehouse, elsewhere = make_warehouse(), make_warehouse()
    held = [make_item(code=f"S-{n}", tracks_expiry=True) for n in range(4)]
    for n, item in enumerate(held):
        stock_at(warehouse, item, n + 1, lot_code="A", expires_on=TODAY + timedelta(days=n))
    stock_at(
        warehouse,
        held[0],
        3,
        lot_code="B",
        expires_on=TODAY - timedelta(days=2),
        occurred_on=TODAY - timedelta(days=5),
    )
    reserved_only = make_item(code="S-RES")
    stock_at(warehouse, reserved_only, 1)
    ledger.reserve(
        actor=SYSTEM,
        holder="REQ-1/1",
        location_id=warehouse.id,
        item_id=reserved_only.id,
        quantity=1,
    )
    emptied = make_item(code="S-EMPTY")
    adjust(warehouse, emptied, stock_at(warehouse, emptied, 2), 2)
    level(warehouse, make_item(code="S-LEVEL-ONLY"), 4, 8)
    stock_at(elsewhere, make_item(code="S-ELSEWHERE"), 5)
    db.session.commit()

    for filters in (
        on_hand.OnHandFilters(),
        on_hand.OnHandFilters(descending=True),
        on_hand.OnHandFilters(text="s-"),
    ):
        everything = [
            tuple(row) for row in db.session.execute(on_hand.on_hand_query(warehouse.id, filters))
        ]
        codes = [row[1] for row in everything]
        expected = ["S-0", "S-1", "S-2", "S-3", "S-LEVEL-ONLY", "S-RES"]
        assert codes == (expected[::-1] if filters.descending else expected)
        shape = on_hand._OnHandShape.of(filters, "en", with_expiry=False)
        values = on_hand._OnHandShape.values(warehouse.id, filters)
        for builder in (on_hand._on_hand_page_by_code, on_hand._on_hand_page_select):
            pages = [
                db.session.execute(
                    builder(shape), {**values, "page_limit": 4, "page_offset": offset}
                ).all()
                for offset in (0, 4)
            ]
            rows = [
                (r.item_id, r.code, r.name, r.category_id, r.unit, r.on_hand, r.reserved)
                + (r.earliest_expiry, r.minimum, r.maximum)
                for r in pages[0] + pages[1]
            ]
            assert rows == everything, builder.__name__
        counted, _catalogue, _snapshot = db.session.execute(
            on_hand._on_hand_count_select(shape), values
        ).one()
        assert counted == len(everything)
        # The page with its count in one statement, from either side: the same rows, and the
        # count and catalogue size after them on every row.
        catalogue = db.session.scalar(select(func.max(Item.id)))
        for by_items in (True, False):
            statement = on_hand._on_hand_page_counted(shape, by_items)
            pages = [
                db.session.execute(
                    statement, {**values, "page_limit": 4, "page_offset": offset}
                ).all()
                for offset in (0, 4)
            ]
            assert [tuple(r[:10]) for r in pages[0] + pages[1]] == everything, by_items
            assert {tuple(r[10:12]) for r in pages[0] + pages[1]} == {(len(everything), catalogue)}

    # Sorted by name or quantity, the place's rows read from its balances (the items looked up
    # by key) are the full query's, in its order, page by page.
    for sort in ("name", "quantity"):
        for descending in (False, True):
            filters = on_hand.OnHandFilters(sort=sort, descending=descending)
            everything = [
                tuple(row)
                for row in db.session.execute(
                    on_hand.on_hand_query(warehouse.id, filters, locale="ko_KP")
                )
            ]
            shape = on_hand._OnHandShape.of(filters, "ko_KP", with_expiry=False)
            values = on_hand._OnHandShape.values(warehouse.id, filters)
            statement = on_hand._on_hand_page_select(shape)
            rows = [
                tuple(row)
                for offset in (0, 4)
                for row in db.session.execute(
                    statement, {**values, "page_limit": 4, "page_offset": offset}
                )
            ]
            assert rows == everything, (sort, descending)

    # The cheap count (distinct items held or with a level) against the rows it stands for.
    for filters in (
        on_hand.OnHandFilters(only_flagged=True, expiring_days=1),
        on_hand.OnHandFilters(category_id=held[0].category_id, family="none"),
        on_hand.OnHandFilters(item_ids=[held[1].id, emptied.id]),
    ):
        everything = db.session.execute(on_hand.on_hand_query(warehouse.id, filters)).all()
        shape = on_hand._OnHandShape.of(filters, "en", with_expiry=False)
        values = on_hand._OnHandShape.values(warehouse.id, filters)
        counted, _catalogue, _snapshot = db.session.execute(
            on_hand._on_hand_count_select(shape), values
        ).one()
        assert counted == len(everything), filters
    flagged = on_hand.on_hand_query(warehouse.id, on_hand.OnHandFilters(only_flagged=True))
    codes = [row.code for row in db.session.execute(flagged)]
    assert codes == ["S-0", "S-1", "S-2", "S-3", "S-LEVEL-ONLY"]  # expiring, expired, below


def test_a_page_read_with_its_count_is_the_page_read_after_counting(app: Flask) -> None:
    """on_hand_page counts first for a place it has not seen, then reads the page and its count
    in one statement, choosing the side from the size seen last. A stale size (the place grew
    or emptied since) changes nothing on the page; past the end, the count is still right."""
    from hilogistics.stock.queries import on_hand

    warehouse = make_warehouse()
    items = [make_item(code=f"P-{n}") for n in range(7)]
    lots = [stock_at(warehouse, item, n + 1) for n, item in enumerate(items)]
    db.session.commit()
    filters = on_hand.OnHandFilters()

    def read(page: int) -> tuple[int, list[tuple[str, int]]]:
        result = on_hand.on_hand_page(warehouse.id, filters, locale="en", page=page, per_page=3)
        return result.total, [(row.code, row.on_hand) for row in result.items]

    first = read(1)
    assert first == (7, [("P-0", 1), ("P-1", 2), ("P-2", 3)])
    sizes = app.extensions["hilogistics.on_hand_sizes"]
    (key,) = [key for key in sizes if key[0] == warehouse.id]
    for stale in ((7, 1), (1, 10**6), (10**6, 1), (0, 0)):  # each side chosen, then the other
        sizes[key] = on_hand._Seen(*stale)
        assert read(1) == first
        assert sizes[key].total == 7
        sizes[key] = on_hand._Seen(*stale)
        assert read(3) == (7, [("P-6", 7)])
        sizes[key] = on_hand._Seen(*stale)
        assert read(4) == (7, [])  # past the end: no row to carry the count
    adjust(warehouse, items[0], lots[0], 1)  # P-0 emptied: the remembered size is stale
    db.session.commit()
    assert read(1) == (6, [("P-1", 2), ("P-2", 3), ("P-3", 4)])


def test_a_count_is_taken_again_only_when_the_data_may_have_changed(
    app: Flask, backend: str, count_queries: Callable[[], list[str]]
) -> None:
    """PostgreSQL keeps a place's count while the snapshot stays the same (nothing committed
    since): the page is then one statement without the count. A commit moves the snapshot, and
    the count is taken again; a transaction's own writes, which the snapshot does not show, are
    counted. SQLite counts in the page's statement every time."""
    from hilogistics.stock.queries import on_hand

    warehouse = make_warehouse()
    items = [make_item(code=f"Q-{n}") for n in range(5)]
    lots = [stock_at(warehouse, item, n + 1) for n, item in enumerate(items)]
    db.session.commit()
    filters = on_hand.OnHandFilters()

    def read() -> tuple[int, list[str]]:
        result = on_hand.on_hand_page(warehouse.id, filters, locale="en", page=1, per_page=3)
        return result.total, [row.code for row in result.items]

    assert read() == (5, ["Q-0", "Q-1", "Q-2"])
    sizes = app.extensions["hilogistics.on_hand_sizes"]
    (key,) = [key for key in sizes if key[0] == warehouse.id]
    assert (sizes[key].snapshot is not None) == (backend == "postgresql")
    statements = count_queries()
    statements.clear()
    assert read() == (5, ["Q-0", "Q-1", "Q-2"])
    (page,) = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    assert ("count(" in page.lower()) == (backend == "sqlite")
    # Proof that the kept count is what PostgreSQL shows: a wrong one, at the same snapshot.
    sizes[key] = sizes[key]._replace(total=99)
    assert read()[0] == (99 if backend == "postgresql" else 5)
    # A commit moves the snapshot: counted again.
    sizes[key] = sizes[key]._replace(total=99)
    adjust(warehouse, items[0], lots[0], 1)
    db.session.commit()
    assert read() == (4, ["Q-1", "Q-2", "Q-3"])
    # The transaction's own write, not committed: counted again too.
    adjust(warehouse, items[1], lots[1], 2)
    assert read() == (3, ["Q-2", "Q-3", "Q-4"])
    db.session.rollback()
    assert read() == (4, ["Q-1", "Q-2", "Q-3"])


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_page_walks_the_catalogue_only_for_a_place_holding_much_of_it(dialect: str) -> None:
    """The side a page is read from, on either engine: a place holding a few items reads its
    own rows (walking 5 000 items in code order to find 10 would read the whole catalogue); a
    place holding most of the catalogue reads its first page from the items; any other sort
    than by code reads the place's rows."""
    from hilogistics.stock.queries import on_hand

    by_code = on_hand._OnHandShape.of(on_hand.OnHandFilters(), "en", with_expiry=False)
    by_name = on_hand._OnHandShape.of(on_hand.OnHandFilters(sort="name"), "en", with_expiry=False)

    def reads_items(shape: object, total: int, end: int) -> bool:
        return on_hand._reads_items(shape, total, 5000, end=end, dialect=dialect)

    assert not reads_items(by_code, 10, 50)
    assert not reads_items(by_code, 300, 500)  # a late page of a middling place
    assert reads_items(by_code, 4000, 50)
    assert not reads_items(by_name, 4000, 50)


def test_below_minimum_includes_items_never_stocked_here_with_a_suggested_order(
    client: FlaskClient, staff: User
) -> None:
    centre = make_location()
    low, empty, enough = make_item(code="M-LOW"), make_item(code="M-EMPTY"), make_item(code="M-OK")
    stock_at(centre, low, 4)
    stock_at(centre, enough, 8)
    level(centre, low, 5, 20)
    level(centre, empty, 6)
    level(centre, enough, 8)
    db.session.commit()

    rows = table(page(client, f"/stock/locations/{centre.id}/below-minimum"), "Items below")
    assert [(r[0], r[3], r[4], r[5], r[6]) for r in rows] == [
        ("M-EMPTY", "6", "—", "0", "6"),
        ("M-LOW", "5", "20", "4", "16"),
    ]
    flagged = table(page(client, f"/stock/locations/{centre.id}?flagged=y"), "Items at")
    assert [row[0] for row in flagged] == ["M-EMPTY", "M-LOW"]


# --- reorder levels ---------------------------------------------------------------------------


def test_reorder_levels_are_saved_together_and_emptied_ones_removed(
    client: FlaskClient, staff: User
) -> None:
    centre = make_location()
    first, second = make_item(code="R-1"), make_item(code="R-2")
    stock_at(centre, first, 2)
    stock_at(centre, second, 2)
    level(centre, second, 3, 9)
    db.session.commit()
    url = f"/stock/locations/{centre.id}/reorder-levels"
    rows = table(page(client, url), "Minimum and maximum")
    assert [row[0] for row in rows] == ["R-1", "R-2"]

    response = client.post(
        url,
        data={
            "rows-0-item_id": first.id,
            "rows-0-minimum": "5",
            "rows-0-maximum": "15",
            "rows-1-item_id": second.id,
            "rows-1-minimum": "",
            "rows-1-maximum": "",
        },
    )
    assert response.status_code == 302
    levels = db.session.scalars(select(ReorderLevel).where(ReorderLevel.location_id == centre.id))
    assert [(lv.item_id, lv.minimum, lv.maximum) for lv in levels] == [(first.id, 5, 15)]
    assert "Reorder levels saved." in page(client, response.headers["Location"])


def test_a_bad_row_shows_its_error_beside_it_and_nothing_is_saved(
    client: FlaskClient, staff: User
) -> None:
    centre = make_location()
    first, second = make_item(code="R-1"), make_item(code="R-2")
    stock_at(centre, first, 2)
    stock_at(centre, second, 2)
    db.session.commit()
    url = f"/stock/locations/{centre.id}/reorder-levels"

    response = client.post(
        url,
        data={
            "rows-0-item_id": first.id,
            "rows-0-minimum": "5",
            "rows-1-item_id": second.id,
            "rows-1-minimum": "9",
            "rows-1-maximum": "4",
            "rows-2-item_id": second.id,
            "rows-2-minimum": "-1",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing was saved" in html
    assert 'id="rows-1-maximum-error"' in html and "at least the minimum" in html
    assert 'id="rows-2-minimum-error"' in html
    assert 'id="rows-0-minimum-error"' not in html
    assert db.session.scalars(select(ReorderLevel)).all() == []


def test_a_level_is_added_by_item_code_and_an_unknown_code_is_refused(
    client: FlaskClient, staff: User
) -> None:
    centre = make_location()
    item = make_item(code="NEW-ITEM")
    db.session.commit()
    url = f"/stock/locations/{centre.id}/reorder-levels"

    response = client.post(url, data={"add-item_code": "NOPE", "add-minimum": "2"})
    assert response.status_code == 200
    assert "No item has this code." in response.get_data(as_text=True)

    response = client.post(url, data={"add-item_code": "new-item", "add-minimum": "2"})
    assert response.status_code == 302
    rows = table(page(client, response.headers["Location"]), "Minimum and maximum")
    assert [row[0] for row in rows] == ["NEW-ITEM"]
    assert db.session.scalar(select(ReorderLevel.minimum).where(ReorderLevel.item_id == item.id))


# --- item page --------------------------------------------------------------------------------


def test_the_item_page_shows_each_place_by_lot_without_the_ledger_ends_for_viewers(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    warehouse, centre = make_warehouse(name="Central store"), make_location(name="Hamhung centre")
    item = make_item(code="WHEEL-1", name_ko="바퀴", tracks_expiry=True)
    grant = make_grant(code="ECHO-26")
    record_receipt(
        actor=SYSTEM,
        warehouse_id=warehouse.id,
        occurred_on=TODAY,
        operation_key=operation_key(),
        grant_id=grant.id,
        lines=[ReceiptLine(item.id, 6, "L1", TODAY + timedelta(days=100))],
    )
    stock_at(warehouse, item, 4, lot_code="L2", expires_on=TODAY + timedelta(days=50))
    stock_at(centre, item, 2, lot_code="L3", expires_on=TODAY + timedelta(days=70))
    viewer = make_user(Role.VIEWER)
    sign_in(client, viewer)

    html = page(client, f"/stock/items/{item.id}")
    rows = table(html, "Stock of WHEEL-1")
    assert [row[:6] for row in rows] == [
        # Reserved is per item and place: shown on the place's total when it has several lots.
        ["Central store", "L2", (TODAY + timedelta(days=50)).isoformat(), "—", "4", ""],
        ["Central store", "L1", (TODAY + timedelta(days=100)).isoformat(), "ECHO-26", "6", ""],
        ["Total at Central store", "10", "0", ""],
        ["Hamhung centre", "L3", (TODAY + timedelta(days=70)).isoformat(), "—", "2", "0"],
        ["Total at the places shown", "12", "0", ""],
    ]
    assert "바퀴" in html
    assert f"/stock/locations/{centre.id}/items/{item.id}" in html
    assert "Suppliers and donors" not in html and "Adjust" not in html

    sign_in(client, make_user(Role.LOGISTICS))
    html = page(client, f"/stock/items/{item.id}")
    assert "<details" in html and "Suppliers and donors" in html
    if "stock.adjust" in app.view_functions:
        assert html.count(">Adjust<span") == 3


def test_the_item_page_pages_its_lots_with_whole_place_totals_and_bookkeeping_per_place(
    app: Flask, client: FlaskClient, staff: User
) -> None:
    warehouse, centre = make_warehouse(name="A store"), make_location(name="B centre")
    item = make_item(code="PAGED-1", tracks_expiry=True)
    for n in range(3):
        stock_at(warehouse, item, n + 1, lot_code=f"W{n}", expires_on=TODAY + timedelta(days=n))
    for n in range(2):
        stock_at(centre, item, 10, lot_code=f"C{n}", expires_on=TODAY + timedelta(days=n))
    emptied = stock_at(centre, item, 1, lot_code="GONE", expires_on=TODAY)
    adjust(centre, item, emptied, 1)
    db.session.commit()
    url = f"/stock/items/{item.id}?per_page=2"

    seen = []
    for number in (1, 2, 3):
        html = page(client, f"{url}&page={number}")
        assert f"Page {number} of 3 (5 in all)" in html
        *rows, footer = table(html, "Stock of PAGED-1")
        assert footer == ["Total at the places shown", "26", "0", ""]
        seen.append([row[:2] for row in rows])
    # Zero balances (lot GONE) are left out; each place's total covers all its lots, and shows
    # after its rows on every page where it appears.
    assert seen == [
        [["A store", "W0"], ["A store", "W1"], ["Total at A store", "6"]],
        [
            ["A store", "W2"],
            ["Total at A store", "6"],
            ["B centre", "C0"],
            ["Total at B centre", "20"],
        ],
        [["B centre", "C1"], ["Total at B centre", "20"]],
    ]
    assert "per_page=2" in html.split('rel="prev"')[0].rsplit("<a", 1)[1]

    bookkeeping = table(page(client, f"/stock/items/{item.id}"), "Bookkeeping balances")
    by_place = {row[0]: row[1:3] for row in bookkeeping}
    # One row per ledger end, whatever the number of lots: 6 + 20 + 1 received from suppliers,
    # stock moved to the centre through adjustments, 1 lost.
    assert by_place["Suppliers and donors"] == ["-27", "0"]
    assert len(bookkeeping) == len(by_place)


def test_the_item_page_query_count_does_not_grow_with_places_and_lots(
    client: FlaskClient, staff: User, count_queries: Callable[[], list[str]]
) -> None:
    lonely, spread = make_item(tracks_expiry=True), make_item(tracks_expiry=True)
    stock_at(make_warehouse(), lonely, 1, lot_code="A", expires_on=TODAY + timedelta(days=9))
    for n in range(3):
        place = make_warehouse()
        for lot in "ABC":
            stock_at(place, spread, 1 + n, lot_code=lot, expires_on=TODAY + timedelta(days=9))
    db.session.commit()

    counts = []
    page(client, f"/stock/items/{lonely.id}")  # the menu's badges: counted once, then kept
    for item in (lonely, spread):
        before = len(count_queries())
        page(client, f"/stock/items/{item.id}")
        counts.append(len(count_queries()) - before)
    assert counts[0] == counts[1] <= 8


# --- stock card -------------------------------------------------------------------------------


def test_the_stock_card_carries_the_running_balance_across_pages(
    client: FlaskClient, staff: User
) -> None:
    warehouse, item = make_warehouse(), make_item(code="CARD-1")
    for n, quantity in enumerate([5, 7, 2, 9, 4]):
        stock_at(warehouse, item, quantity, occurred_on=TODAY - timedelta(days=10 - n))
    adjust(warehouse, item, lot_id(receive(item, 1, warehouse)), 6)
    db.session.commit()
    url = f"/stock/locations/{warehouse.id}/items/{item.id}?per_page=2"

    balances: list[int] = []
    for number in (1, 2, 3, 4):
        html = page(client, f"{url}&page={number}")
        brought_forward, *lines = table(html, "Movements of CARD-1")
        assert brought_forward == [
            "Balance brought forward",
            str(balances[-1] if balances else 0),
            "",
        ]
        balances += [int(line[6]) for line in lines if line[0] != "Closing balance"]
        assert f"Page {number} of 4 (7 in all)" in html
    assert balances == [5, 12, 14, 23, 27, 28, 22]
    assert lines[-1] == ["Closing balance", "22", ""]
    assert "matches the card" in html
    # Each line's lot opens the lot's page (its expiry and the corrections made to it).
    lot = db.session.scalars(select(Lot).where(Lot.item_id == item.id)).first()
    assert f'href="/stock/lots/{lot.id}"' in html


def test_a_long_stock_card_works_its_balances_back_from_the_recorded_one(
    client: FlaskClient, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past CARD_CHECK_LIMIT movements a card is not summed whole: each page reads the
    movements before it or after it, whichever are fewer, from the recorded balance.
    """
    from hilogistics.stock.queries import card

    monkeypatch.setattr(card, "CARD_CHECK_LIMIT", 0)
    warehouse, item = make_warehouse(), make_item(code="LONG-1")
    for n, quantity in enumerate([5, 7, 2, 9, 4]):
        stock_at(warehouse, item, quantity, occurred_on=TODAY - timedelta(days=10 - n))
    adjust(warehouse, item, lot_id(receive(item, 1, warehouse)), 6)
    db.session.commit()
    url = f"/stock/locations/{warehouse.id}/items/{item.id}?per_page=2"

    balances: list[int] = []
    for number in (1, 2, 3, 4):  # first page, before side, after side, last page
        html = page(client, f"{url}&page={number}")
        brought_forward, *lines = table(html, "Movements of LONG-1")
        assert brought_forward[1] == str(balances[-1] if balances else 0)
        balances += [int(line[6]) for line in lines if line[0] != "Closing balance"]
        assert "matches the card" not in html and "Balance recorded now" in html
    assert balances == [5, 12, 14, 23, 27, 28, 22]
    assert lines[-1] == ["Closing balance", "22", ""]

    dated = page(client, f"{url}&page=2&as_of={TODAY}")  # with a date, summed from the start
    assert [int(row[6]) for row in table(dated, "Movements of LONG-1")[1:]] == [14, 23]


def test_backdated_entries_take_their_place_and_a_history_below_zero_is_flagged(
    client: FlaskClient, staff: User
) -> None:
    warehouse, item = make_warehouse(), make_item(code="BACK-1")
    lot = lot_id(receipt(item, 10, warehouse, reference="GRN-TODAY"))
    # Keyed today, dated in the past: today's balance allows them, history would have gone short.
    adjust(warehouse, item, lot, 4, days_ago=5)
    receipt(item, 2, warehouse, days_ago=3, reference="GRN-LATE")
    db.session.commit()

    html = page(client, f"/stock/locations/{warehouse.id}/items/{item.id}")
    rows = table(html, "Movements of BACK-1")
    assert rows[0] == ["Balance brought forward", "0", ""]
    lines = [(r[0], r[4], r[5], r[6], r[7]) for r in rows[1:4]]
    flag = "Check: balance below zero on this date"
    assert lines == [
        ((TODAY - timedelta(days=5)).isoformat(), "", "4", "-4", flag),
        ((TODAY - timedelta(days=3)).isoformat(), "2", "", "-2", flag),
        (TODAY.isoformat(), "10", "", "8", ""),
    ]
    assert "GRN-LATE" in rows[2][1] and "from Suppliers and donors" in rows[2][3]
    assert rows[4] == ["Closing balance", "8", ""]
    assert "matches the card" in html

    html = page(
        client, f"/stock/locations/{warehouse.id}/items/{item.id}?as_of={TODAY - timedelta(days=4)}"
    )
    assert f"BACK-1 at Test warehouse as of {(TODAY - timedelta(days=4)).isoformat()}</h1>" in html
    assert f"Balance as of {(TODAY - timedelta(days=4)).isoformat()}" in html
    rows = table(html, "Movements of BACK-1 at")
    assert [r[6] for r in rows[1:-1]] == ["-4"]
    assert rows[-1][-2] == "-4" and "Balance recorded now" not in html


def test_a_stock_card_at_a_ledger_end_never_flags_negative_balances(
    client: FlaskClient, staff: User
) -> None:
    item = make_item(code="SUP-1")
    receive(item, 3, make_warehouse())
    db.session.commit()
    html = page(client, f"/stock/locations/{virtual('SUPPLIER').id}/items/{item.id}")
    assert [r[6] for r in table(html, "Movements of SUP-1")[1:2]] == ["-3"]
    assert "Check: balance below zero" not in html


# --- transactions -----------------------------------------------------------------------------


def test_transactions_link_reversals_both_ways_and_offer_reverse_to_staff_only(
    app: Flask, client: FlaskClient, staff: User, make_user: Callable[..., User]
) -> None:
    warehouse, item = make_warehouse(name="Central store"), make_item(code="REV-1")
    original = receipt(item, 5, warehouse, reference="GRN-9")
    other = receive(item, 2, warehouse)
    reversal = reverse_transaction(
        actor=SYSTEM, transaction_id=original.id, note="keyed twice", operation_key=operation_key()
    )
    db.session.execute(
        update(StockTransaction)
        .where(StockTransaction.id == original.id)
        .values(recorded_at=datetime(2026, 1, 1, 0, 30, tzinfo=UTC))
    )
    db.session.commit()

    rows = table(page(client, "/stock/transactions"), "Stock transactions")
    assert [(r[0], r[2], r[5], r[7]) for r in rows] == [
        (f"Transaction #{reversal.id}", "Reversal", "1", f"reverses #{original.id}"),
        (f"Transaction #{other.id}", "Receipt", "1", "no"),
        (f"Transaction #{original.id}", "Receipt", "1", f"reversed by #{reversal.id}"),
    ]
    html = page(client, f"/stock/transactions/{original.id}")
    assert "2026-01-01 09:30" in html  # recorded at, in Pyongyang time
    assert f"/stock/transactions/{reversal.id}" in html and "GRN-9" in html
    assert [r[3:] for r in table(html, "Lines of")] == [
        ["5", "piece", "Suppliers and donors", "Central store", f"by #{reversal.id}"]
    ]
    reverse_link = "Reverse this transaction"
    assert reverse_link not in html
    assert reverse_link not in page(client, f"/stock/transactions/{reversal.id}")
    has_reverse = "stock.reverse" in app.view_functions
    assert (reverse_link in page(client, f"/stock/transactions/{other.id}")) is has_reverse

    sign_in(client, make_user(Role.VIEWER))
    assert reverse_link not in page(client, f"/stock/transactions/{other.id}")


def test_transactions_filter_by_kind_place_and_dates(client: FlaskClient, staff: User) -> None:
    first, second, item = make_warehouse(), make_warehouse(), make_item()
    old = receive(item, 5, first, occurred_on=TODAY - timedelta(days=30))
    new = receive(item, 5, second)
    fix = adjust(first, item, lot_id(old), 1, days_ago=2)
    db.session.commit()

    def numbers(query: str) -> list[str]:
        rows = table(page(client, f"/stock/transactions?{query}"), "Stock transactions")
        return [row[0].removeprefix("Transaction #") for row in rows]

    assert numbers(f"location={first.id}") == [str(fix.id), str(old.id)]
    assert numbers("kind=receipt") == [str(new.id), str(old.id)]
    assert numbers(
        f"date_from={TODAY - timedelta(days=3)}&date_to={TODAY - timedelta(days=1)}"
    ) == [str(fix.id)]
    assert numbers("kind=nonsense&date_from=yesterday") == [str(new.id), str(fix.id), str(old.id)]


def test_transactions_are_found_by_reference_supplier_grant_and_item(
    client: FlaskClient, staff: User
) -> None:
    from hilogistics.stock.services import ReceiptLine, record_receipt

    north, south = make_warehouse(), make_warehouse()
    crutch = make_item(code="MOB-CRUTCH-L", name="Crutch", name_ko="목발", name_fr="Béquille")
    wheel = make_item(code="MOB-WHEEL-1", name="Wheelchair")
    echo = make_grant(code="ECHO-26", donor="ECHO")

    def received(where, item, reference, supplier, grant=None):  # noqa: ANN001, ANN202
        return record_receipt(
            actor=SYSTEM,
            warehouse_id=where.id,
            occurred_on=TODAY,
            lines=[ReceiptLine(item_id=item.id, quantity=4)],
            operation_key=operation_key(),
            supplier=supplier,
            reference=reference,
            grant_id=grant.id if grant else None,
        )

    waybill = received(north, crutch, "WB-2026-0117", "Ottobock Korea", echo)
    invoice = received(south, wheel, "INV 100%_off", "UNICEF")
    other = received(north, wheel, "WB-2026-0500", "Ottobock Korea")
    # A later movement of the grant's goods carries the grant on its lot, not on its header.
    moved = adjust(north, crutch, lot_id(waybill), 1)
    db.session.commit()

    def numbers(query: str) -> list[int]:
        rows = table(page(client, f"/stock/transactions?{query}"), "Stock transactions")
        return [int(row[0].removeprefix("Transaction #")) for row in rows if len(row) > 1]

    assert numbers("reference=wb-2026-0117") == [waybill.id]
    assert numbers("reference=2026-0") == [other.id, waybill.id]
    # LIKE's wildcards are text like any other.
    assert numbers("reference=100%25_") == [invoice.id]
    assert numbers("reference=_") == [invoice.id]
    assert numbers("supplier=ottobock") == [other.id, waybill.id]
    assert numbers(f"grant={echo.id}") == [moved.id, waybill.id]
    assert numbers("item=mob-crutch") == [moved.id, waybill.id]
    assert numbers("item=목발") == [moved.id, waybill.id]
    assert numbers("item=wheel") == [other.id, invoice.id]
    # Combined with each other and with the filters that were there before.
    assert numbers(f"item=wheel&location={north.id}") == [other.id]
    assert numbers("supplier=ottobock&item=wheel&kind=receipt") == [other.id]
    assert numbers(f"reference=wb&grant={echo.id}") == [waybill.id]
    assert numbers("reference=nothing-like-it") == []

    html = page(client, f"/stock/transactions?supplier=ottobock&grant={echo.id}")
    assert 'value="ottobock"' in html and f'<option selected value="{echo.id}">ECHO-26' in html
    # Too long for any reference: said on the field, and the list is not filtered by it.
    html = page(client, "/stock/transactions?reference=" + "W" * 121)
    assert 'id="reference-error"' in html
    assert len(table(html, "Stock transactions")) == 4


def test_the_transaction_search_is_kept_in_the_page_links(client: FlaskClient, staff: User) -> None:
    warehouse, item = make_warehouse(), make_item(code="PAGED-1")
    for _n in range(3):
        receive(item, 1, warehouse)
    db.session.commit()
    html = page(client, "/stock/transactions?item=paged&reference=&per_page=2")
    assert "Page 1 of 2" in html
    [link] = re.findall(r'<a href="([^"]+)" rel="next">', html)
    assert "item=paged" in link and "page=2" in link and "per_page=2" in link


# --- who sees what ----------------------------------------------------------------------------


def test_a_technician_sees_only_their_own_place(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    own, elsewhere = make_location(name="Own centre"), make_location(name="Other centre")
    item = make_item(code="TECH-1")
    own_lot = stock_at(own, item, 3)
    stock_at(elsewhere, item, 9)
    theirs = db.session.scalar(
        select(StockTransaction)
        .where(StockTransaction.location_id == own.id)
        .order_by(StockTransaction.id.desc())
    )
    foreign = db.session.scalar(
        select(StockTransaction)
        .where(StockTransaction.location_id == elsewhere.id)
        .order_by(StockTransaction.id.desc())
    )
    assert own_lot
    technician = login_as(Role.TECHNICIAN, location=own)

    response = client.get("/stock")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/stock/locations/{own.id}")
    assert [row[0] for row in table(page(client, f"/stock/locations/{own.id}"), "Items at")] == [
        "TECH-1"
    ]
    for url in (
        f"/stock/locations/{elsewhere.id}",
        f"/stock/locations/{elsewhere.id}/export",
        f"/stock/locations/{elsewhere.id}/below-minimum",
        f"/stock/locations/{elsewhere.id}/items/{item.id}",
        f"/stock/locations/{virtual('TRANSIT').id}",
        f"/stock/locations/{virtual('SUPPLIER').id}/items/{item.id}",
        f"/stock/transactions/{foreign.id}",
        "/stock/locations/999999",
        "/stock/transactions/999999",
        "/stock/locations/99999999999",
    ):
        page(client, url, 404)
    page(client, f"/stock/locations/{own.id}/reorder-levels", 403)
    page(client, f"/stock/locations/{own.id}/items/{item.id}")
    page(client, f"/stock/transactions/{theirs.id}")

    html = page(client, f"/stock/items/{item.id}")
    assert [row[0] for row in table(html, "Stock of TECH-1")] == [
        "Own centre",
        "Total at the places shown",
    ]
    assert "Other centre" not in html and "<details" not in html
    rows = table(page(client, "/stock/transactions"), "Stock transactions")
    assert {row[3] for row in rows} == {"Own centre"}
    assert technician.location_id == own.id


def test_a_viewer_sees_every_place_read_only_and_finds_items(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    warehouse = make_warehouse(name="Pyongyang store")
    centre = make_location(name="Rason centre")
    item = make_item(code="FIND-ME", name_ko="목발", name="Crutch")
    stock_at(warehouse, item, 4)
    level(centre, item, 2)
    login_as(Role.VIEWER)

    html = page(client, "/stock")
    rows = {row[0]: (row[2], row[3].split()[0]) for rows in tables(html).values() for row in rows}
    assert rows["Pyongyang store"] == ("1", "0")
    assert rows["Rason centre"] == ("0", "1")
    response = client.get("/stock?q=find-me")
    assert response.headers["Location"].endswith(f"/stock/items/{item.id}")
    assert [r[0] for r in table(page(client, "/stock?q=목"), "Items matching")] == ["FIND-ME"]

    html = page(client, f"/stock/locations/{centre.id}")
    assert "Export CSV" in html
    levels_url = f"/stock/locations/{centre.id}/reorder-levels"
    assert f'href="{levels_url}"' in html
    assert f'href="{levels_url}"' in page(client, f"/stock/locations/{centre.id}/below-minimum")
    # The levels read-only: the figures, and nothing to type into or press.
    html = page(client, levels_url)
    assert table(html, "Minimum and maximum") == [["FIND-ME", "Crutch", "piece", "0", "2", "—"]]
    main = html[html.index("<main") : html.index("</main>")]
    assert not re.search(r"<input(?![^>]*\bname=\"q\")|<textarea|method=\"post\"", main)
    assert "Save reorder levels" not in html and "Add a reorder level" not in html
    assert client.post(levels_url, data={"add-item_code": "FIND-ME"}).status_code == 403
    assert client.post(levels_url).status_code == 403


def test_the_export_by_lot_lists_each_lot_with_expiry_and_grant_soonest_first(
    client: FlaskClient, staff: User
) -> None:
    from tests.factories import make_grant

    warehouse = make_warehouse()
    item = make_item(code="RES-1", tracks_expiry=True)
    grant = make_grant(code="ECHO-26", donor="ECHO")
    receive(item, 5, warehouse, lot_code="LATE", expires_on=date(2028, 1, 1))
    record_receipt(
        actor=SYSTEM,
        warehouse_id=warehouse.id,
        occurred_on=business_today(),
        lines=[
            ReceiptLine(item_id=item.id, quantity=3, lot_code="SOON", expires_on=date(2027, 2, 1))
        ],
        operation_key=operation_key(),
        grant_id=grant.id,
    )
    db.session.commit()
    body = client.get(f"/stock/locations/{warehouse.id}/export-lots?format=csv").data
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == [
        "Code",
        "Name",
        "Unit",
        "Lot",
        "Serial number",
        "Expiry",
        "Grant",
        "Donor",
        "On hand",
    ]
    assert [(r[3], r[5], r[6], r[8]) for r in rows[1:]] == [
        ("SOON", "2027-02-01", "ECHO-26", "3"),
        ("LATE", "2028-01-01", "", "5"),
    ]
    sheet = load_workbook(
        io.BytesIO(client.get(f"/stock/locations/{warehouse.id}/export-lots?format=xlsx").data)
    ).worksheets[0]
    assert sheet["A1"].value == f"Stock by lot at {warehouse.name}"


def test_a_technician_exports_only_their_own_places_lots(client: FlaskClient, login_as) -> None:
    centre, other = make_location(), make_location()
    login_as(Role.TECHNICIAN, location=centre)
    assert client.get(f"/stock/locations/{centre.id}/export-lots").status_code == 200
    assert client.get(f"/stock/locations/{other.id}/export-lots").status_code == 404


@pytest.mark.parametrize("sort", ["code", "name", "quantity", "expiry"])
def test_every_page_statement_gives_its_columns_in_the_rows_order(sort: str) -> None:
    """A page's rows are unpacked by position: each shape's page statements are checked to
    list the row's columns in OnHandRow's order when built (a wrong order raises)."""
    from hilogistics.stock.queries import on_hand

    for descending in (False, True):
        for flagged in (False, True):
            filters = on_hand.OnHandFilters(
                sort=sort, descending=descending, only_flagged=flagged, text="x", family="f"
            )
            for with_expiry in (False, True):
                shape = on_hand._OnHandShape.of(filters, "ko_KP", with_expiry=with_expiry)
                on_hand._on_hand_page_select(shape)
                on_hand._on_hand_page_by_code(shape)
    fields = [f.name for f in dataclasses.fields(on_hand.OnHandRow)]
    assert list(on_hand._ROW_COLUMNS) == fields[: len(on_hand._ROW_COLUMNS)]
    with pytest.raises(ValueError, match="out of order"):
        on_hand._in_row_order(select(Item.code, Item.id.label("item_id")))
