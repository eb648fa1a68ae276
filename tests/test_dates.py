"""The business date: today in the programme's zone, and the oldest date allowed."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask

from hilogistics import dates
from hilogistics.errors import DomainError
from tests.factories import make_item, make_warehouse, receive

ROOT = Path(__file__).resolve().parent.parent


class _EveningInUTC(datetime):
    """20:00 UTC on 29 November 2026: already 30 November in Pyongyang (UTC+9)."""

    @classmethod
    def now(cls, tz=None):  # noqa: ANN001, ANN206 - mirrors datetime.now
        moment = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
        return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)


@pytest.fixture
def utc_evening(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "datetime", _EveningInUTC)


def test_business_today_is_pyongyangs_date_while_utc_is_still_on_the_day_before(
    app: Flask, utc_evening: None
) -> None:
    assert dates.business_today() == date(2026, 11, 30)


def test_the_zone_is_a_setting(app: Flask, utc_evening: None) -> None:
    app.config["BUSINESS_TIMEZONE"] = "Europe/Paris"
    assert dates.business_today() == date(2026, 11, 29)


def test_a_slip_dated_today_in_pyongyang_is_accepted_before_9_in_the_morning_there(
    app: Flask, utc_evening: None
) -> None:
    transaction = receive(make_item(), 3, make_warehouse(), occurred_on=date(2026, 11, 30))
    assert transaction.occurred_on == date(2026, 11, 30)
    with pytest.raises(DomainError, match="future"):
        receive(make_item(), 3, make_warehouse(), occurred_on=date(2026, 12, 1))


def test_a_date_before_the_programme_started_is_refused(app: Flask) -> None:
    with pytest.raises(DomainError, match="before the programme started") as caught:
        receive(make_item(), 3, make_warehouse(), occurred_on=date(1, 1, 1))
    assert caught.value.field == "occurred_on"


def test_the_programme_start_can_come_from_the_environment_as_text(app: Flask) -> None:
    app.config["PROGRAMME_START"] = "2020-06-01"
    assert dates.earliest_business_date() == date(2020, 6, 1)
    assert dates.business_date_problem(date(2020, 5, 31)) is not None
    assert dates.business_date_problem(date(2020, 6, 1)) is None


def test_no_code_asks_the_server_for_its_own_date() -> None:
    # Also the bare function, as a form field's default (``default=date.today``) would use it.
    asks = re.compile(r"\bdate\.today\b|\bdatetime\.(now|today)\(\)")
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "hilogistics").rglob("*.py")
        if asks.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_forms_offer_the_programmes_date_by_default(app: Flask, utc_evening: None) -> None:
    from hilogistics.stock.forms_operations import AdjustForm, ReceiptForm, ReverseForm

    with app.test_request_context():
        for form_class in (ReceiptForm, AdjustForm, ReverseForm):
            assert form_class().occurred_on.data == date(2026, 11, 30), form_class
