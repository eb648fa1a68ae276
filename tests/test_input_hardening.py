"""Hostile and clumsy input (issue 7): control characters, huge numbers, absurd dates, bad
redirect targets and oversized imports get a field error or a 400, never a 500, and change
nothing."""

import io
import re
import time
import tracemalloc
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from wtforms import IntegerField, StringField

from hilogistics import exports
from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.catalogue import importing
from hilogistics.catalogue.models import Category, Item
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.errors import DomainError
from hilogistics.forms import Form, NoControlCharacters, WithinDatabaseRange
from hilogistics.inputs import bounded_int, has_control_characters
from hilogistics.stock.models import Grant, Lot, StockTransaction
from tests.conftest import sign_in
from tests.factories import PASSWORD, make_item, make_user, make_warehouse, receive

HEADER = (
    "code,name,name_ko,name_fr,category,unit,pack_size,kind,"
    "tracks_expiry,tracks_serial,family,active"
)


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def upload(client, content: bytes, filename: str = "items.csv"):
    return client.post(
        "/catalogue/items/import",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


# The rule itself ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["a\x00b", "\x01", "a\x1fb", "\x7f", "caf\x85", "\x9f", "x\ud800", "\udfff"]
)
def test_control_characters_are_refused_everywhere(text: str) -> None:
    assert has_control_characters(text)
    assert has_control_characters(text, multiline=True)


def test_multi_line_text_keeps_tabs_and_line_breaks_single_line_text_does_not() -> None:
    for text in ("a\tb", "a\nb", "a\r\nb"):
        assert has_control_characters(text)
        assert not has_control_characters(text, multiline=True)
    assert not has_control_characters("Pied SACH 24 cm — 발 ¾ «ok»")


def _all_form_classes() -> list[type[Form]]:
    import hilogistics.models  # noqa: F401
    from hilogistics.auth import forms as _auth  # noqa: F401
    from hilogistics.catalogue import forms as _catalogue  # noqa: F401
    from hilogistics.locations import forms as _locations  # noqa: F401
    from hilogistics.main import forms as _main  # noqa: F401
    from hilogistics.stock import forms_grants, forms_operations, forms_pages  # noqa: F401

    found, todo = [], [Form]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


def test_every_text_and_number_field_of_every_form_carries_the_shared_checks(app) -> None:
    checked = 0
    with app.test_request_context():
        for form_class in _all_form_classes():
            form = form_class(formdata=None)
            for field in form:
                fields = [field]
                if hasattr(field, "form"):  # FormField
                    fields = list(field.form)
                for inner in fields:
                    if isinstance(inner, StringField):
                        assert isinstance(inner.validators[0], NoControlCharacters), inner.name
                        checked += 1
                    elif isinstance(inner, IntegerField):
                        assert isinstance(inner.validators[0], WithinDatabaseRange), inner.name
                        checked += 1
    assert checked > 40


# 1. NUL and control characters in forms -----------------------------------------------------------


