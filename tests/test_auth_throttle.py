"""The password throttle: per username, per address and username, the address wait, proxies,
known addresses, the administrator's way out, and the current-password check."""

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from hilogistics import create_app
from hilogistics.actors import SYSTEM
from hilogistics.auth import services
from hilogistics.auth.models import LoginThrottle, Role, User
from hilogistics.auth.services import ThrottlePolicy
from hilogistics.db import db, utcnow
from tests.factories import PASSWORD

GENERIC_ERROR = "The username or password is not correct."
ACCOUNT_LOCKED = "Too many wrong passwords for this account."
ADDRESS_WAITS = "Too many wrong passwords were sent from your network."
POLICY = ThrottlePolicy(
    max_failures=5,
    max_failures_per_address=30,
    window=timedelta(minutes=15),
    lockout=timedelta(minutes=15),
    known_address_ttl=timedelta(days=30),
    address_max_delay=timedelta(seconds=60),
)


def post_login(client: FlaskClient, username: str, password: str, address: str | None = None):
    headers = {"X-Forwarded-For": address} if address else {}
    return client.post("/login", data={"username": username, "password": password}, headers=headers)


def attempt(username: str, password: str, address: str, **kwargs: object):
    result = services.authenticate(
        username=username, password=password, address=address, policy=POLICY, **kwargs
    )
    db.session.commit()
    return result


def address_keys() -> set[str]:
    stmt = select(LoginThrottle.key).where(LoginThrottle.key.like("addr:%"))
    return set(db.session.scalars(stmt))


# --- the client address and trusted proxies -------------------------------------------------


def test_behind_a_trusted_proxy_clients_are_counted_apart(app: Flask, app_factory) -> None:
    proxied = app_factory(TRUSTED_PROXIES=1, LOGIN_MAX_FAILURES_PER_ADDRESS=3)
    client = proxied.test_client()
    for n in range(3):
        post_login(client, f"nobody{n}", "wrong password", address="203.0.113.1")
    waiting = post_login(client, "nobody9", "wrong password", address="203.0.113.1")
    assert waiting.status_code == 429
    assert ADDRESS_WAITS in waiting.get_data(as_text=True)
    other = post_login(client, "nobody9", "wrong password", address="203.0.113.2")
    assert other.status_code == 200
    assert GENERIC_ERROR in other.get_data(as_text=True)
    keys = set(
        db.session.scalars(select(LoginThrottle.key).where(LoginThrottle.key.like("addr:%")))
    )
    assert keys == {"addr:203.0.113.1", "addr:203.0.113.2"}


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app: Flask, app_factory) -> None:
    direct = app_factory(LOGIN_MAX_FAILURES_PER_ADDRESS=3)
    client = direct.test_client()
    for n in range(3):
        post_login(client, f"nobody{n}", "wrong password", address=f"203.0.113.{n}")
    response = post_login(client, "nobody9", "wrong password", address="203.0.113.99")
    assert response.status_code == 429
    keys = set(
        db.session.scalars(select(LoginThrottle.key).where(LoginThrottle.key.like("addr:%")))
    )
    assert keys == {"addr:127.0.0.1"}


def test_the_proxy_also_tells_the_scheme(app: Flask, app_factory) -> None:
    proxied = app_factory(TRUSTED_PROXIES=1)

    @proxied.get("/scheme")
    def scheme() -> str:
        from flask import request

        return f"{request.scheme} {request.remote_addr}"

    scheme.access = "public"
    headers = {"X-Forwarded-For": "198.51.100.4", "X-Forwarded-Proto": "https"}
    assert proxied.test_client().get("/scheme", headers=headers).text == "https 198.51.100.4"


