"""Recall and traceability: every distribution of a lot, everything a recipient code received.

Pages, CSV/XLSX exports and a PDF read the same rows; a technician's hold only their own place.
"""

from flask import abort, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hilogistics import exports
from hilogistics.auth.access import ALL_ROLES, acting_user, allow
from hilogistics.db import db
from hilogistics.distributions import queries
from hilogistics.distributions.forms import RecipientSearchForm
from hilogistics.distributions.services import reference_problem
from hilogistics.distributions.views.blueprint import bp
from hilogistics.distributions.views.pages import LABELS
from hilogistics.documents.distributions import recall_document
from hilogistics.documents.layout import both, render
from hilogistics.i18n import current_locale
from hilogistics.stock.models import Lot
from hilogistics.stock.views.printing import pdf_response, printing, strict_glyphs
from hilogistics.views_support import check_ids, page_args

MAX_EXPORT_ROWS = 100_000


def _lot(lot_id: int) -> Lot:
    check_ids(lot_id)
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        abort(404)
    return lot


def _rows(statement: object) -> list[list[object]]:
    locale = current_locale()
    return [
        [
            distribution.distributed_on.isoformat(),
            distribution.number,
            distribution.location.display_name(locale),
            distribution.recipient_ref,
            line.item.code,
            line.item.display_name(locale),
            line.lot.serial or line.lot.code or "",
            line.quantity,
        ]
        for line, distribution in db.session.execute(statement.limit(MAX_EXPORT_ROWS))  # type: ignore[attr-defined]
    ]


def _headings() -> list[str]:
    return [
        _("Date"),
        _("Slip"),
        _("Place"),
        _("Recipient code"),
        _("Item code"),
        _("Item"),
        _("Lot"),
        _("Quantity"),
    ]


def _lot_words(lot: Lot) -> str:
    return f"{lot.item.code} · {lot.serial or lot.code or _('no lot code')}"


@bp.get("/distributions/lots/<int:lot_id>")
@allow(ALL_ROLES)
def lot(lot_id: int) -> str:
    """Recall: every distribution that used this lot (date, place, recipient code, quantity)."""
    found = _lot(lot_id)
    page_number, per_page = page_args()
    page = queries.traced_page(acting_user(), lot_id=found.id, page=page_number, per_page=per_page)
    return render_template("distributions/lot.html", lot=found, page=page, **LABELS)


@bp.get("/distributions/lots/<int:lot_id>/export")
@allow(ALL_ROLES)
def lot_export(lot_id: int) -> Response:
    """The recall list of a lot as CSV (or XLSX with ``?format=xlsx``)."""
    found = _lot(lot_id)
    rows = _rows(queries.traced_query(acting_user(), lot_id=found.id))
    return exports.download(
        request.args.get("format", "csv"),
        f"recall-lot-{found.id}",
        _headings(),
        rows,
        caption=[_("Distributions of %(lot)s", lot=_lot_words(found))],
    )


@bp.get("/distributions/lots/<int:lot_id>/recall.pdf")
@allow(ALL_ROLES)
def lot_pdf(lot_id: int) -> Response:
    """The recall list of a lot on paper."""
    found = _lot(lot_id)
    rows = [
        [r[0], r[1], r[2], r[3], f"{r[4]} {r[5]}", r[6], str(r[7])]
        for r in _rows(queries.traced_query(acting_user(), lot_id=found.id))
    ]
    document = recall_document(
        title_facts=[(both("Lot"), _lot_words(found))],
        rows=rows,
        printing=printing(),
        number=f"LOT-{found.id}",
    )
    return pdf_response(render(document, strict=strict_glyphs()), f"recall-lot-{found.id}")


def _reference() -> tuple[RecipientSearchForm, str | None]:
    form = RecipientSearchForm(request.args)
    form.validate_or_default()
    text = (form.ref.data or "").strip().upper()
    if text and reference_problem(text) is not None:
        form.ref.errors = [*form.ref.errors, reference_problem(text)]
        return form, None
    return form, text or None


@bp.get("/distributions/recipient")
@allow(ALL_ROLES)
def recipient() -> str:
    """Everything a recipient code received, newest first."""
    form, reference = _reference()
    page = None
    if reference is not None:
        page_number, per_page = page_args()
        page = queries.traced_page(
            acting_user(), reference=reference, page=page_number, per_page=per_page
        )
    return render_template(
        "distributions/recipient.html", form=form, reference=reference, page=page, **LABELS
    )


@bp.get("/distributions/recipient/export")
@allow(ALL_ROLES)
def recipient_export() -> Response:
    """What a recipient code received, as CSV (or XLSX with ``?format=xlsx``)."""
    _form, reference = _reference()
    if reference is None:
        abort(404)
    rows = _rows(queries.traced_query(acting_user(), reference=reference))
    return exports.download(
        request.args.get("format", "csv"),
        f"recipient-{reference}",
        _headings(),
        rows,
        caption=[_("Distributions to %(code)s", code=reference)],
    )


@bp.get("/distributions/recipient/recipient.pdf")
@allow(ALL_ROLES)
def recipient_pdf() -> Response:
    """Everything a recipient code received, on paper (a technician's: their place only)."""
    _form, reference = _reference()
    if reference is None:
        abort(404)
    rows = [
        [r[0], r[1], r[2], r[3], f"{r[4]} {r[5]}", r[6], str(r[7])]
        for r in _rows(queries.traced_query(acting_user(), reference=reference))
    ]
    document = recall_document(
        title_facts=[(both("Recipient code"), reference)],
        rows=rows,
        printing=printing(),
        number=reference,
    )
    return pdf_response(render(document, strict=strict_glyphs()), f"recipient-{reference}")
