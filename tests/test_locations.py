"""Locations and provinces: administration pages, deactivation rules, virtual locations."""

import pytest
from sqlalchemy import select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.errors import DomainError, PermissionDeniedError
from hilogistics.locations import services
from hilogistics.locations.models import Location, LocationKind, Province
from tests.factories import (
    make_item,
    make_location,
    make_province,
    make_user,
    make_warehouse,
    receive,
    seeded_province,
    virtual,
)


def location_data(**overrides: object) -> dict[str, str]:
    """A valid location form as a browser sends it; None leaves a field out (an unticked box)."""
    data = {
        "code": "ctr-hamhung",
        "kind": "centre",
        "name": "Hamhung Orthopaedic Centre",
        "name_ko": "함흥정형외과쎈터",
        "province_id": str(seeded_province("SHG").id),
        "supplied_by_id": "",
        "is_active": "y",
    }
    data.update({key: str(value) for key, value in overrides.items()})
    return {key: value for key, value in data.items() if overrides.get(key, "") is not None}


def reload(location: Location) -> Location:
    """The row as the database has it now (requests ran in their own sessions)."""
    db.session.expire_all()
    return db.session.get(Location, location.id)


def test_admin_adds_a_centre_with_an_upper_cased_code_and_a_supplier(client, login_as) -> None:
    login_as(Role.ADMIN)
    warehouse = make_warehouse(code="WH-HAMHUNG", name="Hamhung warehouse")
    response = client.post("/locations/new", data=location_data(supplied_by_id=warehouse.id))
    assert response.status_code == 302
    assert response.headers["Location"] == "/locations"
    location = db.session.scalar(select(Location).where(Location.code == "CTR-HAMHUNG"))
    assert location.kind is LocationKind.CENTRE and location.is_active
    assert location.name_ko == "함흥정형외과쎈터"
    assert location.province.code == "SHG" and location.supplied_by_id == warehouse.id


def test_location_form_shows_field_errors(client, login_as) -> None:
    login_as(Role.ADMIN)
    make_location(code="CTR-TAKEN")
    missing = client.post("/locations/new", data=location_data(name_ko="", province_id=""))
    body = missing.get_data(as_text=True)
    assert missing.status_code == 200
    assert 'aria-describedby="name_ko-error"' in body
    assert 'aria-describedby="province_id-error"' in body
    taken = client.post("/locations/new", data=location_data(code=" ctr-taken "))
    body = taken.get_data(as_text=True)
    assert "The code CTR-TAKEN is already used by another location." in body
    assert 'id="code-error"' in body
    bad = client.post("/locations/new", data=location_data(code="CTR HAMHUNG", kind="supplier"))
    assert 'aria-describedby="kind-error"' in bad.get_data(as_text=True)
    assert db.session.scalar(select(Location).where(Location.name.like("Hamhung%"))) is None


def test_admin_edits_a_location_and_the_list_shows_it(client, login_as) -> None:
    login_as(Role.ADMIN)
    warehouse = make_warehouse(code="WH-PY", name="Pyongyang warehouse")
    school = make_location(code="SCH-1", kind=LocationKind.SCHOOL, name="School for the Blind")
    form = client.get(f"/locations/{school.id}/edit").get_data(as_text=True)
    assert 'value="SCH-1"' in form and '<option selected value="school">' in form
    assert f'<option value="{warehouse.id}">Pyongyang warehouse (WH-PY)</option>' in form
    assert "(SCH-1)</option>" not in form  # not offered as its own supplier
    response = client.post(
        f"/locations/{school.id}/edit",
        data=location_data(
            code="sch-hamhung",
            kind="school",
            name="Hamhung School for the Blind",
            name_ko="함흥맹학교",
            supplied_by_id=warehouse.id,
        ),
    )
    assert response.status_code == 302
    page = client.get("/locations").get_data(as_text=True)
    assert "SCH-HAMHUNG" in page and "Hamhung School for the Blind" in page
    assert '<td lang="ko">함흥맹학교</td>' in page
    assert "Special school" in page and "South Hamgyong" in page
    assert f'href="/locations/{school.id}/edit">Edit<span class="visually-hidden"> SCH-HAMHUNG' in (
        page
    )


