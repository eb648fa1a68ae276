"""Correcting what was recorded: lot expiry corrections, partial reversals, copying a receipt."""

import re
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.errors import DomainError, PermissionDeniedError
from hilogistics.stock.models import (
    Balance,
    Lot,
    LotExpiryCorrection,
    Movement,
    StockTransaction,
    TransactionKind,
)
from hilogistics.stock.services import (
    ReceiptLine,
    correct_lot_expiry,
    record_receipt,
    reverse_transaction,
)
from tests.factories import (
    make_grant,
    make_item,
    make_user,
    make_warehouse,
    operation_key,
    receive,
)
from tests.races import race
from tests.test_form_errors import assert_error_page, title

TODAY = business_today()


def on_hand(location_id: int, item_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(Balance.quantity), 0)).where(
            Balance.location_id == location_id, Balance.item_id == item_id
        )
    )


def the_lot(item) -> Lot:
    return db.session.scalar(select(Lot).where(Lot.item_id == item.id))


def three_line_receipt(warehouse, *items, grant=None) -> StockTransaction:
    return record_receipt(
        actor=SYSTEM,
        warehouse_id=warehouse.id,
        occurred_on=TODAY,
        lines=[ReceiptLine(item_id=item.id, quantity=n + 2) for n, item in enumerate(items)],
        operation_key=operation_key(),
        supplier="UNICEF",
        reference="WB-77",
        grant_id=grant.id if grant else None,
        note="donor consignment",
    )


