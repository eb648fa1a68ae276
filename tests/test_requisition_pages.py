"""Requisition pages: raise with figures and the fill button, review, ship, timeline, print.

Also: technicians see and change only their own place's requisitions (404 elsewhere), and the
form and the header search find the number; the printed form carries its number and QR code.
"""

import io
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.requisitions.models import Requisition, RequisitionStatus
from hilogistics.requisitions.services import RequestLine, create_requisition, submit_requisition
from hilogistics.shipments.models import Shipment
from hilogistics.stock.models import ItemBalance, ReorderLevel
from tests.conftest import sign_in
from tests.factories import (
    make_item,
    make_location,
    make_user,
    make_warehouse,
    receive,
    seeded_province,
)
from tests.test_documents import decode_qr


def client_as(app: Flask, role: Role, **user: object) -> FlaskClient:
    client = app.test_client()
    sign_in(client, make_user(role, **user))
    db.session.commit()
    return client


def setting() -> tuple:  # noqa: ANN401 - a test helper
    warehouse = make_warehouse(code="REQ-WH")
    centre = make_location(
        code="REQ-CTR",
        name="Hamhung centre",
        supplied_by_id=warehouse.id,
        province=seeded_province(),
    )
    gauze = make_item(code="REQ-GAUZE", name="Gauze", name_ko="가제")
    plaster = make_item(code="REQ-PLASTER", name="Plaster", name_ko="석고")
    receive(gauze, 100, warehouse, lot_code="G1")
    receive(plaster, 40, warehouse, lot_code="P1")
    db.session.add(ReorderLevel(location_id=centre.id, item_id=plaster.id, minimum=12))
    return warehouse, centre, gauze, plaster


