"""Home page per role, and the language switch."""

from flask import Blueprint, current_app, redirect, render_template, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from hilogistics.auth import services as auth_services
from hilogistics.auth.access import ALL_ROLES, acting_user, allow, public
from hilogistics.auth.labels import ROLE_LABELS
from hilogistics.auth.sessions import safe_next
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.main.forms import LanguageForm
from hilogistics.main.work import home_panels, month_figures

bp = Blueprint("main", __name__)


@bp.get("/")
@allow(ALL_ROLES)
def home() -> str:
    """Today's work for the reader's role (see ``main.work``), and the month's figures."""
    user = acting_user()
    return render_template(
        "main/home.html",
        role_label=ROLE_LABELS[current_user.role],
        panels=home_panels(user),
        figures=month_figures(user),
        month=business_today(),
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
