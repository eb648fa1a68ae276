"""Monthly distribution rows kept by the ledger: equal to the slips' sums after slips,
corrections and workshop use; the report's partial months add the days from the slips and
agree with the report worked from every slip; check-ledger names a tampered row. Both
databases."""

from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.distributions.models import Distribution, DistributionLine, RecipientType
from hilogistics.reports.distribution_months import (
    FIGURES,
    DistributionMonth,
    computed_months,
    month_differences,
)
from hilogistics.reports.distributions import DistributionFilterForm, DistributionReport
from tests.factories import make_user, operation_key
from tests.test_reports import TODAY, Slips, slips  # noqa: F401 - the fixture

GROUPS = ("", "place", "province", "recipient_type", "service")


def stored() -> dict[tuple, tuple[int, ...]]:
    return {
        (row.month, row.location_id, row.recipient_type, row.service): tuple(
            getattr(row, name) for name in FIGURES
        )
        for row in db.session.execute(select(DistributionMonth)).scalars()
    }


def test_rows_follow_slips_a_correction_and_workshop_use(slips: Slips) -> None:  # noqa: F811
    from hilogistics.distributions.services import LineInput, correct_distribution

    assert stored() == computed_months()
    first = TODAY.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    # The class slip: ten units, three girls and four boys.
    key = (previous, slips.centre.id, "class", "")
    assert dict(zip(FIGURES, stored()[key], strict=True)) == {
        "slips": 1,
        "girls": 3,
        "boys": 4,
        "women": 0,
        "men": 0,
        "older_women": 0,
        "older_men": 0,
        "individuals": 0,
        "quantity": 10,
    }
    assert stored()[(previous, slips.centre.id, "patient", "new")][FIGURES.index("individuals")]
    assert stored()[(first, slips.centre.id, "workshop", "")][FIGURES.index("quantity")] == 5
    slip = db.session.scalar(
        select(Distribution).where(
            Distribution.location_id == slips.centre.id,
            Distribution.recipient_type == RecipientType.CLASS,
        )
    )
    line = db.session.scalars(
        select(DistributionLine).where(DistributionLine.distribution_id == slip.id)
    ).one()
    correct_distribution(
        actor=SYSTEM,
        distribution_id=slip.id,
        revision=1,
        lines=[LineInput(line.item_id, line.lot_id, 7)],
        note="seven on the paper",
        operation_key=operation_key(),
    )
    db.session.flush()
    assert stored()[key][FIGURES.index("quantity")] == 7
    assert stored()[key][FIGURES.index("slips")] == 1  # still one slip
    assert stored() == computed_months()
    assert month_differences() == []
    db.session.commit()


def _rows(app: Flask, user, report, **args: str) -> list[tuple]:
    with app.test_request_context("/reports/distributions"):
        form = DistributionFilterForm(MultiDict(args), meta={"csrf": False})
        report.prepare(form, user, "en")
        summed = [tuple(r) for r in db.session.execute(report.statement(form, user, "en"))]
        if (args.get("group") or "") == "item":
            return summed
        worked = [tuple(r) for r in db.session.execute(report._from_slips(form, user, "en"))]
        assert summed == worked, args
        return summed


def test_partial_months_agree_with_the_report_worked_from_every_slip(
    app: Flask,
    slips: Slips,  # noqa: F811
) -> None:
    viewer = make_user(Role.VIEWER)
    technician = make_user(Role.TECHNICIAN, location=slips.other)
    db.session.commit()
    report = DistributionReport()
    first = TODAY.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    periods = [
        {},
        {"date_from": (previous + timedelta(days=3)).isoformat()},  # after the patient's slip
        {"date_to": first.isoformat()},  # the workshop's day only of this month
        {"date_from": (previous + timedelta(days=2)).isoformat(), "date_to": first.isoformat()},
        {"date_from": (previous + timedelta(days=5)).isoformat()} | {"date_to": "2000-01-01"},
        {"date_from": previous.isoformat(), "date_to": (first - timedelta(days=1)).isoformat()},
        {"date_from": (previous + timedelta(days=4)).isoformat()}
        | {"date_to": (previous + timedelta(days=6)).isoformat()},
    ]
    for period in periods:
        for group in GROUPS:
            for user in (viewer, technician):
                _rows(app, user, report, group=group, **period)
    for narrowing in (
        {"recipient_type": "class"},
        {"service": "new"},
        {"location": str(slips.centre.id)},
    ):
        _rows(app, viewer, report, group="place", date_from=periods[1]["date_from"], **narrowing)
    # Hand-worked: from the fourth day of last month, the patient's slip (day 3) is left out.
    rows = _rows(app, viewer, report, group="", date_from=periods[1]["date_from"])
    assert [(r[0], r[1], r[-1]) for r in rows] == [
        (slips.previous, 2, 16),
        (slips.current, 1, 5),
    ]


