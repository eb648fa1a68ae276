"""Slips printed in advance on both engines: reserved numbers are unique registry numbers, a keyed
slip carries its pre-printed number, the header search finds it before and after keying, unused
numbers are voided, and a technician's walls hold."""

import pytest
from flask import Flask
from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.distributions.models import Distribution, PreprintedSlip, PreprintedStatus
from hilogistics.distributions.services import (
    LineInput,
    print_blank_slips,
    record_distribution,
    reserve_slips,
    void_slips,
)
from hilogistics.documents.layout import Printing
from hilogistics.errors import ConflictError, DomainError, NotFoundError
from hilogistics.lines.problems import LineProblems
from hilogistics.registry.models import Document
from tests.conftest import sign_in
from tests.factories import make_user, operation_key
from tests.test_distribution_pages import PRINTING
from tests.test_distributions import PATIENT, TODAY, distribute, on_hand, stocked_centre
from tests.test_documents import decode_qr, pdf_pages


def reserve(centre, count: int = 3, *, key: str | None = None):  # noqa: ANN001, ANN201
    return reserve_slips(
        actor=SYSTEM,
        location_id=centre.id,
        planned_on=TODAY,
        count=count,
        operation_key=key or operation_key(),
    )


def key_slip(centre, item, lot, number: str, quantity: int = 1):  # noqa: ANN001, ANN201
    return record_distribution(
        actor=SYSTEM,
        location_id=centre.id,
        distributed_on=TODAY,
        recipient=PATIENT,
        lines=[LineInput(item.id, lot.id, quantity)],
        operation_key=operation_key(),
        slip_number=number,
    )


def test_reserved_numbers_are_unique_and_a_keyed_slip_carries_its_number(app: Flask) -> None:
    centre, item, lot = stocked_centre(10)
    first = reserve(centre, 3)
    distribute(centre, item, lot, 1)  # a slip numbered as usual, between two batches
    second = reserve(centre, 2)
    numbers = [slip.number for slip in first + second]
    assert len(set(numbers)) == 5
    assert all(number.startswith(f"DIS-{TODAY.year}-") for number in numbers)
    keyed = key_slip(centre, item, lot, numbers[1].lower())
    assert keyed.number == numbers[1]
    assert keyed.document_id == first[1].document_id
    assert first[1].status is PreprintedStatus.USED
    assert on_hand(centre.id, lot.id) == 8
    # The registry holds one document per number: no second one was made for the keyed slip.
    assert db.session.scalar(select(func.count()).select_from(Document)) == 6


def test_a_pre_printed_number_is_taken_once_and_only_at_its_place(app: Flask) -> None:
    centre, item, lot = stocked_centre(10)
    other, other_item, other_lot = stocked_centre(10)
    slips = reserve(centre, 2)
    key_slip(centre, item, lot, slips[0].number)
    with pytest.raises(LineProblems) as again:
        key_slip(centre, item, lot, slips[0].number)
    assert "already keyed" in again.value.problems[0].message
    with pytest.raises(LineProblems) as elsewhere:
        key_slip(other, other_item, other_lot, slips[1].number)
    assert elsewhere.value.problems[0].field == "slip_number"
    with pytest.raises(LineProblems):
        key_slip(centre, item, lot, "DIS-1999-00001")
    void_slips(actor=SYSTEM, slip_ids=[slips[1].id], note="session cancelled")
    with pytest.raises(LineProblems) as voided:
        key_slip(centre, item, lot, slips[1].number)
    assert "voided" in voided.value.problems[0].message
    with pytest.raises(ConflictError):
        void_slips(actor=SYSTEM, slip_ids=[slips[0].id], note="too late")
    assert on_hand(centre.id, lot.id) == 9 and on_hand(other.id, other_lot.id) == 10
    assert db.session.scalar(select(func.count()).select_from(Distribution)) == 1


def test_the_same_reserve_form_sent_twice_reserves_once(app: Flask) -> None:
    centre, _item, _lot = stocked_centre(1)
    key = operation_key()
    assert [s.id for s in reserve(centre, 4, key=key)] == [
        s.id for s in reserve(centre, 4, key=key)
    ]
    with pytest.raises(DomainError):
        reserve(centre, 5, key=key)
    with pytest.raises(DomainError):
        reserve(centre, 0)
    assert db.session.scalar(select(func.count()).select_from(PreprintedSlip)) == 4


