"""The monthly distribution summary on both engines: totals of a hand-worked month (a repeat
patient, a corrected slip, a class, a camp session, workshop use, the month before, another
place), a technician's walls on the page, the exports and the PDF, and the recipient PDF."""

from datetime import timedelta

import pytest
from flask import Flask

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.distributions.models import FittingService, RecipientType, Side
from hilogistics.distributions.services import (
    LineInput,
    Recipient,
    correct_distribution,
    record_distribution,
)
from hilogistics.distributions.summary import monthly_summary
from tests.conftest import sign_in
from tests.factories import make_user, operation_key
from tests.test_distributions import TODAY, distribute, stocked_centre
from tests.test_documents import pdf_pages

FIRST = TODAY.replace(day=1)
BEFORE = FIRST - timedelta(days=1)


def patient(code: str, service: FittingService) -> Recipient:
    return Recipient(type=RecipientType.PATIENT, reference=code, service=service, side=Side.LEFT)


def hand_worked_month():  # noqa: ANN201 - a test helper
    """Centre A's month (see the expected figures in the tests) and centre B's one slip."""
    centre, item, lot = stocked_centre(100)
    other, other_item, other_lot = stocked_centre(10)
    distribute(centre, item, lot, 2, recipient=patient("BEN-0001", FittingService.NEW))
    distribute(centre, item, lot, 1, recipient=patient("BEN-0001", FittingService.REPAIR))
    keyed = distribute(centre, item, lot, 3, recipient=patient("BEN-0002", FittingService.NEW))
    correct_distribution(
        actor=SYSTEM,
        distribution_id=keyed.id,
        revision=1,
        lines=[LineInput(item.id, lot.id, 1)],
        note="took 1",
        operation_key=operation_key(),
    )
    distribute(
        centre,
        item,
        lot,
        10,
        recipient=Recipient(
            type=RecipientType.CLASS, reference="CLS-01", headcounts={"girls": 5, "boys": 4}
        ),
    )
    distribute(
        centre,
        item,
        lot,
        4,
        recipient=Recipient(
            type=RecipientType.CAMP_SESSION,
            reference="CMP-01",
            headcounts={"women": 2, "men": 3, "older_women": 1, "older_men": 1},
        ),
    )
    distribute(centre, item, lot, 6, recipient=Recipient(type=RecipientType.WORKSHOP))
    distribute(other, other_item, other_lot, 5, recipient=patient("BEN-0009", FittingService.NEW))
    return centre, item, lot, other, other_item


def test_the_summary_adds_up_a_hand_worked_month(app: Flask) -> None:
    centre, item, lot, other, _other_item = hand_worked_month()
    # The month before does not count.
    record_distribution(
        actor=SYSTEM,
        location_id=centre.id,
        distributed_on=BEFORE,
        recipient=patient("BEN-0003", FittingService.NEW),
        lines=[LineInput(item.id, lot.id, 7)],
        operation_key=operation_key(),
    )
    summary = monthly_summary(SYSTEM, month=TODAY, location_id=centre.id)
    assert [
        (row.item.code, row.recipient_type, row.service, row.quantity, row.slips)
        for row in summary.items
    ] == [
        (item.code, RecipientType.PATIENT, FittingService.NEW, 3, 2),
        (item.code, RecipientType.PATIENT, FittingService.REPAIR, 1, 1),
        (item.code, RecipientType.CLASS, None, 10, 1),
        (item.code, RecipientType.CAMP_SESSION, None, 4, 1),
        (item.code, RecipientType.WORKSHOP, None, 6, 1),
    ]
    people = {row.recipient_type: row for row in summary.people}
    assert (people[RecipientType.PATIENT].slips, people[RecipientType.PATIENT].total) == (3, 2)
    assert people[RecipientType.CLASS].headcounts["girls"] == 5
    assert people[RecipientType.CLASS].total == 9
    assert people[RecipientType.CAMP_SESSION].headcounts == {
        "girls": 0,
        "boys": 0,
        "women": 2,
        "men": 3,
        "older_women": 1,
        "older_men": 1,
    }
    assert people[RecipientType.WORKSHOP].total == 0
    totals = summary.people_totals
    assert totals is not None and (totals.slips, totals.total) == (6, 18)
    # Every place: the other centre's slip comes in; the month before stays out.
    everywhere = monthly_summary(SYSTEM, month=TODAY)
    assert sum(row.quantity for row in everywhere.items) == 24 + 5
    assert {row.location.id for row in everywhere.people} == {centre.id, other.id}
    before = monthly_summary(SYSTEM, month=BEFORE, location_id=centre.id)
    assert [(row.quantity, row.service) for row in before.items] == [(7, FittingService.NEW)]


def test_a_technician_sees_only_their_place_on_the_page_exports_and_pdf(app: Flask, client) -> None:
    centre, item, _lot, other, other_item = hand_worked_month()
    sign_in(client, make_user(Role.TECHNICIAN, location=centre))
    page = client.get("/distributions/summary")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert item.code in html and other_item.code not in html
    assert other.name not in html
    assert ">18<" in html  # people served in the month, all told
    assert client.get(f"/distributions/summary?location={other.id}").status_code == 404
    assert client.get(f"/distributions/summary.pdf?location={other.id}").status_code == 404
    assert client.get(f"/distributions/summary/export?location={other.id}").status_code == 404
    for table in ("items", "people"):
        for fmt in ("csv", "xlsx"):
            response = client.get(f"/distributions/summary/export?table={table}&format={fmt}")
            assert response.status_code == 200
            assert other_item.code.encode() not in response.data
            assert other.name.encode() not in response.data
    items_csv = client.get("/distributions/summary/export").get_data(as_text=True)
    assert f"{item.code}," in items_csv and ",10," in items_csv
    people_csv = client.get("/distributions/summary/export?table=people").get_data(as_text=True)
    assert ",5,4,0,0,0,0,0,9" in people_csv
    pdf = client.get("/distributions/summary.pdf")
    assert pdf.mimetype == "application/pdf"
    text = "\n".join(pdf_pages(pdf.data))
    assert item.code in text and item.name_ko in text and other_item.code not in text
    assert "월별 분배총화: 물품" in text and "Monthly distribution summary: items" in text
    assert "봉사받은 사람" in text and "녀자어린이" in text


@pytest.mark.parametrize("query", ["month=2026-13", "month=x", "location=abc", "table=nope"])
def test_bad_filters_never_crash(app: Flask, client, query: str) -> None:
    sign_in(client, make_user(Role.LOGISTICS))
    assert client.get(f"/distributions/summary?{query}").status_code in (200, 404)
    assert client.get(f"/distributions/summary/export?{query}").status_code in (200, 404)


def test_a_recipient_pdf_holds_what_the_code_received_at_the_readers_places(
    app: Flask, client
) -> None:
    centre, item, lot, other, other_item = hand_worked_month()
    sign_in(client, make_user(Role.LOGISTICS))
    everything = "\n".join(
        pdf_pages(client.get("/distributions/recipient/recipient.pdf?ref=ben-0001").data)
    )
    assert "BEN-0001" in everything and item.name in everything
    assert everything.count(item.code) == 2  # the new fitting and the repair
    sign_in(client, make_user(Role.TECHNICIAN, location=other))
    theirs = "\n".join(
        pdf_pages(client.get("/distributions/recipient/recipient.pdf?ref=BEN-0001").data)
    )
    assert item.code not in theirs and centre.name not in theirs
    assert client.get("/distributions/recipient/recipient.pdf?ref=nonsense").status_code == 404
    assert lot is not None and other_item is not None
