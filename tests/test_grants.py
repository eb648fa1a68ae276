"""Grants: the pages logistics staff use to record donors' grants, and save_grant's rules."""

from datetime import date

import pytest
from sqlalchemy import select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.errors import ConflictError, PermissionDeniedError
from hilogistics.stock.models import Grant
from hilogistics.stock.services import save_grant
from tests.factories import make_grant, make_item, make_lot, make_user


def grant_data(**overrides: object) -> dict[str, str]:
    """A valid grant form as a browser sends it."""
    data = {
        "donor": "ECHO",
        "code": "ECHO/KP/2026/01",
        "title": "Orthopaedic components for six centres",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "is_active": "y",
    }
    data.update({key: str(value) for key, value in overrides.items()})
    return data


@pytest.mark.parametrize("role", [Role.LOGISTICS, Role.ADMIN])
def test_logistics_and_admins_add_a_grant(client, login_as, role) -> None:
    login_as(role)
    assert 'type="date"' in client.get("/grants/new").get_data(as_text=True)
    response = client.post("/grants/new", data=grant_data(code=" ECHO/KP/2026/01 "))
    assert response.status_code == 302 and response.headers["Location"] == "/grants"
    grant = db.session.scalar(select(Grant).where(Grant.code == "ECHO/KP/2026/01"))
    assert grant.donor == "ECHO" and grant.is_active
    assert (grant.starts_on, grant.ends_on) == (date(2026, 1, 1), date(2026, 12, 31))


def test_grant_period_must_not_end_before_it_starts(client, login_as) -> None:
    login_as(Role.LOGISTICS)
    response = client.post("/grants/new", data=grant_data(ends_on="2025-12-31"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The grant cannot end before it starts." in body and 'id="ends_on-error"' in body
    assert db.session.scalar(select(Grant)) is None


def test_missing_fields_and_malformed_dates_show_field_errors(client, login_as) -> None:
    login_as(Role.LOGISTICS)
    body = client.post(
        "/grants/new", data=grant_data(donor="", title="", starts_on="31/01/2026", ends_on="")
    ).get_data(as_text=True)
    for name in ("donor", "title", "starts_on", "ends_on"):
        assert f'id="{name}-error"' in body
    assert "Enter a date as year-month-day" in body


def test_duplicate_grant_code_is_refused_whatever_its_case(client, login_as) -> None:
    login_as(Role.LOGISTICS)
    make_grant(code="USAID-7")
    body = client.post("/grants/new", data=grant_data(code="usaid-7")).get_data(as_text=True)
    assert "The grant code usaid-7 is already used." in body and 'id="code-error"' in body
    with pytest.raises(ConflictError):
        save_grant(
            actor=SYSTEM,
            code="USAID-7",
            donor="USAID",
            title="Again",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 2, 1),
        )


def test_editing_a_grant_keeps_its_code_and_may_deactivate_it(client, login_as) -> None:
    login_as(Role.LOGISTICS)
    grant = make_grant(code="KOICA-3", title="First title")
    other = make_grant(code="KOICA-4")
    form = client.get(f"/grants/{grant.id}/edit").get_data(as_text=True)
    assert 'value="KOICA-3"' in form and 'value="2026-01-01"' in form
    data = grant_data(code="KOICA-3", title="Second title", ends_on="2027-06-30")
    data.pop("is_active")
    assert client.post(f"/grants/{grant.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Grant, grant.id)
    assert saved.title == "Second title" and saved.ends_on == date(2027, 6, 30)
    assert not saved.is_active
    taken = client.post(f"/grants/{other.id}/edit", data=grant_data(code="koica-3"))
    assert "already used" in taken.get_data(as_text=True)
    assert client.get("/grants/999999/edit").status_code == 404


def test_grants_list_searches_and_counts_lots_without_a_query_per_grant(
    client, login_as, count_queries
) -> None:
    login_as(Role.LOGISTICS)
    funded = make_grant(code="ECHO-9", donor="European Commission", title="Wheelchairs")
    make_grant(code="SDC-1", donor="Swiss Agency", title="Braille paper")
    item, other_item = make_item(), make_item()
    make_lot(item, code="L1", grant_id=funded.id)
    make_lot(item, code="L2", grant_id=funded.id)
    make_lot(other_item, grant_id=funded.id)
    make_lot(other_item)  # paid by no grant
    db.session.commit()
    page = client.get("/grants").get_data(as_text=True)
    assert '<td class="code">ECHO-9</td>' in page and '<td class="number">3</td>' in page
    assert '<td class="number">0</td>' in page
    assert 'Edit<span class="visually-hidden"> ECHO-9</span>' in page
    for query in ("european", "echo-9", "WHEEL"):
        found = client.get(f"/grants?q={query}").get_data(as_text=True)
        assert "ECHO-9" in found and "SDC-1" not in found
    assert "No grant matches." in client.get("/grants?q=100%25").get_data(as_text=True)

    statements = count_queries()
    statements.clear()
    client.get("/grants")
    with_two = len(statements)
    for n in range(4):
        make_lot(make_item(), grant_id=make_grant(code=f"MORE-{n}").id)
    db.session.commit()
    client.get("/grants")  # the write emptied the menu's badges: counted again once
    statements.clear()
    client.get("/grants")
    assert len(statements) == with_two


def test_viewers_and_technicians_cannot_manage_grants(client, login_as) -> None:
    viewer = login_as(Role.VIEWER)
    grant = make_grant()
    db.session.commit()
    assert client.get("/grants").status_code == 200  # viewers read them
    for url in ("/grants/new", f"/grants/{grant.id}/edit"):
        assert client.get(url).status_code == 403
    assert client.post("/grants/new", data=grant_data()).status_code == 403
    technician = make_user(Role.TECHNICIAN)
    for actor in (viewer, technician):
        with pytest.raises(PermissionDeniedError):
            save_grant(
                actor=actor,
                grant=grant,
                code=grant.code,
                donor="X",
                title="X",
                starts_on=grant.starts_on,
                ends_on=grant.ends_on,
            )
