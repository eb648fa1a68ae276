"""Stock on paper: the stock card PDF of an item at a place, and the stock export by lot."""

from datetime import datetime

from flask import current_app, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hilogistics import exports
from hilogistics.auth.access import ALL_ROLES, acting_user, allow
from hilogistics.catalogue.models import Item
from hilogistics.dates import business_today, business_zone
from hilogistics.db import db
from hilogistics.documents.layout import Printing, render
from hilogistics.documents.stock_card import card_number, stock_card_pdf
from hilogistics.documents.stock_on_hand import on_hand_document
from hilogistics.i18n import current_locale, localised_setting
from hilogistics.locations.queries import visible_location
from hilogistics.stock.forms_pages import CardFilterForm
from hilogistics.stock.queries.lots import korean_item_names, lots_at_query
from hilogistics.stock.queries.on_hand import on_hand_query, on_hand_row_converter
from hilogistics.stock.views.blueprint import bp
from hilogistics.stock.views.pages import (
    _filter_words,
    _on_hand_filters,
    _on_hand_form,
    _stock_location,
)
from hilogistics.views_support import check_ids

PDF_MIMETYPE = "application/pdf"


def printing() -> Printing:
    """Who prints, when, in which language, for which organisation: the request's view."""
    config = current_app.config
    locale = current_locale()
    return Printing(
        organisation=localised_setting(config["ORGANISATION_NAME"], locale),
        partner=localised_setting(config["PARTNER_NAME"], "ko_KP"),
        printed_by=acting_user().display_name,
        printed_at=datetime.now(business_zone()),
        locale=locale,
        base_url=config.get("BASE_URL") or "",
    )


def strict_glyphs() -> bool:
    """Whether a character the fonts lack refuses the print (tests) or prints as "?"."""
    return bool(current_app.config.get("DOCUMENTS_STRICT_GLYPHS", False))


def pdf_response(body: bytes, filename: str) -> Response:
    """A PDF shown in the browser's viewer, with a file name for saving it."""
    response = Response(body, mimetype=PDF_MIMETYPE)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


@bp.get("/stock/locations/<int:location_id>/items/<int:item_id>/card.pdf")
@allow(ALL_ROLES)
def card_pdf(location_id: int, item_id: int) -> Response:
    """The stock card as a PDF to print and keep with the goods (the card page's as-of date)."""
    check_ids(location_id, item_id)
    location = visible_location(acting_user(), location_id)
    item = db.get_or_404(Item, item_id)
    form = CardFilterForm(request.args)
    form.validate_or_default()
    body = stock_card_pdf(
        item=item,
        location=location,
        as_of=form.as_of.data,
        printing=printing(),
        strict=strict_glyphs(),
    )
    return pdf_response(body, card_number(location, item))


@bp.get("/stock/locations/<int:location_id>/export-lots")
@allow(ALL_ROLES)
def lots_export(location_id: int) -> Response:
    """Stock at a place lot by lot, with expiry and grant, as CSV or XLSX."""
    check_ids(location_id)
    location = visible_location(acting_user(), location_id)
    locale = current_locale()
    headers = [
        _("Code"),
        _("Name"),
        _("Unit"),
        _("Lot"),
        _("Serial number"),
        _("Expiry"),
        _("Grant"),
        _("Donor"),
        _("On hand"),
    ]
    rows = db.session.execute(lots_at_query(location.id, locale=locale))
    today = business_today().isoformat()
    caption = [
        _("Stock by lot at %(place)s", place=location.display_name(locale)),
        _(
            "As recorded on %(date)s, exported by %(name)s",
            date=today,
            name=acting_user().display_name,
        ),
    ]
    fmt = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    return exports.download(fmt, f"lots-{location.code}-{today}", headers, rows, caption=caption)


@bp.get("/stock/locations/<int:location_id>/on-hand.pdf")
@allow(ALL_ROLES)
def on_hand_pdf(location_id: int) -> Response:
    """Stock on hand at a place as a PDF: every row the filters keep, the whole list on A4."""
    location = _stock_location(location_id)
    locale = current_locale()
    form, categories = _on_hand_form(locale)
    filters = _on_hand_filters(form)
    today = business_today()
    convert = on_hand_row_converter(filters, today)
    rows = [
        convert(row)
        for row in db.session.execute(on_hand_query(location.id, filters, locale=locale))
    ]
    document = on_hand_document(
        location=location,
        rows=rows,
        korean_names=korean_item_names([row.item_id for row in rows]),
        today=today,
        filters=_filter_words(form, categories) or _("none"),
        printing=printing(),
        locale=locale,
    )
    body = render(document, strict=strict_glyphs())
    return pdf_response(body, f"stock-{location.code}-{today.isoformat()}")