def test_check_ledger_names_a_tampered_month(slips: Slips, runner) -> None:  # noqa: F811
    assert runner.invoke(args=["hilo", "check-ledger"]).exit_code == 0
    db.session.execute(
        update(DistributionMonth)
        .where(DistributionMonth.recipient_type == "workshop")
        .values(quantity=DistributionMonth.quantity + 1)
    )
    db.session.commit()
    result = runner.invoke(args=["hilo", "check-ledger"])
    assert result.exit_code == 1
    assert f"distribution month {slips.current} location {slips.centre.id} workshop -: " in (
        result.output
    )
    assert "quantity 6 (slips give 5)" in result.output
    # Put it right so the after-test ledger check passes.
    db.session.execute(
        update(DistributionMonth)
        .where(DistributionMonth.recipient_type == "workshop")
        .values(quantity=DistributionMonth.quantity - 1)
    )
    db.session.commit()


def test_grant_people_count_a_slip_once_per_item_at_its_current_revision(
    app: Flask, client
) -> None:
    from hilogistics.distributions.models import FittingService, Side
    from hilogistics.distributions.services import (
        LineInput,
        Recipient,
        correct_distribution,
        record_distribution,
    )
    from hilogistics.stock.models import TransactionKind
    from tests.conftest import sign_in
    from tests.factories import make_grant, make_item, make_location, make_lot, virtual
    from tests.test_reports import days_ago, move, report_csv

    item, other_item = make_item(code="PPL-A"), make_item(code="PPL-B")
    centre = make_location(code="PPL-C")
    grant = make_grant(code="PPL-G", starts_on=days_ago(30), ends_on=TODAY)
    lots = [make_lot(item, code=f"L{n}", grant_id=grant.id) for n in range(2)]
    other_lot = make_lot(other_item, grant_id=grant.id)
    for lot in (*lots, other_lot):
        move(TransactionKind.RECEIPT, lot, 10, virtual("SUPPLIER"), centre, days_ago(20))

    def slip(recipient: Recipient, lines: list[LineInput]) -> int:
        return record_distribution(
            actor=SYSTEM,
            location_id=centre.id,
            distributed_on=days_ago(5),
            recipient=recipient,
            lines=lines,
            operation_key=operation_key(),
        ).id

    # Both of the grant's lots of one item on one class slip: its five people count once.
    slip(
        Recipient(RecipientType.CLASS, reference="CLS-02", headcounts={"girls": 2, "boys": 3}),
        [LineInput(item.id, lots[0].id, 1), LineInput(item.id, lots[1].id, 1)],
    )
    patient = slip(
        Recipient(
            RecipientType.PATIENT,
            reference="BEN-0042",
            service=FittingService.NEW,
            side=Side.LEFT,
        ),
        [LineInput(other_item.id, other_lot.id, 1)],
    )
    # The patient's slip corrected to the first item: it serves the first item, not the second.
    correct_distribution(
        actor=SYSTEM,
        distribution_id=patient,
        revision=1,
        lines=[LineInput(item.id, lots[0].id, 2)],
        note="the paper says the other item",
        operation_key=operation_key(),
    )
    db.session.commit()
    sign_in(client, make_user(Role.VIEWER))
    db.session.commit()
    rows = report_csv(client, "grant", grant=grant.id)
    assert [(r["Code"], r["Distributed"], r["People served"]) for r in rows] == [
        ("PPL-A", "4", "6"),
        ("PPL-B", "0", "0"),
        ("Total", "4", "6"),
    ]
