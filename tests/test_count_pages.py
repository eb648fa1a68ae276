"""Count pages: open, the blind sheet, keyed entry in one pass, recount, post, abandon, access."""

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from hilogistics.auth.models import Role
from hilogistics.counts.models import CountStatus, StockCount
from hilogistics.db import db
from tests.conftest import sign_in
from tests.factories import make_item, make_location, make_user, make_warehouse, receive
from tests.test_counts import TODAY, on_hand


def client_as(app: Flask, role: Role, **user: object) -> FlaskClient:
    client = app.test_client()
    sign_in(client, make_user(role, **user))
    db.session.commit()
    return client


def test_a_count_from_opening_to_posting_through_the_pages(app: Flask) -> None:
    warehouse = make_warehouse(code="CNT-WH")
    bandage = make_item(code="CNT-BAND", name="Bandage roll", name_ko="붕대")
    lot = receive(bandage, 37, warehouse, lot_code="B-77").movements[0].lot
    syrup = make_item(code="CNT-SYR", name="Syrup", name_ko="물약", tracks_expiry=True)
    db.session.commit()
    staff = client_as(app, Role.LOGISTICS)
    opened = staff.post(
        "/counts/new",
        data={"location_id": warehouse.id, "recount_quantity": 5, "recount_percent": 10},
    )
    assert opened.status_code == 302, opened.get_data(as_text=True)
    count = db.session.scalars(select(StockCount)).one()
    page = staff.get(opened.location).get_data(as_text=True)
    assert count.number in page and "quantities only" in page

    sheet = staff.post(f"/counts/{count.id}/print")
    assert sheet.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet.data)).pages)
    assert "CNT-BAND" in text and "붕대" in text and "Bandage roll" in text and "B-77" in text
    # Blind: no expected quantity anywhere on the sheet (a printing time such as 09:37 is not one).
    assert not re.search(r"(?<![\d:])37(?![\d:])", text)

    form = staff.get(f"/counts/{count.id}/enter").get_data(as_text=True)
    # The hidden one-time tokens are random and may hold "37": they are not quantities.
    visible = re.sub(r'<input[^>]*type="hidden"[^>]*>', "", form.split("<form", 1)[1])
    assert 'value="CNT-BAND"' in form and "37" not in visible
    # Every problem in one pass: a found lot without expiry, an unknown code.
    refused = staff.post(
        f"/counts/{count.id}/enter",
        data={
            "lines-0-item": "CNT-BAND",
            "lines-0-lot_code": "B-77",
            "lines-0-lot_id": lot.id,
            "lines-0-counted": "35",
            "lines-1-item": "CNT-SYR",
            "lines-1-lot_code": "S-1",
            "lines-1-counted": "6",
            "lines-2-item": "NOPE",
            "lines-2-counted": "1",
        },
    )
    body = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "needs its expiry date" in body and "No item has this code" in body
    # Pasted rows come back as lines to check; nothing is saved.
    pasted = staff.post(
        f"/counts/{count.id}/enter",
        data={"paste": "Item code\tCounted\tLot code\nCNT-SYR\t4\tS-9", "show_paste": "1"},
    ).get_data(as_text=True)
    assert 'value="S-9"' in pasted and "needs its expiry date" in pasted
    assert not count.lines
    saved = staff.post(
        f"/counts/{count.id}/enter",
        data={
            "lines-0-item": "CNT-BAND",
            "lines-0-lot_code": "B-77",
            "lines-0-lot_id": lot.id,
            "lines-0-counted": "35",
            "lines-1-item": "cnt-syr",
            "lines-1-lot_code": "S-1",
            "lines-1-expires_on": f"{TODAY.year + 2}-01-31",
            "lines-1-counted": "6",
        },
    )
    assert saved.status_code == 302
    # The found lot of 6 is above 5 units: a second person recounts it.
    assert staff.get(f"/counts/{count.id}/post").status_code == 200
    db.session.expire_all()
    waiting = [line for line in count.lines if line.awaiting_recount]
    assert len(waiting) == 1
    same = staff.post(
        f"/counts/{count.id}/recount",
        data={"lines-0-line_id": waiting[0].id, "lines-0-counted": "6"},
    )
    assert "someone other than the first counter" in same.get_data(as_text=True)
    other = client_as(app, Role.LOGISTICS)
    done = other.post(
        f"/counts/{count.id}/recount",
        data={"lines-0-line_id": waiting[0].id, "lines-0-counted": "5"},
    )
    assert done.status_code == 302
    posted = other.post(
        f"/counts/{count.id}/post",
        data={"occurred_on": TODAY.isoformat(), "operation_key": "k" * 32},
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)
    again = other.post(
        f"/counts/{count.id}/post",
        data={"occurred_on": TODAY.isoformat(), "operation_key": "k" * 32},
    )
    assert again.status_code in (200, 302)
    db.session.expire_all()
    assert count.status is CountStatus.POSTED
    assert on_hand(warehouse.id, lot.id) == 35
    found = [line for line in count.lines if line.item_id == syrup.id][0]
    assert on_hand(warehouse.id, found.lot_id) == 5
    page = other.get(f"/d/{count.number}", follow_redirects=True).get_data(as_text=True)
    assert "+5" in page and "-2" in page


def test_technicians_see_their_place_only_viewers_read_and_abandon_posts_nothing(
    app: Flask,
) -> None:
    centre, elsewhere = make_location(code="CNT-C1"), make_location(code="CNT-C2")
    db.session.commit()
    technician = client_as(app, Role.TECHNICIAN, location=centre)
    assert technician.post("/counts/new", data={"location_id": elsewhere.id}).status_code == 200
    response = technician.post("/counts/new", data={"location_id": centre.id})
    assert response.status_code == 302
    own = db.session.scalars(select(StockCount)).one()
    staff = client_as(app, Role.LOGISTICS)
    staff.post("/counts/new", data={"location_id": elsewhere.id})
    other = db.session.scalars(select(StockCount).where(StockCount.id != own.id)).one()
    assert technician.get(f"/counts/{other.id}").status_code == 404
    assert technician.get(f"/counts/{other.id}/enter").status_code == 404
    assert technician.get(f"/d/{other.number}").status_code == 404
    listed = technician.get("/counts").get_data(as_text=True)
    assert f">{own.number}</a>" in listed and f">{other.number}</a>" not in listed
    viewer = client_as(app, Role.VIEWER)
    assert viewer.get(f"/counts/{other.id}").status_code == 200
    assert viewer.get(f"/counts/{other.id}/enter").status_code == 403
    assert technician.get(f"/counts/{own.id}/post").status_code == 403
    abandoned = technician.post(f"/counts/{own.id}/abandon", data={"reason": "wrong day"})
    assert abandoned.status_code == 302
    db.session.expire_all()
    assert own.status is CountStatus.ABANDONED
    assert own.transaction_id is None
    listed = staff.get("/counts?status=abandoned").get_data(as_text=True)
    assert f">{own.number}</a>" in listed and f">{other.number}</a>" not in listed