def test_a_requisition_through_the_pages_from_raising_to_a_shipment(app: Flask) -> None:
    warehouse, centre, gauze, plaster = setting()
    technician = client_as(app, Role.TECHNICIAN, location_id=centre.id)
    form = technician.get("/requisitions/new").get_data(as_text=True)
    assert "Suggested" in form and "Fill with the suggestions" in form
    # The fill button adds the item below its minimum, with the place's figures beside it.
    filled = technician.post(
        "/requisitions/new", data={"location_id": centre.id, "fill": "1"}
    ).get_data(as_text=True)
    assert 'value="REQ-PLASTER"' in filled and 'value="12"' in filled
    assert "below minimum 12" in filled
    # Rows pasted from a spreadsheet: code, quantity and the reason, in that order.
    pasted = technician.post(
        "/requisitions/new",
        data={
            "location_id": centre.id,
            "paste": "REQ-GAUZE\t30\tfittings this month\nREQ-PLASTER\t12",
            "show_paste": "1",
        },
    ).get_data(as_text=True)
    assert 'value="REQ-GAUZE"' in pasted and 'value="fittings this month"' in pasted
    # Every problem at once, nothing saved, no 500.
    refused = technician.post(
        "/requisitions/new",
        data={
            "location_id": centre.id,
            "lines-0-item": "NO-SUCH",
            "lines-0-quantity": "2",
            "lines-1-item": "REQ-GAUZE",
            "lines-1-quantity": "0",
        },
    )
    assert refused.status_code == 200
    text = refused.get_data(as_text=True)
    assert "No active item has this code." in text and "between 1 and" in text
    assert db.session.scalar(select(Requisition)) is None

    saved = technician.post(
        "/requisitions/new",
        data={
            "location_id": centre.id,
            "lines-0-item": "REQ-GAUZE",
            "lines-0-quantity": "30",
            "lines-0-reason": "fittings",
            "lines-1-item": "REQ-PLASTER",
            "lines-1-quantity": "12",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    requisition = db.session.scalars(select(Requisition)).one()
    assert technician.post(f"/requisitions/{requisition.id}/submit").status_code == 302
    db.session.expire_all()
    assert requisition.status is RequisitionStatus.SUBMITTED
    # Technicians never review.
    assert technician.get(f"/requisitions/{requisition.id}/review").status_code == 403

    staff = client_as(app, Role.LOGISTICS)
    queue = staff.get("/requisitions/review").get_data(as_text=True)
    assert requisition.number in queue and "Hamhung centre" in queue
    line_ids = [line.id for line in requisition.lines]
    missing_reason = staff.post(
        f"/requisitions/{requisition.id}/review",
        data={
            "lines-0-line_id": line_ids[0],
            "lines-0-decision": "reduced",
            "lines-0-approved": "20",
            "lines-1-line_id": line_ids[1],
            "lines-1-decision": "approved",
        },
    )
    assert missing_reason.status_code == 200
    assert "Say why." in missing_reason.get_data(as_text=True)
    reviewed = staff.post(
        f"/requisitions/{requisition.id}/review",
        data={
            "lines-0-line_id": line_ids[0],
            "lines-0-decision": "reduced",
            "lines-0-approved": "20",
            "lines-0-reason": "share with the schools",
            "lines-1-line_id": line_ids[1],
            "lines-1-decision": "approved",
        },
    )
    assert reviewed.status_code == 302
    reserved = db.session.scalar(
        select(ItemBalance.reserved).where(
            ItemBalance.location_id == warehouse.id, ItemBalance.item_id == gauze.id
        )
    )
    assert reserved == 20

    ship = staff.get(f"/requisitions/{requisition.id}/ship").get_data(as_text=True)
    assert "Send now" in ship
    shipped = staff.post(
        f"/requisitions/{requisition.id}/ship",
        data={
            "lines-0-line_id": line_ids[0],
            "lines-0-quantity": "5",
            "lines-1-line_id": line_ids[1],
            "lines-1-quantity": "12",
        },
    )
    assert shipped.status_code == 302, shipped.get_data(as_text=True)
    shipment = db.session.scalars(select(Shipment)).one()
    assert shipped.location.endswith(f"/shipments/{shipment.id}")
    backorders = staff.get("/requisitions/backorders").get_data(as_text=True)
    assert requisition.number in backorders and "REQ-GAUZE" in backorders

    page = technician.get(f"/requisitions/{requisition.id}").get_data(as_text=True)
    assert "share with the schools" in page and shipment.number in page
    assert "Reviewed" in page and "Shipment drafted" in page
    found = technician.get(f"/d/{requisition.number}")
    assert found.status_code == 302 and found.location.endswith(f"/requisitions/{requisition.id}")


def test_technicians_see_and_change_only_their_own_place(app: Flask) -> None:
    _warehouse, centre, gauze, _plaster = setting()
    requisition = create_requisition(
        actor=SYSTEM, location_id=centre.id, lines=[RequestLine(item_id=gauze.id, quantity=3)]
    )
    db.session.commit()
    stranger = client_as(app, Role.TECHNICIAN)
    for url in (
        f"/requisitions/{requisition.id}",
        f"/requisitions/{requisition.id}/edit",
        f"/requisitions/{requisition.id}/cancel",
    ):
        assert stranger.get(url).status_code == 404, url
    assert stranger.post(f"/requisitions/{requisition.id}/submit").status_code == 404
    assert stranger.post(f"/requisitions/{requisition.id}/cancel").status_code == 404
    assert stranger.get(f"/d/{requisition.number}").status_code == 404
    # A posted place that is not theirs is ignored: the form raises for their own place.
    stranger.post(
        "/requisitions/new",
        data={"location_id": centre.id, "lines-0-item": "REQ-GAUZE", "lines-0-quantity": "1"},
    )
    places = db.session.scalars(select(Requisition.location_id)).all()
    assert places.count(centre.id) == 1
    listed = stranger.get("/requisitions").get_data(as_text=True)
    assert requisition.number not in listed
    db.session.expire_all()
    assert requisition.status is RequisitionStatus.DRAFT


def test_the_printed_form_says_paper_and_by_whom_and_its_qr_gives_the_number(
    app: Flask, runner, tmp_path: Path
) -> None:  # noqa: ANN001
    _warehouse, centre, gauze, _plaster = setting()
    clerk = make_user(Role.LOGISTICS, display_name="Kim Clerk")
    requisition = create_requisition(
        actor=clerk,
        location_id=centre.id,
        lines=[RequestLine(item_id=gauze.id, quantity=3, reason="camp")],
        from_paper=True,
    )
    submit_requisition(actor=clerk, requisition_id=requisition.id)
    number = requisition.number
    db.session.commit()
    staff = client_as(app, Role.LOGISTICS)
    page = staff.get(f"/requisitions/{requisition.id}").get_data(as_text=True)
    assert "entered from the place" in page and "Kim Clerk" in page
    printed = staff.post(f"/requisitions/{requisition.id}/print")
    assert printed.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(printed.data)).pages)
    assert number in text and "REQ-GAUZE" in text and "가제" in text and "Kim Clerk" in text
    assert "paper" in text
    assert decode_qr(printed.data, tmp_path) == [number]
    output = tmp_path / "again.pdf"
    again = runner.invoke(args=["hilo", "print", number, "-o", str(output)])
    assert again.exit_code == 0, again.output
    assert "COPY 2" in "".join(p.extract_text() for p in PdfReader(output).pages)


