"""Receipt, adjustment and reversal pages: wiring, form errors, one post per form, access."""

import re
import threading
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.stock import services
from hilogistics.stock.models import Balance, Movement, StockTransaction, TransactionKind
from tests.conftest import sign_in
from tests.factories import (
    adjustment_reason,
    make_grant,
    make_item,
    make_location,
    make_warehouse,
    operation_key,
    receive,
    virtual,
)

RECEIPT_URL = "/stock/receipts/new"
LINE_FIELDS = ("item", "packs", "units", "lot_code", "expires_on", "serials")


@pytest.fixture
def staff(login_as) -> None:
    login_as(Role.LOGISTICS)


def receipt_form(warehouse, lines, *, blank_lines: int = 5, **header) -> dict[str, str]:
    """What the browser sends: the header and every line, blank ones included."""
    data = {
        "warehouse_id": str(warehouse.id),
        "occurred_on": business_today().isoformat(),
        "supplier": "Ottobock",
        "grant_id": "",
        "reference": "WB-2026-7",
        "note": "",
        "operation_key": operation_key(),
    }
    data.update({key: str(value) for key, value in header.items()})
    for index in range(max(len(lines), blank_lines)):
        line = lines[index] if index < len(lines) else {}
        for name in LINE_FIELDS:
            data[f"lines-{index}-{name}"] = str(line.get(name, ""))
    return data


def count_transactions() -> int:
    return db.session.scalar(select(func.count()).select_from(StockTransaction))


def on_hand(location, item) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(Balance.quantity), 0)).where(
            Balance.location_id == location.id, Balance.item_id == item.id
        )
    )


def field_tag(body: str, name: str) -> str:
    """The HTML tag of the input, select or textarea called ``name``."""
    match = re.search(rf'<(?:input|select|textarea)[^>]*\bname="{re.escape(name)}"[^>]*>', body)
    assert match, f"no field {name}"
    return match.group(0)


def only_lot(item) -> int:
    return db.session.scalar(select(Balance.lot_id).where(Balance.item_id == item.id).limit(1))


# --- receipts -----------------------------------------------------------------------------


def test_the_receipt_form_offers_warehouses_and_item_codes_in_the_readers_language(
    client: FlaskClient, staff
) -> None:
    make_warehouse(name="Pyongyang central store", name_ko="평양중앙창고")
    make_item(code="ORT-FOOT-SACH-24", name="SACH foot 24", name_ko="사치발 24")
    db.session.commit()
    with client.session_transaction() as session:
        session["locale"] = "ko_KP"
    body = client.get(RECEIPT_URL).get_data(as_text=True)
    assert "평양중앙창고" in body
    assert '<option value="ORT-FOOT-SACH-24">사치발 24</option>' in body
    assert 'name="lines-4-item"' in body and 'name="lines-5-item"' not in body
    assert f'value="{business_today().isoformat()}"' in body
    assert 'name="operation_key"' in body


def test_a_receipt_counts_units_and_packs_times_pack_size_and_ignores_blank_lines(
    client: FlaskClient, staff
) -> None:
    warehouse = make_warehouse()
    gloves, plaster = make_item(pack_size=12), make_item()
    grant = make_grant()
    db.session.commit()
    data = receipt_form(
        warehouse,
        [
            {},
            {"item": gloves.code.lower(), "packs": 2, "units": 3},
            {},
            {"item": plaster.code, "units": 5, "lot_code": "P-7"},
        ],
        grant_id=grant.id,
    )
    response = client.post(RECEIPT_URL, data=data)
    [transaction] = db.session.scalars(select(StockTransaction)).all()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/stock/transactions/{transaction.id}"
    assert (on_hand(warehouse, gloves), on_hand(warehouse, plaster)) == (27, 5)
    assert transaction.kind is TransactionKind.RECEIPT
    assert (transaction.supplier, transaction.reference) == ("Ottobock", "WB-2026-7")
    assert {m.lot.grant_id for m in transaction.movements} == {grant.id}
    with client.session_transaction() as session:
        assert ("success", "Receipt recorded.") in session["_flashes"]


