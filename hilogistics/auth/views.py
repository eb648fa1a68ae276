"""Sign-in, sign-out, own password, and the administrators' account pages."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.auth import services, throttle
from hilogistics.auth.access import ALL_ROLES, acting_user, allow, public
from hilogistics.auth.forms import (
    ChangePasswordForm,
    ConfirmForm,
    CreateUserForm,
    LoginForm,
    ResetPasswordForm,
    UserForm,
)
from hilogistics.auth.labels import ROLE_LABELS
from hilogistics.auth.models import Role, User
from hilogistics.auth.queries import users_query
from hilogistics.auth.sessions import end_session, safe_next, start_session
from hilogistics.auth.throttle import ThrottlePolicy, Verdict
from hilogistics.db import db, utcnow
from hilogistics.forms import attach_error
from hilogistics.history.queries import record_history
from hilogistics.i18n import current_locale
from hilogistics.inputs import page_number
from hilogistics.locations.queries import physical_locations_query
from hilogistics.views_support import submit

bp = Blueprint("auth", __name__)


def _throttle_policy() -> ThrottlePolicy:
    config = current_app.config
    return ThrottlePolicy(
        max_failures=config["LOGIN_MAX_FAILURES"],
        max_failures_per_address=config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
        window=config["LOGIN_FAILURE_WINDOW"],
        lockout=config["LOGIN_LOCKOUT"],
        known_address_ttl=config["LOGIN_KNOWN_ADDRESS_TTL"],
        address_max_delay=config["LOGIN_ADDRESS_MAX_DELAY"],
    )


def _client_address() -> str:
    # The TCP peer, or the client a trusted reverse proxy names (TRUSTED_PROXIES, ProxyFix).
    return request.remote_addr or "unknown"


def _refusal(verdict: Verdict) -> str:
    """Why the throttle refuses, and how long to wait; the same for every username."""
    now = utcnow()
    if verdict.address_wait:
        return ngettext(
            "Too many wrong passwords were sent from your network. "
            "Wait %(num)d second and try again.",
            "Too many wrong passwords were sent from your network. "
            "Wait %(num)d seconds and try again.",
            verdict.retry_seconds(now),
        )
    return ngettext(
        "Too many wrong passwords for this account. Try again in %(num)d minute, "
        "or ask an administrator to set a new password.",
        "Too many wrong passwords for this account. Try again in %(num)d minutes, "
        "or ask an administrator to set a new password.",
        verdict.retry_minutes(now),
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
            address=_client_address(),
            policy=_throttle_policy(),
        )
        db.session.commit()
        if result.user is not None:
            start_session(result.user)
            flash(_("Welcome, %(name)s.", name=result.user.display_name), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
        if result.locked:
            error = _refusal(result.verdict)
            status = 429
        else:
            error = _("The username or password is not correct.")
    if error is not None:
        form.form_errors.append(error)  # summed up at the top of the page, like other errors
    return render_template("auth/login.html", form=form), status


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
    valid = form.validate_on_submit()
    # The current password is checked whatever else is wrong: every problem in one pass.
    checked = form.is_submitted() and bool(form.current_password.data)
    if checked and not form.current_password.errors and not _current_password_ok(form):
        valid = False
    if valid:
        response = submit(
            form,
            lambda: services.change_own_password(
                actor=acting_user(),
                current_password=form.current_password.data,
                new_password=form.new_password.data,
            ),
            _("Your password has been changed. Other sessions were signed out."),
            url_for("main.home"),
            # This session goes on under the new version.
            after_commit=lambda _result: start_session(acting_user()),
        )
        if response is not None:
            return response
    return render_template("auth/password.html", form=form)


def _current_password_ok(form: ChangePasswordForm) -> bool:
    """Check the current password under the sign-in throttle; False with the error on the form."""
    check = services.verify_current_password(
        actor=acting_user(),
        password=form.current_password.data,
        address=_client_address(),
        policy=_throttle_policy(),
    )
    db.session.commit()  # a wrong guess counts even though nothing else is saved
    if check.correct:
        return True
    if check.verdict.allowed:
        message = _("The current password is not correct.")
    else:
        message = _refusal(check.verdict)
    form.current_password.errors = [*form.current_password.errors, message]
    return False


def _lock_minutes(user: User) -> int | None:
    """Minutes left on the user's sign-in lock (for the administrator), or None."""
    now = utcnow()
    until = throttle.locked_until(user.username, now)
    return Verdict(allowed=False, retry_at=until).retry_minutes(now) if until else None