def value_of(html: str, name: str) -> str:
    """The value of the input (or the text of the textarea) called ``name``."""
    tag = re.search(rf'<(input|textarea)[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert tag, name
    if tag.group(1) == "textarea":
        return html[tag.end() : html.index("</textarea>", tag.end())].strip("\r\n")
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


# --- 1. lot expiry corrections ------------------------------------------------------------


def test_logistics_correct_a_lot_expiry_and_the_clash_goes_away(app: Flask) -> None:
    item, warehouse = make_item(code="MAT-GLUE", tracks_expiry=True), make_warehouse()
    receive(item, 2, warehouse, occurred_on=TODAY - timedelta(days=3), expires_on=date(2027, 1, 1))
    lot = the_lot(item)
    with pytest.raises(DomainError, match="MAT-GLUE \\(no lot code\\)"):
        receive(item, 2, warehouse, expires_on=date(2028, 1, 1))
    clerk = make_user(Role.LOGISTICS)
    correction = correct_lot_expiry(
        actor=clerk, lot_id=lot.id, expires_on=date(2028, 1, 1), reason="packaging reads 2028"
    )
    db.session.commit()
    assert lot.expires_on == date(2028, 1, 1)
    assert (correction.old_expires_on, correction.new_expires_on) == (
        date(2027, 1, 1),
        date(2028, 1, 1),
    )
    assert correction.actor_id == clerk.id and correction.reason == "packaging reads 2028"
    assert correction.recorded_at is not None
    receive(item, 2, warehouse, expires_on=date(2028, 1, 1))  # no clash any more
    assert on_hand(warehouse.id, item.id) == 4


def test_an_expiry_correction_refuses_nonsense_and_writes_nothing(app: Flask) -> None:
    item, warehouse = make_item(tracks_expiry=True), make_warehouse()
    receive(item, 2, warehouse, occurred_on=TODAY - timedelta(days=10), expires_on=date(2030, 1, 1))
    lot_id = the_lot(item).id
    plain = make_item()
    receive(plain, 1, warehouse)
    plain_lot_id = the_lot(plain).id
    db.session.commit()
    cases = [
        ({"expires_on": date(2031, 1, 1), "reason": "  "}, "reason"),
        ({"expires_on": date(2030, 1, 1), "reason": "same"}, "expires_on"),
        ({"expires_on": date(1999, 1, 1), "reason": "typo"}, "expires_on"),
        ({"expires_on": TODAY.replace(year=TODAY.year + 40), "reason": "typo"}, "expires_on"),
        ({"expires_on": TODAY - timedelta(days=11), "reason": "typo"}, "expires_on"),
        ({"expires_on": None, "reason": "typo"}, "expires_on"),
    ]
    for values, field in cases:
        with pytest.raises(DomainError) as refused:
            correct_lot_expiry(actor=SYSTEM, lot_id=lot_id, **values)
        assert refused.value.field == field, values
        db.session.rollback()
    with pytest.raises(DomainError, match="does not track expiry"):
        correct_lot_expiry(
            actor=SYSTEM, lot_id=plain_lot_id, expires_on=date(2030, 1, 1), reason="x"
        )
    db.session.rollback()
    for role in (Role.TECHNICIAN, Role.VIEWER):
        with pytest.raises(PermissionDeniedError):
            correct_lot_expiry(
                actor=make_user(role), lot_id=lot_id, expires_on=date(2031, 1, 1), reason="x"
            )
        db.session.rollback()
    with pytest.raises(PermissionDeniedError):
        correct_lot_expiry(actor=None, lot_id=lot_id, expires_on=date(2031, 1, 1), reason="x")
    db.session.rollback()
    assert db.session.get(Lot, lot_id).expires_on == date(2030, 1, 1)
    assert db.session.scalar(select(func.count()).select_from(LotExpiryCorrection)) == 0


def test_the_lot_page_shows_the_history_and_only_logistics_correct(
    app: Flask, client: FlaskClient, login_as
) -> None:
    item, warehouse = make_item(code="MED-IBU", tracks_expiry=True), make_warehouse()
    receive(item, 2, warehouse, lot_code="B-17", expires_on=date(2030, 1, 1))
    lot_id = the_lot(item).id
    item_id = item.id
    db.session.commit()
    clerk = login_as(Role.LOGISTICS, display_name="Kim Clerk")
    assert f'href="/stock/lots/{lot_id}"' in client.get(f"/stock/items/{item_id}").text
    html = client.get(f"/stock/lots/{lot_id}").text
    assert "MED-IBU, B-17" in html and "The expiry date was never corrected." in html
    assert f'action="/stock/lots/{lot_id}/expiry"' in html
    refused = client.post(f"/stock/lots/{lot_id}/expiry", data={"expires_on": "2031-02-03"})
    assert refused.status_code == 200
    assert_error_page(refused.text, "Say why the date is corrected")
    response = client.post(
        f"/stock/lots/{lot_id}/expiry",
        data={"expires_on": "2031-02-03", "reason": "box reads 2031-02-03"},
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/stock/lots/{lot_id}"
    html = client.get(f"/stock/lots/{lot_id}").text
    assert "Expiry date corrected." in html
    row = re.search(r"<tr>\s*<td>[^<]*</td>\s*<td>Kim Clerk</td>(.*?)</tr>", html, re.S)
    assert row and "2030-01-01" in row.group(1) and "2031-02-03" in row.group(1)
    assert "box reads 2031-02-03" in row.group(1)
    assert db.session.scalar(select(LotExpiryCorrection.actor_id)) == clerk.id

    viewer = app.test_client()
    from tests.conftest import sign_in

    sign_in(viewer, make_user(Role.VIEWER))
    db.session.commit()
    html = viewer.get(f"/stock/lots/{lot_id}").text
    assert "box reads 2031-02-03" in html and "/expiry" not in html
    data = {"expires_on": "2032-01-01", "reason": "x"}
    assert viewer.post(f"/stock/lots/{lot_id}/expiry", data=data).status_code == 403
    assert client.get("/stock/lots/424242").status_code == 404


# --- 2. partial reversals -----------------------------------------------------------------


def test_a_transaction_is_reversed_in_parts_and_no_line_twice(app: Flask) -> None:
    warehouse = make_warehouse()
    items = [make_item() for _ in range(3)]
    original = three_line_receipt(warehouse, *items)
    first, second, third = (m.id for m in original.movements)
    part = reverse_transaction(
        actor=SYSTEM,
        transaction_id=original.id,
        note="line 2 wrong",
        operation_key=operation_key(),
        movement_ids=[second],
    )
    assert [m.reverses_movement_id for m in part.movements] == [second]
    assert [on_hand(warehouse.id, i.id) for i in items] == [2, 0, 4]
    with pytest.raises(DomainError, match=f"Line 2 was already reversed by transaction {part.id}"):
        reverse_transaction(
            actor=SYSTEM,
            transaction_id=original.id,
            note="again",
            operation_key=operation_key(),
            movement_ids=[first, second],
        )
    for chosen, message in (([], "Choose at least one line"), ([999999], "lines of this")):
        with pytest.raises(DomainError, match=message):
            reverse_transaction(
                actor=SYSTEM,
                transaction_id=original.id,
                note="x",
                operation_key=operation_key(),
                movement_ids=chosen,
            )
    rest = reverse_transaction(
        actor=SYSTEM, transaction_id=original.id, note="all of it", operation_key=operation_key()
    )
    assert sorted(m.reverses_movement_id for m in rest.movements) == [first, third]
    assert [on_hand(warehouse.id, i.id) for i in items] == [0, 0, 0]
    with pytest.raises(DomainError, match="already been reversed"):
        reverse_transaction(
            actor=SYSTEM, transaction_id=original.id, note="x", operation_key=operation_key()
        )
    db.session.commit()
    assert original.reversals == [part, rest]


def test_the_database_refuses_a_second_reversing_movement_of_one_line(app: Flask) -> None:
    from sqlalchemy.exc import IntegrityError

    warehouse, item = make_warehouse(), make_item()
    original = receive(item, 3, warehouse)
    receive(item, 3, warehouse)
    line = original.movements[0]
    reverse_transaction(
        actor=SYSTEM, transaction_id=original.id, note="x", operation_key=operation_key()
    )
    values = {
        c: getattr(line, c)
        for c in ("item_id", "lot_id", "quantity", "from_location_id", "to_location_id")
    }
    values["from_location_id"], values["to_location_id"] = (
        line.to_location_id,
        line.from_location_id,
    )
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(
            Movement.__table__.insert().values(
                transaction_id=original.id,
                occurred_on=TODAY,
                reverses_movement_id=line.id,
                **values,
            )
        )
    db.session.rollback()


@pytest.mark.slow
def test_two_reversals_of_one_line_at_once_post_once(app: Flask, app_factory) -> None:
    racing = app_factory(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 6, "max_overflow": 2, "pool_timeout": 60}
    )
    for _repeat in range(3):
        warehouse, item = make_warehouse(), make_item()
        original = receive(item, 5, warehouse)
        receive(item, 5, warehouse)  # enough stock for two: only the line guard can refuse
        original_id, line_id = original.id, original.movements[0].id
        warehouse_id, item_id = warehouse.id, item.id
        db.session.commit()

        def work(_index: int, original_id=original_id, line_id=line_id) -> int:
            return reverse_transaction(
                actor=SYSTEM,
                transaction_id=original_id,
                note="keyed twice",
                operation_key=operation_key(),
                movement_ids=[line_id],
            ).id

        result = race(racing, 4, work)
        assert result.outcomes["ok"] == 1, result.outcomes
        assert all(o.startswith("refused: ") for o in result.outcomes if o != "ok"), result
        assert on_hand(warehouse_id, item_id) == 5
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Movement)
                .where(Movement.reverses_movement_id == line_id)
            )
            == 1
        )