def test_a_receipt_of_blank_lines_only_asks_for_a_line_and_writes_nothing(
    client: FlaskClient, staff
) -> None:
    warehouse = make_warehouse()
    db.session.commit()
    response = client.post(RECEIPT_URL, data=receipt_form(warehouse, []))
    assert response.status_code == 200
    assert "Enter at least one line." in response.get_data(as_text=True)
    assert count_transactions() == 0


def test_the_add_lines_button_shows_five_more_lines_and_posts_nothing(
    client: FlaskClient, staff
) -> None:
    warehouse = make_warehouse()
    gloves = make_item(pack_size=12)
    db.session.commit()
    data = receipt_form(warehouse, [{"item": gloves.code, "packs": 1}])
    data["add_lines"] = "Add 5 more lines"
    response = client.post(RECEIPT_URL, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="lines-9-item"' in body and 'name="lines-10-item"' not in body
    assert "Pack size: 12" in body
    assert f'value="{data["operation_key"]}"' in body
    assert "Error:" not in body
    assert count_transactions() == 0


def test_an_expiry_tracked_item_without_expiry_marks_that_lines_expiry_field(
    client: FlaskClient, staff
) -> None:
    warehouse = make_warehouse()
    plaster = make_item(tracks_expiry=True)
    db.session.commit()
    data = receipt_form(warehouse, [{}, {}, {"item": plaster.code, "units": 10, "lot_code": "L1"}])
    response = client.post(RECEIPT_URL, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    tag = field_tag(body, "lines-2-expires_on")
    assert 'aria-invalid="true"' in tag and 'aria-describedby="lines-2-expires_on-error' in tag
    assert f"{plaster.code} tracks expiry: enter the expiry date." in body
    assert 'href="#lines-2-expires_on"' in body
    assert count_transactions() == 0


def test_serial_numbers_must_number_one_per_unit(client: FlaskClient, staff) -> None:
    warehouse = make_warehouse()
    knee = make_item(tracks_serial=True)
    db.session.commit()
    short = receipt_form(warehouse, [{"item": knee.code, "units": 2, "serials": "SN-1"}])
    body = client.post(RECEIPT_URL, data=short).get_data(as_text=True)
    assert "(2 expected, 1 given)" in body
    assert 'aria-invalid="true"' in field_tag(body, "lines-0-serials")
    assert count_transactions() == 0

    enough = receipt_form(
        warehouse, [{"item": knee.code, "units": 2, "serials": "SN-1\r\nSN-2\r\n"}]
    )
    assert client.post(RECEIPT_URL, data=enough).status_code == 302
    assert on_hand(warehouse, knee) == 2


def test_an_unknown_item_code_is_a_field_error(client: FlaskClient, staff) -> None:
    warehouse = make_warehouse()
    retired = make_item(is_active=False)
    db.session.commit()
    data = receipt_form(
        warehouse, [{"item": "NO-SUCH-CODE", "units": 1}, {"item": retired.code, "units": 1}]
    )
    body = client.post(RECEIPT_URL, data=data).get_data(as_text=True)
    assert 'aria-invalid="true"' in field_tag(body, "lines-0-item")
    assert 'aria-invalid="true"' in field_tag(body, "lines-1-item")
    assert body.count("No active item has this code.") >= 2
    assert count_transactions() == 0


def test_a_line_needs_an_item_and_a_quantity(client: FlaskClient, staff) -> None:
    warehouse, item = make_warehouse(), make_item()
    db.session.commit()
    data = receipt_form(warehouse, [{"lot_code": "L-9"}, {"item": item.code}])
    body = client.post(RECEIPT_URL, data=data).get_data(as_text=True)
    assert "Enter the item code." in body
    assert 'aria-invalid="true"' in field_tag(body, "lines-1-units")
    assert count_transactions() == 0


def test_a_future_date_is_refused(client: FlaskClient, staff) -> None:
    warehouse, item = make_warehouse(), make_item()
    db.session.commit()
    tomorrow = (business_today() + timedelta(days=1)).isoformat()
    data = receipt_form(warehouse, [{"item": item.code, "units": 1}], occurred_on=tomorrow)
    body = client.post(RECEIPT_URL, data=data).get_data(as_text=True)
    assert "The date cannot be in the future." in body
    assert 'aria-invalid="true"' in field_tag(body, "occurred_on")
    assert count_transactions() == 0


BAD_RECEIPT_INPUT = [
    ({"lines-0-units": "twelve"}, "lines-0-units"),
    ({"lines-0-units": "99999999999999999999999"}, "lines-0-units"),
    ({"lines-0-packs": "9000000", "lines-0-units": ""}, "lines-0-units"),  # × pack size 2
    ({"lines-0-expires_on": "2026-02-31"}, "lines-0-expires_on"),
    ({"occurred_on": "yesterday"}, "occurred_on"),
    ({"warehouse_id": "99999999999"}, "warehouse_id"),
    ({"grant_id": "not-a-number"}, "grant_id"),
]


def test_bad_receipt_input_is_answered_with_a_field_message(client: FlaskClient, staff) -> None:
    warehouse = make_warehouse()
    item = make_item(pack_size=2, tracks_expiry=True)
    db.session.commit()
    for changes, field in BAD_RECEIPT_INPUT:
        data = receipt_form(
            warehouse,
            [{"item": item.code, "units": 3, "expires_on": "2030-01-31", "lot_code": "A"}],
        )
        data.update(changes)
        response = client.post(RECEIPT_URL, data=data)
        assert response.status_code == 200, changes
        assert 'aria-invalid="true"' in field_tag(response.get_data(as_text=True), field), changes
    assert count_transactions() == 0


def test_the_same_receipt_form_sent_twice_posts_once_and_both_land_on_it(
    client: FlaskClient, staff
) -> None:
    warehouse, item = make_warehouse(), make_item(tracks_serial=True)
    db.session.commit()
    data = receipt_form(warehouse, [{"item": item.code, "units": 2, "serials": "K-1\nK-2"}])
    first = client.post(RECEIPT_URL, data=data)
    second = client.post(RECEIPT_URL, data=data)
    [transaction] = db.session.scalars(select(StockTransaction)).all()
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert first.headers["Location"] == f"/stock/transactions/{transaction.id}"
    assert on_hand(warehouse, item) == 2


def test_a_receipt_form_changed_and_sent_again_is_refused_on_the_form(
    client: FlaskClient, staff
) -> None:
    warehouse, item = make_warehouse(), make_item()
    db.session.commit()
    data = receipt_form(warehouse, [{"item": item.code, "units": 5}])
    assert client.post(RECEIPT_URL, data=data).status_code == 302
    # Back in the browser, the quantity changed, the same form sent again: not a replay.
    changed = {**data, "lines-0-units": "500"}
    response = client.post(RECEIPT_URL, data=changed)
    assert response.status_code == 200
    assert "already sent with other content" in response.get_data(as_text=True)
    assert count_transactions() == 1 and on_hand(warehouse, item) == 5


def post_together(clients: list[FlaskClient], url: str, data: dict[str, str]) -> list:
    """Send the same form from each client at the same moment; the responses, in order."""
    barrier = threading.Barrier(len(clients))
    responses: list = [None] * len(clients)

    def send(index: int) -> None:
        barrier.wait(timeout=30)
        responses[index] = clients[index].post(url, data=data)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def test_a_double_click_posts_once_even_when_both_requests_arrive_together(
    app: Flask, make_user
) -> None:
    warehouse, item = make_warehouse(), make_item(tracks_serial=True)
    user = make_user(Role.LOGISTICS)
    clients = [app.test_client(), app.test_client()]
    for client in clients:
        sign_in(client, user)
    for attempt in range(3):
        serials = f"R{attempt}-1\nR{attempt}-2"
        data = receipt_form(warehouse, [{"item": item.code, "units": 2, "serials": serials}])
        db.session.commit()  # end the test's own transaction: on SQLite it holds the write lock
        responses = post_together(clients, RECEIPT_URL, data)
        assert [r.status_code for r in responses] == [302, 302]
        assert responses[0].headers["Location"] == responses[1].headers["Location"]
    db.session.commit()
    assert count_transactions() == 3 and on_hand(warehouse, item) == 6


# --- adjustments --------------------------------------------------------------------------


def test_the_adjust_page_first_asks_for_the_place_and_the_item(client: FlaskClient, staff) -> None:
    centre = make_location(name="Hamhung orthopaedic centre")
    db.session.commit()
    body = client.get(f"/stock/adjust?location_id={centre.id}").get_data(as_text=True)
    assert f'<option selected value="{centre.id}">Hamhung orthopaedic centre</option>' in body
    assert 'name="item"' in body and 'name="lot_id"' not in body and "Error:" not in body

    unknown = client.get(f"/stock/adjust?location_id={centre.id}&item=NOPE")
    unknown = unknown.get_data(as_text=True)
    assert 'name="lot_id"' not in unknown and 'aria-invalid="true"' in field_tag(unknown, "item")


def test_the_adjust_form_lists_the_lots_with_their_balance_here(client: FlaskClient, staff) -> None:
    warehouse, item = make_warehouse(), make_item(tracks_expiry=True)
    grant = make_grant(code="ECHO-26")
    services.record_receipt(
        actor=SYSTEM,
        warehouse_id=warehouse.id,
        occurred_on=business_today(),
        lines=[services.ReceiptLine(item.id, 7, "B-2", date(2030, 5, 31))],
        operation_key=operation_key(),
        grant_id=grant.id,
    )
    db.session.commit()
    lot_id = only_lot(item)
    url = f"/stock/adjust?location_id={warehouse.id}&item_id={item.id}&lot_id={lot_id}"
    body = client.get(url).get_data(as_text=True)
    label = "B-2 · expires 2030-05-31 · grant ECHO-26 · 7 on hand here"
    assert f'<option selected value="{lot_id}">{label}</option>' in body
    assert "Damaged" in body and "Found" in body


def test_an_adjustment_takes_stock_out_and_brings_it_back_in(client: FlaskClient, staff) -> None:
    warehouse, item = make_warehouse(), make_item()
    receive(item, 10, warehouse)
    db.session.commit()
    url = f"/stock/adjust?location_id={warehouse.id}&item_id={item.id}"
    out = {
        "lot_id": only_lot(item),
        "direction": "out",
        "reason_id": adjustment_reason("damaged").id,
        "quantity": "3",
        "occurred_on": (business_today() - timedelta(days=4)).isoformat(),
        "note": "Crushed under a pallet",
        "operation_key": operation_key(),
    }
    response = client.post(url, data=out)
    adjustment = db.session.scalar(
        select(StockTransaction).where(StockTransaction.kind == TransactionKind.ADJUSTMENT)
    )
    assert response.headers["Location"] == f"/stock/transactions/{adjustment.id}"
    assert on_hand(warehouse, item) == 7 and on_hand(virtual("LOSS"), item) == 3
    assert adjustment.occurred_on == business_today() - timedelta(days=4)

    back = dict(out, direction="in", reason_id=adjustment_reason("found").id, quantity="1")
    back["operation_key"] = operation_key()
    assert client.post(url, data=back).status_code == 302
    assert on_hand(warehouse, item) == 8 and on_hand(virtual("COUNT"), item) == -1


def test_an_adjustment_needs_a_note_and_a_fitting_reason(client: FlaskClient, staff) -> None:
    warehouse, item = make_warehouse(), make_item()
    receive(item, 10, warehouse)
    db.session.commit()
    url = f"/stock/adjust?location_id={warehouse.id}&item_id={item.id}"
    data = {
        "lot_id": only_lot(item),
        "direction": "in",
        "reason_id": adjustment_reason("stolen").id,
        "quantity": "abc",
        "occurred_on": business_today().isoformat(),
        "note": "",
        "operation_key": operation_key(),
    }
    body = client.post(url, data=data).get_data(as_text=True)
    assert 'aria-invalid="true"' in field_tag(body, "note")
    assert 'aria-invalid="true"' in field_tag(body, "quantity")
    data.update(quantity="1", note="seen on the shelf")
    body = client.post(url, data=data).get_data(as_text=True)
    assert "does not fit this direction" in body
    assert 'aria-invalid="true"' in field_tag(body, "reason_id")
    assert count_transactions() == 1


def test_taking_more_than_on_hand_shows_the_shortage_and_writes_nothing(
    client: FlaskClient, staff
) -> None:
    warehouse = make_warehouse(name="Sariwon store")
    item = make_item(code="ORT-KNEE-4B")
    receive(item, 3, warehouse)
    db.session.commit()
    data = {
        "lot_id": only_lot(item),
        "direction": "out",
        "reason_id": adjustment_reason("lost").id,
        "quantity": "4",
        "occurred_on": business_today().isoformat(),
        "note": "not found at the count",
        "operation_key": operation_key(),
    }
    response = client.post(f"/stock/adjust?location_id={warehouse.id}&item_id={item.id}", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ORT-KNEE-4B" in body and "Sariwon store" in body and "4 wanted, 3 on hand" in body
    assert on_hand(warehouse, item) == 3 and count_transactions() == 1


def test_the_same_adjustment_sent_twice_posts_once(client: FlaskClient, staff) -> None:
    warehouse, item = make_warehouse(), make_item()
    receive(item, 5, warehouse)
    db.session.commit()
    url = f"/stock/adjust?location_id={warehouse.id}&item_id={item.id}"
    data = {
        "lot_id": only_lot(item),
        "direction": "out",
        "reason_id": adjustment_reason("expired").id,
        "quantity": "5",
        "occurred_on": business_today().isoformat(),
        "note": "past date",
        "operation_key": operation_key(),
    }
    first, second = client.post(url, data=data), client.post(url, data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert on_hand(warehouse, item) == 0 and count_transactions() == 2


def test_posting_an_adjustment_without_place_and_item_asks_for_them(
    client: FlaskClient, staff
) -> None:
    response = client.post("/stock/adjust", data={"quantity": "1"})
    assert response.status_code == 200
    assert "Choose the place and the item first." in response.get_data(as_text=True)


# --- reversals ----------------------------------------------------------------------------


def test_the_reversal_page_shows_every_line_going_back(client: FlaskClient, staff) -> None:
    warehouse = make_warehouse(name="Nampo store")
    item = make_item(code="EDU-BRAILLE-SLATE")
    original = receive(item, 6, warehouse)
    db.session.commit()
    response = client.get(f"/stock/transactions/{original.id}/reverse")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "EDU-BRAILLE-SLATE" in body
    supplier = virtual("SUPPLIER").name
    assert f"from {supplier} to Nampo store" in body
    assert f"from Nampo store to {supplier}" in body
    assert 'name="note"' in body and 'name="operation_key"' in body


def test_a_reversal_posts_and_the_two_transactions_point_at_each_other(
    client: FlaskClient, staff
) -> None:
    warehouse, item = make_warehouse(), make_item()
    original = receive(item, 6, warehouse)
    db.session.commit()
    url = f"/stock/transactions/{original.id}/reverse"
    data = {
        "note": "keyed twice",
        "occurred_on": business_today().isoformat(),
        "lines": [str(m.id) for m in original.movements],
    }
    response = client.post(url, data=dict(data, operation_key=operation_key()))
    reversal = db.session.scalar(
        select(StockTransaction).where(StockTransaction.kind == TransactionKind.REVERSAL)
    )
    assert response.headers["Location"] == f"/stock/transactions/{reversal.id}"
    assert reversal.reverses_id == original.id and original.reversals == [reversal]
    assert on_hand(warehouse, item) == 0

    page = client.get(url).get_data(as_text=True)
    assert "This transaction has already been reversed." in page
    assert f'href="/stock/transactions/{reversal.id}"' in page and 'name="note"' not in page

    again = client.post(url, data=dict(data, operation_key=operation_key()))
    assert "This transaction has already been reversed." in again.get_data(as_text=True)
    assert count_transactions() == 2

    of_reversal = client.post(
        f"/stock/transactions/{reversal.id}/reverse", data=dict(data, operation_key=operation_key())
    )
    assert "A reversal cannot be reversed" in of_reversal.get_data(as_text=True)
    assert count_transactions() == 2


def test_a_reversal_is_refused_when_the_stock_has_moved_on(client: FlaskClient, staff) -> None:
    warehouse, item = make_warehouse(), make_item()
    original = receive(item, 5, warehouse)
    db.session.commit()
    client.post(
        f"/stock/adjust?location_id={warehouse.id}&item_id={item.id}",
        data={
            "lot_id": only_lot(item),
            "direction": "out",
            "reason_id": adjustment_reason("damaged").id,
            "quantity": "2",
            "occurred_on": business_today().isoformat(),
            "note": "wet",
            "operation_key": operation_key(),
        },
    )
    url = f"/stock/transactions/{original.id}/reverse"
    assert "Only 3 on hand there now" in client.get(url).get_data(as_text=True)
    response = client.post(
        url,
        data={
            "note": "wrong",
            "occurred_on": business_today().isoformat(),
            "operation_key": "k1",
            "lines": [str(m.id) for m in original.movements],
        },
    )
    assert response.status_code == 200
    assert "5 wanted, 3 on hand" in response.get_data(as_text=True)
    assert on_hand(warehouse, item) == 3 and count_transactions() == 2


def test_a_reversal_needs_a_note_and_cannot_predate_the_original(
    client: FlaskClient, staff
) -> None:
    warehouse, item = make_warehouse(), make_item()
    original = receive(item, 5, warehouse)
    db.session.commit()
    url = f"/stock/transactions/{original.id}/reverse"
    body = client.post(url, data={"note": "", "operation_key": "k2"}).get_data(as_text=True)
    assert 'aria-invalid="true"' in field_tag(body, "note")
    earlier = (business_today() - timedelta(days=1)).isoformat()
    lines = [str(m.id) for m in original.movements]
    body = client.post(
        url, data={"note": "wrong", "occurred_on": earlier, "operation_key": "k3", "lines": lines}
    ).get_data(as_text=True)
    assert "cannot be dated before" in body
    assert count_transactions() == 1


def test_an_unknown_transaction_cannot_be_reversed(client: FlaskClient, staff) -> None:
    assert client.get("/stock/transactions/424242/reverse").status_code == 404
    assert client.get(f"/stock/transactions/{2**40}/reverse").status_code == 404


# --- access -------------------------------------------------------------------------------


def test_technicians_and_viewers_cannot_open_or_post_operations(app: Flask, make_user) -> None:
    warehouse, item = make_warehouse(), make_item()
    original = receive(item, 2, warehouse)
    db.session.commit()
    reverse_url = f"/stock/transactions/{original.id}/reverse"
    for role in (Role.TECHNICIAN, Role.VIEWER):
        client = app.test_client()
        sign_in(client, make_user(role))
        for url in (RECEIPT_URL, "/stock/adjust", reverse_url):
            assert client.get(url).status_code == 403, (role, url)
            data = {"note": "x", "operation_key": "k"}
            assert client.post(url, data=data).status_code == 403, (role, url)
    assert count_transactions() == 1
    assert db.session.scalar(select(func.count()).select_from(Movement)) == 1
