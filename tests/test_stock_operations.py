"""Receipt, adjustment and reversal pages: wiring, form errors, one post per form, access."""

import io
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
from hilogistics.lines.problems import LineProblems
from hilogistics.stock import services
from hilogistics.stock.models import Balance, Lot, Movement, StockTransaction, TransactionKind
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
IMPORT_URL = "/stock/receipts/import"
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


def reason(code: str, direction: str | None = None) -> str:
    """The adjust form's value for a reason: its id and the direction it sets."""
    row = adjustment_reason(code)
    return f"{row.id}-{direction or row.direction.value}"


def only_lot(item) -> int:
    return db.session.scalar(select(Balance.lot_id).where(Balance.item_id == item.id).limit(1))


# --- receipts -----------------------------------------------------------------------------


def test_the_receipt_form_offers_warehouses_in_the_readers_language_and_looks_codes_up(
    client: FlaskClient, staff
) -> None:
    make_warehouse(name="Pyongyang central store", name_ko="평양중앙창고")
    make_item(code="ORT-FOOT-SACH-24", name="SACH foot 24", name_ko="사치발 24")
    db.session.commit()
    with client.session_transaction() as session:
        session["locale"] = "ko_KP"
    body = client.get(RECEIPT_URL).get_data(as_text=True)
    assert "평양중앙창고" in body
    # The codes are looked up as they are typed, never listed in the page.
    assert "ORT-FOOT-SACH-24" not in body and "<datalist" not in body
    assert "data-item-lookup" in field_tag(body, "lines-0-item")
    assert 'name="lines-19-item"' in body and 'name="lines-20-item"' not in body
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


def test_the_add_lines_button_shows_ten_more_lines_and_posts_nothing(
    client: FlaskClient, staff
) -> None:
    warehouse = make_warehouse()
    gloves = make_item(pack_size=12)
    db.session.commit()
    data = receipt_form(warehouse, [{"item": gloves.code, "packs": 1}])
    data["add_lines"] = "Add 10 more lines"
    response = client.post(RECEIPT_URL, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="lines-29-item"' in body and 'name="lines-30-item"' not in body
    # The next press adds lines from line 30 on, and the page comes back scrolled to it.
    assert 'formaction="/stock/receipts/new#line-30"' in body and 'id="line-29"' in body
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


# --- the line-entry pattern on the receipt ------------------------------------------------


def summary_items(body: str) -> list[str]:
    """The entries of the error summary at the top of the page."""
    summary = body.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r"<li>(.*?)</li>", summary, flags=re.S)


def test_every_problem_of_every_line_is_shown_in_one_submit(client: FlaskClient, staff) -> None:
    warehouse = make_warehouse()
    plaster = make_item(tracks_expiry=True)
    db.session.commit()
    lines = [{"item": plaster.code, "units": 5, "lot_code": f"L{n}"} for n in range(4)]
    lines.append({"item": "NO-SUCH-CODE", "units": 1})
    body = client.post(RECEIPT_URL, data=receipt_form(warehouse, lines)).get_data(as_text=True)
    found = summary_items(body)
    assert len(found) == 5, found
    assert "Please correct the following 5 problems:" in body
    for index in range(4):
        assert 'aria-invalid="true"' in field_tag(body, f"lines-{index}-expires_on")
        assert f'href="#lines-{index}-expires_on"' in body
    assert "Line 5: Item code: No active item has this code." in found[4]
    assert count_transactions() == 0


def test_format_errors_and_rule_errors_come_together(client: FlaskClient, staff) -> None:
    warehouse = make_warehouse()
    plaster, knee = make_item(tracks_expiry=True), make_item(tracks_serial=True)
    db.session.commit()
    lines = [
        {"item": plaster.code, "units": "ten", "expires_on": "2030-01-31"},
        {"item": plaster.code, "units": 2},
        {"item": knee.code, "units": 2, "serials": "K-1"},
        {"item": knee.code, "units": 1, "serials": "K-5..K-1"},
    ]
    body = client.post(RECEIPT_URL, data=receipt_form(warehouse, lines)).get_data(as_text=True)
    assert len(summary_items(body)) == 4
    assert "Line 4: Serial numbers: K-5..K-1: the range ends before it starts." in body
    assert "(2 expected, 1 given)" in body
    assert count_transactions() == 0