def test_a_nul_in_the_login_username_is_a_field_error_not_a_server_error(client) -> None:
    response = client.post("/login", data={"username": "ad\x00min", "password": "whatever1"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="username-error"' in body and "Username contains an invisible control" in body


def test_a_nul_in_a_receipt_lot_code_is_refused_and_nothing_is_stored(client, login_as) -> None:
    login_as(Role.LOGISTICS)
    make_item(code="NUL-LOT")
    warehouse = make_warehouse()
    db.session.commit()
    data = {
        "warehouse_id": str(warehouse.id),
        "occurred_on": business_today().isoformat(),
        "operation_key": "a" * 32,
        "lines-0-item": "NUL-LOT",
        "lines-0-units": "3",
        "lines-0-lot_code": "L\x00T-1",
    }
    response = client.post("/stock/receipts/new", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="lines-0-lot_code-error"' in body and "Lot code contains an invisible" in body
    assert count(StockTransaction) == 0 and count(Lot) == 0


def test_a_nul_in_a_receipt_item_code_redisplays_the_form(client, login_as) -> None:
    login_as(Role.LOGISTICS)
    warehouse = make_warehouse()
    db.session.commit()
    data = {
        "warehouse_id": str(warehouse.id),
        "occurred_on": business_today().isoformat(),
        "operation_key": "e" * 32,
        "lines-0-item": "IT\x00EM",
        "lines-0-units": "1",
    }
    response = client.post("/stock/receipts/new", data=data)
    assert response.status_code == 200
    assert 'id="lines-0-item-error"' in response.get_data(as_text=True)


def test_a_note_keeps_its_line_breaks_but_not_a_nul(client, login_as) -> None:
    login_as(Role.LOGISTICS)
    make_item(code="NOTE-IT")
    warehouse = make_warehouse()
    db.session.commit()
    base = {
        "warehouse_id": str(warehouse.id),
        "occurred_on": business_today().isoformat(),
        "lines-0-item": "NOTE-IT",
        "lines-0-units": "3",
    }
    refused = client.post(
        "/stock/receipts/new", data={**base, "operation_key": "b" * 32, "note": "a\x00b"}
    )
    assert refused.status_code == 200 and 'id="note-error"' in refused.get_data(as_text=True)
    assert count(StockTransaction) == 0
    kept = client.post(
        "/stock/receipts/new",
        data={**base, "operation_key": "c" * 32, "note": "line one\r\n\tline two"},
    )
    assert kept.status_code == 302
    assert db.session.scalar(select(StockTransaction.note)) == "line one\r\n\tline two"


def test_a_control_character_in_a_catalogue_name_names_the_field(client, login_as) -> None:
    login_as(Role.ADMIN)
    category = db.session.scalar(select(Category).order_by(Category.id))
    response = client.post(
        "/catalogue/categories/new",
        data={"code": "NEW-CAT", "name": "Bad\x1bname", "name_ko": "이름", "sort_order": "1"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and category is not None
    assert 'id="name-error"' in body and "Name in English contains an invisible" in body
    assert db.session.scalar(select(Category).where(Category.code == "NEW-CAT")) is None


# 1b. Control characters in query strings ----------------------------------------------------------


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.LOGISTICS])
def test_a_nul_in_a_search_box_is_a_400_naming_the_parameter(client, login_as, role) -> None:
    user = login_as(role)
    place = user.location if role is Role.TECHNICIAN else make_warehouse()
    db.session.commit()
    response = client.get(f"/stock/locations/{place.id}?q=fo%00ot")
    assert response.status_code == 400
    assert "The address parameter q contains an invisible control" in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "url",
    [
        "/stock?q=%00",
        "/stock/transactions?kind=%01",
        "/catalogue/items?q=%00",
        "/catalogue/items?family=a%00",
        "/users?q=%00",
        "/grants?q=%7f",
        "/locations?q=%C2%85",
    ],
)
def test_query_strings_with_control_characters_are_refused(client, login_as, url) -> None:
    login_as(Role.ADMIN)
    assert client.get(url).status_code == 400


# 1c. Redirect targets -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/stock%0d%0aSet-Cookie:%20x=1", "/stock%0aX", "/%09/example.org", "//example.org", "%00"],
)
def test_a_bad_next_after_a_correct_login_signs_in_and_goes_home(client, make_user, target) -> None:
    user = make_user(Role.LOGISTICS)
    response = client.post(
        f"/login?next={target}", data={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_good_next_is_still_followed(client, make_user) -> None:
    user = make_user(Role.LOGISTICS)
    response = client.post(
        "/login?next=/stock/transactions%3Fkind%3Dreceipt",
        data={"username": user.username, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/stock/transactions?kind=receipt"


@pytest.mark.parametrize("target", ["/stock\r\nX: y", "/stock\nX", "/\t/example.org"])
def test_the_language_switch_goes_home_on_a_bad_next(client, target) -> None:
    response = client.post("/language", data={"locale": "fr", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


# 2. Numbers and other values that answered 500 ---------------------------------------------------


@pytest.mark.parametrize("digits", [12, 309, 400])
def test_huge_integers_in_number_fields_are_field_errors(client, login_as, digits) -> None:
    login_as(Role.ADMIN)
    response = client.post(
        "/catalogue/categories/new",
        data={"code": "BIG", "name": "Big", "name_ko": "큰", "sort_order": "9" * digits},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="sort_order-error"' in body
    assert db.session.scalar(select(Category).where(Category.code == "BIG")) is None


def test_a_number_beyond_the_database_range_is_a_field_error(client, login_as) -> None:
    login_as(Role.LOGISTICS)
    warehouse = make_warehouse()
    db.session.commit()
    response = client.post(
        f"/stock/locations/{warehouse.id}/reorder-levels",
        data={"add-item_code": "X", "add-minimum": str(2**31), "add-maximum": "-" + "9" * 400},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="add-minimum-error"' in body and 'id="add-maximum-error"' in body


@pytest.mark.parametrize(
    "url",
    [
        "/catalogue/items?page=9223372036854775808",
        "/catalogue/items?page=" + "9" * 400,
        "/catalogue/items?category=2147483648",
        "/catalogue/items?category=-1&status=%20",
        "/locations?kind=%20",
        "/locations?page=9223372036854775808&province=99999999999",
        "/users?page=9223372036854775808",
        "/grants?page=9223372036854775808",
        "/stock/transactions?page=9223372036854775808&location=99999999999",
        "/stock/adjust?item_id=%C2%B2&location_id=1",
        "/catalogue/items/99999999999999999999/edit",
        "/users/99999999999999999999/edit",
        "/provinces/9223372036854775808/edit",
    ],
)
def test_absurd_list_parameters_do_not_answer_500(client, login_as, url) -> None:
    login_as(Role.ADMIN)
    assert client.get(url).status_code in (200, 404)


def test_the_item_list_ignores_an_unknown_category_and_says_so(client, login_as) -> None:
    login_as(Role.ADMIN)
    make_item(code="LISTED-1")
    db.session.commit()
    body = client.get("/catalogue/items?category=2147483648").get_data(as_text=True)
    assert "LISTED-1" in body and "Not a valid choice" in body


@pytest.mark.parametrize("args", ["location_id=1", "_scheme=javascript", "_external=1&_anchor=x"])
def test_query_arguments_named_like_link_parts_do_not_break_links(app, app_factory, args) -> None:
    small = app_factory(PER_PAGE=1)  # so that every list has a second page and page links
    admin = make_user(Role.ADMIN)
    warehouse = make_warehouse()
    for _n in range(2):
        receive(make_item(), 1, warehouse)
    db.session.commit()
    client = small.test_client()
    sign_in(client, admin)
    for url in (
        f"/stock/locations/{warehouse.id}",
        f"/stock/locations/{warehouse.id}/reorder-levels",
        "/catalogue/items",
        "/locations",
        "/users",
    ):
        response = client.get(f"{url}?{args}")
        assert response.status_code == 200, url
    body = client.get(f"/catalogue/items?{args}").get_data(as_text=True)
    next_link = re.search(r'<a href="([^"]*)" rel="next"', body)
    assert next_link is not None and "page=2" in next_link[1]
    assert "_scheme" not in next_link[1] and "_external" not in next_link[1]


def test_bounded_int_reads_only_plain_ascii_digits_in_range() -> None:
    assert bounded_int("42") == 42 and bounded_int(" 7 ") == 7
    for text in ("²", "٣", "-1", "0", "2147483648", "9" * 400, "", None, "1e3"):
        assert bounded_int(text) is None


# 3. Imports ---------------------------------------------------------------------------------------


def test_a_nul_in_an_import_cell_is_a_row_problem_at_the_preview(client, login_as) -> None:
    login_as(Role.ADMIN)
    content = (HEADER + "\r\nNUL-1,Foot\x00,발,,ORTHO,piece,1,consumable,no,no,,yes\r\n").encode()
    body = upload(client, content).get_data(as_text=True)
    assert "name contains an invisible control character" in body
    assert count(Item) == 0


def test_an_import_cell_beyond_the_csv_field_limit_is_refused_with_a_message(
    client, login_as
) -> None:
    login_as(Role.ADMIN)
    long_name = "x" * 131_073
    content = f"{HEADER}\r\nLONG-1,{long_name},발,,ORTHO,piece,1,consumable,no,no,,yes\r\n"
    response = upload(client, content.encode())
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "The file cannot be read" in body
    assert count(Item) == 0


def test_a_long_cell_is_refused_naming_its_row_and_column() -> None:
    content = f"{HEADER}\r\nLONG-2,{'y' * 5000},발,,ORTHO,piece,1,consumable,no,no,,yes\r\n"
    with pytest.raises(exports.SpreadsheetError, match="row 2, column name"):
        exports.read_table(content.encode(), "items.csv")


def _xlsx_with_sheet(sheet_writer, *, extra_members: int = 0) -> bytes:
    """A workbook made by openpyxl whose first sheet is replaced by what ``sheet_writer`` writes."""
    workbook = Workbook()
    workbook.active.append(["code"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with target.open(info.filename, "w", force_zip64=True) as handle:
                    sheet_writer(handle)
            else:
                target.writestr(info, source.read(info.filename))
        for number in range(extra_members):
            target.writestr(f"customXml/item{number}.xml", "<a/>")
    return out.getvalue()


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def _padded_sheet(handle) -> None:
    # 64 MB of comment: compresses to a few kilobytes, as a zip bomb does.
    handle.write(SHEET_HEAD)
    handle.write(b"<!--")
    chunk = b"a" * (1024 * 1024)
    for _ in range(64):
        handle.write(chunk)
    handle.write(b"-->")
    handle.write(SHEET_TAIL)


def _measured(call):
    tracemalloc.start()
    started = time.monotonic()
    try:
        call()
    finally:
        elapsed = time.monotonic() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return elapsed, peak


def test_an_xlsx_bomb_is_refused_before_it_is_unpacked(app) -> None:
    data = _xlsx_with_sheet(_padded_sheet)
    assert len(data) < 1024 * 1024

    def plan() -> None:
        with pytest.raises(DomainError, match="unpacks to more than 24 MB"):
            importing.plan_item_import(actor=SYSTEM, data=data, filename="bomb.xlsx")

    elapsed, peak = _measured(plan)
    assert elapsed < 2 and peak < 10 * 1024 * 1024


def test_an_xlsx_file_with_too_many_parts_is_refused(app) -> None:
    data = _xlsx_with_sheet(lambda handle: handle.write(SHEET_HEAD + SHEET_TAIL), extra_members=300)
    with pytest.raises(DomainError, match="more than 200 parts"):
        importing.plan_item_import(actor=SYSTEM, data=data, filename="parts.xlsx")


def _many_rows(rows: int):
    def write(handle) -> None:
        # With its dimension first, as spreadsheet programs write it: read-only openpyxl
        # would otherwise scan the whole sheet once to find its size.
        handle.write(
            SHEET_HEAD.replace(b"<sheetData>", b'<dimension ref="A1:A%d"/><sheetData>' % (rows + 1))
        )
        handle.write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c></row>')
        for number in range(2, rows + 2):
            handle.write(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (number, number, number))
        handle.write(SHEET_TAIL)

    return write


def test_reading_a_sheet_stops_after_one_row_too_many(monkeypatch) -> None:
    data = _xlsx_with_sheet(_many_rows(50_000))
    rows = exports.read_table(data, "rows.xlsx", max_rows=100)
    assert len(rows) == 101 and rows[-1][0] == 102
    elapsed, peak = _measured(lambda: exports.read_table(data, "rows.xlsx", max_rows=100))
    assert elapsed < 1 and peak < 10 * 1024 * 1024


def test_a_sheet_with_too_many_rows_is_refused_with_a_message(app, monkeypatch) -> None:
    monkeypatch.setattr(importing, "MAX_ROWS", 100)
    data = _xlsx_with_sheet(_many_rows(5_000))
    plan = importing.plan_item_import(actor=SYSTEM, data=data, filename="rows.xlsx")
    assert [p.message for p in plan.problems] == ["The file has more than 100 rows: split it."]


def test_blank_rows_count_towards_a_limit_too(monkeypatch) -> None:
    monkeypatch.setattr(exports, "MAX_SCANNED_ROWS", 1_000)
    content = (HEADER + "\r\n" + "\r\n" * 5_000).encode()
    with pytest.raises(exports.SpreadsheetError, match="more than 1000 rows"):
        exports.read_table(content, "blank.csv")


def test_reading_stops_at_the_time_limit(monkeypatch) -> None:
    monkeypatch.setattr(exports, "MAX_READ_SECONDS", -1.0)
    with pytest.raises(exports.SpreadsheetError, match="takes too long"):
        exports.read_table((HEADER + "\r\nA,b\r\n").encode(), "slow.csv")


def test_too_many_columns_are_refused() -> None:
    content = ("code," + ",".join(f"c{i}" for i in range(150)) + "\r\nA\r\n").encode()
    with pytest.raises(exports.SpreadsheetError, match="more than 100 columns"):
        exports.read_table(content, "wide.csv")


# 5. Dates -----------------------------------------------------------------------------------------


def grant_data(**overrides: str) -> dict[str, str]:
    data = {
        "donor": "ECHO",
        "code": "ECHO-DATES",
        "title": "Dates",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "is_active": "y",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "field"),
    [("0001-01-01", "2026-12-31", "starts_on"), ("2026-01-01", "9999-12-31", "ends_on")],
)
def test_absurd_grant_periods_are_field_errors(client, login_as, starts_on, ends_on, field) -> None:
    login_as(Role.LOGISTICS)
    response = client.post("/grants/new", data=grant_data(starts_on=starts_on, ends_on=ends_on))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="{field}-error"' in body
    assert count(Grant) == 0


def test_the_grant_service_refuses_absurd_dates_too(app) -> None:
    from hilogistics.stock.services import save_grant

    with pytest.raises(DomainError) as error:
        save_grant(
            actor=SYSTEM,
            code="G-1",
            donor="D",
            title="T",
            starts_on=date(2026, 1, 1),
            ends_on=date(9999, 12, 31),
        )
    assert error.value.field == "ends_on"


def test_an_expiry_date_in_year_9999_is_a_field_error(client, login_as) -> None:
    login_as(Role.LOGISTICS)
    make_item(code="EXP-IT", tracks_expiry=True)
    warehouse = make_warehouse()
    db.session.commit()
    response = client.post(
        "/stock/receipts/new",
        data={
            "warehouse_id": str(warehouse.id),
            "occurred_on": business_today().isoformat(),
            "operation_key": "d" * 32,
            "lines-0-item": "EXP-IT",
            "lines-0-units": "3",
            "lines-0-lot_code": "L1",
            "lines-0-expires_on": "9999-12-31",
        },
    )
    assert 'id="lines-0-expires_on-error"' in response.get_data(as_text=True)
    assert count(StockTransaction) == 0


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_absurd_dates_in_stock_filters_fall_back_with_a_message(client, login_as, day) -> None:
    login_as(Role.LOGISTICS)
    item, warehouse = make_item(), make_warehouse()
    receive(item, 5, warehouse)
    db.session.commit()
    card = client.get(f"/stock/locations/{warehouse.id}/items/{item.id}?as_of={day}")
    assert card.status_code == 200 and 'id="as_of-error"' in card.get_data(as_text=True)
    listed = client.get(f"/stock/transactions?date_from={day}&date_to={day}")
    body = listed.get_data(as_text=True)
    assert listed.status_code == 200 and 'id="date_from-error"' in body
    assert f"/stock/transactions/{db.session.scalar(select(StockTransaction.id))}" in body