def test_the_number_of_trusted_proxies_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    assert not isinstance(create_app(config).wsgi_app, ProxyFix)
    monkeypatch.setenv("HILOGISTICS_TRUSTED_PROXIES", "2")
    wrapped = create_app(config).wsgi_app
    assert isinstance(wrapped, ProxyFix)
    assert (wrapped.x_for, wrapped.x_proto, wrapped.x_host) == (2, 2, 0)
    monkeypatch.setenv("HILOGISTICS_TRUSTED_PROXIES", "-1")
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
        create_app(config)


# --- one address, many users ----------------------------------------------------------------


def test_wrong_logins_for_one_user_do_not_stop_another_at_the_same_address(
    client: FlaskClient, make_user
) -> None:
    a, b = make_user(Role.VIEWER), make_user(Role.VIEWER)
    for _ in range(35):
        post_login(client, a.username, "wrong password")
    assert post_login(client, b.username, PASSWORD).status_code == 302


def test_guessing_at_many_usernames_slows_the_address_down_without_locking_it(app: Flask) -> None:
    make = services.create_user
    b = make(actor=SYSTEM, username="kimb", display_name="B", role=Role.VIEWER, password=PASSWORD)
    db.session.commit()
    now = utcnow()
    for n in range(POLICY.max_failures_per_address):
        attempt(f"guess{n}", "wrong", "10.0.0.9", now=now)
    # Past the limit the address waits 1 s, then 2 s, 4 s … at most address_max_delay.
    refused = attempt(b.username, PASSWORD, "10.0.0.9", now=now)
    assert refused.locked and refused.verdict.address_wait
    assert refused.verdict.retry_seconds(now) == 1
    later = now
    for n in range(10):
        later = later + timedelta(minutes=1)
        assert attempt(f"more{n}", "wrong", "10.0.0.9", now=later).verdict.address_wait
    assert attempt(b.username, PASSWORD, "10.0.0.9", now=later).locked
    after_the_wait = later + POLICY.address_max_delay
    assert attempt(b.username, PASSWORD, "10.0.0.9", now=after_the_wait).user.id == b.id


def test_a_user_who_signed_in_from_the_address_before_is_not_held_up(
    client: FlaskClient, make_user
) -> None:
    b = make_user(Role.VIEWER)
    colleague = client.application.test_client()
    assert post_login(colleague, b.username, PASSWORD).status_code == 302
    for n in range(40):
        post_login(client, f"guess{n}", "wrong password")
    assert post_login(client, "guess-more", "wrong password").status_code == 429
    assert post_login(client.application.test_client(), b.username, PASSWORD).status_code == 302


def test_the_address_wait_answers_the_same_for_known_and_unknown_usernames(
    app: Flask, make_user
) -> None:
    b = make_user(Role.VIEWER)
    attempt(b.username, PASSWORD, "10.0.0.9")  # b is known at this address
    now = utcnow()
    for n in range(POLICY.max_failures_per_address):
        attempt(f"guess{n}", "wrong", "10.0.0.9", now=now)
    # A wrong password for b still counts towards b's own lock; it reveals nothing about b.
    known = attempt(b.username, "wrong", "10.0.0.9", now=now)
    unknown = attempt("nobody", "wrong", "10.0.0.9", now=now)
    assert known.verdict == unknown.verdict
    assert known.locked and known.verdict.address_wait
    assert attempt(b.username, PASSWORD, "10.0.0.9", now=now).user.id == b.id


# --- a locked account -----------------------------------------------------------------------


def test_an_account_locked_from_elsewhere_still_opens_from_its_usual_address(
    app: Flask, make_user
) -> None:
    owner = make_user(Role.VIEWER)
    assert attempt(owner.username, PASSWORD, "10.0.0.5").user is not None
    for _ in range(POLICY.max_failures):
        attempt(owner.username, "wrong", "198.51.100.7")
    assert attempt(owner.username, PASSWORD, "198.51.100.7").locked
    assert attempt(owner.username, PASSWORD, "10.0.0.6").locked
    assert attempt(owner.username, PASSWORD, "10.0.0.5").user.id == owner.id
    # Signing in there does not reopen the account to the guesser elsewhere.
    assert attempt(owner.username, PASSWORD, "198.51.100.7").locked


