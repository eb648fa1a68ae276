"""Shipment pages: the filtered list, a shipment's page and its number, printing, recall, cancel."""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.shipments.models import Shipment, ShipmentStatus
from hilogistics.shipments.services import (
    DraftLine,
    Header,
    LineReceipt,
    plan_consignment,
    receive_shipment,
)
from tests.conftest import sign_in
from tests.factories import (
    adjustment_reason,
    dispatch,
    make_dispatch,
    make_grant,
    make_item,
    make_location,
    make_user,
    make_warehouse,
    operation_key,
    receive,
    virtual,
)
from tests.test_shipments import TODAY, on_hand


def world():  # noqa: ANN201 - a test helper
    """A warehouse with 20 of an item, two centres, a draft to one and a dispatch to the other."""
    item = make_item(code="SHP-ITEM", name="Bandage")
    warehouse = make_warehouse(code="SHP-WH")
    north = make_location(code="SHP-N")
    south = make_location(code="SHP-S")
    lot = receive(item, 20, warehouse, lot_code="L1").movements[0].lot
    draft = make_dispatch(warehouse, north, [(item, lot, 3)], carrier="Draft Trans")
    sent = make_dispatch(warehouse, south, [(item, lot, 5)], carrier="Korea Trans")
    dispatch(sent, driver="Kim")
    db.session.commit()
    return item, lot, warehouse, north, south, draft, sent


def client_as(app: Flask, role: Role, **user: object) -> FlaskClient:
    client = app.test_client()
    sign_in(client, make_user(role, **user))
    db.session.commit()
    return client


def test_the_list_filters_and_technicians_see_only_their_place(app: Flask) -> None:
    _item, _lot, _warehouse, north, south, draft, sent = world()
    staff = client_as(app, Role.LOGISTICS)
    body = staff.get("/shipments").get_data(as_text=True)
    assert draft.number in body and sent.number in body
    body = staff.get("/shipments?status=dispatched").get_data(as_text=True)
    assert sent.number in body and draft.number not in body
    body = staff.get(f"/shipments?destination={north.id}").get_data(as_text=True)
    assert draft.number in body and sent.number not in body
    body = staff.get("/shipments?q=korea").get_data(as_text=True)
    assert sent.number in body and draft.number not in body
    # A bad filter value falls back to "any", never a 500.
    assert staff.get("/shipments?status=nonsense&date_from=xx&page=-3").status_code == 200
    technician = client_as(app, Role.TECHNICIAN, location=south)
    body = technician.get("/shipments").get_data(as_text=True)
    assert sent.number in body and draft.number not in body


def test_the_list_counts_what_it_lists(app: Flask) -> None:
    from hilogistics.shipments import queries

    _item, _lot, _warehouse, north, south, _draft, _sent = world()
    technician = make_user(Role.TECHNICIAN, location=south)
    for actor, filters in [
        (SYSTEM, queries.ShipmentFilters()),
        (technician, queries.ShipmentFilters()),
        (SYSTEM, queries.ShipmentFilters(text="korea")),
        (SYSTEM, queries.ShipmentFilters(text="SHP-")),
        (SYSTEM, queries.ShipmentFilters(destination_id=north.id)),
        (SYSTEM, queries.ShipmentFilters(status=ShipmentStatus.RECEIVED)),
    ]:
        listed = db.session.scalars(queries.shipments_query(actor, filters)).all()
        counted = db.session.scalar(queries.shipments_count_query(actor, filters))
        assert counted == len(listed), filters


def test_the_list_is_paginated(app: Flask) -> None:
    world()
    body = client_as(app, Role.LOGISTICS).get("/shipments?per_page=1").get_data(as_text=True)
    assert "Page 1 of 2" in body and 'rel="next"' in body


def test_a_shipment_page_shows_lines_history_transactions_and_opens_by_number(
    app: Flask,
) -> None:
    _item, _lot, _warehouse, _north, south, draft, sent = world()
    receive_shipment(
        actor=make_user(Role.LOGISTICS),
        shipment_id=sent.id,
        lines=[
            LineReceipt(
                line_id=sent.lines[0].id,
                received=4,
                lost=1,
                reason_id=adjustment_reason("lost").id,
                note="torn box",
            )
        ],
        received_on=TODAY,
        operation_key=operation_key(),
    )
    db.session.commit()
    staff = client_as(app, Role.LOGISTICS)
    response = staff.get(f"/d/{sent.number}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/shipments/{sent.id}")
    body = staff.get(f"/shipments/{sent.id}").get_data(as_text=True)
    assert "Partly received" not in body  # 4 received + 1 lost: nothing remains
    assert "Received" in body and "Korea Trans" in body and "Kim" in body
    assert "Bandage" in body
    # Dispatch, arrival and the write-off each link to their transaction page.
    assert body.count('href="/stock/transactions/') >= 3
    assert "Goods-received note" in body and "Waybill" in body
    assert "/recall" not in body  # something was received: no recall
    draft_page = staff.get(f"/shipments/{draft.id}").get_data(as_text=True)
    assert "Picking list" in draft_page and f"/shipments/{draft.id}/cancel" in draft_page

    # A technician of another place: 404 on the page, the number and the print alike.
    other = client_as(app, Role.TECHNICIAN, location=make_location(code="SHP-X"))
    assert other.get(f"/shipments/{sent.id}").status_code == 404
    assert other.get(f"/d/{sent.number}").status_code == 404
    assert other.post(f"/shipments/{sent.id}/print", data={"kind": "waybill"}).status_code == 404
    own = client_as(app, Role.TECHNICIAN, location=south)
    body = own.get(f"/shipments/{sent.id}").get_data(as_text=True)
    assert sent.number in body and "/cancel" not in body
    assert own.get(f"/shipments/{sent.id}/recall").status_code == 403


