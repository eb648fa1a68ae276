"""Forms that come back with errors: "Error:" in the title, one summary first in the content
and focused, every problem in one pass (the account forms included)."""

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hilogistics.auth.models import Role, User
from hilogistics.db import db
from tests.factories import make_user


def main_content(html: str) -> str:
    """What the <main> element holds, from its opening tag on."""
    return html[html.index('<main id="content"') :]


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def assert_error_page(html: str, *texts: str) -> None:
    """Title starts with "Error:", the summary opens the content, focusable and focused."""
    assert title(html).startswith("Error: "), title(html)
    main = main_content(html)
    summary = re.search(r'<div class="error-summary"[^>]*>', main)
    assert summary is not None
    tag = summary.group(0)
    assert 'tabindex="-1"' in tag and "autofocus" in tag and 'role="alert"' in tag
    # First in the content: before the page's heading and before any form.
    assert summary.start() < main.index("<h1") and summary.start() < main.find("<form")
    # The only autofocus on the page.
    assert html.count("autofocus") == 1
    for text in texts:
        assert text in main[summary.start() : main.index("</div>", summary.start())]


def test_error_titles_and_summaries_are_translated(client: FlaskClient, login_as) -> None:
    login_as(Role.LOGISTICS)
    for locale, word in (("fr", "Erreur :"), ("ko_KP", "오유:")):
        with client.session_transaction() as session:
            session["locale"] = locale
        html = client.post("/grants/new", data={"code": ""}).text
        assert title(html).startswith(word), title(html)
        assert "Please correct" not in html


def test_a_page_without_errors_has_a_plain_title(client: FlaskClient, login_as) -> None:
    login_as(Role.ADMIN)
    html = client.get("/users/new").text
    assert not title(html).startswith("Error") and "error-summary" not in html


def test_the_new_account_form_shows_every_problem_in_one_pass(
    client: FlaskClient, login_as
) -> None:
    login_as(Role.ADMIN)
    # The form's first field (the header's document search box comes before <main>).
    html = client.get("/users/new").text.split("<main", 1)[1]
    first_input = re.search(r"<(input|select|textarea)(?![^>]*type=\"hidden\")[^>]*>", html)
    assert 'name="username"' in first_input.group(0) and "autofocus" in first_input.group(0)
    response = client.post(
        "/users/new",
        data={
            "username": "Bad Name!",
            "display_name": "Ri",
            "role": "technician",
            "location_id": "",
            "password": "short",
        },
    )
    assert response.status_code == 200
    assert_error_page(
        response.text,
        "Use 2 to 64 letters",
        "A technician must belong to a location.",
        "The password must have at least 8 characters.",
    )
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_a_taken_username_is_named_with_the_other_problems(client: FlaskClient, login_as) -> None:
    login_as(Role.ADMIN)
    make_user(Role.VIEWER, username="pak")
    db.session.commit()
    response = client.post(
        "/users/new",
        data={"username": "PAK", "display_name": "", "role": "", "password": "first passphrase"},
    )
    assert_error_page(
        response.text, "The username pak is already taken.", "Choose a role.", "Full name"
    )


def test_the_password_form_checks_the_current_password_with_the_rest(
    client: FlaskClient, login_as
) -> None:
    login_as(Role.VIEWER)
    response = client.post(
        "/account/password",
        data={"current_password": "wrong guess", "new_password": "short", "confirm": "other"},
    )
    assert_error_page(
        response.text,
        "The current password is not correct.",
        "The password must have at least 8 characters.",
        "The two passwords differ.",
    )


def test_every_form_error_sets_the_title(app: Flask, client: FlaskClient, login_as) -> None:
    login_as(Role.LOGISTICS)
    assert_error_page(client.post("/grants/new", data={}).text, "This field is required.")


def test_a_refused_sign_in_and_a_refused_confirmation_are_error_pages(
    app: Flask, client: FlaskClient, login_as
) -> None:
    user = make_user(Role.VIEWER)
    db.session.commit()
    refused = client.post("/login", data={"username": user.username, "password": "wrong one"})
    assert_error_page(refused.text, "The username or password is not correct.")
    admin = login_as(Role.ADMIN)
    response = client.post(f"/users/{admin.id}/deactivate")
    assert_error_page(response.text, "You cannot deactivate your own account.")