def _fill_choices(form: UserForm) -> None:
    locations = db.session.scalars(physical_locations_query()).all()
    form.location_id.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(str(location.id), location.display_name(current_locale()))
        for location in locations
    ]
    form.locale.choices = [SelectChoice("", _("— browser default —"))] + [
        SelectChoice(code, name) for code, name in current_app.config["LANGUAGES"].items()
    ]


def _account_form_valid(form: UserForm) -> bool:
    """The form's own checks and the service's rules together, every problem in one pass."""
    valid = form.validate_on_submit()
    if not form.is_submitted():
        return False

    def unless_refused(name: str) -> object:
        field = form._fields.get(name)
        return None if field is None or field.errors else field.data

    role = unless_refused("role")
    location_fine = not form.location_id.errors
    for problem in services.account_problems(
        username=unless_refused("username"),  # type: ignore[arg-type]
        display_name=unless_refused("display_name"),  # type: ignore[arg-type]
        password=unless_refused("password"),  # type: ignore[arg-type]
        role=Role(role) if role and location_fine else None,
        location_id=form.location_id.data,
    ):
        attach_error(form, problem)
        valid = False
    return valid


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
    if _account_form_valid(form):
        response = submit(
            form,
            lambda: services.create_user(
                actor=acting_user(),
                username=form.username.data,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                password=form.password.data,
                location_id=form.location_id.data,
                locale=form.locale.data,
            ),
            lambda user: _("Account %(name)s created.", name=user.username),
            url_for("auth.users"),
        )
        if response is not None:
            return response
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
    if _account_form_valid(form):
        response = submit(
            form,
            lambda: services.update_user(
                actor=acting_user(),
                user=user,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                location_id=form.location_id.data,
                locale=form.locale.data,
            ),
            lambda saved: _("Account %(name)s saved.", name=saved.username),
            url_for("auth.users"),
        )
        if response is not None:
            return response
    return render_template(
        "auth/user_form.html",
        form=form,
        user=user,
        reset_form=ResetPasswordForm(),
        confirm_form=ConfirmForm(),
        lock_minutes=_lock_minutes(user),
        history=record_history("account", user.id, page=page_number()),
    )


@bp.post("/users/<int:user_id>/password")
@allow(Role.ADMIN)
def user_password(user_id: int) -> Response | str:
    """Set a new password for an account and sign it out everywhere."""
    user = db.get_or_404(User, user_id)
    reset_form = ResetPasswordForm()
    if reset_form.validate_on_submit():
        response = submit(
            reset_form,
            lambda: services.reset_password(
                actor=acting_user(), user=user, new_password=reset_form.new_password.data
            ),
            lambda _result: _("New password set for %(name)s.", name=user.username),
            url_for("auth.user_edit", user_id=user.id),
        )
        if response is not None:
            return response
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
        lock_minutes=_lock_minutes(user),
        history=record_history("account", user.id, page=page_number()),
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
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.set_active(actor=acting_user(), user=user, active=active),
            lambda _result: (
                _("Account %(name)s reactivated.", name=user.username)
                if active
                else _("Account %(name)s deactivated.", name=user.username)
            ),
            url_for("auth.users"),
            # Not about a field: the page's error summary shows it above the question.
            show_error=lambda error: form.form_errors.append(error.message),
        )
        if response is not None:
            return response
    return render_template(
        "auth/user_confirm.html",
        form=form,
        user=user,
        active=active,
    )