def test_printing_from_the_page_logs_each_print_and_marks_copies(app: Flask) -> None:
    *_rest, sent = world()
    staff = client_as(app, Role.LOGISTICS)
    first = staff.post(f"/shipments/{sent.id}/print", data={"kind": "waybill"})
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    second = staff.post(f"/shipments/{sent.id}/print", data={"kind": "waybill"})
    text = "".join(page.extract_text() for page in PdfReader(_bytes(second.data)).pages)
    assert sent.number in text and "COPY 2" in text
    assert _prints(sent.id) == 2
    # A paper the shipment cannot have is refused with a message, not a 500.
    refused = staff.post(f"/shipments/{sent.id}/print", data={"kind": "picking-list"})
    assert refused.status_code == 302
    assert _prints(sent.id) == 2


def _bytes(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def _prints(shipment_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Shipment, shipment_id).document.print_count


def test_recall_asks_a_reason_then_returns_the_stock(app: Flask) -> None:
    _item, lot, warehouse, _north, _south, _draft, sent = world()
    staff = client_as(app, Role.LOGISTICS)
    page = staff.get(f"/shipments/{sent.id}/recall")
    assert page.status_code == 200 and "Why is it recalled?" in page.get_data(as_text=True)
    refused = staff.post(f"/shipments/{sent.id}/recall", data={"reason": ""})
    assert refused.status_code == 200
    assert db.session.get(Shipment, sent.id).status is ShipmentStatus.DISPATCHED
    done = staff.post(
        f"/shipments/{sent.id}/recall",
        data={"reason": "road closed", "operation_key": operation_key()},
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Shipment, sent.id).status is ShipmentStatus.RECALLED
    assert on_hand(warehouse.id, lot.id) == 20  # the draft posted nothing; the recall undid 5
    assert on_hand(virtual("TRANSIT").id, lot.id) == 0
    # A second recall is refused on the page, not posted.
    again = staff.post(
        f"/shipments/{sent.id}/recall",
        data={"reason": "again", "operation_key": operation_key()},
    )
    assert again.status_code == 200 and "can no longer be changed" in again.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.TECHNICIAN])
def test_cancel_is_for_logistics_and_posts_nothing(app: Flask, role: Role) -> None:
    *_rest, draft, _sent = world()
    assert client_as(app, role).post(f"/shipments/{draft.id}/cancel").status_code == 403
    staff = client_as(app, Role.LOGISTICS)
    assert (
        staff.post(f"/shipments/{draft.id}/cancel", data={"reason": "no truck"}).status_code == 302
    )
    db.session.expire_all()
    cancelled = db.session.get(Shipment, draft.id)
    assert cancelled.status is ShipmentStatus.CANCELLED and cancelled.reason == "no truck"


def test_a_technicians_home_lists_what_awaits_receipt_at_their_place(app: Flask) -> None:
    *_rest, north, south, draft, sent = world()
    body = client_as(app, Role.TECHNICIAN, location=south).get("/").get_data(as_text=True)
    assert sent.number in body and draft.number not in body
    assert 'href="/shipments"' in body  # the menu entry
    body = client_as(app, Role.TECHNICIAN, location=north).get("/").get_data(as_text=True)
    assert "No shipment is on its way to your place." in body


# --- drafts and dispatch ----------------------------------------------------------------------


def draft_form(
    origin: object, destination: object, lines: list[tuple[str, str, str]], **extra: str
) -> dict[str, str]:  # noqa: E501
    data = {
        "origin_id": str(origin.id),
        "destination_id": str(destination.id),
        "operation_key": operation_key(),
        **extra,
    }
    for index, (code, lot, quantity) in enumerate(lines):
        data |= {
            f"lines-{index}-item": code,
            f"lines-{index}-lot": lot,
            f"lines-{index}-quantity": quantity,
        }  # noqa: E501
    return data


