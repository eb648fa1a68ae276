"""Oversized requests are refused before they are parsed (413 or a field message), quickly,
and write nothing; the catalogue import still takes files larger than any form."""

import io
import time
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.stock.forms_operations import MAX_LINES
from hilogistics.stock.models import ReorderLevel, StockTransaction
from hilogistics.stock.queries import MAX_PER_PAGE
from tests.factories import make_item, make_location, make_warehouse, operation_key

TOO_LARGE = "larger than the allowed size"
# Far below gunicorn's 30 s worker timeout, far above the few milliseconds a refusal takes.
QUICK_S = 3.0


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def timed_post(client: FlaskClient, url: str, **kwargs: object):
    """Post, timing the app only: a dict of fields is encoded before the clock starts (encoding
    100 000 fields in the test client took seconds on a busy machine, failing the test)."""
    data = kwargs.get("data")
    if isinstance(data, dict):
        kwargs["data"] = urlencode(data).encode()
        kwargs["headers"] = {"Content-Type": "application/x-www-form-urlencoded"}
    started = time.monotonic()
    response = client.post(url, **kwargs)
    return response, time.monotonic() - started


def receipt_header(warehouse_id: int) -> dict[str, str]:
    return {
        "warehouse_id": str(warehouse_id),
        "occurred_on": "2026-01-05",
        "operation_key": operation_key(),
    }


def test_a_receipt_with_20000_line_fields_is_refused_at_once(client, login_as) -> None:
    login_as(Role.LOGISTICS)
    warehouse = make_warehouse()
    item = make_item()
    db.session.commit()
    data = receipt_header(warehouse.id)
    data.update({f"lines-{n}-item": item.code for n in range(20_000)})
    response, seconds = timed_post(client, "/stock/receipts/new", data=data)
    assert response.status_code == 413
    assert TOO_LARGE in response.get_data(as_text=True)
    assert seconds < QUICK_S
    assert count(StockTransaction) == 0


def test_a_receipt_with_too_many_lines_under_the_field_limit_gets_a_message(
    client, login_as
) -> None:
    login_as(Role.LOGISTICS)
    warehouse = make_warehouse()
    item = make_item()
    db.session.commit()
    data = receipt_header(warehouse.id)
    data.update({f"lines-{n}-item": item.code for n in range(900)})
    data.update({f"lines-{n}-units": "1" for n in range(50)})
    response, seconds = timed_post(client, "/stock/receipts/new", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"A receipt has at most {MAX_LINES} lines" in body
    # Only one line past the limit was built, so only that many are shown again.
    assert body.count('name="lines-') // 6 == MAX_LINES + 1
    assert seconds < QUICK_S
    assert count(StockTransaction) == 0


def test_a_reorder_level_page_with_50000_rows_is_refused_at_once(client, login_as) -> None:
    login_as(Role.LOGISTICS)
    centre = make_location()
    item = make_item()
    db.session.commit()
    data = {f"rows-{n}-item_id": str(item.id) for n in range(50_000)}
    data.update({f"rows-{n}-minimum": "1" for n in range(50_000)})
    url = f"/stock/locations/{centre.id}/reorder-levels"
    response, seconds = timed_post(client, url, data=data)
    assert response.status_code == 413
    assert seconds < QUICK_S
    assert count(ReorderLevel) == 0


def test_more_reorder_rows_than_a_page_shows_are_refused(client, login_as) -> None:
    login_as(Role.LOGISTICS)
    centre = make_location()
    item = make_item()
    db.session.commit()
    rows = MAX_PER_PAGE + 50
    data = {f"rows-{n}-item_id": str(item.id) for n in range(rows)}
    data.update({f"rows-{n}-minimum": "1" for n in range(rows)})
    response = client.post(f"/stock/locations/{centre.id}/reorder-levels", data=data)
    assert response.status_code == 413
    assert count(ReorderLevel) == 0


def test_an_anonymous_large_body_is_refused_before_it_is_read(client) -> None:
    body = b"username=a&password=" + b"x" * (8 * 1024 * 1024)
    response, seconds = timed_post(
        client,
        "/login",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Too much data" in page and TOO_LARGE in page
    assert seconds < QUICK_S


def test_a_multipart_form_with_too_many_parts_is_refused(client, app: Flask) -> None:
    data = {f"field{n}": "x" for n in range(app.config["MAX_FORM_PARTS"] + 10)}
    response = client.post("/login", data=data, content_type="multipart/form-data")
    assert response.status_code == 413


def test_the_catalogue_import_takes_a_file_larger_than_any_form(
    client, login_as, app: Flask
) -> None:
    login_as(Role.ADMIN)
    size = app.config["MAX_CONTENT_LENGTH"] + 512 * 1024
    assert size < app.config["IMPORT_MAX_CONTENT_LENGTH"]
    # Blank rows of spaces, which the import skips: few enough rows that the import's own
    # bound on rows scanned does not refuse the file first.
    padding = (" " * 1022 + "\r\n") * (size // 1024)
    content = (
        "code,name,name_ko,name_fr,category,unit,pack_size,kind,"
        "tracks_expiry,tracks_serial,family,active\r\n"
        "BIG-1,Big file item,큰 화일,,EDU,piece,1,consumable,no,no,,yes\r\n"
    ) + padding
    # Encoded here, in memory: the test client would spool a body this large to a temporary
    # file and never close it.
    boundary, body = encode_multipart(
        MultiDict({"file": FileStorage(io.BytesIO(content.encode()), "items.csv")})
    )
    response = client.post(
        "/catalogue/items/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 200
    assert "BIG-1" in response.get_data(as_text=True)
    # The same size anywhere else is refused.
    anonymous = app.test_client()
    other = anonymous.post("/login", data={"username": "a", "password": "x" * size})
    assert other.status_code == 413
