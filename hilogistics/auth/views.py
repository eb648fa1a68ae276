"""Sign-in, sign-out, own password, and the administrators' account pages."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.auth import services
from hilogistics.auth.access import ALL_ROLES, acting_user, allow, public
from hilogistics.auth.forms import (
    ROLE_LABELS,
    ChangePasswordForm,
    ConfirmForm,
    CreateUserForm,
    LoginForm,
    ResetPasswordForm,
    UserForm,
)
from hilogistics.auth.models import Role, User
from hilogistics.auth.queries import users_query
from hilogistics.auth.sessions import end_session, safe_next, start_session
from hilogistics.db import db
from hilogistics.errors import DomainError
from hilogistics.forms import attach_error
from hilogistics.i18n import current_locale
from hilogistics.inputs import page_number
from hilogistics.locations.queries import physical_locations_query

bp = Blueprint("auth", __name__)


def _throttle_policy() -> services.ThrottlePolicy:
    config = current_app.config
    return services.ThrottlePolicy(
        max_failures=config["LOGIN_MAX_FAILURES"],
        max_failures_per_address=config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
        window=config["LOGIN_FAILURE_WINDOW"],
        lockout=config["LOGIN_LOCKOUT"],
    )


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str | tuple[str, int]:
    """Show the sign-in form and sign the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        result = services.authenticate(
            username=form.username.data,
            password=form.password.data,
            address=request.remote_addr or "unknown",
            policy=_throttle_policy(),
        )
        db.session.commit()
        if result.user is not None:
            start_session(result.user)
            flash(_("Welcome, %(name)s.", name=result.user.display_name), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
        if result.locked:
            error = _("Too many failed attempts. Wait 15 minutes and try again.")
            status = 429
        else:
            error = _("The username or password is not correct.")
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@allow(ALL_ROLES)
def logout() -> Response:
    """Sign out here and on every other computer where this account is signed in."""
    services.end_sessions(acting_user())
    db.session.commit()
    end_session()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@allow(ALL_ROLES)
def password() -> Response | str:
    """Change one's own password; other sessions of the account end."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_own_password(
                actor=acting_user(),
                current_password=form.current_password.data,
                new_password=form.new_password.data,
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            start_session(acting_user())  # this session goes on under the new version
            flash(_("Your password has been changed. Other sessions were signed out."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form)


def _fill_choices(form: UserForm) -> None:
    locations = db.session.scalars(physical_locations_query()).all()
    form.location_id.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(str(location.id), location.display_name(current_locale()))
        for location in locations
    ]
    form.locale.choices = [SelectChoice("", _("— browser default —"))] + [
        SelectChoice(code, name) for code, name in current_app.config["LANGUAGES"].items()
    ]


@bp.get("/users")
@allow(Role.ADMIN)
def users() -> str:
    """List accounts, with search and pages."""
    search = request.args.get("q", "").strip()[:100]
    page = db.paginate(
        users_query(search),
        page=page_number(),
        per_page=current_app.config["PER_PAGE"],
        max_per_page=200,
    )
    return render_template("auth/users.html", page=page, search=search, role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def user_new() -> Response | str:
    """Create an account."""
    form = CreateUserForm()
    _fill_choices(form)
    if form.validate_on_submit():
        try:
            user = services.create_user(
                actor=acting_user(),
                username=form.username.data,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                password=form.password.data,
                location_id=form.location_id.data,
                locale=form.locale.data,
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN)
def user_edit(user_id: int) -> Response | str:
    """Edit an account's name, role, location and language."""
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.role.data = user.role.value
        form.locale.data = user.locale or ""
    _fill_choices(form)
    if form.validate_on_submit():
        try:
            services.update_user(
                actor=acting_user(),
                user=user,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                location_id=form.location_id.data,
                locale=form.locale.data,
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Account %(name)s saved.", name=user.username), "success")
            return redirect(url_for("auth.users"))
    return render_template(
        "auth/user_form.html",
        form=form,
        user=user,
        reset_form=ResetPasswordForm(),
        confirm_form=ConfirmForm(),
    )


@bp.post("/users/<int:user_id>/password")
@allow(Role.ADMIN)
def user_password(user_id: int) -> Response | str:
    """Set a new password for an account and sign it out everywhere."""
    user = db.get_or_404(User, user_id)
    reset_form = ResetPasswordForm()
    if reset_form.validate_on_submit():
        try:
            services.reset_password(
                actor=acting_user(), user=user, new_password=reset_form.new_password.data
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(reset_form, error)
        else:
            db.session.commit()
            flash(_("New password set for %(name)s.", name=user.username), "success")
            return redirect(url_for("auth.user_edit", user_id=user.id))
    form = UserForm(obj=user)
    form.role.data = user.role.value
    form.locale.data = user.locale or ""
    _fill_choices(form)
    return render_template(
        "auth/user_form.html",
        form=form,
        user=user,
        reset_form=reset_form,
        confirm_form=ConfirmForm(),
    )


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@allow(Role.ADMIN)
def user_deactivate(user_id: int) -> Response | str:
    """Ask, then deactivate an account: it can no longer sign in and its sessions end."""
    return _set_active(user_id, active=False)


@bp.route("/users/<int:user_id>/activate", methods=["GET", "POST"])
@allow(Role.ADMIN)
def user_activate(user_id: int) -> Response | str:
    """Ask, then reactivate an account."""
    return _set_active(user_id, active=True)


def _set_active(user_id: int, *, active: bool) -> Response | str:
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            services.set_active(actor=acting_user(), user=user, active=active)
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
            if active:
                flash(_("Account %(name)s reactivated.", name=user.username), "success")
            else:
                flash(_("Account %(name)s deactivated.", name=user.username), "success")
            return redirect(url_for("auth.users"))
    return render_template(
        "auth/user_confirm.html", form=form, user=user, active=active, error=error
    )