def test_a_draft_shows_every_line_problem_at_once_then_saves(app: Flask) -> None:
    item, _lot, warehouse, north, *_rest = world()
    staff = client_as(app, Role.LOGISTICS)
    page = staff.get("/shipments/new").get_data(as_text=True)
    assert "New dispatch" in page and 'id="line-0"' in page and 'name="add_lines"' in page
    lines = [("NOPE", "", "2"), ("shp-item", "NO-LOT", "1"), ("SHP-ITEM", "", "")]
    refused = staff.post("/shipments/new", data=draft_form(warehouse, north, lines))
    body = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "No active item has this code." in body
    assert "SHP-ITEM has no lot of this code." in body
    assert "Enter the quantity." in body
    assert 'value="NOPE"' in body  # every line as typed
    count = db.session.query(Shipment).count()
    saved = staff.post(
        "/shipments/new",
        data=draft_form(warehouse, north, [("shp-item", "l1", "4")], carrier="Truck 7"),
    )
    assert saved.status_code == 302
    assert db.session.query(Shipment).count() == count + 1
    shipment = db.session.query(Shipment).order_by(Shipment.id.desc()).first()
    assert shipment.status is ShipmentStatus.DRAFT and shipment.carrier == "Truck 7"
    assert [(ln.item_id, ln.lot.code, ln.quantity) for ln in shipment.lines] == [(item.id, "L1", 4)]
    assert "15 available here" in staff.get(f"/shipments/{shipment.id}/edit").get_data(as_text=True)


def test_pasted_rows_and_suggested_lots_become_lines_to_check(app: Flask) -> None:
    item, lot, warehouse, north, *_rest = world()
    receive(item, 5, warehouse, lot_code="L0")
    staff = client_as(app, Role.LOGISTICS)
    data = draft_form(warehouse, north, [])
    shown = staff.post(
        "/shipments/new",
        data={**data, "paste": "Item code\tQuantity\nSHP-ITEM\t8\n", "show_paste": "1"},
    ).get_data(as_text=True)
    assert 'name="lines-0-item"' in shown and 'value="SHP-ITEM"' in shown and 'value="8"' in shown
    suggested = staff.post(
        "/shipments/new",
        data={**draft_form(warehouse, north, [("SHP-ITEM", "", "18")]), "suggest_lots": "1"},
    ).get_data(as_text=True)
    # 15 of L1 are left (5 went with `sent`); the other 3 come from the next lot, L0.
    values = re.findall(r'name="lines-\d-(?:lot|quantity)"[^>]*value="([^"]*)"', suggested)
    assert values[:4] == ["L1", "15", "L0", "3"]


def test_suggested_lots_that_fall_short_say_so_on_the_line(app: Flask) -> None:
    # 15 of L1 are left: the 40 asked must not silently become 15.
    _item, _lot, warehouse, north, *_rest = world()
    staff = client_as(app, Role.LOGISTICS)
    suggested = staff.post(
        "/shipments/new",
        data={**draft_form(warehouse, north, [("SHP-ITEM", "", "40")]), "suggest_lots": "1"},
    ).get_data(as_text=True)
    assert 'id="lines-0-quantity-error"' in suggested
    assert "Only 15 of SHP-ITEM available here, 40 asked" in suggested


def test_the_dispatch_page_flags_a_line_its_lot_cannot_cover(app: Flask) -> None:
    # L1 has 15 left; another lot makes the item's total 35. The line asks 16 of L1.
    item, lot, warehouse, north, *_rest = world()
    receive(item, 20, warehouse, lot_code="L0")
    draft = make_dispatch(warehouse, north, [(item, lot, 16)])
    db.session.commit()
    page = client_as(app, Role.LOGISTICS).get(f"/shipments/{draft.id}/dispatch")
    row = re.search(r"<tr>\s*<td>SHP-ITEM.*?</tr>", page.get_data(as_text=True), re.S)
    assert row is not None and ">15 <strong>(not enough)</strong>" in row[0], row


def test_dispatch_above_available_names_the_lot_and_keeps_the_draft(app: Flask) -> None:
    item, lot, warehouse, north, *_rest, sent = world()
    draft = make_dispatch(warehouse, north, [(item, lot, 16)])  # 15 are left after `sent`
    db.session.commit()
    staff = client_as(app, Role.LOGISTICS)
    page = staff.get(f"/shipments/{draft.id}/dispatch").get_data(as_text=True)
    assert "not enough" in page
    refused = staff.post(
        f"/shipments/{draft.id}/dispatch",
        data={"dispatched_on": TODAY.isoformat(), "operation_key": operation_key()},
    )
    body = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "L1" in body and "Test warehouse" in body
    db.session.expire_all()
    kept = db.session.get(Shipment, draft.id)
    assert kept.status is ShipmentStatus.DRAFT and [ln.quantity for ln in kept.lines] == [16]
    edit = staff.post(
        f"/shipments/{draft.id}/edit", data=draft_form(warehouse, north, [("SHP-ITEM", "L1", "15")])
    )
    assert edit.status_code == 302
    done = staff.post(
        f"/shipments/{draft.id}/dispatch",
        data={"dispatched_on": TODAY.isoformat(), "driver": "Ri", "operation_key": operation_key()},
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Shipment, draft.id).status is ShipmentStatus.DISPATCHED
    assert on_hand(warehouse.id, lot.id) == 0 and on_hand(virtual("TRANSIT").id, lot.id) == 20