def test_the_reversal_page_ticks_every_open_line_and_reverses_the_chosen(
    client: FlaskClient, login_as
) -> None:
    login_as(Role.LOGISTICS)
    warehouse = make_warehouse()
    items = [make_item(code=f"PART-{n}") for n in range(3)]
    original = three_line_receipt(warehouse, *items)
    ids = [m.id for m in original.movements]
    original_id = original.id
    db.session.commit()
    url = f"/stock/transactions/{original_id}/reverse"
    html = client.get(url).text
    boxes = re.findall(r'<input type="checkbox" name="lines" value="(\d+)"[^>]*>', html)
    assert boxes == [str(i) for i in ids]
    assert all(" checked" in tag for tag in re.findall(r'<input type="checkbox"[^>]*>', html))
    response = client.post(
        url,
        data={
            "lines": [str(ids[1])],
            "note": "PART-1 was not delivered",
            "occurred_on": TODAY.isoformat(),
            "operation_key": operation_key(),
        },
    )
    reversal = db.session.scalar(
        select(StockTransaction).where(StockTransaction.kind == TransactionKind.REVERSAL)
    )
    assert response.headers["Location"] == f"/stock/transactions/{reversal.id}"
    html = client.get(f"/stock/transactions/{original_id}").text
    assert f"by #{reversal.id}" in html and "Reverse other lines" in html
    assert html.count("by #") == 1
    html = client.get(url).text
    assert re.findall(r'name="lines" value="(\d+)"', html) == [str(ids[0]), str(ids[2])]
    assert f"reversed by #{reversal.id}" in html


def test_the_long_reversal_page_without_a_reason_focuses_its_error_summary(
    client: FlaskClient, login_as
) -> None:
    login_as(Role.LOGISTICS)
    warehouse = make_warehouse()
    original = three_line_receipt(warehouse, *[make_item() for _ in range(3)])
    original_id = original.id
    db.session.commit()
    response = client.post(
        f"/stock/transactions/{original_id}/reverse",
        data={"note": "", "occurred_on": TODAY.isoformat(), "operation_key": operation_key()},
    )
    assert response.status_code == 200
    assert_error_page(
        response.text, "Why is it reversed?", "This field is required.", "Choose at least one line"
    )
    assert title(response.text).startswith(f"Error: Reverse transaction #{original_id}")
    assert 'href="#note"' in response.text and 'href="#lines"' in response.text
    assert db.session.scalar(select(func.count()).select_from(StockTransaction)) == 1


