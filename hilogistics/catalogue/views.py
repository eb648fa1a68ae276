"""Catalogue administration views: items (with export and import), categories, units."""

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.auth.access import acting_user, allow
from hilogistics.auth.models import Role
from hilogistics.catalogue import importing, queries, services
from hilogistics.catalogue.forms import (
    FAMILIES_LIST_ID,
    CategoryForm,
    ConfirmImportForm,
    ImportItemsForm,
    ItemFilterForm,
    ItemForm,
    UnitForm,
)
from hilogistics.catalogue.labels import KIND_LABELS
from hilogistics.catalogue.models import Category, Item, ItemKind, Unit
from hilogistics.db import db
from hilogistics.errors import DomainError
from hilogistics.exports import download
from hilogistics.forms import attach_error
from hilogistics.history.queries import record_history
from hilogistics.i18n import current_locale
from hilogistics.inputs import page_number
from hilogistics.views_support import submit

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")

EXPORT_COLUMNS = list(importing.COLUMNS)


def _category_choices(empty_label: str) -> list[SelectChoice]:
    categories = queries.category_tree(db.session.scalars(queries.categories_query()).all())
    locale = current_locale()
    return [SelectChoice("", empty_label)] + [
        SelectChoice(str(category.id), category.display_name(locale)) for category in categories
    ]


def _families() -> list[str]:
    return list(db.session.scalars(queries.families_query()))


# Items ------------------------------------------------------------------------------------------


def _item_filters() -> tuple[ItemFilterForm, queries.ItemFilters]:
    form = ItemFilterForm(formdata=request.args)
    form.category.choices = _category_choices(_("All categories"))
    form.validate()
    # A value that does not fit (an old bookmark, a hand-edited address) filters nothing;
    # its field shows why.
    valid = {name: data for name, data in form.data.items() if not form[name].errors}
    status = valid.get("status")
    category_id = valid.get("category")
    filters = queries.ItemFilters(
        search=(valid.get("q") or "")[:100],
        category_id=category_id if isinstance(category_id, int) else None,
        family=(valid.get("family") or "")[:64],
        status=queries.ItemStatus(status if status in set(queries.ItemStatus) else ""),
    )
    return form, filters


def _can_edit() -> bool:
    """Whether the catalogue pages offer their edit links: administrators only."""
    return acting_user().role is Role.ADMIN


@bp.get("/items")
# Logistics key codes from it and viewers read everything: both read, only admins change.
@allow(Role.ADMIN, Role.LOGISTICS, Role.VIEWER)
def items() -> str:
    """List items with search, filters and pages; links to edit, export and import."""
    form, filters = _item_filters()
    page = db.paginate(
        queries.items_query(filters),
        page=page_number(),
        per_page=current_app.config["PER_PAGE"],
        max_per_page=200,
    )
    export_args = {
        k: v for k, v in request.args.items() if k in ("q", "category", "family", "status")
    }
    return render_template(
        "catalogue/items.html",
        page=page,
        form=form,
        filtered=filters != queries.ItemFilters(),
        families=_families(),
        families_list_id=FAMILIES_LIST_ID,
        kind_labels=KIND_LABELS,
        export_args=export_args,
        can_edit=_can_edit(),
    )


def item_summary(item: Item, locale: str) -> str:
    """One sentence for a code input: the item's name, unit, pack size and what it needs."""
    parts = [
        f"{item.display_name(locale)}.",
        _("Unit: %(unit)s", unit=item.unit.display_name(locale)) + ".",
        _("Pack size: %(n)d", n=item.pack_size) + ".",
    ]
    if item.tracks_expiry:
        parts.append(_("Needs an expiry date."))
    if item.tracks_serial:
        parts.append(_("Needs one serial number per unit."))
    return " ".join(parts)


@bp.get("/lookup")
# The code inputs of every stock form ask it as a code is typed (technicians' distributions too);
# readers may look codes up as well. It answers catalogue facts only, nothing of any place.
@allow(Role.ADMIN, Role.LOGISTICS, Role.VIEWER, Role.TECHNICIAN)
def lookup() -> Response:
    """JSON: up to ten active items whose code starts with ``q`` or whose name contains it."""
    search = (request.args.get("q") or "").strip()[: queries.LOOKUP_MAX_TEXT]
    locale = current_locale()
    found = queries.lookup_items(search, locale)
    items = [
        {
            "code": item.code,
            "name": item.display_name(locale),
            "unit": item.unit.display_name(locale),
            "pack_size": item.pack_size,
            "tracks_expiry": item.tracks_expiry,
            "tracks_serial": item.tracks_serial,
            "summary": item_summary(item, locale),
        }
        for item in found
    ]
    exact = next((entry for entry in items if entry["code"].upper() == search.upper()), None)
    return jsonify({"q": search, "items": items, "exact": exact})


