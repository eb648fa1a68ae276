"""Stock pages: overview, on hand, below minimum, reorder levels, item, stock card, transactions.

Read-only pages read balances (never a sum of the ledger); the stock card pages through movements.
"""

from collections.abc import Callable
from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics import exports, pagememo, readcache
from hilogistics.auth.access import ALL_ROLES, STAFF, acting_user, allow
from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Item
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.errors import DomainError, NotFoundError
from hilogistics.forms import attach_error
from hilogistics.i18n import current_locale
from hilogistics.inputs import link_args
from hilogistics.locations.labels import KIND_LABELS as LOCATION_KIND_LABELS
from hilogistics.locations.models import Location, LocationKind
from hilogistics.locations.queries import (
    PlaceHeading,
    visible_location,
    visible_locations_query,
    visible_place_heading,
)
from hilogistics.registry.models import DocumentType
from hilogistics.registry.queries import has_page
from hilogistics.stock.forms_pages import (
    AddReorderLevelForm,
    CardFilterForm,
    ItemSearchForm,
    OnHandFilterForm,
    ReorderLevelsForm,
    TransactionFilterForm,
)
from hilogistics.stock.labels import SORT_LABELS, TRANSACTION_KIND_LABELS
from hilogistics.stock.models import TransactionKind
from hilogistics.stock.queries import (
    OnHandFilters,
    OnHandRow,
    RowPage,
    TransactionFilters,
    below_minimum_query,
    category_names,
    families_query,
    item_balances,
    item_by_code,
    items_matching_query,
    location_summaries,
    on_hand_page,
    on_hand_query,
    on_hand_row_converter,
    stock_card,
    transaction_row,
    transactions_query,
    visible_transaction,
)
from hilogistics.stock.queries.grants import grants_query
from hilogistics.stock.queries.revisions import reversed_lines
from hilogistics.stock.services import (
    LevelRow,
    RowProblem,
    RowsRefusedError,
    reorder_level_problems,
    save_reorder_levels,
    set_reorder_level,
)
from hilogistics.stock.views.blueprint import bp
from hilogistics.stock.views.rows_html import on_hand_rows
from hilogistics.views_support import check_ids, page_args, submit

SEARCH_RESULTS_LIMIT = 50
MAX_ID = 2**31 - 1  # the largest INTEGER key


def _is_staff(user: User) -> bool:
    return user.role in STAFF


def _stock_location(location_id: int, *, physical_only: bool = False) -> Location:
    """A place whose stock the user may see: physical, or transit unless ``physical_only``."""
    check_ids(location_id)
    location = visible_location(acting_user(), location_id)
    _check_holds_stock(location.kind, physical_only=physical_only)
    return location


def _stock_heading(location_id: int) -> PlaceHeading:
    """``_stock_location``'s place as plain columns: the same checks, the same answers."""
    check_ids(location_id)
    heading = visible_place_heading(acting_user(), location_id)
    _check_holds_stock(heading.kind, physical_only=False)
    return heading


def _check_holds_stock(kind: LocationKind, *, physical_only: bool) -> None:
    """NotFoundError unless a place of ``kind`` has a stock page (transit unless physical only)."""
    if not (kind.is_physical or (not physical_only and kind is LocationKind.TRANSIT)):
        raise NotFoundError("no stock page for this location")


