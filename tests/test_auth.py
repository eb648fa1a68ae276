"""Sign-in, throttling, session versions and timeouts, passwords, and account administration."""

import time
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hilogistics.actors import SYSTEM
from hilogistics.auth import services
from hilogistics.auth.models import LoginThrottle, Role, User
from hilogistics.db import db, utcnow
from hilogistics.errors import DomainError, PermissionDeniedError
from tests.conftest import sign_in
from tests.factories import PASSWORD, make_location

GENERIC_ERROR = "The username or password is not correct."


def post_login(client: FlaskClient, username: str, password: str, **kwargs: object):
    return client.post("/login", data={"username": username, "password": password}, **kwargs)


def test_login_with_correct_password_opens_the_home_page(client, make_user) -> None:
    user = make_user(Role.LOGISTICS, display_name="Kim Chol")
    response = post_login(client, user.username.upper(), PASSWORD, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Welcome, Kim Chol" in body and "Logistics staff" in body


def test_unknown_user_and_wrong_password_get_the_same_answer(client, make_user) -> None:
    user = make_user(Role.VIEWER)
    wrong = post_login(client, user.username, "not the password")
    unknown = post_login(client, "nobody-here", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    assert GENERIC_ERROR in wrong.get_data(as_text=True)
    assert GENERIC_ERROR in unknown.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_deactivated_user_cannot_sign_in(client, make_user) -> None:
    user = make_user(Role.VIEWER, is_active=False)
    response = post_login(client, user.username, PASSWORD)
    assert GENERIC_ERROR in response.get_data(as_text=True)


def test_repeated_failures_lock_the_username_even_for_the_right_password(
    client, make_user, app
) -> None:
    user = make_user(Role.VIEWER)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        post_login(client, user.username, "wrong password")
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 429
    body = response.get_data(as_text=True)
    assert "Too many wrong passwords for this account. Try again in 15 minutes" in body
    assert "ask an administrator to set a new password" in body
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_unknown_usernames_lock_the_same_way(client, app) -> None:
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        post_login(client, "ghost", "wrong password")
    assert post_login(client, "ghost", "wrong password").status_code == 429


def test_the_lock_is_kept_in_the_database_for_every_worker(app: Flask, make_user) -> None:
    user = make_user(Role.VIEWER)
    policy = services.ThrottlePolicy(3, 100, timedelta(minutes=15), timedelta(minutes=15))
    for _ in range(3):
        services.authenticate(
            username=user.username, password="bad", address="10.0.0.1", policy=policy
        )
        db.session.commit()
    row = db.session.get(LoginThrottle, f"user:{user.username}")
    assert row is not None and row.locked_until > utcnow()
    later = utcnow() + timedelta(minutes=16)
    result = services.authenticate(
        username=user.username, password=PASSWORD, address="10.0.0.1", policy=policy, now=later
    )
    assert result.user is not None and result.user.id == user.id


def test_many_addresses_failing_lock_only_by_address(app: Flask) -> None:
    policy = services.ThrottlePolicy(100, 4, timedelta(minutes=15), timedelta(minutes=15))
    results = [
        services.authenticate(username=f"u{i}", password="bad", address="10.9.9.9", policy=policy)
        for i in range(4)
    ]
    db.session.commit()
    assert results[-1].locked
    assert not services.authenticate(
        username="u9", password="bad", address="10.1.1.1", policy=policy
    ).locked


def test_login_starts_a_new_session_and_keeps_no_anonymous_data(client, make_user) -> None:
    user = make_user(Role.VIEWER)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    post_login(client, user.username, PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == f"{user.id}.{user.session_version}"


def test_login_redirects_only_to_local_pages(client, make_user) -> None:
    user = make_user(Role.VIEWER)
    response = client.post(
        "/login?next=//evil.example/x", data={"username": user.username, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post(
        "/login?next=/account/password", data={"username": user.username, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/account/password"


def test_anonymous_visitor_is_sent_to_login(client) -> None:
    response = client.get("/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/users")


def test_logout_ends_every_session_of_the_user(app: Flask, make_user) -> None:
    user = make_user(Role.VIEWER)
    laptop, office = app.test_client(), app.test_client()
    sign_in(laptop, user)
    sign_in(office, user)
    assert office.get("/").status_code == 200
    laptop.post("/logout")
    assert laptop.get("/").status_code == 302
    assert office.get("/").status_code == 302


def test_password_change_ends_other_sessions_but_not_this_one(app: Flask, make_user) -> None:
    user = make_user(Role.VIEWER)
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, user)
    sign_in(elsewhere, user)
    response = here.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a new passphrase",
            "confirm": "a new passphrase",
        },
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert post_login(app.test_client(), user.username, "a new passphrase").status_code == 302


def test_password_change_needs_the_current_password(client, login_as) -> None:
    login_as(Role.VIEWER)
    response = client.post(
        "/account/password",
        data={
            "current_password": "wrong",
            "new_password": "a new passphrase",
            "confirm": "a new passphrase",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The current password is not correct." in body
    assert 'aria-invalid="true"' in body and 'aria-describedby="current_password-error"' in body


def test_password_change_refuses_short_and_mismatched_passwords(client, login_as) -> None:
    login_as(Role.VIEWER)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "short", "confirm": "other"},
    )
    body = response.get_data(as_text=True)
    assert "at least 8 characters" in body
    assert "The two passwords differ." in body


def test_long_passwords_are_not_truncated(app: Flask, make_user) -> None:
    long_password = "x" * 200 + "A"
    user = make_user(Role.VIEWER)
    services.reset_password(actor=SYSTEM, user=user, new_password=long_password)
    db.session.commit()
    assert user.check_password(long_password)
    assert not user.check_password("x" * 200 + "B")
    assert user.password_hash.startswith("scrypt:")


def test_idle_session_times_out(client, login_as, app: Flask) -> None:
    login_as(Role.VIEWER)
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - app.config["SESSION_IDLE_TIMEOUT"].total_seconds() - 5
    assert client.get("/").status_code == 302


def test_the_cookie_is_signed_again_only_when_the_session_changes(
    client, make_user, app: Flask
) -> None:
    user = make_user(Role.VIEWER)
    post_login(client, user.username, PASSWORD)  # a real sign-in: a permanent session
    client.get("/")  # the first page may keep a CSRF secret in the session
    assert "Set-Cookie" not in client.get("/").headers  # nothing changed: nothing re-signed
    # A minute on, the idle stamp moves, and the cookie (its signature's age too) with it.
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 61
    before = time.time()
    response = client.get("/")
    assert response.status_code == 200
    assert "hilo_session=" in response.headers["Set-Cookie"]
    with client.session_transaction() as session:
        assert session["seen_at"] >= before
    # Still timed out from the idle stamp; signing out still rewrites the cookie without the user.
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - app.config["SESSION_IDLE_TIMEOUT"].total_seconds() - 5
    assert client.get("/").status_code == 302
    post_login(client, user.username, PASSWORD)
    assert client.get("/").status_code == 200
    assert "hilo_session=" in client.post("/logout").headers["Set-Cookie"]
    with client.session_transaction() as session:
        assert "_user_id" not in session and "seen_at" not in session
    assert client.get("/").status_code == 302


def test_absolute_session_timeout_applies_even_when_active(client, login_as, app: Flask) -> None:
    login_as(Role.VIEWER)
    with client.session_transaction() as session:
        session["auth_at"] = (
            time.time() - app.config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds() - 5
        )
    assert client.get("/").status_code == 302


def test_admin_creates_a_technician_bound_to_a_location(client, login_as) -> None:
    login_as(Role.ADMIN)
    centre = make_location(name="Hamhung Orthopaedic Centre")
    db.session.commit()
    response = client.post(
        "/users/new",
        data={
            "username": "Ri.Yong",
            "display_name": "Ri Yong Nam",
            "role": "technician",
            "location_id": str(centre.id),
            "locale": "ko_KP",
            "password": "first passphrase",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "ri.yong"))
    assert user.role is Role.TECHNICIAN and user.location_id == centre.id and user.locale == "ko_KP"


def test_the_new_account_form_preselects_no_role_and_refuses_none(client, login_as) -> None:
    login_as(Role.ADMIN)
    page = client.get("/users/new").get_data(as_text=True)
    start = page.index('name="role"')
    role_select = page[start : page.index("</select>", start)]
    # A browser shows the first option when none is selected: it must be the empty one.
    first_option = role_select[role_select.index("<option") : role_select.index("</option>")]
    assert 'value=""' in first_option
    assert "selected" not in role_select.replace('selected value=""', "")
    response = client.post(
        "/users/new",
        data={
            "username": "norole",
            "display_name": "N",
            "role": "",
            "password": "first passphrase",
        },
    )
    assert response.status_code == 200
    assert "Choose a role." in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "norole")) is None


def test_technician_without_location_is_refused_with_a_field_message(client, login_as) -> None:
    login_as(Role.ADMIN)
    response = client.post(
        "/users/new",
        data={
            "username": "tech",
            "display_name": "T",
            "role": "technician",
            "location_id": "",
            "password": "first passphrase",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A technician must belong to a location." in body
    assert db.session.scalar(select(User).where(User.username == "tech")) is None


def test_duplicate_username_is_refused(client, login_as, make_user) -> None:
    login_as(Role.ADMIN)
    make_user(Role.VIEWER, username="pak")
    response = client.post(
        "/users/new",
        data={
            "username": "PAK",
            "display_name": "Another",
            "role": "viewer",
            "password": "first passphrase",
        },
    )
    assert "already taken" in response.get_data(as_text=True)


def test_admin_edits_role_and_the_change_applies_at_once(
    app: Flask, client, login_as, make_user
) -> None:
    login_as(Role.ADMIN)
    user = make_user(Role.LOGISTICS)
    other = app.test_client()
    sign_in(other, user)
    assert other.get("/users").status_code == 403
    client.post(
        f"/users/{user.id}/edit", data={"display_name": "Promoted", "role": "admin", "locale": ""}
    )
    assert other.get("/users").status_code == 200


def test_admin_resets_a_password_and_the_user_is_signed_out(
    app: Flask, client, login_as, make_user
) -> None:
    login_as(Role.ADMIN)
    user = make_user(Role.VIEWER)
    other = app.test_client()
    sign_in(other, user)
    response = client.post(f"/users/{user.id}/password", data={"new_password": "reset passphrase"})
    assert response.status_code == 302
    assert other.get("/").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("reset passphrase")


def test_deactivation_asks_first_then_ends_sessions(
    app: Flask, client, login_as, make_user
) -> None:
    login_as(Role.ADMIN)
    user = make_user(Role.VIEWER)
    other = app.test_client()
    sign_in(other, user)
    page = client.get(f"/users/{user.id}/deactivate")
    assert "will be signed out everywhere" in page.get_data(as_text=True)
    assert other.get("/").status_code == 200
    assert client.post(f"/users/{user.id}/deactivate").status_code == 302
    assert other.get("/").status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, user.id).is_active
    client.post(f"/users/{user.id}/activate")
    db.session.expire_all()
    assert db.session.get(User, user.id).is_active


def test_admin_cannot_deactivate_themself_or_the_last_admin(client, login_as) -> None:
    admin = login_as(Role.ADMIN)
    response = client.post(f"/users/{admin.id}/deactivate")
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    with pytest.raises(DomainError, match="last active administrator"):
        services.set_active(actor=SYSTEM, user=admin, active=False)
    with pytest.raises(DomainError, match="last active administrator"):
        services.update_user(
            actor=SYSTEM,
            user=admin,
            display_name="x",
            role=Role.VIEWER,
            location_id=None,
            locale=None,
        )


def test_account_services_refuse_a_forgotten_actor_and_let_the_system_act(
    app: Flask, make_user
) -> None:
    # actor=None once meant "the command line, every permission"; now only SYSTEM means that.
    user = make_user(Role.VIEWER)
    with pytest.raises(PermissionDeniedError):
        services.create_user(
            actor=None, username="nobody", display_name="X", role=Role.VIEWER, password=PASSWORD
        )
    with pytest.raises(PermissionDeniedError):
        services.update_user(
            actor=None, user=user, display_name="X", role=Role.ADMIN, location_id=None, locale=None
        )
    with pytest.raises(PermissionDeniedError):
        services.reset_password(actor=None, user=user, new_password="another " + PASSWORD)
    with pytest.raises(PermissionDeniedError):
        services.set_active(actor=None, user=user, active=False)
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.username == "nobody")) is None
    user = db.session.get(User, user.id)
    assert user.role is Role.VIEWER and user.is_active and user.check_password(PASSWORD)
    made = services.create_user(
        actor=SYSTEM, username="bysystem", display_name="S", role=Role.VIEWER, password=PASSWORD
    )
    services.set_active(actor=SYSTEM, user=made, active=False)
    db.session.commit()
    assert not db.session.get(User, made.id).is_active


def test_only_admins_manage_accounts_in_the_service_layer(app: Flask, make_user) -> None:
    logistics = make_user(Role.LOGISTICS)
    with pytest.raises(PermissionDeniedError):
        services.create_user(
            actor=logistics, username="x1", display_name="X", role=Role.VIEWER, password=PASSWORD
        )


def test_users_list_searches_and_paginates(client, login_as, make_user, app: Flask) -> None:
    login_as(Role.ADMIN)
    app.config["PER_PAGE"] = 5
    for n in range(12):
        make_user(Role.VIEWER, username=f"kim{n:02d}", display_name=f"Kim {n}")
    page = client.get("/users?q=kim").get_data(as_text=True)
    assert "kim00" in page and "kim05" not in page
    assert "Page 1 of 3 (12 in all)" in page
    assert "kim11" in client.get("/users?q=kim&page=3").get_data(as_text=True)
    assert "No account matches." in client.get("/users?q=zzz").get_data(as_text=True)