def test_locations_list_filters_and_paginates_and_shows_virtual_ones_read_only(
    client, login_as, app
) -> None:
    login_as(Role.ADMIN)
    app.config["PER_PAGE"] = 3
    capital, north = seeded_province("PY"), seeded_province("NPY")
    for n in range(4):
        make_location(code=f"CTR-{n}", province=capital)
    make_location(code="SCH-NORTH", kind=LocationKind.SCHOOL, province=north)
    make_location(code="CTR-OLD", province=north, is_active=False)
    page = client.get("/locations").get_data(as_text=True)
    assert "Page 1 of 2 (6 in all)" in page
    schools = client.get("/locations?kind=school").get_data(as_text=True)
    assert "SCH-NORTH" in schools and "CTR-0" not in schools
    response = client.get(f"/locations?province={north.id}&status=inactive")
    north_page = response.get_data(as_text=True)
    assert "CTR-OLD" in north_page and "SCH-NORTH" not in north_page
    assert "Clear the filters" in north_page
    found = client.get("/locations?q=ctr-3").get_data(as_text=True)
    assert "CTR-3" in found and "CTR-1" not in found
    # Nonsense in the address filters nothing rather than failing.
    odd = client.get("/locations?kind=moon&province=x&status=maybe&page=2")
    assert odd.status_code == 200 and "Page 2 of 2" in odd.get_data(as_text=True)
    assert "No location matches." in client.get("/locations?q=zzz").get_data(as_text=True)
    supplier = virtual("SUPPLIER")
    assert "Suppliers and donors" in page and "cannot be edited" in page
    assert f"/locations/{supplier.id}/edit" not in page


def test_virtual_locations_cannot_be_edited_or_deactivated(client, login_as) -> None:
    login_as(Role.ADMIN)
    transit = virtual("TRANSIT")
    assert client.get(f"/locations/{transit.id}/edit").status_code == 404
    posted = client.post(f"/locations/{transit.id}/edit", data=location_data(code="TRANSIT"))
    assert posted.status_code == 404
    with pytest.raises(DomainError, match="Virtual locations"):
        services.save_location(
            actor=SYSTEM,
            location=transit,
            code="TRANSIT",
            kind=LocationKind.TRANSIT,
            name="In transit",
            name_ko="수송중",
            province_id=None,
            is_active=False,
        )
    db.session.rollback()
    assert reload(transit).is_active