def _endpoint_exists(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def _document_link() -> Callable[[DocumentType | None, str | None], str | None]:
    """``link(type, number)``: the ``/d/<number>`` URL of a document whose type has a page.

    None for no document or a type whose pages are not there yet, so the number shows as text.
    The URL is built once (numbers are letters, digits and dashes: nothing to escape).
    """
    placeholder = "NUMBER"
    url = url_for("registry.open_document", number=placeholder)

    def link(type_: DocumentType | None, number: str | None) -> str | None:
        if number is None or not has_page(type_):
            return None
        return url.replace(placeholder, number)

    return link


@bp.get("/stock")
@allow(ALL_ROLES)
def index() -> Response | str:
    """The places and their stock at a glance, and a quick item search."""
    user = acting_user()
    if user.role is Role.TECHNICIAN:
        return redirect(url_for("stock.on_hand", location_id=user.location_id))
    form = ItemSearchForm(request.args)
    form.validate_or_default()
    text = (form.q.data or "").strip()
    matches = None
    if text:
        item = item_by_code(text)
        if item is not None:
            return redirect(url_for("stock.item", item_id=item.id))
        matches = db.session.scalars(items_matching_query(text).limit(SEARCH_RESULTS_LIMIT)).all()
    return render_template(
        "stock/index.html",
        form=form,
        text=text,
        matches=matches,
        limit=SEARCH_RESULTS_LIMIT,
        groups=location_summaries(user),
        kind_labels=LOCATION_KIND_LABELS,
    )


def _on_hand_choices(locale: str) -> tuple[list[tuple[int, str]], list[str]]:
    """Every category as (id, name) and every family: the filter form's choices."""
    # Reference data the same for every reader: two statements saved on each page (readcache).
    return readcache.kept(
        ("on-hand choices", locale),
        lambda: (category_names(locale), list(db.session.scalars(families_query()))),
    )


def _on_hand_form(
    locale: str, choices: tuple[list[tuple[int, str]], list[str]] | None = None
) -> tuple[OnHandFilterForm, dict[int, str]]:
    """The filter form read from the query string, and every category's name by id."""
    form = OnHandFilterForm(request.args)
    categories, families = choices or _on_hand_choices(locale)
    form.category.choices = [SelectChoice("", _("All categories"))] + [
        SelectChoice(str(category_id), name) for category_id, name in categories
    ]
    form.family.choices = [SelectChoice("", _("All families"))] + [
        SelectChoice(f, f) for f in families
    ]
    form.validate_or_default()
    return form, dict(categories)


# The filter form's inputs; a query string with none of them asks for the default filters.
ON_HAND_FILTER_FIELDS = ("q", "category", "family", "days", "flagged", "sort", "order")
# What the filter form gives when the query string holds none of its inputs (a test pins it).
DEFAULT_ON_HAND_FILTERS = OnHandFilters()


def _asks_filters() -> bool:
    """True when the query string holds any of the filter form's inputs (even empty)."""
    args = request.args
    return any(name in args for name in ON_HAND_FILTER_FIELDS)


def _on_hand_filters(form: OnHandFilterForm) -> OnHandFilters:
    return OnHandFilters(
        category_id=int(form.category.data) if form.category.data else None,
        family=form.family.data or None,
        text=(form.q.data or "").strip() or None,
        only_flagged=bool(form.flagged.data),
        expiring_days=form.days.data if form.days.data is not None else 90,
        sort=form.sort.data or "code",
        descending=form.order.data == "desc",
    )


def _filter_args() -> dict[str, str]:
    """The query arguments of the page other than its page number."""
    return link_args("page", "per_page", "format")


class RowLink:
    """The URL of a page for each row of a table, differing only by one int id.

    url_for costs more than the rest of a row: the URL is built once with a placeholder id,
    split around it, and each row's id is put in its place: ``link(42)``.
    """

    __slots__ = ("head", "tail")
    _PLACEHOLDER = "/987654321"

    def __init__(self, endpoint: str, key: str, **values: Any) -> None:
        url = url_for(endpoint, **values, **{key: int(self._PLACEHOLDER[1:])})
        head, found, tail = url.partition(self._PLACEHOLDER)
        if not found or tail[:1] not in ("", "/", "?"):
            raise ValueError(f"no place for <{key}> in the URL of {endpoint}")
        self.head = head + "/"
        self.tail = tail

    def __call__(self, value: int) -> str:
        return f"{self.head}{int(value)}{self.tail}"


@bp.get("/stock/locations/<int:location_id>")
@allow(ALL_ROLES)
def on_hand(location_id: int) -> str:
    """Stock on hand at one place, one row per item, with flags, filters, sort and pages."""
    # The place as plain columns: on a kept page (pagememo) nothing else of it is needed, and
    # the ORM object is only loaded to render.
    heading = _stock_heading(location_id)
    locale = current_locale()
    choices = _on_hand_choices(locale)
    # Without filters in the query string the form has nothing to read and no error to show:
    # it is only built to render the page (not on a kept copy), with the default filters.
    form = _on_hand_form(locale, choices)[0] if _asks_filters() else None
    filters = _on_hand_filters(form) if form is not None else DEFAULT_ON_HAND_FILTERS
    page_number, per_page = page_args()
    today = business_today()
    page = on_hand_page(
        heading.id, filters, locale=locale, page=page_number, per_page=per_page, today=today
    )
    user = acting_user()
    # Every input of the page, as read on this request (pagememo: the same inputs give the same
    # HTML). The rows and count are the ones just read; the query string holds the filters.
    key = (
        "stock/on_hand.html",
        pagememo.reader_key(user, locale),
        heading,
        today,
        filters,
        (page.total, page.page, page.per_page, tuple(page.items)),
        (tuple(choices[0]), tuple(choices[1])),
    )

    def context() -> dict[str, Any]:
        location = visible_location(user, heading.id)
        return {
            "location": location,
            "form": form if form is not None else _on_hand_form(locale, choices)[0],
            "filters": filters,
            "page": page,
            "rows_html": on_hand_rows(
                page.items,
                categories=dict(choices[0]),
                item_link=RowLink("stock.item", "item_id"),
                card_link=RowLink("stock.card", "item_id", location_id=location.id),
                expiring_days=filters.expiring_days,
            ),
            "filter_args": _filter_args(),
            "sort_label": SORT_LABELS.get(filters.sort, SORT_LABELS["code"]),
            "is_staff": _is_staff(user),
            "kind_labels": LOCATION_KIND_LABELS,
            "today": today,
        }

    return pagememo.render("stock/on_hand.html", key, context)


def _flag_texts(row: OnHandRow) -> list[str]:
    flags = []
    if row.below_minimum:
        flags.append(_("Below minimum"))
    if row.expired:
        flags.append(_("Expired"))
    if row.expiring:
        flags.append(_("Expiring within %(days)d days", days=row.expiring_days))
    return flags


@bp.get("/stock/locations/<int:location_id>/export")
@allow(ALL_ROLES)
def on_hand_export(location_id: int) -> Response:
    """Every row the stock-on-hand page would show with these filters, as CSV or XLSX."""
    location = _stock_location(location_id)
    locale = current_locale()
    form, categories = _on_hand_form(locale)
    filters = _on_hand_filters(form)
    convert = on_hand_row_converter(filters)
    stmt = on_hand_query(location.id, filters, locale=locale)
    rows = [convert(row) for row in db.session.execute(stmt)]
    headers = [
        _("Code"),
        _("Name"),
        _("Category"),
        _("Unit"),
        _("On hand"),
        _("Reserved"),
        _("Available"),
        _("Earliest expiry"),
        _("Minimum"),
        _("Maximum"),
        _("Flags"),
    ]
    cells = (
        [
            row.code,
            row.name,
            categories.get(row.category_id, ""),
            row.unit,
            row.on_hand,
            row.reserved,
            row.available,
            row.earliest_expiry,
            row.minimum,
            row.maximum,
            "; ".join(_flag_texts(row)),
        ]
        for row in rows
    )
    fmt = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    today = business_today().isoformat()
    filename = f"stock-{location.code}-{today}"
    caption = [
        _("Stock on hand at %(place)s", place=location.display_name(locale)),
        _(
            "As recorded on %(date)s, exported by %(name)s",
            date=today,
            name=acting_user().display_name,
        ),
        _("Filters: %(filters)s", filters=_filter_words(form, categories) or _("none")),
    ]
    return exports.download(fmt, filename, headers, cells, caption=caption)


def _filter_words(form: OnHandFilterForm, categories: dict[int, str]) -> str:
    """The filters in force, as the form labels them (for an export's caption)."""
    parts = []
    for field in form:
        value = field.data
        if field.type in ("CSRFTokenField", "SubmitField", "HiddenField") or value in (None, ""):
            continue
        if field.name == "category":
            value = categories.get(int(value), value) if str(value).isdigit() else value
        elif field.type == "SelectField":
            value = dict((str(k), v) for k, v, *_rest in field.iter_choices()).get(
                str(value), value
            )
        elif field.type == "BooleanField":
            if not value:
                continue
            value = "✓"
        parts.append(f"{field.label.text}: {value}")
    return "; ".join(parts)


@bp.get("/stock/locations/<int:location_id>/below-minimum")
@allow(ALL_ROLES)
def below_minimum(location_id: int) -> str:
    """Items under their reorder minimum at one place (zero stock included), with what to order."""
    location = _stock_location(location_id, physical_only=True)
    page_number, per_page = page_args()
    page = RowPage(
        below_minimum_query(location.id, locale=current_locale()),
        page=page_number,
        per_page=per_page,
        convert=on_hand_row_converter(OnHandFilters(expiring_days=0)),
    )
    return render_template(
        "stock/below_minimum.html",
        location=location,
        page=page,
        is_staff=_is_staff(acting_user()),
        today=business_today(),
    )


# Viewers read every place's levels; only staff change them (technicians see below minimum).
LEVEL_READERS = frozenset({Role.ADMIN, Role.LOGISTICS, Role.VIEWER})


@bp.context_processor
def _levels_readable() -> dict[str, bool]:
    """``can_read_levels`` for the stock templates: whether to link to the reorder levels."""
    user = current_user._get_current_object()  # one proxy lookup, not two
    return {"can_read_levels": user.is_authenticated and user.role in LEVEL_READERS}


@bp.get("/stock/locations/<int:location_id>/reorder-levels")
@allow(LEVEL_READERS)
def reorder_levels(location_id: int) -> str:
    """The minimum and maximum of the items held or tracked at one place, a page at a time.

    Staff get them as a form; viewers read them, with no edit controls.
    """
    return _reorder_levels_page(_stock_location(location_id, physical_only=True))


@bp.post("/stock/locations/<int:location_id>/reorder-levels")
@allow(STAFF)
def reorder_levels_save(location_id: int) -> Response | str:
    """Save a page of reorder levels, or add one item's level; the page again on errors."""
    location = _stock_location(location_id, physical_only=True)
    add_form = AddReorderLevelForm(prefix="add")
    form = ReorderLevelsForm()
    # Two forms post here; the add form's fields carry the "add-" prefix.
    if "add-item_code" in request.form:
        if add_form.validate():
            response = _add_level(add_form, location)
            if response is not None:
                return response
        return _reorder_levels_page(location, add_form=add_form)
    here = url_for("stock.reorder_levels", location_id=location.id, **link_args())
    response = _save_levels(form, location, here)
    if response is not None:
        return response
    return _reorder_levels_page(location, sent=form)


def _reorder_levels_page(
    location: Location,
    *,
    sent: ReorderLevelsForm | None = None,
    add_form: AddReorderLevelForm | None = None,
) -> str:
    """Render the levels page: the rows ``sent`` with their errors, or a page of today's."""
    locale = current_locale()
    search = request.args.get("q", "").strip()[:100]
    can_edit = _is_staff(acting_user())
    filters = OnHandFilters(text=search or None)
    convert = on_hand_row_converter(filters)
    page = None
    form = sent
    if sent is not None:
        # Show the rows as sent, with their errors, beside today's figures.
        ids = [_int(entry.form.item_id.data) for entry in sent.rows]
        stmt = on_hand_query(
            location.id, OnHandFilters(item_ids=[i for i in ids if i is not None]), locale=locale
        )
        infos = {row.item_id: row for row in map(convert, db.session.execute(stmt))}
    else:
        page_number, per_page = page_args()
        page = on_hand_page(
            location.id, filters, locale=locale, page=page_number, per_page=per_page
        )
        infos = {row.item_id: row for row in page.items}
        form = ReorderLevelsForm(
            formdata=None,
            data={
                "rows": [
                    {"item_id": str(row.item_id), "minimum": row.minimum, "maximum": row.maximum}
                    for row in page.items
                ]
            },
        )
    return render_template(
        "stock/reorder_levels.html",
        location=location,
        form=form,
        add_form=add_form or AddReorderLevelForm(prefix="add", formdata=None),
        infos=infos,
        page=page,
        search=search,
        action=url_for("stock.reorder_levels_save", location_id=location.id, **link_args()),
        can_edit=can_edit,
    )


def _add_level(add_form: AddReorderLevelForm, location: Location) -> Response | None:
    """Set the level of the item named by code; None (with the error on the form) on failure."""
    found = item_by_code(add_form.item_code.data)
    if found is None:
        add_form.item_code.errors = [*add_form.item_code.errors, _("No item has this code.")]
        return None
    code, item_id = found.code, found.id
    return submit(
        add_form,
        lambda: set_reorder_level(
            actor=acting_user(),
            location_id=location.id,
            item_id=item_id,
            minimum=add_form.minimum.data,
            maximum=add_form.maximum.data,
        ),
        _("Reorder level of %(item)s saved.", item=code),
        url_for("stock.reorder_levels", location_id=location.id, q=code),
    )


def _int(value: Any) -> int | None:
    """A row's item id as sent, or None when it cannot be one."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def _save_levels(form: ReorderLevelsForm, location: Location, here: str) -> Response | None:
    """Save the page's rows in one service call; None, with errors on the rows, when refused.

    Rows the form refused are not sent; the others are still checked, so that every row shows
    its error at once, but nothing is written unless every row passes.
    """
    valid = form.validate()
    entries = [entry for entry in form.rows if not entry.errors]
    rows = [
        LevelRow(
            item_id=_int(entry.form.item_id.data),
            minimum=entry.form.minimum.data,
            maximum=entry.form.maximum.data,
        )
        for entry in entries
    ]

    def _show(error: DomainError) -> None:
        if isinstance(error, RowsRefusedError):
            _place_problems(entries, error.problems)
        else:
            attach_error(form, error)

    if not valid:
        _place_problems(entries, reorder_level_problems(levels=rows))
        return None
    return submit(
        form,
        lambda: save_reorder_levels(actor=acting_user(), location_id=location.id, levels=rows),
        _("Reorder levels saved."),
        here,
        show_error=_show,
    )


def _place_problems(entries: list[Any], problems: list[RowProblem]) -> None:
    for problem in problems:
        row = entries[problem.row].form
        target = row._fields.get(problem.field) or row.maximum
        target.errors = [*target.errors, problem.message]


@bp.get("/stock/items/<int:item_id>")
@allow(ALL_ROLES)
def item(item_id: int) -> str:
    """An item, and its stock at every place the user may see, lot by lot, a page at a time."""
    user = acting_user()
    check_ids(item_id)
    found = db.get_or_404(Item, item_id)
    staff = _is_staff(user)
    page_number, per_page = page_args()
    balances = item_balances(
        user,
        found.id,
        locale=current_locale(),
        page=page_number,
        per_page=per_page,
        bookkeeping=staff,
    )
    can_adjust = staff and _endpoint_exists("stock.adjust")
    return render_template(
        "stock/item.html",
        item=found,
        balances=balances,
        card_link=RowLink("stock.card", "location_id", item_id=found.id),
        # Each row adds its place and lot to the query string of this link.
        adjust_link=url_for("stock.adjust", item_id=found.id) if can_adjust else None,
    )


@bp.get("/stock/locations/<int:location_id>/items/<int:item_id>")
@allow(ALL_ROLES)
def card(location_id: int, item_id: int) -> str:
    """The stock card of an item at a place: every movement in or out, with running balances."""
    check_ids(location_id, item_id)
    location = visible_location(acting_user(), location_id)
    found = db.get_or_404(Item, item_id)
    form = CardFilterForm(request.args)
    form.validate_or_default()
    as_of = form.as_of.data
    page_number, per_page = page_args()
    stock = stock_card(
        found.id,
        location.id,
        as_of=as_of,
        page=page_number,
        per_page=per_page,
        locale=current_locale(),
    )
    return render_template(
        "stock/card.html",
        location=location,
        item=found,
        form=form,
        as_of=as_of,
        card=stock,
        recorded=stock.recorded,
        check_negative=location.kind.is_guarded,
        # Translated once, not once per line.
        kind_labels={kind: str(label) for kind, label in TRANSACTION_KIND_LABELS.items()},
        transaction_link=RowLink("stock.transaction", "transaction_id"),
        document_link=_document_link(),
    )


@bp.get("/stock/transactions")
@allow(ALL_ROLES)
def transactions() -> str:
    """Recent stock transactions, newest first, with filters; technicians see their place's."""
    user = acting_user()
    locale = current_locale()
    form = TransactionFilterForm(request.args)
    locations = db.session.scalars(visible_locations_query(user, active_only=False)).all()
    form.location.choices = [SelectChoice("", _("All locations"))] + [
        SelectChoice(str(location.id), location.display_name(locale)) for location in locations
    ]
    form.grant.choices = [SelectChoice("", _("All grants"))] + [
        SelectChoice(str(grant.id), f"{grant.code} · {grant.donor}")
        for grant in db.session.scalars(grants_query())
    ]
    form.validate_or_default()
    filters = TransactionFilters(
        kind=TransactionKind(form.kind.data) if form.kind.data else None,
        location_id=int(form.location.data) if form.location.data else None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        reference=(form.reference.data or "").strip() or None,
        supplier=(form.supplier.data or "").strip() or None,
        item=(form.item.data or "").strip() or None,
        grant_id=int(form.grant.data) if form.grant.data else None,
    )
    page_number, per_page = page_args()
    page = RowPage(
        transactions_query(user, filters),
        page=page_number,
        per_page=per_page,
        convert=transaction_row,
    )
    return render_template(
        "stock/transactions.html", form=form, page=page, kind_labels=TRANSACTION_KIND_LABELS
    )


@bp.get("/stock/transactions/<int:transaction_id>")
@allow(ALL_ROLES)
def transaction(transaction_id: int) -> str:
    """One transaction: its lines, who recorded it when, and its reversal links."""
    check_ids(transaction_id)
    user = acting_user()
    found = visible_transaction(user, transaction_id)
    lines = found.movements
    if user.role is Role.TECHNICIAN:
        lines = [m for m in lines if user.location_id in (m.from_location_id, m.to_location_id)]
    undone = reversed_lines(found)
    staff = _is_staff(user)
    can_reverse = (
        staff
        and found.kind is not TransactionKind.REVERSAL
        and len(undone) < len(found.movements)
        and _endpoint_exists("stock.reverse")
    )
    reversed_receipt = found.reverses if found.kind is TransactionKind.REVERSAL else None
    can_copy = (
        staff
        and _endpoint_exists("stock.receipt_new")
        and (
            found.kind is TransactionKind.RECEIPT
            or (reversed_receipt is not None and reversed_receipt.kind is TransactionKind.RECEIPT)
        )
    )
    return render_template(
        "stock/transaction.html",
        transaction=found,
        lines=lines,
        can_reverse=can_reverse,
        undone=undone,
        copy_link=url_for("stock.receipt_new", copy_of=found.id) if can_copy else None,
        kind_labels=TRANSACTION_KIND_LABELS,
        document_link=_document_link(),
    )
