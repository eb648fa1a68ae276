"""The administrators' search of the change history, and its CSV export."""

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.auth.access import allow
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.exports import download
from hilogistics.history import queries
from hilogistics.history.forms import SYSTEM_CHOICE, HistorySearchForm
from hilogistics.history.labels import RECORD_TYPE_LABELS
from hilogistics.inputs import page_number

bp = Blueprint("history", __name__, url_prefix="/history")

FILTER_ARGS = ("record_type", "record_id", "actor", "date_from", "date_to")
# A CSV export reads at most this many changes (newest first): enough for any audit question.
MAX_EXPORT_ROWS = 20_000


def _filters() -> tuple[HistorySearchForm, queries.HistoryFilters]:
    form = HistorySearchForm(formdata=request.args)
    form.actor.choices = [
        SelectChoice("", _("Anyone")),
        SelectChoice(SYSTEM_CHOICE, _("System")),
        *(SelectChoice(str(user_id), name) for user_id, name in queries.actor_choices()),
    ]
    form.validate()
    # A value that does not fit (an old bookmark, a hand-edited address) filters nothing;
    # its field shows why.
    valid = {name: data for name, data in form.data.items() if not form[name].errors}
    record_type = valid.get("record_type") or None
    actor = valid.get("actor") or ""
    filters = queries.HistoryFilters(
        record_type=record_type if record_type in RECORD_TYPE_LABELS else None,
        record_id=valid.get("record_id"),
        actor_id=int(actor) if actor.isdigit() else None,
        system_only=actor == SYSTEM_CHOICE,
        changed_from=valid.get("date_from"),
        changed_to=valid.get("date_to"),
    )
    return form, filters


@bp.get("/")
@allow(Role.ADMIN)
def search() -> str:
    """Search every change of reference data by record, who and date, newest first."""
    form, filters = _filters()
    page = db.paginate(
        queries.search_query(filters),
        page=page_number(),
        per_page=current_app.config["PER_PAGE"],
        max_per_page=200,
    )
    return render_template(
        "history/search.html",
        form=form,
        page=page,
        entries=queries.describe(page.items),
        filtered=filters != queries.HistoryFilters(),
        export_args={k: v for k, v in request.args.items() if k in FILTER_ARGS},
    )


@bp.get("/export")
@allow(Role.ADMIN)
def search_export() -> Response:
    """Download the changes matching the search as CSV, one line per field changed."""
    _form, filters = _filters()
    records = db.session.scalars(queries.search_query(filters).limit(MAX_EXPORT_ROWS)).all()
    rows = [
        (
            entry.changed_at.isoformat(timespec="seconds"),
            entry.actor,
            entry.action,
            entry.record_type_label,
            entry.record_id,
            entry.record,
            change.label,
            change.old,
            change.new,
        )
        for entry in queries.describe(records)
        for change in entry.fields
    ]
    headers = [
        _("Changed at (UTC)"),
        _("Changed by"),
        _("Change"),
        _("Record type"),
        _("Record number"),
        _("Record"),
        _("Field"),
        _("From"),
        _("To"),
    ]
    return download("csv", "change-history", headers, rows)