def _fill_item_choices(form: ItemForm) -> None:
    form.category_id.choices = _category_choices(_("— choose —"))
    locale = current_locale()
    units = db.session.scalars(queries.units_query()).all()
    form.unit_id.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(str(unit.id), _unit_label(unit, locale)) for unit in units
    ]


def _unit_label(unit: Unit, locale: str) -> str:
    name = unit.display_name(locale)
    return name if name == unit.code else f"{name} ({unit.code})"


def _item_fields(form: ItemForm) -> dict[str, object]:
    return {
        "code": form.code.data or "",
        "name": form.name.data or "",
        "name_ko": form.name_ko.data or "",
        "name_fr": form.name_fr.data,
        "category_id": form.category_id.data,
        "unit_id": form.unit_id.data,
        "pack_size": form.pack_size.data,
        "kind": ItemKind(form.kind.data),
        "tracks_expiry": form.tracks_expiry.data,
        "tracks_serial": form.tracks_serial.data,
        "family": form.family.data,
        "is_active": form.is_active.data,
    }


def _render_item_form(form: ItemForm, item: Item | None, *, locked: bool = False) -> str:
    return render_template(
        "catalogue/item_form.html",
        form=form,
        item=item,
        locked=locked,
        families=_families(),
        families_list_id=FAMILIES_LIST_ID,
        history=record_history("item", item.id, page=page_number()) if item else None,
    )


@bp.route("/items/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def item_new() -> Response | str:
    """Add an item to the catalogue."""
    form = ItemForm()
    _fill_item_choices(form)
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.create_item(actor=acting_user(), **_item_fields(form)),  # type: ignore[arg-type]
            lambda saved: _("Item %(code)s created.", code=saved.code),
            url_for("catalogue.items"),
        )
        if response is not None:
            return response
    return _render_item_form(form, None)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN)
def item_edit(item_id: int) -> Response | str:
    """Edit an item; unit, serial and expiry tracking are fixed once it has stock movements."""
    item = db.get_or_404(Item, item_id)
    form = ItemForm(obj=item if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = item.kind.value
    _fill_item_choices(form)
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.update_item(actor=acting_user(), item=item, **_item_fields(form)),  # type: ignore[arg-type]
            lambda saved: _("Item %(code)s saved.", code=saved.code),
            url_for("catalogue.items"),
        )
        if response is not None:
            return response
    return _render_item_form(form, item, locked=services.item_has_movements(item))


@bp.get("/items/export")
# Logistics key codes from it and viewers read everything: both read, only admins change.
@allow(Role.ADMIN, Role.LOGISTICS, Role.VIEWER)
def items_export() -> Response:
    """Download the items matching the list's filters as CSV or XLSX (same columns as import)."""
    _form, filters = _item_filters()
    items = db.session.scalars(queries.items_query(filters))
    rows = (
        [
            item.code,
            item.name,
            item.name_ko,
            item.name_fr,
            item.category.code,
            item.unit.code,
            item.pack_size,
            item.kind.value,
            item.tracks_expiry,
            item.tracks_serial,
            item.family,
            item.is_active,
        ]
        for item in items
    )
    fmt = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    return download(fmt, "items", EXPORT_COLUMNS, rows)


def _uploads() -> Path:
    return Path(current_app.instance_path) / "imports"


def _render_preview(plan: importing.ImportPlan, token: str | None) -> str:
    return render_template(
        "catalogue/import_preview.html",
        plan=plan,
        token=token,
        form=ImportItemsForm(formdata=None),
        confirm_form=ConfirmImportForm(formdata=None),
        actions=importing.RowAction,
    )


@bp.route("/items/import", methods=["GET", "POST"])
@allow(Role.ADMIN)
def items_import() -> str:
    """Upload a CSV or XLSX file and preview what importing it would do; nothing is written."""
    form = ImportItemsForm()
    if form.validate_on_submit():
        upload = form.file.data
        filename = upload.filename or ""
        data = upload.read()
        try:
            plan = importing.plan_item_import(actor=acting_user(), data=data, filename=filename)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.rollback()  # a preview never writes
            token = None
            if not plan.problems:
                extension = importing.file_extension(filename) or "csv"
                token = importing.store_upload(_uploads(), data, extension)
            return _render_preview(plan, token)
    return render_template("catalogue/import.html", form=form)


@bp.post("/items/import/<token>")
@allow(Role.ADMIN)
def items_import_confirm(token: str) -> Response | str:
    """Apply a previewed import: all rows in one transaction, or nothing if any row is bad."""
    if not importing.TOKEN_PATTERN.fullmatch(token):
        abort(404)
    claimed = importing.claim_upload(_uploads(), token)
    if claimed is None:
        flash(_("That import is no longer waiting. Upload the file again."), "warning")
        return redirect(url_for("catalogue.items_import"))
    data, filename = claimed
    form = ImportItemsForm(formdata=None)
    rejected: list[importing.ImportRejectedError] = []

    def _show(error: DomainError) -> None:
        if isinstance(error, importing.ImportRejectedError):
            flash(error.message, "error")
            rejected.append(error)  # the preview again, with every row's problems
        else:
            attach_error(form, error)

    response = submit(
        form,
        lambda: importing.import_items(actor=acting_user(), data=data, filename=filename),
        lambda plan: _("Import done: %(summary)s.", summary=plan.summary()),
        url_for("catalogue.items"),
        show_error=_show,
    )
    if response is not None:
        return response
    if rejected:
        return _render_preview(rejected[0].plan, None)
    return render_template("catalogue/import.html", form=form)