def test_failures_at_the_usual_address_lock_it_there_too(app: Flask, make_user) -> None:
    owner = make_user(Role.VIEWER)
    attempt(owner.username, PASSWORD, "10.0.0.5")
    for _ in range(POLICY.max_failures):
        attempt(owner.username, "wrong", "10.0.0.5")
    assert attempt(owner.username, PASSWORD, "10.0.0.5").locked


def test_a_known_address_is_forgotten_after_its_time(app: Flask, make_user) -> None:
    owner = make_user(Role.VIEWER)
    long_ago = utcnow() - POLICY.known_address_ttl - timedelta(days=1)
    attempt(owner.username, PASSWORD, "10.0.0.5", now=long_ago)
    for _ in range(POLICY.max_failures):
        attempt(owner.username, "wrong", "198.51.100.7")
    assert attempt(owner.username, PASSWORD, "10.0.0.5").locked


def test_the_lock_message_says_how_long_to_wait_and_whom_to_ask(app: Flask) -> None:
    now = utcnow()
    for _ in range(POLICY.max_failures):
        result = attempt("ghost", "wrong", "10.0.0.1", now=now)
    assert result.locked and not result.verdict.address_wait
    assert result.verdict.retry_minutes(now) == 15
    assert result.verdict.retry_minutes(now + timedelta(minutes=10, seconds=30)) == 5


def test_a_new_password_from_an_administrator_lifts_the_lock(
    client: FlaskClient, login_as, make_user
) -> None:
    owner = make_user(Role.VIEWER)
    stranger = client.application.test_client()
    for _ in range(5):
        post_login(stranger, owner.username, "wrong password")
    locked = post_login(stranger, owner.username, PASSWORD)
    assert locked.status_code == 429
    assert "Try again in 15 minutes, or ask an administrator" in locked.get_data(as_text=True)

    login_as(Role.ADMIN)
    response = client.post(f"/users/{owner.id}/password", data={"new_password": "a new secret"})
    assert response.status_code == 302
    assert post_login(stranger, owner.username, "a new secret").status_code == 302


# --- the current password on /account/password ----------------------------------------------


def change_password(client: FlaskClient, current: str):
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": "a new secret",
            "confirm": "a new secret",
        },
    )


def test_guessing_the_current_password_is_throttled_like_sign_in(
    client: FlaskClient, login_as, app: Flask
) -> None:
    user = login_as(Role.VIEWER)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        body = change_password(client, "wrong guess").get_data(as_text=True)
        assert "The current password is not correct." in body
    body = change_password(client, "wrong guess").get_data(as_text=True)
    assert ACCOUNT_LOCKED in body
    body = change_password(client, PASSWORD).get_data(as_text=True)
    assert ACCOUNT_LOCKED in body
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(PASSWORD)
    # The guesses count against sign-in as well.
    assert post_login(app.test_client(), user.username, PASSWORD).status_code == 429


def test_the_right_current_password_still_changes_it(client: FlaskClient, login_as) -> None:
    user = login_as(Role.VIEWER)
    change_password(client, "one wrong guess")
    assert change_password(client, PASSWORD).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("a new secret")


def test_the_account_page_tells_the_administrator_about_a_lock(
    client: FlaskClient, login_as, make_user
) -> None:
    owner = make_user(Role.VIEWER)
    login_as(Role.ADMIN)
    assert "Sign-in is locked" not in client.get(f"/users/{owner.id}/edit").text
    for _ in range(POLICY.max_failures):
        attempt(owner.username, "wrong", "198.51.100.7")
    page = client.get(f"/users/{owner.id}/edit").text
    assert "Sign-in is locked after repeated wrong passwords, for 15 more minutes." in page
    assert "Setting a new password lifts the lock." in page
