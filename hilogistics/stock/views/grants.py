"""Grant administration: the donors' grants that receipts and lots carry."""

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hilogistics.auth.access import acting_user, allow
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.history.queries import record_history
from hilogistics.inputs import page_number
from hilogistics.stock.forms_grants import GrantForm
from hilogistics.stock.models import Grant
from hilogistics.stock.queries.grants import grants_query, lot_counts
from hilogistics.stock.services import save_grant
from hilogistics.stock.views.blueprint import bp
from hilogistics.views_support import submit


@bp.get("/grants")
# Viewers (programme managers, donor reporting) read the grants; logistics and admins change them.
@allow(Role.ADMIN, Role.LOGISTICS, Role.VIEWER)
def grants() -> str:
    """List grants with search and pages, and how many lots each paid for."""
    search = request.args.get("q", "").strip()[:100]
    page = db.paginate(
        grants_query(search),
        page=page_number(),
        per_page=current_app.config["PER_PAGE"],
        max_per_page=200,
    )
    counts = lot_counts([grant.id for grant in page.items])
    return render_template(
        "stock/grants.html",
        page=page,
        search=search,
        lot_counts=counts,
        can_edit=acting_user().role in (Role.ADMIN, Role.LOGISTICS),
    )


@bp.route("/grants/new", methods=["GET", "POST"])
@allow(Role.ADMIN, Role.LOGISTICS)
def grant_new() -> Response | str:
    """Record a new grant."""
    form = GrantForm()
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: save_grant(
                actor=acting_user(),
                code=form.code.data,
                donor=form.donor.data,
                title=form.title.data,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                is_active=form.is_active.data,
            ),
            lambda grant: _("Grant %(code)s added.", code=grant.code),
            url_for("stock.grants"),
        )
        if response is not None:
            return response
    return render_template("stock/grants_form.html", form=form, grant=None)


@bp.route("/grants/<int:grant_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN, Role.LOGISTICS)
def grant_edit(grant_id: int) -> Response | str:
    """Edit a grant's donor, code, title, period or status; its lots keep pointing to it."""
    grant = db.get_or_404(Grant, grant_id)
    form = GrantForm(obj=grant if request.method == "GET" else None)
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: save_grant(
                actor=acting_user(),
                grant=grant,
                code=form.code.data,
                donor=form.donor.data,
                title=form.title.data,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                is_active=form.is_active.data,
            ),
            lambda saved: _("Grant %(code)s saved.", code=saved.code),
            url_for("stock.grants"),
        )
        if response is not None:
            return response
    return render_template(
        "stock/grants_form.html",
        form=form,
        grant=grant,
        history=record_history("grant", grant.id, page=page_number()),
    )