def test_deactivation_is_refused_while_stock_is_on_hand(client, login_as) -> None:
    login_as(Role.ADMIN)
    warehouse = make_warehouse(code="WH-NAMPO", name="Nampo warehouse")
    receive(make_item(), 7, warehouse)
    receive(make_item(), 5, warehouse)
    empty = make_warehouse(code="WH-EMPTY")
    db.session.commit()
    data = location_data(code="WH-NAMPO", kind="warehouse", name="Nampo warehouse", is_active=None)
    response = client.post(f"/locations/{warehouse.id}/edit", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nampo warehouse still holds 12 units of stock." in body
    assert reload(warehouse).is_active
    data = location_data(code="WH-EMPTY", kind="warehouse", is_active=None)
    assert client.post(f"/locations/{empty.id}/edit", data=data).status_code == 302
    assert not reload(empty).is_active


def test_deactivation_is_refused_while_active_technicians_belong_to_it(client, login_as) -> None:
    login_as(Role.ADMIN)
    centre = make_location(code="CTR-RI", name="Rason centre")
    make_user(Role.TECHNICIAN, location=centre, display_name="Ri Yong Nam", username="ri.yn")
    make_user(Role.TECHNICIAN, location=centre, display_name="Old Hand", is_active=False)
    db.session.commit()
    data = location_data(code="CTR-RI", name="Rason centre", is_active=None)
    body = client.post(f"/locations/{centre.id}/edit", data=data).get_data(as_text=True)
    assert "1 active technician belongs to Rason centre: Ri Yong Nam (ri.yn)." in body
    assert "Old Hand" not in body
    assert reload(centre).is_active


def test_supplied_by_must_be_another_active_warehouse(client, login_as) -> None:
    login_as(Role.ADMIN)
    centre = make_location(code="CTR-A")
    closed = make_warehouse(code="WH-CLOSED", is_active=False)
    response = client.post("/locations/new", data=location_data(supplied_by_id=centre.id))
    assert 'id="supplied_by_id-error"' in response.get_data(as_text=True)
    central = make_warehouse(code="WH-CENTRAL")
    regional = make_warehouse(code="WH-REGIONAL", supplied_by=central)
    province_id = seeded_province().id
    db.session.commit()  # each refusal below is rolled back
    for supplier in (centre, closed, central, regional):
        with pytest.raises(DomainError) as refused:
            services.save_location(
                actor=SYSTEM,
                location=central,
                code="WH-CENTRAL",
                kind=LocationKind.WAREHOUSE,
                name="Central",
                name_ko="중앙",
                province_id=province_id,
                supplied_by_id=supplier.id,
            )
        assert refused.value.field == "supplied_by_id"
        db.session.rollback()


def test_a_warehouse_supplying_active_locations_stays_an_active_warehouse(app) -> None:
    warehouse = make_warehouse(code="WH-S", name="Sinuiju warehouse")
    make_location(code="CTR-S", name="Sinuiju centre", supplied_by=warehouse)
    values = {
        "actor": SYSTEM,
        "location": warehouse,
        "code": "WH-S",
        "name": "Sinuiju warehouse",
        "name_ko": "신의주창고",
        "province_id": seeded_province("NPY").id,
    }
    db.session.commit()  # each refusal below is rolled back
    with pytest.raises(DomainError, match=r"supplies 1 active location \(Sinuiju centre\)"):
        services.save_location(**values, kind=LocationKind.CENTRE)
    db.session.rollback()
    with pytest.raises(DomainError, match="before deactivating this warehouse"):
        services.save_location(**values, kind=LocationKind.WAREHOUSE, is_active=False)


def test_admin_adds_and_edits_provinces(client, login_as) -> None:
    login_as(Role.ADMIN)
    listing = client.get("/provinces").get_data(as_text=True)
    for name in ("Pyongyang", "평양시", "South Pyongan", "South Hamgyong"):
        assert name in listing
    data = {"code": "nhg", "name": "North Hamgyong", "name_ko": "함경북도", "sort_order": "8"}
    assert client.post("/provinces/new", data=data).status_code == 302
    province = db.session.scalar(select(Province).where(Province.code == "NHG"))
    assert province.name_ko == "함경북도" and province.sort_order == 8
    again = client.post("/provinces/new", data=data).get_data(as_text=True)
    assert "The code NHG is already used by another province." in again
    blank = client.post("/provinces/new", data={**data, "code": "RY", "name_ko": ""})
    assert 'aria-describedby="name_ko-error"' in blank.get_data(as_text=True)
    edited = {**data, "code": "NHG", "name": "North Hamgyong Province", "sort_order": "9"}
    assert client.post(f"/provinces/{province.id}/edit", data=edited).status_code == 302
    db.session.expire_all()
    assert db.session.get(Province, province.id).name == "North Hamgyong Province"
    make_location(province=province)
    listing = client.get("/provinces").get_data(as_text=True)
    assert "North Hamgyong Province" in listing
    assert '<td class="number">1</td>' in listing


def test_logistics_cannot_manage_locations_or_provinces(client, login_as) -> None:
    logistics = login_as(Role.LOGISTICS)
    centre = make_location()
    province = make_province()
    db.session.commit()
    for url in ("/locations", f"/locations/{centre.id}/edit", "/provinces/new"):
        assert client.get(url).status_code == 403
    assert client.post("/locations/new", data=location_data()).status_code == 403
    with pytest.raises(PermissionDeniedError):
        services.save_province(actor=logistics, province=province, code="X", name="X", name_ko="X")


def test_services_refuse_a_forgotten_actor_and_let_the_system_act(app) -> None:
    # actor=None once meant "the command line, every permission"; now only SYSTEM means that.
    with pytest.raises(PermissionDeniedError):
        services.save_province(actor=None, code="NOONE", name="Nobody", name_ko="없음")
    with pytest.raises(PermissionDeniedError):
        services.save_location(
            actor=None,
            code="WH-NOONE",
            kind=LocationKind.WAREHOUSE,
            name="Nobody's",
            name_ko="없음",
            province_id=make_province().id,
        )
    db.session.rollback()
    assert db.session.scalar(select(Province).where(Province.code == "NOONE")) is None
    assert db.session.scalar(select(Location).where(Location.code == "WH-NOONE")) is None
    province = services.save_province(actor=SYSTEM, code="SYS", name="System", name_ko="체계")
    services.save_location(
        actor=SYSTEM,
        code="WH-SYS",
        kind=LocationKind.WAREHOUSE,
        name="System warehouse",
        name_ko="체계 창고",
        province_id=province.id,
    )
    db.session.commit()
    assert db.session.scalar(select(Location).where(Location.code == "WH-SYS")) is not None


def test_places_and_provinces_are_named_in_french_when_they_have_a_french_name(app) -> None:
    province = make_province(name="North Hamgyong", name_ko="함경북도", name_fr="Hamgyong du Nord")
    place = make_location(name="Chongjin Centre", name_ko="청진쎈터", province=province)
    assert [place.display_name(locale) for locale in ("en", "ko_KP", "fr", None)] == [
        "Chongjin Centre",
        "청진쎈터",
        "Chongjin Centre",  # no French name: the English one
        "Chongjin Centre",
    ]
    place.name_fr = "Centre de Chongjin"
    assert place.display_name("fr") == "Centre de Chongjin"
    assert (
        place.display_name("ko_KP") == "청진쎈터" and place.display_name("en") == "Chongjin Centre"
    )
    assert province.display_name("fr") == "Hamgyong du Nord"
    assert province.display_name("ko_KP") == "함경북도" and province.display_name("en") == (
        "North Hamgyong"
    )
    # The migration named the seeded provinces in French, where French says them differently.
    assert seeded_province("SPY").display_name("fr") == "Pyongan du Sud"
    assert seeded_province("PY").name_fr is None


def test_a_place_and_a_province_keep_an_optional_french_name_through_their_forms(
    client, login_as
) -> None:
    login_as(Role.ADMIN)
    created = client.post("/locations/new", data=location_data(name_fr="  Centre de Hamhung "))
    assert created.status_code == 302
    place = db.session.scalar(select(Location).where(Location.code == "CTR-HAMHUNG"))
    assert place.name_fr == "Centre de Hamhung"
    form = client.get(f"/locations/{place.id}/edit").get_data(as_text=True)
    assert 'lang="fr"' in form and 'value="Centre de Hamhung"' in form
    too_long = client.post(f"/locations/{place.id}/edit", data=location_data(name_fr="é" * 201))
    message = "Name in French: Field cannot be longer than 200 characters."
    assert message in too_long.get_data(as_text=True)  # the summary names the field
    assert reload(place).name_fr == "Centre de Hamhung"  # nothing half-written
    cleared = client.post(f"/locations/{place.id}/edit", data=location_data(name_fr=" "))
    assert cleared.status_code == 302 and reload(place).name_fr is None
    client.post(f"/locations/{place.id}/edit", data=location_data(name_fr="Centre orthopédique"))
    assert reload(place).name_fr == "Centre orthopédique"
    listing = client.get("/locations").get_data(as_text=True)
    assert '<td lang="fr">Centre orthopédique</td>' in listing
    history = client.get(f"/locations/{place.id}/edit").get_data(as_text=True)
    assert "Name (French)" in history  # the change is on the place's record

    data = {"code": "nhg", "name": "North Hamgyong", "name_ko": "함경북도", "sort_order": "8"}
    assert client.post("/provinces/new", data=data).status_code == 302
    province = db.session.scalar(select(Province).where(Province.code == "NHG"))
    assert province.name_fr is None
    url = f"/provinces/{province.id}/edit"
    assert client.post(url, data={**data, "name_fr": "Hamgyong du Nord"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Province, province.id).name_fr == "Hamgyong du Nord"
    refused = client.post(url, data={**data, "name_fr": "x" * 121}).get_data(as_text=True)
    assert "Name in French: Field cannot be longer than 120 characters." in refused
    assert '<td lang="fr">Hamgyong du Nord</td>' in client.get("/provinces").get_data(as_text=True)


def test_the_services_refuse_a_french_name_too_long_naming_it(app) -> None:
    province = make_province()
    with pytest.raises(DomainError) as error:
        services.save_province(
            actor=SYSTEM, province=province, code="P1", name="P", name_ko="도", name_fr="x" * 121
        )
    assert error.value.field == "name_fr"
    assert str(error.value) == "The name in French must have at most 120 characters."
    with pytest.raises(DomainError) as error:
        services.save_location(
            actor=SYSTEM,
            code="WH-LONG",
            kind=LocationKind.WAREHOUSE,
            name="Long",
            name_ko="창고",
            name_fr="x" * 201,
            province_id=province.id,
        )
    assert error.value.field == "name_fr" and "200" in str(error.value)


def test_the_locations_list_names_provinces_and_suppliers_in_the_readers_language(
    client, login_as
) -> None:
    login_as(Role.ADMIN)
    warehouse = make_warehouse(code="WH-FR", name="Central store", name_fr="Entrepôt central")
    make_location(code="CTR-FR", province=seeded_province("SPY"), supplied_by_id=warehouse.id)
    db.session.commit()
    for language, province, supplier in (
        ("fr", "Pyongan du Sud", "Entrepôt central"),
        ("ko", "평안남도", None),  # the factory's Korean name
        ("en", "South Pyongan", "Central store"),
    ):
        page = client.get("/locations?q=ctr-fr", headers={"Accept-Language": language})
        row = page.get_data(as_text=True).split(">CTR-FR</td>", 1)[1].split("</tr>", 1)[0]
        assert f"<td>{province}</td>" in row, language
        if supplier:
            assert f"<td>{supplier}</td>" in row, language
    french = client.get("/locations", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<td lang="fr">Entrepôt central</td>' in french
    assert '<td lang="fr">Bénéficiaires</td>' in french  # the virtual ones too
