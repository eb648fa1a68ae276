"""Camp pages: opening, the camp page and its links, the closing steps, the report and its PDF."""

import io
import re

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from pypdf import PdfReader
from sqlalchemy import select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.camps.models import Camp, CampStatus
from hilogistics.counts.models import CountStatus
from hilogistics.counts.services import CountEntry, abandon_count
from hilogistics.db import db
from tests.conftest import sign_in
from tests.factories import dispatch, make_camp, make_user, seeded_province
from tests.test_camps import PATIENT, SESSION, count_and_post, distribute, loaded_camp


def client_as(app: Flask, role: Role, **user: object) -> FlaskClient:
    client = app.test_client()
    sign_in(client, make_user(role, **user))
    db.session.commit()
    return client


def row_figures(html: str, code: str) -> list[str]:
    """The numeric cells of the table row that starts with item ``code``."""
    row = html.split(f"<td>{code}<br>", 1)[1].split("</tr>", 1)[0]
    return re.findall(r'<td class="number">(-?\d+)</td>', row)


def pdf_text(body: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_logistics_open_a_camp_and_its_number_opens_its_page(app: Flask) -> None:
    camp = make_camp()  # its warehouse is offered
    warehouse_id = camp.location.supplied_by_id
    db.session.commit()
    staff = client_as(app, Role.LOGISTICS)
    form = staff.get("/camps/new").get_data(as_text=True)
    assert 'name="team"' in form
    refused = staff.post("/camps/new", data={"name": "Haeju camp", "starts_on": "nonsense"})
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert page.count('class="error"') >= 4  # every missing field named at once
    opened = staff.post(
        "/camps/new",
        data={
            "name": "Haeju camp",
            "name_ko": "해주야영소",
            "province_id": seeded_province().id,
            "village": "Haeju-ri school yard",
            "starts_on": "2026-01-10",
            "ends_on": "2026-01-20",
            "supplied_by_id": warehouse_id,
            "team": "Dr Ri (orthopaedist), Kim (technician)",
            "operation_key": "k" * 32,
        },
    )
    assert opened.status_code == 302, opened.get_data(as_text=True)
    new = db.session.scalars(select(Camp).order_by(Camp.id.desc())).first()
    assert new.location.name_ko == "해주야영소" and new.team.startswith("Dr Ri")
    page = staff.get(opened.location).get_data(as_text=True)
    assert new.number in page and "Haeju-ri school yard" in page
    assert f"/shipments/new?origin_id={warehouse_id}&amp;destination_id={new.location_id}" in page
    assert f"/distributions/new?location_id={new.location_id}" in page
    found = staff.get(f"/d?number={new.number.lower()}")
    assert found.status_code == 302 and found.location.endswith(f"/camps/{new.id}")
    draft = staff.get(f"/shipments/new?origin_id={warehouse_id}&destination_id={new.location_id}")
    html = draft.get_data(as_text=True)
    assert f'<option selected value="{new.location_id}">' in html
    slip = staff.get(f"/distributions/new?location_id={new.location_id}").get_data(as_text=True)
    assert f'<option selected value="{new.location_id}">' in slip
    listed = staff.get("/camps?status=open").get_data(as_text=True)
    assert new.number in listed and camp.number in listed
    assert new.number not in staff.get("/camps?status=closed").get_data(as_text=True)


def test_closing_through_the_page_and_the_report_balances(app: Flask) -> None:
    warehouse, camp, (a, lot_a), (b, lot_b) = loaded_camp()
    distribute(camp, PATIENT, [(a, lot_a, 2)])
    distribute(camp, SESSION, [(a, lot_a, 5), (b, lot_b, 3)])
    db.session.commit()
    staff = client_as(app, Role.LOGISTICS)
    viewer = client_as(app, Role.VIEWER)
    assert "/start-closing" not in viewer.get(f"/camps/{camp.id}").get_data(as_text=True)
    assert viewer.post(f"/camps/{camp.id}/start-closing").status_code == 403

    # One click does not stop a camp that is still distributing: the step asks to confirm.
    unconfirmed = staff.post(f"/camps/{camp.id}/start-closing", follow_redirects=True)
    assert "Tick the box to confirm" in unconfirmed.get_data(as_text=True)
    db.session.expire_all()
    assert camp.status is CampStatus.OPEN
    assert 'name="confirmed"' in staff.get(f"/camps/{camp.id}").get_data(as_text=True)
    confirmed = staff.post(f"/camps/{camp.id}/start-closing", data={"confirmed": "y"})
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert camp.status is CampStatus.CLOSING
    abandon_count(actor=SYSTEM, count_id=camp.count_id, reason="sheet lost in the rain")
    db.session.commit()
    assert "open a new count" in staff.get(f"/camps/{camp.id}").get_data(as_text=True)
    assert staff.post(f"/camps/{camp.id}/start-closing").status_code == 302
    db.session.expire_all()
    assert camp.count.status is CountStatus.OPEN
    page = staff.get(f"/camps/{camp.id}").get_data(as_text=True)
    assert camp.count.number in page
    closing_too_soon = staff.post(f"/camps/{camp.id}/close", follow_redirects=True)
    assert "Post the closing count first" in closing_too_soon.get_data(as_text=True)
    count_and_post(
        camp, [CountEntry(a.id, 21, lot_id=lot_a.id), CountEntry(b.id, 18, lot_id=lot_b.id)]
    )
    db.session.commit()
    assert staff.post(f"/camps/{camp.id}/return").status_code == 302
    db.session.expire_all()
    dispatch(camp.return_shipment)
    db.session.commit()
    assert staff.post(f"/camps/{camp.id}/close").status_code == 302
    db.session.expire_all()
    assert camp.status is CampStatus.CLOSED and not camp.location.is_active

    report = viewer.get(f"/camps/{camp.id}/report").get_data(as_text=True)
    assert "do not balance" not in report
    # Loaded, distributed, returned, differences, still at the camp, as hand-checked.
    assert row_figures(report, "CMP-A") == ["30", "7", "21", "2", "0"]
    assert row_figures(report, "CMP-B") == ["20", "3", "18", "-1", "0"]
    assert '<td class="number"><strong>11</strong></td>' in report  # people served
    printed = viewer.post(f"/camps/{camp.id}/report.pdf")
    assert printed.mimetype == "application/pdf"
    text = pdf_text(printed.data)
    assert camp.number in text and "Camp report" in text and "야영" in text
    assert "CMP-A" in text and "CMP-B" in text and "Girls" in text
    lines = text.splitlines()
    assert any(line.endswith("30 7 21 2 0") for line in lines), text
    assert any(line.endswith("20 3 18 -1 0") for line in lines), text
    assert "COPY 2" in pdf_text(viewer.post(f"/camps/{camp.id}/report.pdf").data)


def test_technicians_see_only_their_own_camp(app: Flask) -> None:
    camp, other = make_camp(), make_camp()
    db.session.commit()
    technician = client_as(app, Role.TECHNICIAN, location_id=camp.location_id)
    assert technician.get(f"/camps/{camp.id}").status_code == 200
    assert technician.get(f"/camps/{other.id}").status_code == 404
    assert technician.get(f"/camps/{other.id}/report").status_code == 404
    assert technician.get(f"/d/{other.number}").status_code == 404
    listed = technician.get("/camps").get_data(as_text=True)
    assert camp.number in listed and other.number not in listed
    assert technician.post(f"/camps/{camp.id}/start-closing").status_code == 403


def test_the_command_line_prints_a_camp_report(
    app: Flask, runner: FlaskCliRunner, tmp_path
) -> None:  # noqa: ANN001
    camp = make_camp()
    db.session.commit()
    output = tmp_path / "camp.pdf"
    result = runner.invoke(args=["hilo", "print", camp.number, "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert camp.number in pdf_text(output.read_bytes())