def test_the_printed_form_dates_each_step_in_the_programmes_zone(app: Flask) -> None:
    """Raised, submitted, reviewed: the day in Pyongyang, not the UTC day (a day early before
    09:00)."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from hilogistics.requisitions.models import Requisition

    _warehouse, centre, gauze, _plaster = setting()
    clerk = make_user(Role.LOGISTICS)
    requisition = create_requisition(
        actor=clerk,
        location_id=centre.id,
        lines=[RequestLine(item_id=gauze.id, quantity=3, reason="camp")],
    )
    submit_requisition(actor=clerk, requisition_id=requisition.id)
    evening = datetime(2026, 3, 4, 20, 30, tzinfo=UTC)  # 2026-03-05 05:30 in Pyongyang
    db.session.execute(
        update(Requisition)
        .where(Requisition.id == requisition.id)
        .values(created_at=evening, submitted_at=evening)
    )
    db.session.commit()
    printed = client_as(app, Role.LOGISTICS).post(f"/requisitions/{requisition.id}/print")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(printed.data)).pages)
    assert "2026-03-05" in text and "2026-03-04" not in text


def test_the_location_form_sets_the_target_months(app: Flask) -> None:
    from hilogistics.locations.models import Location

    _warehouse, centre, _gauze, _plaster = setting()
    admin = client_as(app, Role.ADMIN)
    form = admin.get(f"/locations/{centre.id}/edit").get_data(as_text=True)
    assert 'name="target_months"' in form and 'value="3"' in form
    saved = admin.post(
        f"/locations/{centre.id}/edit",
        data={
            "code": centre.code,
            "kind": "camp",
            "name": centre.name,
            "name_ko": centre.name_ko,
            "province_id": centre.province_id,
            "supplied_by_id": centre.supplied_by_id,
            "target_months": "6",
            "is_active": "y",
        },
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Location, centre.id).target_months == 6
    refused = admin.post(
        f"/locations/{centre.id}/edit",
        data={
            "code": centre.code,
            "kind": "camp",
            "name": "x",
            "name_ko": "x",
            "province_id": centre.province_id,
            "target_months": "0",
        },
    )
    assert refused.status_code == 200


def test_times_on_the_queue_and_the_timeline_are_the_programmes_not_utc(app: Flask) -> None:
    # Submitted at 22:30 UTC on 1 January: 07:30 on 2 January in Pyongyang, as paper says.
    _warehouse, centre, gauze, _plaster = setting()
    requisition = create_requisition(
        actor=SYSTEM, location_id=centre.id, lines=[RequestLine(gauze.id, 5, "use")]
    )
    submit_requisition(actor=SYSTEM, requisition_id=requisition.id)
    moment = datetime(2026, 1, 1, 22, 30, tzinfo=UTC)
    requisition.submitted_at = moment
    for event in requisition.events:
        event.recorded_at = moment
    staff = client_as(app, Role.LOGISTICS)
    for url in ("/requisitions/review", f"/requisitions/{requisition.id}"):
        body = staff.get(url).get_data(as_text=True)
        assert "2026-01-02 07:30" in body and "2026-01-01 22:30" not in body, url
