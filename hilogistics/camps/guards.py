"""What a camp that is closing or closed refuses: the one check other domains ask before acting.

Distributions and loads ask here before they touch a camp's place. A closed camp's place is
also inactive, which the ledger refuses on its own; a closing camp's place stays active so
that its count can be posted and what remains can leave, so only these checks hold it.
"""

from flask_babel import gettext as _
from sqlalchemy import select

from hilogistics.camps.models import Camp, CampStatus
from hilogistics.db import db
from hilogistics.locations.models import Location, LocationKind


def camp_at(location: Location | None) -> Camp | None:
    """The camp that opened ``location``, if it is a camp's place."""
    if location is None or location.kind is not LocationKind.CAMP:
        return None
    return db.session.scalar(select(Camp).where(Camp.location_id == location.id))


def camp_refusal(location: Location | None) -> str | None:
    """Why nothing more may be distributed at or sent to ``location``, or None when it may.

    Places of kind camp created before camps were numbered have no camp row: they stay as
    they were.
    """
    camp = camp_at(location)
    if camp is None or camp.status is CampStatus.OPEN:
        return None
    if camp.status is CampStatus.CLOSING:
        return _(
            "Camp %(number)s is closing: it takes no more distributions or loads.",
            number=camp.number,
        )
    return _("Camp %(number)s is closed: it accepts nothing more.", number=camp.number)
