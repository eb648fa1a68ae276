"""Distribution pages and slips on both engines: the form, replays, a technician's walls, the
paper loop from the page, recall exports, and the slip PDFs (text, batch, QR, COPY n)."""

import io
import re
from datetime import datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.distributions.forms import DistributionForm
from hilogistics.distributions.models import Distribution, DistributionStatus, RecipientType
from hilogistics.distributions.services import Recipient, print_day, print_slip
from hilogistics.documents.layout import Printing
from hilogistics.stock import ledger
from hilogistics.stock.models import StockTransaction, TransactionKind
from tests.conftest import sign_in
from tests.factories import (
    make_item,
    make_location,
    make_user,
    make_warehouse,
    operation_key,
    receive,
)
from tests.test_distributions import TODAY, distribute, on_hand, stocked_centre
from tests.test_documents import decode_qr, pdf_pages

PRINTING = Printing(
    organisation="Handicap International",
    partner="조선장애자보호련맹",
    printed_by="Kim Chol",
    printed_at=datetime(2026, 11, 29, 10, 30),
    locale="en",
)


def form_data(centre_id: int, item_code: str, lot: str, quantity: int, key: str) -> dict:
    return {
        "location_id": str(centre_id),
        "distributed_on": TODAY.isoformat(),
        "recipient_type": "patient",
        "recipient_ref": "ben-0042",
        "service": "new",
        "side": "left",
        "lines-0-item": item_code,
        "lines-0-lot": lot,
        "lines-0-quantity": str(quantity),
        "operation_key": key,
        "submit": "1",
    }


def test_a_technician_records_once_even_when_the_form_is_sent_twice(app: Flask, client) -> None:
    centre, item, lot = stocked_centre(5)
    sign_in(client, make_user(Role.TECHNICIAN, location=centre))
    data = form_data(centre.id, item.code, "L1", 2, operation_key())
    first = client.post("/distributions/new", data=data)
    second = client.post("/distributions/new", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Distribution)) == 1
    assert on_hand(centre.id, lot.id) == 3
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "BEN-0042" in page


def test_a_slip_with_bad_lines_and_a_bad_header_names_all_of_it_in_one_pass(
    app: Flask, client
) -> None:
    """No recipient code, no side, and a line with an unknown item: three problems, one reply
    (the header was checked only once the lines were right)."""
    centre, item, _lot = stocked_centre(5)
    sign_in(client, make_user(Role.TECHNICIAN, location=centre))
    data = form_data(centre.id, "NO-SUCH-ITEM", "L1", 2, operation_key())
    data.update(recipient_ref="", side="")
    page = client.post("/distributions/new", data=data).get_data(as_text=True)
    assert 'id="recipient_ref-error"' in page
    assert 'id="side-error"' in page
    assert "NO-SUCH-ITEM" in page and "Please correct the following 3 problems" in page
    assert db.session.scalar(select(func.count()).select_from(Distribution)) == 0


