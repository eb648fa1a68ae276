"""Home page per role, and the language switch."""

from flask import Blueprint, current_app, redirect, render_template, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from hilogistics.auth import services as auth_services
from hilogistics.auth.access import ALL_ROLES, acting_user, allow, public
from hilogistics.auth.labels import ROLE_LABELS
from hilogistics.auth.models import Role
from hilogistics.auth.sessions import safe_next
from hilogistics.db import db
from hilogistics.main.forms import LanguageForm
from hilogistics.shipments.queries import awaiting_receipt_query

bp = Blueprint("main", __name__)
# The home page lists this many shipments awaiting receipt; the shipments list has the rest.
AWAITING_SHOWN = 20


@bp.get("/")
@allow(ALL_ROLES)
def home() -> str:
    """Who you are and where to go from here; a technician's shipments awaiting receipt."""
    user = acting_user()
    awaiting = []
    if user.role is Role.TECHNICIAN and user.location_id is not None:
        awaiting = list(
            db.session.scalars(awaiting_receipt_query(user.location_id).limit(AWAITING_SHOWN))
        )
    return render_template(
        "main/home.html", role_label=ROLE_LABELS[current_user.role], awaiting=awaiting
    )


@bp.post("/language")
@public
def language() -> Response:
    """Switch the interface language; remembered on the account when signed in."""
    form = LanguageForm()
    target = safe_next(form.next.data) or url_for("main.home")
    if form.validate_on_submit() and form.locale.data in current_app.config["LANGUAGES"]:
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            auth_services.set_preferred_locale(actor=acting_user(), locale=form.locale.data)
            db.session.commit()
    return redirect(target)
