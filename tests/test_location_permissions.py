"""Who may act at a place, as services check it: the same answers the pages give."""

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.errors import NotFoundError, PermissionDeniedError
from hilogistics.locations.permissions import can_act_at, require_act_at
from hilogistics.locations.queries import visible_location, visible_place_heading
from tests.conftest import sign_in
from tests.factories import make_location, make_province, make_user, make_warehouse, virtual


@pytest.mark.parametrize("role", [Role.ADMIN, Role.LOGISTICS])
def test_staff_act_everywhere(app: Flask, role: Role) -> None:
    actor = make_user(role)
    for place in (make_location(), make_warehouse(), virtual("TRANSIT")):
        assert can_act_at(actor, place)
        assert can_act_at(actor, place.id)
        assert require_act_at(actor, place.id) is place


def test_the_system_acts_everywhere(app: Flask) -> None:
    place = make_location()
    assert can_act_at(SYSTEM, place)
    assert require_act_at(SYSTEM, place) is place


def test_a_forgotten_actor_acts_nowhere(app: Flask) -> None:
    place = make_location()
    assert not can_act_at(None, place)
    with pytest.raises(PermissionDeniedError):
        require_act_at(None, place)


def test_a_technician_acts_at_their_own_place(app: Flask) -> None:
    place = make_location()
    technician = make_user(Role.TECHNICIAN, location=place)
    assert can_act_at(technician, place)
    assert require_act_at(technician, place.id) is place


def test_a_technician_gets_not_found_for_any_other_place(app: Flask) -> None:
    technician = make_user(Role.TECHNICIAN)
    for other in (make_location(), make_warehouse(), virtual("LOSS")):
        assert not can_act_at(technician, other)
        with pytest.raises(NotFoundError):
            require_act_at(technician, other)
        with pytest.raises(NotFoundError):
            require_act_at(technician, other.id)


def test_a_viewer_acts_nowhere(app: Flask) -> None:
    viewer = make_user(Role.VIEWER)
    place = make_location()
    assert not can_act_at(viewer, place)
    with pytest.raises(PermissionDeniedError):
        require_act_at(viewer, place)


def test_a_deactivated_account_acts_nowhere(app: Flask) -> None:
    place = make_location()
    for role in (Role.ADMIN, Role.TECHNICIAN):
        former = make_user(role, is_active=False, location=place)
        assert not can_act_at(former, place)
        with pytest.raises(PermissionDeniedError):
            require_act_at(former, place)


@pytest.mark.parametrize("role", list(Role))
def test_a_place_that_does_not_exist_is_not_found_for_everyone(app: Flask, role: Role) -> None:
    with pytest.raises(NotFoundError):
        require_act_at(make_user(role), 987654)


@pytest.mark.parametrize("role", list(Role))
def test_a_place_heading_is_found_exactly_where_the_place_is(app: Flask, role: Role) -> None:
    """The stock page reads its place as plain columns: the same answers as the ORM lookup."""
    named = make_province(name_fr="Province d'essai")
    own = make_location(province=named, name_fr="Centre d'essai")
    reader = make_user(role, location=own if role is Role.TECHNICIAN else None)
    places = [own, make_location(), make_warehouse(), virtual("LOSS"), virtual("TRANSIT")]
    for place_id in [place.id for place in places] + [987654]:
        try:
            expected = visible_location(reader, place_id)
        except NotFoundError:
            with pytest.raises(NotFoundError):
                visible_place_heading(reader, place_id)
            continue
        heading = visible_place_heading(reader, place_id)
        province = expected.province
        assert heading == (
            expected.id,
            expected.code,
            expected.kind,
            expected.name,
            expected.name_ko,
            expected.name_fr,
            province.name if province else None,
            province.name_ko if province else None,
            province.name_fr if province else None,
        )


def test_a_kept_place_heading_still_answers_each_reader_by_their_role(
    app: Flask, client: FlaskClient
) -> None:
    """The stock page keeps a place's heading between requests (readcache); who may see the
    place is still decided per request: a technician of another centre gets a 404 for a place
    a logistician just opened, and its own technician the page."""
    centre = make_location()
    logistician = make_user(Role.LOGISTICS)
    own, other = make_user(Role.TECHNICIAN, location=centre), make_user(Role.TECHNICIAN)
    url = f"/stock/locations/{centre.id}"
    for reader, status in ((logistician, 200), (other, 404), (own, 200), (other, 404)):
        sign_in(client, reader)
        assert client.get(url).status_code == status, reader.username
    assert ("place heading", centre.id) in app.extensions["hilogistics.readcache"].entries
