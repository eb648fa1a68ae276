"""The shipment's papers read back: waybill, picking list (FEFO), goods-received note, reprints,
the QR code, technicians' access, and `flask hilo print`."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.documents.layout import Printing
from hilogistics.errors import DomainError, NotFoundError
from hilogistics.shipments.services import (
    DraftLine,
    Header,
    LineReceipt,
    create_dispatch,
    plan_consignment,
    print_shipment,
    receive_shipment,
)
from tests.factories import (
    adjustment_reason,
    dispatch,
    make_dispatch,
    make_item,
    make_location,
    make_user,
    make_warehouse,
    operation_key,
    receive,
)
from tests.test_documents import decode_qr, pdf_pages

TODAY = business_today()
PRINTING = Printing(
    organisation="Handicap International",
    partner="조선장애자보호련맹",
    printed_by="Kim Chol",
    printed_at=datetime(2026, 11, 29, 10, 30),
    locale="en",
)


def text_of(body: bytes) -> str:
    return "\n".join(pdf_pages(body))


def printed(shipment_id: int, actor: object = SYSTEM, **kwargs: object) -> str:
    body, _name = print_shipment(
        actor=actor,  # type: ignore[arg-type]
        shipment_id=shipment_id,
        printing=PRINTING,
        strict=True,
        **kwargs,  # type: ignore[arg-type]
    )
    return text_of(body)


def test_picking_list_then_waybill_then_goods_received_note(app: Flask, tmp_path: Path) -> None:
    item = make_item(name="Knee joint", name_ko="무릎관절", tracks_expiry=True)
    warehouse, centre = make_warehouse(), make_location()
    receive(item, 5, warehouse, lot_code="LATE", expires_on=TODAY + timedelta(days=300))
    receive(item, 4, warehouse, lot_code="SOON", expires_on=TODAY + timedelta(days=30))
    draft = create_dispatch(
        actor=SYSTEM,
        origin_id=warehouse.id,
        destination_id=centre.id,
        lines=[DraftLine(item_id=item.id, quantity=6)],
    )
    picking = printed(draft.id)
    for expected in ("Picking list", draft.number, "무릎관절", "Knee joint", "[   ]"):
        assert expected in picking
    assert picking.index("SOON") < picking.index("LATE")  # first expiry first out

    other = make_item(name="Foot", name_ko="발")
    lot = receive(other, 10, warehouse, lot_code="F1").movements[0].lot
    shipment = make_dispatch(warehouse, centre, [(other, lot, 8)], carrier="Truck 7")
    with pytest.raises(DomainError):
        printed(shipment.id, kind="waybill")
    dispatch(shipment, driver="Ri Chol")
    body, name = print_shipment(actor=SYSTEM, shipment_id=shipment.id, printing=PRINTING)
    waybill = text_of(body)
    assert name == f"{shipment.number}-waybill"
    for expected in ("Waybill", shipment.number, "발 · Foot", "Truck 7", "Ri Chol", "F1"):
        assert expected in waybill
    assert "COPY" not in waybill
    assert decode_qr(body, tmp_path) == [shipment.number]
    assert "COPY 2" in printed(shipment.id)

    receive_shipment(
        actor=SYSTEM,
        shipment_id=shipment.id,
        lines=[
            LineReceipt(
                line_id=shipment.lines[0].id,
                received=6,
                lost=2,
                reason_id=adjustment_reason("lost").id,
                note="two cartons missing",
            )
        ],
        received_on=TODAY,
        operation_key=operation_key(),
    )
    note = printed(shipment.id, kind="goods-received")
    for expected in ("Goods-received note", shipment.number, "Foot", "two cartons"):
        assert expected in note, note
    assert "Lost" in note
    db.session.commit()


def test_a_technician_prints_only_their_own_places_shipments(app: Flask) -> None:
    warehouse, centre = make_warehouse(), make_location()
    item = make_item()
    lot = receive(item, 3, warehouse).movements[0].lot
    shipment = make_dispatch(warehouse, centre, [(item, lot, 3)])
    dispatch(shipment)
    stranger = make_user(Role.TECHNICIAN)
    with pytest.raises(NotFoundError):
        printed(shipment.id, actor=stranger)
    technician = make_user(Role.TECHNICIAN, location=centre)
    assert shipment.number in printed(shipment.id, actor=technician)


def test_flask_hilo_print_writes_the_pdf(app: Flask, runner, tmp_path: Path) -> None:
    warehouse, centre = make_warehouse(), make_location()
    item = make_item()
    lot = receive(item, 3, warehouse).movements[0].lot
    shipment = make_dispatch(warehouse, centre, [(item, lot, 2)])
    dispatch(shipment)
    number = shipment.number
    db.session.commit()
    output = tmp_path / "waybill.pdf"
    result = runner.invoke(args=["hilo", "print", number.lower(), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert number in text_of(output.read_bytes())
    again = runner.invoke(args=["hilo", "print", number, "-o", str(output)])
    assert again.exit_code == 0, again.output
    assert "COPY 2" in text_of(output.read_bytes())
    missing = runner.invoke(args=["hilo", "print", "SHP-2001-99999", "-o", str(output)])
    assert missing.exit_code != 0
    assert "no shipment, distribution, count, requisition or camp" in missing.output


def test_a_consignments_goods_received_note_shows_what_was_found(app: Flask) -> None:
    warehouse = make_warehouse()
    drug = make_item(name="Paracetamol", name_ko="파라세타몰", tracks_expiry=True)
    gauze = make_item(name="Gauze")
    plan = plan_consignment(
        actor=SYSTEM,
        destination_id=warehouse.id,
        lines=[
            DraftLine(item_id=drug.id, quantity=10, lot_code="PLAN-1"),
            DraftLine(item_id=gauze.id, quantity=5),
        ],
        header=Header(supplier="UNICEF"),
    )
    drug_line, gauze_line = plan.lines
    receive_shipment(
        actor=SYSTEM,
        shipment_id=plan.id,
        lines=[
            LineReceipt(
                line_id=drug_line.id,
                received=11,
                damaged=1,
                lot_code="FOUND-7",
                expires_on=TODAY + timedelta(days=500),
            ),
            LineReceipt(
                line_id=gauze_line.id,
                received=3,
                lost=2,
                reason_id=adjustment_reason("lost").id,
                note="left at the port",
            ),
        ],
        received_on=TODAY,
        operation_key=operation_key(),
        confirmed=True,
    )
    note = " ".join(printed(plan.id, kind="goods-received").split())
    for expected in ("FOUND-7", "파라세타몰", "2 more than planned", "left at the port", "Lost"):
        assert expected in note, note
    assert "PLAN-1" not in note  # the lot as found, not as planned
    assert "Gauze 5 3 2" in note  # planned, received, short
    assert "10 11 1" in note  # planned before the surplus, received, damaged
    db.session.commit()
