"""The programme's business date: "today" where the programme works, and the dates allowed.

Paper slips are dated in Pyongyang, whatever zone the server keeps: a slip dated today there
must never be "in the future" because the server is still on yesterday in UTC.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Pyongyang"
# Handicap International has worked in the DPRK since 2001: no business event is older.
DEFAULT_PROGRAMME_START = date(2001, 1, 1)
# Dates that may lie ahead (grant periods, expiry dates, filters) stay within this many years:
# beyond it a date is a typing slip (20266 for 2026), not a plan.
MAX_YEARS_AHEAD = 30


def business_zone() -> ZoneInfo:
    """The programme's time zone (setting ``BUSINESS_TIMEZONE``, default Asia/Pyongyang)."""
    name = DEFAULT_ZONE
    if has_app_context():
        name = current_app.config.get("BUSINESS_TIMEZONE") or DEFAULT_ZONE
    return ZoneInfo(name)


def business_today() -> date:
    """Today's date in the programme's zone: what every service, form and flag calls today."""
    return datetime.now(business_zone()).date()


def business_day_of(moment: datetime) -> date:
    """The day a recorded moment (kept in UTC) fell on in the programme's zone."""
    return moment.astimezone(business_zone()).date()


def earliest_business_date() -> date:
    """The oldest date a business event may carry (setting ``PROGRAMME_START``)."""
    value = current_app.config.get("PROGRAMME_START") if has_app_context() else None
    if isinstance(value, str):  # from the environment: HILOGISTICS_PROGRAMME_START=2001-01-01
        value = date.fromisoformat(value)
    return value or DEFAULT_PROGRAMME_START


def business_date_problem(value: date) -> str | None:
    """Why ``value`` cannot be a business date (in the future, before the programme), or None."""
    from flask_babel import gettext as _

    if value > business_today():
        return _("The date cannot be in the future.")
    earliest = earliest_business_date()
    if value < earliest:
        return _(
            "The date cannot be before the programme started (%(date)s).",
            date=earliest.isoformat(),
        )
    return None


def latest_planning_date() -> date:
    """The latest date a grant period, an expiry date or a date filter may name."""
    today = business_today()
    try:
        return today.replace(year=today.year + MAX_YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + MAX_YEARS_AHEAD, day=28)


def planning_date_problem(value: date) -> str | None:
    """Why ``value`` cannot be a date that may lie ahead (too early, too far ahead), or None."""
    from flask_babel import gettext as _

    earliest = earliest_business_date()
    if value < earliest:
        return _(
            "The date cannot be before the programme started (%(date)s).",
            date=earliest.isoformat(),
        )
    if value > latest_planning_date():
        return _(
            "The date cannot be more than %(n)d years ahead.",
            n=MAX_YEARS_AHEAD,
        )
    return None
