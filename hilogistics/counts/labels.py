"""Words shown for count statuses."""

from flask_babel import lazy_gettext as _l

from hilogistics.counts.models import CountStatus

STATUS_LABELS = {
    CountStatus.OPEN: _l("Counting"),
    CountStatus.POSTED: _l("Posted"),
    CountStatus.ABANDONED: _l("Abandoned"),
}