def test_the_dispatch_page_lists_every_short_line_when_refused(app: Flask) -> None:
    item, lot, warehouse, north, *_rest, sent = world()
    other = make_item(code="SHP-OTHER")
    other_lot = receive(other, 3, warehouse, lot_code="B7").movements[0].lot
    draft = make_dispatch(warehouse, north, [(item, lot, 16), (other, other_lot, 4)])
    db.session.commit()
    refused = client_as(app, Role.LOGISTICS).post(
        f"/shipments/{draft.id}/dispatch",
        data={"dispatched_on": TODAY.isoformat(), "operation_key": operation_key()},
    )
    body = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "Not enough of SHP-ITEM" in body and "Not enough of SHP-OTHER" in body


def test_a_blank_lot_means_the_lot_without_a_code_and_is_dispatched(app: Flask) -> None:
    """Items kept without lot codes: a clerk has no code to type; the blank line is that lot."""
    _item, _lot, warehouse, north, *_rest = world()
    feet = make_item(code="SHP-FOOT")
    uncoded = receive(feet, 6, warehouse).movements[0].lot
    db.session.commit()
    staff = client_as(app, Role.LOGISTICS)
    saved = staff.post("/shipments/new", data=draft_form(warehouse, north, [("SHP-FOOT", "", "4")]))
    assert saved.status_code == 302
    shipment = db.session.query(Shipment).order_by(Shipment.id.desc()).first()
    assert [(line.lot_id, line.quantity) for line in shipment.lines] == [(uncoded.id, 4)]
    done = staff.post(
        f"/shipments/{shipment.id}/dispatch",
        data={"dispatched_on": TODAY.isoformat(), "operation_key": operation_key()},
    )
    assert done.status_code == 302
    assert on_hand(warehouse.id, uncoded.id) == 2


def test_a_create_form_sent_twice_makes_one_draft_and_changed_content_is_refused(
    app: Flask,
) -> None:
    _item, _lot, warehouse, north, *_rest = world()
    staff = client_as(app, Role.LOGISTICS)
    count = db.session.query(Shipment).count()
    data = draft_form(warehouse, north, [("SHP-ITEM", "L1", "2")], carrier="Truck 7")
    first = staff.post("/shipments/new", data=data)
    again = staff.post("/shipments/new", data=data)  # a double click, a resend after a timeout
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert db.session.query(Shipment).count() == count + 1
    changed = staff.post("/shipments/new", data={**data, "lines-0-quantity": "3"})
    assert changed.status_code == 200
    assert "already sent with other content" in changed.get_data(as_text=True)
    plan = {
        "destination_id": str(warehouse.id),
        "supplier": "UNICEF",
        "operation_key": operation_key(),
        "lines-0-item": "SHP-ITEM",
        "lines-0-quantity": "10",
    }
    planned = [staff.post("/shipments/consignments/new", data=plan) for _twice in range(2)]
    assert planned[0].headers["Location"] == planned[1].headers["Location"]
    assert db.session.query(Shipment).count() == count + 2
    missing = staff.post("/shipments/new", data={**data, "operation_key": ""})
    assert "missing its one-time key" in missing.get_data(as_text=True)
    assert db.session.query(Shipment).count() == count + 2


def test_the_clerk_chooses_among_lots_without_a_code_by_grant(app: Flask) -> None:
    """Items kept without lot codes have one lot per grant: blank takes the largest, a grant
    code (or - for none) takes that one; every line's problem still shows in one pass."""
    from hilogistics.stock.services import ReceiptLine, record_receipt

    _item, _lot, warehouse, north, *_rest = world()
    feet = make_item(code="SHP-FEET")
    echo, giz = make_grant(code="ECHO-25"), make_grant(code="GIZ-24")
    lots = {}
    for grant, quantity in ((echo, 9), (giz, 4), (None, 2)):
        receipt = record_receipt(
            actor=SYSTEM,
            warehouse_id=warehouse.id,
            occurred_on=TODAY,
            lines=[ReceiptLine(item_id=feet.id, quantity=quantity)],
            grant_id=grant.id if grant else None,
            operation_key=operation_key(),
        )
        lots[grant.code if grant else "-"] = receipt.movements[0].lot_id
    db.session.commit()
    staff = client_as(app, Role.LOGISTICS)
    lines = [("SHP-FEET", "", "1"), ("SHP-FEET", "giz-24", "2"), ("SHP-FEET", "-", "1")]
    shown = staff.post(
        "/shipments/new",
        data=draft_form(
            warehouse, north, [*lines, ("SHP-FEET", "NOPE-99", "1"), ("NOPE", "", "1")]
        ),
    ).get_data(as_text=True)
    assert "SHP-FEET has no lot of this code." in shown and "No active item has this code." in shown
    assert "Lots without a code here, by grant: ECHO-25: 9, GIZ-24: 4, -: 2." in shown
    assert "A blank lot takes ECHO-25" in shown
    saved = staff.post("/shipments/new", data=draft_form(warehouse, north, lines))
    assert saved.status_code == 302
    shipment = db.session.query(Shipment).order_by(Shipment.id.desc()).first()
    assert [line.lot_id for line in shipment.lines] == [lots["ECHO-25"], lots["GIZ-24"], lots["-"]]
    # Editing shows each choice as it can be typed again, so saving it again keeps it.
    edit = staff.get(f"/shipments/{shipment.id}/edit").get_data(as_text=True)
    values = re.findall(r'name="lines-\d-lot"[^>]*value="([^"]*)"', edit)
    assert values[:3] == ["ECHO-25", "GIZ-24", "-"]


