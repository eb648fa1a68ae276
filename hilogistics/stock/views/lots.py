"""A lot's page: what it is, its expiry corrections, and (logistics) the correction form."""

from flask import abort, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hilogistics.auth.access import ALL_ROLES, acting_user, allow
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.stock import services
from hilogistics.stock.forms_lots import LotExpiryForm
from hilogistics.stock.models import Lot
from hilogistics.stock.queries.revisions import expiry_corrections
from hilogistics.stock.views.blueprint import bp
from hilogistics.views_support import submit

MAX_ID = 2**31 - 1
_CORRECTORS = frozenset({Role.ADMIN, Role.LOGISTICS})


def _lot(lot_id: int) -> Lot:
    if lot_id > MAX_ID:
        abort(404)
    return db.get_or_404(Lot, lot_id)


def _render(lot: Lot, form: LotExpiryForm | None) -> str:
    return render_template(
        "stock/lot.html", lot=lot, form=form, corrections=expiry_corrections(lot.id)
    )


@bp.get("/stock/lots/<int:lot_id>")
@allow(ALL_ROLES)
def lot(lot_id: int) -> str:
    """A lot: item, code, serial, expiry, grant, and the history of its expiry corrections."""
    found = _lot(lot_id)
    may_correct = acting_user().role in _CORRECTORS and found.item.tracks_expiry
    return _render(found, LotExpiryForm() if may_correct else None)


@bp.post("/stock/lots/<int:lot_id>/expiry")
@allow(Role.ADMIN, Role.LOGISTICS)
def lot_expiry(lot_id: int) -> Response | str:
    """Correct a lot's expiry date, with a reason; recorded with who and when."""
    found = _lot(lot_id)
    form = LotExpiryForm()
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.correct_lot_expiry(
                actor=acting_user(),
                lot_id=found.id,
                expires_on=form.expires_on.data,
                reason=form.reason.data,
            ),
            _("Expiry date corrected."),
            url_for("stock.lot", lot_id=found.id),
        )
        if response is not None:
            return response
        found = _lot(lot_id)  # read again after the rollback
    return _render(found, form)