def test_the_service_raises_every_line_problem_at_once(app: Flask) -> None:
    warehouse = make_warehouse()
    plaster, knee = make_item(tracks_expiry=True), make_item(tracks_serial=True)
    receive(knee, 1, warehouse, serials=["OLD-1"])
    db.session.commit()
    lines = [
        services.ReceiptLine(item_id=plaster.id, quantity=1),
        services.ReceiptLine(item_id=knee.id, quantity=2, serials=["N-1", "OLD-1"]),
        services.ReceiptLine(item_id=knee.id, quantity=1, serials=["N-1"]),
        services.ReceiptLine(item_id=plaster.id, quantity=0, expires_on=date(2030, 1, 1)),
    ]
    with pytest.raises(LineProblems) as raised:
        services.record_receipt(
            actor=SYSTEM,
            warehouse_id=warehouse.id,
            occurred_on=business_today(),
            lines=lines,
            operation_key=operation_key(),
        )
    assert [p.field for p in raised.value.problems] == [
        "lines-0-expires_on",
        "lines-1-serials",
        "lines-2-serials",
        "lines-3-quantity",
    ]
    assert "Serial number OLD-1 of" in raised.value.problems[1].message
    assert "also on line 2" in raised.value.problems[2].message
    db.session.rollback()
    assert count_transactions() == 1


def test_serial_ranges_and_lists_are_received_one_lot_each(client: FlaskClient, staff) -> None:
    warehouse, knee = make_warehouse(), make_item(tracks_serial=True)
    db.session.commit()
    data = receipt_form(
        warehouse, [{"item": knee.code, "units": 27, "serials": "KN-0001..KN-0025, X-1 X-2"}]
    )
    assert client.post(RECEIPT_URL, data=data).status_code == 302
    assert on_hand(warehouse, knee) == 27
    serials = db.session.scalars(select(Lot.serial).where(Lot.item_id == knee.id)).all()
    assert sorted(serials)[:2] == ["KN-0001", "KN-0002"] and "KN-0025" in serials


def test_an_expiry_is_typed_in_one_box_in_several_forms(client: FlaskClient, staff) -> None:
    warehouse, plaster = make_warehouse(), make_item(tracks_expiry=True)
    db.session.commit()
    body = client.get(RECEIPT_URL).get_data(as_text=True)
    tag = field_tag(body, "lines-0-expires_on")
    assert 'type="text"' in tag and 'placeholder="YYYY-MM-DD"' in tag
    data = receipt_form(
        warehouse,
        [
            {"item": plaster.code, "units": 1, "lot_code": "A", "expires_on": "31/05/2030"},
            {"item": plaster.code, "units": 1, "lot_code": "B", "expires_on": "2030-06"},
        ],
    )
    assert client.post(RECEIPT_URL, data=data).status_code == 302
    expiries = db.session.scalars(select(Lot.expires_on).order_by(Lot.code)).all()
    assert expiries == [date(2030, 5, 31), date(2030, 6, 30)]
    data = receipt_form(warehouse, [{"item": plaster.code, "units": 1, "expires_on": "03/04/2030"}])
    body = client.post(RECEIPT_URL, data=data).get_data(as_text=True)
    assert "03/04/2030 can be read two ways: write it as YYYY-MM-DD." in body
    assert 'value="03/04/2030"' in field_tag(body, "lines-0-expires_on")