# --- receiving ---------------------------------------------------------------------------------


def test_a_technician_receives_with_a_shortage_then_the_rest(app: Flask) -> None:
    item, lot, warehouse, _north, south, _draft, sent = world()
    other_line = make_dispatch(warehouse, south, [(item, lot, 2), (item, lot, 3)])
    dispatch(other_line)
    db.session.commit()
    technician = client_as(app, Role.TECHNICIAN, location=south)
    assert f"/shipments/{sent.id}/receive" in technician.get(f"/shipments/{sent.id}").get_data(
        as_text=True
    )
    form = technician.get(f"/shipments/{other_line.id}/receive").get_data(as_text=True)
    # Pre-filled with what remains on each line.
    assert re.search(r'name="lines-0-received"[^>]*value="2"', form)
    assert re.search(r'name="lines-1-received"[^>]*value="3"', form)
    url = f"/shipments/{other_line.id}/receive"
    base = {"received_on": TODAY.isoformat(), "operation_key": operation_key()}
    # A shortage without a reason is refused on its line; nothing is posted.
    refused = technician.post(
        url, data={**base, "lines-0-received": "1", "lines-0-lost": "1", "lines-1-received": "3"}
    )
    assert refused.status_code == 200
    assert "Say why it was lost" in refused.get_data(as_text=True)
    assert on_hand(south.id, lot.id) == 0
    lost = adjustment_reason("lost")
    done = technician.post(
        url,
        data={
            **base,
            "lines-0-received": "1",
            "lines-0-lost": "1",
            "lines-0-reason_id": str(lost.id),
            "lines-1-received": "1",
        },
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Shipment, other_line.id).status is ShipmentStatus.PARTLY_RECEIVED
    assert on_hand(south.id, lot.id) == 2 and on_hand(virtual("LOSS").id, lot.id) == 1
    # The rest: the first line has nothing left, "as sent" fills the second with its 2.
    again = technician.post(url, data={"accept_all": "1"}).get_data(as_text=True)
    assert "Nothing more is expected on this line." in again
    assert re.search(r'name="lines-1-received"[^>]*value="2"', again)
    rest = technician.post(
        url,
        data={
            "received_on": TODAY.isoformat(),
            "operation_key": operation_key(),
            "lines-1-received": "2",
        },
    )
    assert rest.status_code == 302
    db.session.expire_all()
    assert db.session.get(Shipment, other_line.id).status is ShipmentStatus.RECEIVED
    assert on_hand(virtual("TRANSIT").id, lot.id) == 5  # only `sent` is still on its way
    # Receiving more than remains is refused with the line named, never a 500.
    over = client_as(app, Role.LOGISTICS).post(
        f"/shipments/{sent.id}/receive",
        data={
            "received_on": TODAY.isoformat(),
            "operation_key": operation_key(),
            "lines-0-received": "6",
        },
    )
    assert over.status_code == 200 and "only 5 are still expected" in over.get_data(as_text=True)


def test_a_receipt_posting_a_line_the_shipment_has_not_is_refused_not_a_crash(
    app: Flask,
) -> None:
    item, lot, _warehouse, _north, south, _draft, sent = world()
    technician = client_as(app, Role.TECHNICIAN, location=south)
    refused = technician.post(
        f"/shipments/{sent.id}/receive",
        data={
            "received_on": TODAY.isoformat(),
            "operation_key": operation_key(),
            "lines-0-received": "1",
            "lines-7-received": "1",  # no such line: a forged or stale form
        },
    )
    assert refused.status_code == 200
    assert "A line is not part of this shipment." in refused.get_data(as_text=True)
    assert on_hand(south.id, lot.id) == 0


def test_only_the_destination_or_logistics_may_receive(app: Flask) -> None:
    *_rest, north, _south, _draft, sent = world()
    assert client_as(app, Role.VIEWER).get(f"/shipments/{sent.id}/receive").status_code == 403
    origin_side = client_as(app, Role.TECHNICIAN, location=north)
    assert origin_side.get(f"/shipments/{sent.id}/receive").status_code == 404