# Categories -------------------------------------------------------------------------------------


@bp.get("/categories")
# Logistics key codes from it and viewers read everything: both read, only admins change.
@allow(Role.ADMIN, Role.LOGISTICS, Role.VIEWER)
def categories() -> str:
    """The category tree, with the number of items in each category."""
    tree = queries.category_tree(db.session.scalars(queries.categories_query()).all())
    counts = queries.item_counts_by_category()
    totals = dict(counts)
    for category in tree:
        if category.parent_id is not None:
            totals[category.parent_id] = totals.get(category.parent_id, 0) + counts.get(
                category.id, 0
            )
    return render_template(
        "catalogue/categories.html", tree=tree, counts=counts, totals=totals, can_edit=_can_edit()
    )


def _fill_parent_choices(form: CategoryForm, category: Category | None) -> None:
    locale = current_locale()
    parents = db.session.scalars(queries.top_level_categories_query()).all()
    form.parent_id.choices = [SelectChoice("", _("— none (top level) —"))] + [
        SelectChoice(str(parent.id), parent.display_name(locale))
        for parent in parents
        if category is None or parent.id != category.id
    ]


def _category_fields(form: CategoryForm) -> dict[str, object]:
    return {
        "code": form.code.data or "",
        "name": form.name.data or "",
        "name_ko": form.name_ko.data or "",
        "name_fr": form.name_fr.data,
        "parent_id": form.parent_id.data,
        "sort_order": form.sort_order.data or 0,
    }


@bp.route("/categories/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def category_new() -> Response | str:
    """Add a category."""
    form = CategoryForm()
    _fill_parent_choices(form, None)
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.create_category(actor=acting_user(), **_category_fields(form)),  # type: ignore[arg-type]
            lambda saved: _("Category %(code)s created.", code=saved.code),
            url_for("catalogue.categories"),
        )
        if response is not None:
            return response
    return render_template("catalogue/category_form.html", form=form, category=None)


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN)
def category_edit(category_id: int) -> Response | str:
    """Edit a category: names, code, parent, position."""
    category = db.get_or_404(Category, category_id)
    form = CategoryForm(obj=category if request.method == "GET" else None)
    _fill_parent_choices(form, category)
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.update_category(
                actor=acting_user(),
                category=category,
                **_category_fields(form),  # type: ignore[arg-type]
            ),
            lambda saved: _("Category %(code)s saved.", code=saved.code),
            url_for("catalogue.categories"),
        )
        if response is not None:
            return response
    return render_template(
        "catalogue/category_form.html",
        form=form,
        category=category,
        history=record_history("category", category.id, page=page_number()),
    )


# Units of issue ---------------------------------------------------------------------------------


@bp.get("/units")
# Logistics key codes from it and viewers read everything: both read, only admins change.
@allow(Role.ADMIN, Role.LOGISTICS, Role.VIEWER)
def units() -> str:
    """Units of issue, with the number of items counted in each."""
    return render_template(
        "catalogue/units.html",
        units=db.session.scalars(queries.units_query()).all(),
        counts=queries.item_counts_by_unit(),
        can_edit=_can_edit(),
    )


def _unit_fields(form: UnitForm) -> dict[str, object]:
    return {
        "code": form.code.data or "",
        "name": form.name.data or "",
        "name_ko": form.name_ko.data or "",
        "name_fr": form.name_fr.data,
    }


@bp.route("/units/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def unit_new() -> Response | str:
    """Add a unit of issue."""
    form = UnitForm()
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.create_unit(actor=acting_user(), **_unit_fields(form)),  # type: ignore[arg-type]
            lambda saved: _("Unit %(code)s created.", code=saved.code),
            url_for("catalogue.units"),
        )
        if response is not None:
            return response
    return render_template("catalogue/unit_form.html", form=form, unit=None)


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN)
def unit_edit(unit_id: int) -> Response | str:
    """Rename a unit of issue."""
    unit = db.get_or_404(Unit, unit_id)
    form = UnitForm(obj=unit if request.method == "GET" else None)
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.update_unit(actor=acting_user(), unit=unit, **_unit_fields(form)),  # type: ignore[arg-type]
            lambda saved: _("Unit %(code)s saved.", code=saved.code),
            url_for("catalogue.units"),
        )
        if response is not None:
            return response
    return render_template(
        "catalogue/unit_form.html",
        form=form,
        unit=unit,
        history=record_history("unit", unit.id, page=page_number()),
    )