def test_an_expired_date_is_not_recorded_without_a_confirmation(client: FlaskClient, staff) -> None:
    warehouse, plaster = make_warehouse(), make_item(tracks_expiry=True)
    db.session.commit()
    data = receipt_form(
        warehouse,
        [
            {"item": plaster.code, "units": 4, "lot_code": "OLD", "expires_on": "2020-01-01"},
            {"item": plaster.code, "units": 4, "lot_code": "FAR", "expires_on": "2050-01-01"},
        ],
        occurred_on="2026-03-02",
    )
    response = client.post(RECEIPT_URL, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and count_transactions() == 0
    assert "Check these expiry dates before recording:" in body
    # The summary takes focus, as the error summary does: the page came back for a reason.
    assert re.search(r'<div class="warning-summary"[^>]*tabindex="-1"[^>]*autofocus', body)
    assert "before the receipt date: the goods arrived expired" in body
    assert "more than 15 years away" in body
    assert 'aria-describedby="lines-0-expires_on-warning"' in field_tag(body, "lines-0-expires_on")
    assert 'name="confirm_expiry"' in body
    data["confirm_expiry"] = "y"
    assert client.post(RECEIPT_URL, data=data).status_code == 302
    assert on_hand(warehouse, plaster) == 8


def test_the_service_refuses_an_expired_date_unless_confirmed(app: Flask) -> None:
    warehouse, plaster = make_warehouse(), make_item(tracks_expiry=True)
    db.session.commit()
    line = services.ReceiptLine(item_id=plaster.id, quantity=1, expires_on=date(2020, 1, 1))
    common = {
        "actor": SYSTEM,
        "warehouse_id": warehouse.id,
        "occurred_on": date(2026, 1, 5),
        "lines": [line],
        "operation_key": operation_key(),
    }
    with pytest.raises(LineProblems) as raised:
        services.record_receipt(**common)
    assert raised.value.warnings and not raised.value.errors
    db.session.rollback()
    services.record_receipt(**common, expiry_confirmed=True)
    assert on_hand(warehouse, plaster) == 1


def test_blank_lot_and_expiry_repeat_the_line_above_when_asked(client: FlaskClient, staff) -> None:
    warehouse = make_warehouse()
    plaster, gauze = make_item(tracks_expiry=True), make_item(tracks_expiry=True)
    db.session.commit()
    lines = [
        {"item": plaster.code, "units": 2, "lot_code": "K-7", "expires_on": "2030-01-31"},
        {"item": gauze.code, "units": 3},
        {"item": plaster.code, "packs": 1},
    ]
    data = receipt_form(warehouse, lines)
    body = client.post(RECEIPT_URL, data=data).get_data(as_text=True)
    assert "tracks expiry: enter the expiry date." in body  # not asked: nothing carried
    data["carry_down"] = "y"
    assert client.post(RECEIPT_URL, data=data).status_code == 302
    lots = db.session.scalars(select(Lot).order_by(Lot.item_id)).all()
    assert {(lot.code, lot.expires_on) for lot in lots} == {("K-7", date(2030, 1, 31))}
    assert on_hand(warehouse, plaster) == 3 and on_hand(warehouse, gauze) == 3


def test_enter_records_the_receipt(client: FlaskClient, staff) -> None:
    body = client.get(RECEIPT_URL).get_data(as_text=True)
    form = body.split('id="receipt-form"', 1)[1].split("</form>", 1)[0]
    buttons = re.findall(r'<input[^>]*type="submit"[^>]*>', form)
    assert 'name="submit"' in buttons[0], buttons
    assert "Enter in any field records the receipt" in body


PASTE = (
    "Item code\tQuantity\tLot code\tExpiry date\tSerial numbers\n"
    "{plaster}\t100\tB-1\t2030-05-31\t\n"
    "\n"
    "{knee}\t3\t\t\tKN-01..KN-03\n"
    "{plaster}\tmany\tB-2\t2030-06-30\t\n"
    "NOPE\t1\n"
)


def test_pasted_rows_become_lines_to_check_and_nothing_is_recorded(
    client: FlaskClient, staff
) -> None:
    warehouse = make_warehouse()
    plaster, knee = make_item(tracks_expiry=True), make_item(tracks_serial=True)
    db.session.commit()
    data = receipt_form(warehouse, [{"item": plaster.code, "units": 1}], blank_lines=20)
    data["paste"] = PASTE.format(plaster=plaster.code, knee=knee.code)
    data["show_paste"] = "Show the pasted rows as lines"
    response = client.post(RECEIPT_URL, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and count_transactions() == 0
    # The typed line stays first; the pasted rows follow it, the header row skipped.
    assert f'value="{plaster.code}"' in field_tag(body, "lines-1-item")
    assert 'value="2030-05-31"' in field_tag(body, "lines-1-expires_on")
    assert "KN-01..KN-03" in body
    assert 'value="many"' in field_tag(body, "lines-3-units")
    found = summary_items(body)
    assert any("Line 1: Expiry date:" in entry for entry in found)
    assert any("Line 4 (pasted row 5): Units:" in entry for entry in found)
    assert any("Line 5 (pasted row 6): Item code: No active item" in entry for entry in found)
    assert 'name="lines-19-item"' in body  # room to add more by hand
    assert ">\n</textarea>" in field_tag(body, "paste") or "</textarea>" in body
    assert f'value="{data["operation_key"]}"' in body


def test_pasted_lines_are_recorded_when_record_is_pressed(client: FlaskClient, staff) -> None:
    warehouse = make_warehouse()
    plaster = make_item(tracks_expiry=True)
    db.session.commit()
    data = receipt_form(warehouse, [], blank_lines=20)
    data["paste"] = "\n".join(f"{plaster.code}\t{n}\tB{n}\t2030-05-31" for n in range(1, 26))
    data["show_paste"] = "y"
    body = client.post(RECEIPT_URL, data=data).get_data(as_text=True)
    assert "Error:" not in body
    shown = {
        name: re.search(r'value="([^"]*)"', field_tag(body, name))
        for name in (f"lines-{i}-{f}" for i in range(25) for f in LINE_FIELDS if f != "serials")
    }
    posted = receipt_form(warehouse, [], blank_lines=0)
    posted.update({name: match[1] if match else "" for name, match in shown.items()})
    assert client.post(RECEIPT_URL, data=posted).status_code == 302
    assert on_hand(warehouse, plaster) == sum(range(1, 26))


def test_a_paste_beyond_the_longest_receipt_says_so(client: FlaskClient, staff) -> None:
    warehouse, item = make_warehouse(), make_item()
    db.session.commit()
    data = receipt_form(warehouse, [{"item": item.code, "units": 1}])
    data["paste"] = "\n".join(f"{item.code}\t1" for _n in range(100))
    data["show_paste"] = "y"
    body = client.post(RECEIPT_URL, data=data).get_data(as_text=True)
    assert "These rows would make 101 lines, and a receipt holds at most 100." in body
    assert "Take at most 99 rows here" in body
    assert count_transactions() == 0


def upload(client: FlaskClient, data: bytes, filename: str):
    return client.post(
        IMPORT_URL,
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def hidden_fields(body: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', body))


def test_a_packing_list_file_is_previewed_then_put_into_the_receipt(
    client: FlaskClient, staff
) -> None:
    warehouse = make_warehouse()
    plaster = make_item(tracks_expiry=True, name="Plaster bandage")
    db.session.commit()
    text = (
        "Item code,Quantity,Packs,Lot code,Expiry date,Supplier or donor,Reference\r\n"
        f"{plaster.code},10,,B-1,2030-05-31,UNICEF,WB-9\r\n"
        f"{plaster.code},5,,B-2,,,\r\n"
        "NOPE,1,,,,,\r\n"
    )
    body = upload(client, "\ufeff".encode() + text.encode(), "list.csv").get_data(as_text=True)
    assert "Import a packing list: preview" in body
    assert "Plaster bandage" in body
    assert "tracks expiry: enter the expiry date." in body
    assert "No active item has this code." in body
    assert "2 problems are marked below." in body
    fields = hidden_fields(body)
    assert fields["supplier"] == "UNICEF" and fields["reference"] == "WB-9"
    assert fields["lines-0-units"] == "10" and fields["lines-0-expires_on"] == "2030-05-31"
    assert fields["csrf_token"]
    form = {**fields, "show_lines": "1"}
    body = client.post(RECEIPT_URL, data=form).get_data(as_text=True)
    assert count_transactions() == 0
    assert 'value="UNICEF"' in field_tag(body, "supplier")
    assert f'<option selected value="{warehouse.id}">' in body  # the only warehouse
    assert 'value="B-2"' in field_tag(body, "lines-1-lot_code")
    assert len(summary_items(body)) == 2


def test_a_packing_list_with_too_many_lines_is_refused_clearly(client: FlaskClient, staff) -> None:
    data = b"code,quantity\n" + b"A,1\n" * 101
    body = upload(client, data, "list.csv").get_data(as_text=True)
    assert "The file has more than 100 lines, and a receipt holds at most 100" in body
    assert 'aria-invalid="true"' in field_tag(body, "file")


def test_the_packing_list_template_is_in_the_readers_language(client: FlaskClient, staff) -> None:
    with client.session_transaction() as session:
        session["locale"] = "ko_KP"
    page = client.get(IMPORT_URL).get_data(as_text=True)
    assert "/stock/receipts/import/template?format=xlsx" in page
    response = client.get("/stock/receipts/import/template?format=csv")
    assert response.get_data().decode("utf-8-sig").startswith("물품코드,수량,포장수,")
    response = client.get("/stock/receipts/import/template?format=xlsx")
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")


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
        "reason": reason("damaged"),
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

    back = dict(out, reason=reason("found"), quantity="1")
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
        # Stolen goods cannot come in: a forged option is refused, not guessed at.
        "reason": reason("stolen", "in"),
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
    assert 'aria-invalid="true"' in field_tag(body, "reason")
    assert '<a href="#reason">Reason:' in body
    assert count_transactions() == 1


def test_the_reason_sets_the_direction_and_a_reason_either_way_is_offered_both_ways(
    client: FlaskClient, staff
) -> None:
    warehouse, item = make_warehouse(), make_item()
    receive(item, 10, warehouse)
    db.session.commit()
    url = f"/stock/adjust?location_id={warehouse.id}&item_id={item.id}"
    body = client.get(url).get_data(as_text=True)
    assert 'name="direction"' not in body
    groups = dict(re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', body, re.S))
    out, into = groups["Takes stock out of this place"], groups["Brings stock into this place"]
    for code in ("damaged", "expired", "lost", "stolen"):
        assert f'value="{reason(code)}"' in out and f'value="{reason(code)}"' not in into
    assert f'value="{reason("found")}"' in into and reason("found").endswith("-in")
    assert f'value="{reason("correction", "out")}">Data-entry correction: less here' in out
    assert f'value="{reason("correction", "in")}">Data-entry correction: more here' in into

    data = {
        "lot_id": only_lot(item),
        "reason": reason("correction", "out"),
        "quantity": "4",
        "occurred_on": business_today().isoformat(),
        "note": "keyed 14 instead of 10",
        "operation_key": operation_key(),
    }
    assert client.post(url, data=data).status_code == 302
    assert on_hand(warehouse, item) == 6
    data.update(reason=reason("correction", "in"), quantity="1", operation_key=operation_key())
    assert client.post(url, data=data).status_code == 302
    data.update(reason=reason("found"), quantity="2", operation_key=operation_key())
    assert client.post(url, data=data).status_code == 302
    assert on_hand(warehouse, item) == 9 and on_hand(virtual("COUNT"), item) == 1


def test_taking_more_than_on_hand_shows_the_shortage_and_writes_nothing(
    client: FlaskClient, staff
) -> None:
    warehouse = make_warehouse(name="Sariwon store")
    item = make_item(code="ORT-KNEE-4B")
    receive(item, 3, warehouse)
    db.session.commit()
    data = {
        "lot_id": only_lot(item),
        "reason": reason("lost"),
        "quantity": "4",
        "occurred_on": business_today().isoformat(),
        "note": "not found at the count",
        "operation_key": operation_key(),
    }
    response = client.post(f"/stock/adjust?location_id={warehouse.id}&item_id={item.id}", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ORT-KNEE-4B" in body and "Sariwon store" in body and "4 wanted, 3 on hand" in body
    # On the quantity, like any other error, and in the summary that links to it.
    assert 'aria-invalid="true"' in field_tag(body, "quantity")
    assert re.search(r'<p class="error" id="quantity-error">.*4 wanted, 3 on hand', body)
    assert re.search(r'<a href="#quantity">Quantity: [^<]*4 wanted, 3 on hand', body)
    assert 'class="form-errors"' not in body
    assert on_hand(warehouse, item) == 3 and count_transactions() == 1


def test_a_posted_place_lot_or_reason_not_offered_is_refused_on_its_field_with_every_choice(
    client: FlaskClient, staff
) -> None:
    """A POST checks only the chosen place, lot and reason (issue 13): the same answers as the
    whole lists give, and a page that comes back offers every choice again."""
    warehouse, item, other = make_warehouse(name="Sinuiju store"), make_item(), make_item()
    closed = make_location(name="Closed centre", is_active=False)
    receive(item, 10, warehouse)
    receive(other, 10, warehouse)
    db.session.commit()
    data = {
        "lot_id": str(only_lot(item)),
        "reason": reason("lost"),
        "quantity": "1",
        "occurred_on": business_today().isoformat(),
        "note": "not on the shelf",
        "operation_key": operation_key(),
    }
    for place in (closed.id, virtual("LOSS").id, 99_999, 2**40):
        body = client.post(f"/stock/adjust?location_id={place}&item_id={item.id}", data=data)
        body = body.get_data(as_text=True)
        assert 'aria-invalid="true"' in field_tag(body, "location_id"), place
        assert "Not a valid choice" in body and "Choose the place and the item first." in body
        assert f'<option value="{warehouse.id}">Sinuiju store</option>' in body
        assert "Closed centre" not in body
    url = f"/stock/adjust?location_id={warehouse.id}&item_id={item.id}"
    for field, value in (
        ("lot_id", str(only_lot(other))),
        ("lot_id", str(2**40)),
        ("reason", f"{adjustment_reason('lost').id}-in"),  # "lost" takes stock out only
        ("reason", "99999-out"),
        ("reason", f"{2**40}-out"),
    ):
        body = client.post(url, data={**data, field: value}).get_data(as_text=True)
        assert 'aria-invalid="true"' in field_tag(body, field), (field, value)
        assert f'<option selected value="{warehouse.id}">Sinuiju store</option>' in body
        assert "no lot code · 10 on hand here" in body and "Damaged" in body and "Found" in body
    assert count_transactions() == 2
    assert client.post(url, data=data).status_code == 302
    assert on_hand(warehouse, item) == 9


def test_the_same_adjustment_sent_twice_posts_once(client: FlaskClient, staff) -> None:
    warehouse, item = make_warehouse(), make_item()
    receive(item, 5, warehouse)
    db.session.commit()
    url = f"/stock/adjust?location_id={warehouse.id}&item_id={item.id}"
    data = {
        "lot_id": only_lot(item),
        "reason": reason("expired"),
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
            "reason": reason("damaged"),
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