# --- inbound consignments ----------------------------------------------------------------------


def test_plan_a_consignment_see_it_in_the_pipeline_receive_part_and_close(app: Flask) -> None:
    item, _lot, warehouse, *_rest = world()
    staff = client_as(app, Role.LOGISTICS)
    assert "Plan a consignment" in staff.get("/shipments/consignments/new").get_data(as_text=True)
    base = {
        "destination_id": str(warehouse.id),
        "supplier": "UNICEF",
        "reference": "WB-77",
        "expected_on": (TODAY - timedelta(days=2)).isoformat(),
        "operation_key": operation_key(),
    }
    shown = staff.post(
        "/shipments/consignments/new",
        data={**base, "paste": "SHP-ITEM\t10\tC1\t2031-05-01\nNOPE\t2\n", "show_paste": "1"},
    ).get_data(as_text=True)
    assert 'value="C1"' in shown and 'value="2031-05-01"' in shown
    assert "No active item has this code." in shown  # the pasted row with a wrong code
    saved = staff.post(
        "/shipments/consignments/new",
        data={
            **base,
            "lines-0-item": "SHP-ITEM",
            "lines-0-quantity": "10",
            "lines-0-lot_code": "C1",
            "lines-0-expires_on": "2031-05-01",
        },
    )
    assert saved.status_code == 302
    plan = db.session.query(Shipment).order_by(Shipment.id.desc()).first()
    assert plan.is_inbound and plan.status is ShipmentStatus.DRAFT
    later = plan_consignment(
        actor=SYSTEM,
        destination_id=warehouse.id,
        lines=[DraftLine(item_id=item.id, quantity=1)],
        header=Header(supplier="Later", expected_on=TODAY + timedelta(days=9)),
    )
    db.session.commit()
    pipeline = staff.get("/shipments/consignments").get_data(as_text=True)
    assert pipeline.index(plan.number) < pipeline.index(later.number)  # overdue first
    assert "overdue" in pipeline

    received = staff.post(
        f"/shipments/{plan.id}/receive",
        data={
            "received_on": TODAY.isoformat(),
            "operation_key": operation_key(),
            "lines-0-received": "6",
            "lines-0-damaged": "1",
        },  # noqa: E501
    )
    assert received.status_code == 302
    db.session.expire_all()
    assert db.session.get(Shipment, plan.id).status is ShipmentStatus.PARTLY_RECEIVED
    closed = staff.post(f"/shipments/{plan.id}/close", data={"reason": "rest never shipped"})
    assert closed.status_code == 302
    db.session.expire_all()
    assert db.session.get(Shipment, plan.id).status is ShipmentStatus.CLOSED
    assert plan.number not in staff.get("/shipments/consignments").get_data(as_text=True)


def test_a_planned_consignment_reads_expected_and_an_outbound_draft_reads_draft(app: Flask) -> None:
    item, _lot, warehouse, _north, _south, draft, _sent = world()
    plan = plan_consignment(
        actor=SYSTEM,
        destination_id=warehouse.id,
        lines=[DraftLine(item_id=item.id, quantity=4)],
        header=Header(supplier="UNICEF"),
    )
    db.session.commit()
    staff = client_as(app, Role.LOGISTICS)

    def status_cell(body: str, number: str) -> str:
        row = body[body.index(number) :]
        return re.findall(r"<td>([^<]*)</td>", row)[1]  # the cell after the direction

    listed = staff.get("/shipments").text
    assert status_cell(listed, plan.number) == "Expected"
    assert status_cell(listed, draft.number) == "Draft"
    assert "<dd>Expected</dd>" in staff.get(f"/shipments/{plan.id}").text
    assert "<td>Expected</td>" in staff.get("/shipments/consignments").text
    staff.post("/language", data={"locale": "fr", "next": "/"})
    assert "<dd>Attendu</dd>" in staff.get(f"/shipments/{plan.id}").text
    assert "<dd>Brouillon</dd>" in staff.get(f"/shipments/{draft.id}").text