# --- 3. copy into a new receipt -----------------------------------------------------------


def test_copy_into_a_new_receipt_fills_the_header_and_the_reversed_lines(
    client: FlaskClient, login_as
) -> None:
    login_as(Role.LOGISTICS)
    warehouse, grant = make_warehouse(), make_grant(code="ECHO-26")
    glue = make_item(code="MAT-GLUE", tracks_expiry=True)
    splint = make_item(code="ORT-SPLINT")
    chairs = make_item(code="WHL-CHAIR", tracks_serial=True)
    original = record_receipt(
        actor=SYSTEM,
        warehouse_id=warehouse.id,
        occurred_on=TODAY,
        lines=[
            ReceiptLine(item_id=glue.id, quantity=4, lot_code="G1", expires_on=date(2029, 5, 1)),
            ReceiptLine(item_id=splint.id, quantity=7),
            ReceiptLine(item_id=chairs.id, quantity=2, serials=["KN-01", "KN-02"]),
        ],
        operation_key=operation_key(),
        supplier="UNICEF",
        reference="WB-77",
        grant_id=grant.id,
        note="donor consignment",
    )
    glue_line = original.movements[0].id
    chair_lines = [m.id for m in original.movements[2:]]
    reversal = reverse_transaction(
        actor=SYSTEM,
        transaction_id=original.id,
        note="wrong",
        operation_key=operation_key(),
        movement_ids=[glue_line, *chair_lines],
    )
    ids = (original.id, reversal.id, warehouse.id, grant.id)
    db.session.commit()
    original_id, reversal_id, warehouse_id, grant_id = ids

    page = client.get(f"/stock/transactions/{reversal_id}").text
    assert f'href="/stock/receipts/new?copy_of={reversal_id}"' in page
    html = client.get(f"/stock/receipts/new?copy_of={reversal_id}").text
    assert re.search(rf'<option selected value="{warehouse_id}">', html)
    assert re.search(rf'<option selected value="{grant_id}">', html)
    header = [value_of(html, name) for name in ("supplier", "reference", "note")]
    assert header == ["UNICEF", "WB-77", "donor consignment"]
    first = [value_of(html, f"lines-0-{name}") for name in ("item", "units", "lot_code")]
    assert first == ["MAT-GLUE", "4", "G1"]
    assert value_of(html, "lines-0-expires_on") == "2029-05-01"
    second = [value_of(html, f"lines-1-{name}") for name in ("item", "units", "serials")]
    assert second == ["WHL-CHAIR", "2", "KN-01\nKN-02"]
    assert value_of(html, "lines-2-item") == ""

    whole = client.get(f"/stock/receipts/new?copy_of={original_id}").text
    assert [value_of(whole, f"lines-{n}-item") for n in range(3)] == [
        "MAT-GLUE",
        "ORT-SPLINT",  # not reversed: copied only with the whole receipt
        "WHL-CHAIR",
    ]
    for bad in ("abc", "0", "424242", str(2**40)):
        assert client.get(f"/stock/receipts/new?copy_of={bad}").status_code == 404, bad


def test_only_receipts_and_their_reversals_are_copied(client: FlaskClient, login_as) -> None:
    login_as(Role.LOGISTICS)
    warehouse, item = make_warehouse(), make_item()
    receive(item, 5, warehouse)
    from hilogistics.stock.models import AdjustmentDirection, AdjustmentReason
    from hilogistics.stock.services import adjust_stock

    damaged = db.session.scalar(select(AdjustmentReason).where(AdjustmentReason.code == "damaged"))
    adjustment = adjust_stock(
        actor=SYSTEM,
        location_id=warehouse.id,
        item_id=item.id,
        lot_id=the_lot(item).id,
        quantity=1,
        direction=AdjustmentDirection.OUT,
        reason_id=damaged.id,
        occurred_on=TODAY,
        operation_key=operation_key(),
        note="wet",
    )
    adjustment_id = adjustment.id
    db.session.commit()
    assert client.get(f"/stock/receipts/new?copy_of={adjustment_id}").status_code == 404
    assert "copy_of" not in client.get(f"/stock/transactions/{adjustment_id}").text