def test_blank_slips_print_their_numbers_and_qr_codes(app: Flask, tmp_path) -> None:  # noqa: ANN001
    centre, _item, _lot = stocked_centre(1)
    slips = reserve(centre, 2)
    body, _name = print_blank_slips(
        actor=SYSTEM, slip_ids=[s.id for s in slips], printing=PRINTING, strict=True
    )
    pages = pdf_pages(body)
    assert len(pages) == 2
    assert slips[0].number in pages[0] and slips[1].number in pages[1]
    assert "분배표" in pages[0] and centre.name in pages[0]
    assert decode_qr(body, tmp_path) == [slips[0].number]
    again, _name = print_blank_slips(
        actor=SYSTEM, slip_ids=[slips[0].id], printing=PRINTING, strict=True
    )
    assert "COPY 2" in pdf_pages(again)[0]
    assert isinstance(PRINTING, Printing)


def test_the_header_search_opens_a_pre_printed_number_then_its_distribution(
    app: Flask, client
) -> None:
    centre, item, lot = stocked_centre(5)
    slip = reserve(centre, 1)[0]
    number, slip_id = slip.number, slip.id
    db.session.commit()
    sign_in(client, make_user(Role.TECHNICIAN, location=centre))
    found = client.get(f"/d?number={number.lower()}")
    assert found.status_code == 302
    assert found.headers["Location"].endswith(f"/distributions/preprinted/{slip_id}")
    page = client.get(found.headers["Location"]).get_data(as_text=True)
    assert number in page and f"/distributions/new?slip={number}" in page
    form = client.get(f"/distributions/new?slip={number}").get_data(as_text=True)
    assert f'value="{number}"' in form
    keyed = key_slip(centre, item, lot, number)
    db.session.commit()
    found = client.get(f"/d?number={number}")
    assert found.headers["Location"].endswith(f"/distributions/{keyed.id}")
    # Another place's technician learns nothing of the number.
    other = make_user(Role.TECHNICIAN)
    db.session.commit()
    sign_in(client, other)
    assert client.get(f"/d?number={number}").status_code == 404
    assert client.get(f"/distributions/preprinted/{slip_id}").status_code == 404
    assert number not in client.get("/distributions/preprinted?status=").get_data(as_text=True)


def test_a_technician_reserves_prints_keys_and_voids_from_the_pages(app: Flask, client) -> None:
    centre, item, _lot = stocked_centre(5)
    sign_in(client, make_user(Role.TECHNICIAN, location=centre))
    response = client.post(
        "/distributions/preprinted/new",
        data={
            "location_id": str(centre.id),
            "planned_on": TODAY.isoformat(),
            "count": "3",
            "operation_key": "k-reserve",
        },
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    slips = list(db.session.scalars(select(PreprintedSlip).order_by(PreprintedSlip.id)))
    assert len(slips) == 3
    listed = client.get("/distributions/preprinted").get_data(as_text=True)
    assert all(slip.number in listed for slip in slips)
    keyed = client.post(
        "/distributions/new",
        data={
            "location_id": str(centre.id),
            "distributed_on": TODAY.isoformat(),
            "slip_number": slips[0].number,
            "recipient_type": "patient",
            "recipient_ref": "BEN-0042",
            "service": "new",
            "side": "left",
            "lines-0-item": item.code,
            "lines-0-lot": "L1",
            "lines-0-quantity": "1",
            "operation_key": "k-key",
            "submit": "1",
        },
    )
    assert keyed.status_code == 302
    assert slips[0].number in client.get(keyed.headers["Location"]).get_data(as_text=True)
    voided = client.post(
        "/distributions/preprinted/void",
        data={"slip_ids": [str(slips[1].id), str(slips[2].id)], "note": "cancelled", "void": "1"},
    )
    assert voided.status_code == 302
    db.session.expire_all()
    assert [
        s.status for s in db.session.scalars(select(PreprintedSlip).order_by(PreprintedSlip.id))
    ] == [
        PreprintedStatus.USED,
        PreprintedStatus.VOIDED,
        PreprintedStatus.VOIDED,
    ]
    # Another place's numbers cannot be voided or printed from here.
    stranger = reserve(stocked_centre(1)[0], 1)[0]
    db.session.commit()
    client.post(
        "/distributions/preprinted/void",
        data={"slip_ids": [str(stranger.id)], "note": "x", "void": "1"},
    )
    db.session.refresh(stranger)
    assert stranger.status is PreprintedStatus.RESERVED
    with pytest.raises(NotFoundError):
        void_slips(
            actor=make_user(Role.TECHNICIAN, location=centre), slip_ids=[stranger.id], note="x"
        )