def test_a_plan_is_edited_then_cancelled_with_nothing_posted(app: Flask) -> None:
    item, _lot, warehouse, *_rest = world()
    other = make_warehouse(code="SHP-WH2")
    grant = make_grant(code="G-EDIT")
    plan = plan_consignment(
        actor=SYSTEM,
        destination_id=warehouse.id,
        lines=[DraftLine(item_id=item.id, quantity=4, lot_code="P1")],
        header=Header(supplier="UNICEF"),
    )
    db.session.commit()
    staff = client_as(app, Role.LOGISTICS)
    assert f"/shipments/consignments/{plan.id}/edit" in staff.get(f"/shipments/{plan.id}").text
    shown = staff.get(f"/shipments/consignments/{plan.id}/edit").get_data(as_text=True)
    assert 'value="UNICEF"' in shown and 'value="P1"' in shown
    data = {
        "destination_id": str(other.id),
        "supplier": "WFP",
        "grant_id": str(grant.id),
        "reference": "CN-9",
        "carrier": "Road Co",
        "expected_on": (TODAY + timedelta(days=3)).isoformat(),
        "lines-0-item": "SHP-ITEM",
        "lines-0-quantity": "0",
        "lines-1-item": "NOPE",
        "lines-1-quantity": "2",
    }
    refused = staff.post(f"/shipments/consignments/{plan.id}/edit", data=data).text
    assert refused.count("No active item has this code.") >= 2  # not only the script's copy
    assert "Number must be between 1" in refused  # both lines in one pass
    data.update({"lines-0-quantity": "7", "lines-0-expires_on": "2031-01-31", "lines-1-item": ""})
    data["lines-1-quantity"] = ""
    assert staff.post(f"/shipments/consignments/{plan.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    plan = db.session.get(Shipment, plan.id)
    assert (plan.supplier, plan.grant_id, plan.reference, plan.carrier) == (
        "WFP",
        grant.id,
        "CN-9",
        "Road Co",
    )
    assert plan.destination_id == other.id
    assert [(ln.quantity, ln.lot_code, str(ln.expires_on)) for ln in plan.lines] == [
        (7, "", "2031-01-31")
    ]
    assert "Cancel this shipment" in staff.get(f"/shipments/{plan.id}/cancel").text
    assert staff.post(f"/shipments/{plan.id}/cancel", data={"reason": "x"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Shipment, plan.id).status is ShipmentStatus.CANCELLED
    assert staff.get(f"/shipments/consignments/{plan.id}/edit").status_code == 302


@pytest.mark.parametrize("kind", ["plan", "draft"])
def test_a_file_of_lines_is_previewed_then_put_in_the_form(app: Flask, kind: str) -> None:
    world()
    staff = client_as(app, Role.LOGISTICS)
    base = "/shipments/consignments" if kind == "plan" else "/shipments"
    template = staff.get(f"{base}/import/template?format=csv").get_data(as_text=True)
    assert template.lstrip("\ufeff").startswith("Item code,Quantity,Lot code")
    korean = staff.get(f"{base}/import/template", headers={"Accept-Language": "ko"})
    assert korean.status_code == 200
    if kind == "plan":
        body = "Item code,Quantity,Lot code,Expiry date,Supplier or donor\n"
        body += "SHP-ITEM,10,C1,2031-05-01,UNICEF\nNOPE,x,C2,soon,\n"
    else:
        body = "Item code,Quantity,Lot code\nSHP-ITEM,3,L1\nNOPE,x,\n"
    preview = staff.post(
        f"{base}/import",
        data={"file": (io.BytesIO(body.encode()), "list.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "No active item has this code." in preview and "Nothing has been saved." in preview
    hidden = dict(re.findall(r'name="(lines-\d+-\w+|supplier)" value="([^"]*)"', preview))
    assert hidden["lines-0-item"] == "SHP-ITEM"
    shown = staff.post(
        f"{base}/new" if kind == "draft" else "/shipments/consignments/new",
        data={**hidden, "show_lines": "1"},
    ).get_data(as_text=True)
    assert 'value="SHP-ITEM"' in shown and 'value="NOPE"' in shown
    assert "No active item has this code." in shown  # checked again in the form
    if kind == "plan":
        assert 'value="UNICEF"' in shown
    wrong = staff.post(
        f"{base}/import",
        data={"file": (io.BytesIO(b"Colour\nred\n"), "list.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Unknown column." in wrong


def test_a_dispatch_draft_carries_its_grant_and_the_list_filters_by_it(app: Flask) -> None:
    item, lot, warehouse, north, *_rest = world()
    grant = make_grant(code="G-OUT")
    staff = client_as(app, Role.LOGISTICS)
    saved = staff.post(
        "/shipments/new",
        data={
            "origin_id": str(warehouse.id),
            "destination_id": str(north.id),
            "grant_id": str(grant.id),
            "lines-0-item": "SHP-ITEM",
            "lines-0-lot": "L1",
            "lines-0-quantity": "2",
        },
    )
    assert saved.status_code == 302
    draft = db.session.query(Shipment).order_by(Shipment.id.desc()).first()
    assert draft.grant_id == grant.id
    edit = staff.get(f"/shipments/{draft.id}/edit").text
    assert f'<option selected value="{grant.id}">G-OUT' in edit
    plan = plan_consignment(
        actor=SYSTEM,
        destination_id=warehouse.id,
        lines=[DraftLine(item_id=item.id, quantity=1)],
        header=Header(supplier="UNICEF", grant_id=grant.id),
    )
    db.session.commit()
    listed = staff.get(f"/shipments?grant={grant.id}").get_data(as_text=True)
    assert draft.number in listed and plan.number in listed
    others = [s.number for s in db.session.query(Shipment) if s.grant_id != grant.id]
    assert others and not any(number in listed for number in others)
    dispatched = staff.post(
        f"/shipments/{draft.id}/dispatch",
        data={"dispatched_on": TODAY.isoformat(), "operation_key": operation_key()},
    )
    assert dispatched.status_code == 302
    db.session.expire_all()
    transaction = db.session.get(Shipment, draft.id).events[-1].transaction
    assert transaction.grant_id == grant.id


def test_a_surplus_to_confirm_is_summed_up_at_the_top_and_takes_focus(app: Flask) -> None:
    # A clerk pressing Enter on line 1 of 25 must learn that line 18 needs a confirmation.
    warehouse = make_warehouse(code="SHP-WH")
    item = make_item(code="SHP-CAST")
    plan = plan_consignment(
        actor=SYSTEM,
        destination_id=warehouse.id,
        lines=[DraftLine(item_id=item.id, quantity=10)],
        header=Header(supplier="ICRC"),
    )
    db.session.commit()
    staff = client_as(app, Role.LOGISTICS)
    data = {
        "received_on": TODAY.isoformat(),
        "operation_key": operation_key(),
        "lines-0-received": "12",
    }
    body = staff.post(f"/shipments/{plan.id}/receive", data=data).get_data(as_text=True)
    summary = re.search(r'<div class="warning-summary"[^>]*>(.*?)</div>', body, re.S)
    assert summary is not None and "autofocus" in summary[0] and 'tabindex="-1"' in summary[0]
    assert 'href="#lines-0-received"' in summary[1] and "12 reported" in summary[1]


def test_a_consignment_is_received_against_its_plan_as_found(app: Flask) -> None:
    warehouse = make_warehouse(code="SHP-WH")
    drug = make_item(code="SHP-DRUG", tracks_expiry=True)
    knee = make_item(code="SHP-KNEE", tracks_serial=True)
    plan = plan_consignment(
        actor=SYSTEM,
        destination_id=warehouse.id,
        lines=[
            DraftLine(item_id=drug.id, quantity=10, lot_code="PL-1"),
            DraftLine(item_id=knee.id, quantity=3),
        ],
        header=Header(supplier="ICRC"),
    )
    short = adjustment_reason("lost")
    db.session.commit()
    staff = client_as(app, Role.LOGISTICS)
    url = f"/shipments/{plan.id}/receive"
    page = staff.get(url).get_data(as_text=True)
    assert 'value="PL-1"' in page and "Accept every line as planned" in page
    accepted = staff.post(url, data={"accept_all": "1"}).get_data(as_text=True)
    assert re.search(r'name="lines-0-received"[^>]*value="10"', accepted)
    data = {
        "received_on": TODAY.isoformat(),
        "operation_key": operation_key(),
        "lines-0-received": "12",
        "lines-0-lot_code": "FOUND-1",
        "lines-1-received": "2",
        "lines-1-lost": "1",
        "lines-1-serials": "KN-0001",
    }
    refused = staff.post(url, data=data).get_data(as_text=True)
    # Every problem of every line at once: expiry, serial count, reason, and the surplus.
    assert "SHP-DRUG tracks expiry: enter the expiry date." in refused
    assert "Say why it was lost" in refused
    assert "tick the confirmation below" in refused and 'name="confirmed"' in refused
    data.update(
        {
            "lines-0-expires_on": "2031-03-31",
            "lines-1-reason_id": str(short.id),
            "lines-1-serials": "KN-0001..KN-0002",
            "lines-1-note": "not shipped",
            "confirmed": "y",
        }
    )
    assert staff.post(url, data=data).status_code == 302
    db.session.expire_all()
    plan = db.session.get(Shipment, plan.id)
    assert plan.status is ShipmentStatus.RECEIVED
    assert [(ln.quantity, ln.received, ln.lost) for ln in plan.lines] == [(12, 12, 0), (3, 2, 1)]
    assert plan.lines[0].lot.code == "FOUND-1"
    history = staff.get(f"/shipments/{plan.id}").get_data(as_text=True)
    assert "Line 2: 1 short" in history and "Line 1: 2 more than planned" in history
    event = plan.events[-1]
    note = staff.post(
        f"/shipments/{plan.id}/print", data={"kind": "goods-received", "event_id": str(event.id)}
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(note.data)).pages)
    assert "FOUND-1" in text and "not shipped" in text and "KN-0002" in text


def test_the_history_shows_the_programmes_time_not_utc(app: Flask) -> None:
    # Recorded at 22:30 UTC on 1 January: 07:30 on 2 January in Pyongyang.
    _item, _lot, _warehouse, _north, _south, draft, _sent = world()
    draft.events[0].recorded_at = datetime(2026, 1, 1, 22, 30, tzinfo=UTC)
    db.session.commit()
    body = client_as(app, Role.LOGISTICS).get(f"/shipments/{draft.id}").get_data(as_text=True)
    assert "2026-01-02 07:30" in body and "2026-01-01 22:30" not in body