def test_too_much_is_refused_on_its_line_and_the_form_keeps_what_was_typed(
    app: Flask, client
) -> None:
    centre, item, lot = stocked_centre(2)
    sign_in(client, make_user(Role.LOGISTICS))
    response = client.post(
        "/distributions/new", data=form_data(centre.id, item.code, "L1", 9, "k1")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Not enough of {item.code} (lot L1) at {centre.name}" in html
    assert 'value="9"' in html and 'value="ben-0042"' in html
    assert db.session.scalar(select(func.count()).select_from(Distribution)) == 0


def test_no_free_text_name_field_exists_for_a_recipient(app: Flask, client) -> None:
    names = {field.name for field in DistributionForm(meta={"csrf": False})}
    assert not any("name" in name for name in names), names
    sign_in(client, make_user(Role.LOGISTICS))
    html = client.get("/distributions/new").get_data(as_text=True)
    assert "never a name" in html


def test_a_technician_sees_nothing_of_another_place(app: Flask, client, tmp_path: Path) -> None:
    centre, item, lot = stocked_centre(5)
    other_centre, other_item, other_lot = stocked_centre(5)
    mine = distribute(centre, item, lot, 1)
    theirs = distribute(other_centre, other_item, other_lot, 1)
    sign_in(client, make_user(Role.TECHNICIAN, location=centre))
    for url in (
        f"/distributions/{theirs.id}",
        f"/distributions/{theirs.id}/correct",
        f"/d/{theirs.number}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/distributions/{theirs.id}/print").status_code == 404
    assert client.post(f"/distributions/{theirs.id}/returned").status_code == 404
    listing = client.get("/distributions").get_data(as_text=True)
    assert mine.number in listing and theirs.number not in listing
    assert theirs.number not in client.get("/distributions/unreturned").get_data(as_text=True)
    exported = client.get(f"/distributions/lots/{other_lot.id}/export").get_data(as_text=True)
    assert theirs.number not in exported
    pdf = client.get(f"/distributions/lots/{other_lot.id}/recall.pdf").data
    assert theirs.number not in "".join(pdf_pages(pdf))
    recipient = client.get("/distributions/recipient/export?ref=BEN-0042").get_data(as_text=True)
    assert mine.number in recipient and theirs.number not in recipient
    day = client.post(
        "/distributions/print-day",
        data={"location_id": other_centre.id, "day": TODAY.isoformat()},
    )
    assert day.status_code == 302  # refused: not one of their places


def test_the_paper_loop_from_the_page(app: Flask, client) -> None:
    centre, item, lot = stocked_centre(5)
    distribution = distribute(centre, item, lot, 2)
    sign_in(client, make_user(Role.TECHNICIAN, location=centre))
    assert (
        client.get(f"/d/{distribution.number.lower()}")
        .headers["Location"]
        .endswith(f"/distributions/{distribution.id}")
    )
    correction = client.post(
        f"/distributions/{distribution.id}/correct",
        data={
            "revision": "1",
            "note": "Paper says 1",
            "lines-0-item": item.code,
            "lines-0-lot": "L1",
            "lines-0-quantity": "1",
            "operation_key": operation_key(),
            "submit": "1",
        },
    )
    assert correction.status_code == 302
    assert on_hand(centre.id, lot.id) == 4
    returned = client.post(
        f"/distributions/{distribution.id}/returned", data={"returned_on": TODAY.isoformat()}
    )
    assert returned.status_code == 302
    db.session.expire_all()
    assert db.session.get(Distribution, distribution.id).status is DistributionStatus.RETURNED
    traced = client.get(f"/distributions/lots/{lot.id}").get_data(as_text=True)
    assert distribution.number in traced
    page = client.get(f"/distributions/{distribution.id}").get_data(as_text=True)
    assert "Corrected from the paper" in page and "Signed slip returned" in page
    # Every transaction of the slip (distribution, reversal, corrected) links back to it.
    transaction_ids = db.session.scalars(
        select(StockTransaction.id).where(StockTransaction.document_id == distribution.document_id)
    ).all()
    assert len(transaction_ids) == 3
    for transaction_id in transaction_ids:
        shown = client.get(f"/stock/transactions/{transaction_id}").get_data(as_text=True)
        assert f'href="/d/{distribution.number}"' in shown


def test_a_slip_that_took_the_last_of_a_lot_without_code_can_be_corrected(
    app: Flask, client
) -> None:
    # The correction form shows such a line with its lot blank, as it was keyed; the slip gives
    # the lot back before posting the paper's lines, so blank still means that lot.
    item = make_item()
    centre = make_location()
    moved = receive(item, 3, make_warehouse(), lot_code="").movements[0]
    ledger.post(
        kind=TransactionKind.ARRIVAL,
        lines=[ledger.Line(item.id, moved.lot_id, 3, moved.to_location_id, centre.id)],
        actor=SYSTEM,
        occurred_on=TODAY,
        operation_key=operation_key(),
    )
    distribution = distribute(centre, item, moved.lot, 3)
    db.session.commit()
    sign_in(client, make_user(Role.TECHNICIAN, location=centre))
    shown = client.get(f"/distributions/{distribution.id}/correct").get_data(as_text=True)
    assert f'value="{item.code}"' in shown
    correction = client.post(
        f"/distributions/{distribution.id}/correct",
        data={
            "revision": "1",
            "note": "Paper says 2",
            "lines-0-item": item.code,
            "lines-0-lot": "",
            "lines-0-quantity": "2",
            "operation_key": operation_key(),
            "submit": "1",
        },
    )
    assert correction.status_code == 302, correction.get_data(as_text=True)
    assert on_hand(centre.id, moved.lot_id) == 1


def test_suggested_lots_that_fall_short_say_so_on_the_line(app: Flask, client) -> None:
    centre, item, _lot = stocked_centre(2)
    sign_in(client, make_user(Role.TECHNICIAN, location=centre))
    data = {**form_data(centre.id, item.code, "", 5, operation_key()), "suggest_lots": "1"}
    del data["submit"]
    shown = client.post("/distributions/new", data=data).get_data(as_text=True)
    assert 'id="lines-0-quantity-error"' in shown
    assert f"Only 2 of {item.code} available here, 5 asked" in shown
    assert db.session.scalar(select(func.count()).select_from(Distribution)) == 0


def test_after_suggesting_lots_the_focus_is_back_on_the_lines(app: Flask, client) -> None:
    # The page comes back from the server: without this the focus is at the top of the page.
    centre, item, _lot = stocked_centre(5)
    sign_in(client, make_user(Role.TECHNICIAN, location=centre))
    first = client.get("/distributions/new").get_data(as_text=True)
    assert (
        'id="lines-heading"' in first and 'id="lines-heading" tabindex="-1" autofocus' not in first
    )
    data = {**form_data(centre.id, item.code, "", 2, operation_key()), "suggest_lots": "1"}
    del data["submit"]
    shown = client.post("/distributions/new", data=data).get_data(as_text=True)
    assert 'id="error-summary"' not in shown
    assert re.search(r'<h2 id="lines-heading" tabindex="-1" autofocus>', shown)


def test_a_slip_prints_its_names_number_and_qr_and_reprints_say_copy(
    app: Flask, tmp_path: Path
) -> None:
    centre, item, lot = stocked_centre(5)
    distribution = distribute(centre, item, lot, 2)
    body, _name = print_slip(
        actor=SYSTEM, distribution_id=distribution.id, printing=PRINTING, strict=True
    )
    text = "".join(pdf_pages(body))
    for expected in (distribution.number, item.name, item.name_ko, "BEN-0042", "분배표"):
        assert expected in text, expected
    assert decode_qr(body, tmp_path) == [distribution.number]
    again, _name = print_slip(actor=SYSTEM, distribution_id=distribution.id, printing=PRINTING)
    assert "COPY 2" in "".join(pdf_pages(again))


def test_a_days_30_slips_print_as_one_pdf_one_slip_per_page(app: Flask, tmp_path: Path) -> None:
    centre, item, lot = stocked_centre(60)
    numbers = [
        distribute(
            centre,
            item,
            lot,
            2,
            recipient=Recipient(
                type=RecipientType.PATIENT, reference=f"BEN-{n:04d}", service="new", side="left"
            ),
        ).number
        for n in range(30)
    ]
    body, _name = print_day(actor=SYSTEM, location_id=centre.id, day=TODAY, printing=PRINTING)
    pages = pdf_pages(body)
    assert len(pages) == 30
    for number, page in zip(numbers, pages, strict=True):
        assert number in page and item.name in page and item.name_ko in page
    assert decode_qr(body, tmp_path, page=30) == [numbers[-1]]


def test_flask_hilo_print_prints_a_slip(app: Flask, runner, tmp_path: Path) -> None:
    centre, item, lot = stocked_centre(5)
    number = distribute(centre, item, lot, 1).number
    db.session.commit()
    output = tmp_path / "slip.pdf"
    result = runner.invoke(args=["hilo", "print", number, "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert number in "".join(pdf_pages(output.read_bytes()))


def test_pasted_rows_and_a_previewed_file_become_lines_to_check(app: Flask, client) -> None:
    centre, item, lot = stocked_centre(5)
    sign_in(client, make_user(Role.TECHNICIAN, location=centre))
    pasted = client.post(
        "/distributions/new",
        data={
            "paste": f"Item code\tQuantity\tLot code\n{item.code.lower()}\t2\tL1\nNOPE-1\t1\t",
            "show_paste": "1",
            "operation_key": "k",
        },
    )
    html = pasted.get_data(as_text=True)
    assert f'value="{item.code}"' in html and "No active item has this code." in html
    upload = f"code,quantity,lot\n{item.code},3,L1\n".encode()
    preview = client.post(
        "/distributions/import",
        data={"file": (io.BytesIO(upload), "lines.csv")},
        content_type="multipart/form-data",
    )
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'name="lines-0-quantity" value="3"' in page
    assert db.session.scalar(select(func.count()).select_from(Distribution)) == 0
    template = client.get("/distributions/import/template?format=xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"
