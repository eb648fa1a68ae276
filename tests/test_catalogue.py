"""Catalogue administration: items, search and filters, export, import, categories, units."""

import io
import stat
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.catalogue import importing, services
from hilogistics.catalogue.models import Category, Item, ItemKind, Unit
from hilogistics.db import db
from hilogistics.errors import DomainError, PermissionDeniedError
from tests import factories
from tests.conftest import sign_in
from tests.factories import (
    make_category,
    make_item,
    make_unit,
    make_warehouse,
    receive,
)

HEADER = (
    "code,name,name_ko,name_fr,category,unit,pack_size,kind,"
    "tracks_expiry,tracks_serial,family,active"
)


def category(code: str) -> Category:
    """A category the migrations seed (ORTHO, ORTHO-PROS, EDU, …)."""
    return db.session.scalar(select(Category).where(Category.code == code))


def unit(code: str) -> Unit:
    """A unit the migrations seed (piece, pair, box, …)."""
    return db.session.scalar(select(Unit).where(Unit.code == code))


def item_by_code(code: str) -> Item | None:
    db.session.expire_all()
    return db.session.scalar(select(Item).where(Item.code == code))


def item_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Item))


def item_form(**overrides: object) -> dict[str, object]:
    """A valid new-item form; checkboxes are sent only when ticked, as browsers do."""
    data: dict[str, object] = {
        "code": "ort-foot-sach-24",
        "name": "SACH foot, 24 cm, left",
        "name_ko": "SACH 발 24 왼쪽",
        "name_fr": "Pied SACH 24 cm gauche",
        "category_id": str(category("ORTHO-PROS").id),
        "unit_id": str(unit("piece").id),
        "pack_size": "10",
        "kind": "consumable",
        "family": "SACH foot",
        "is_active": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def upload(client: FlaskClient, content: bytes, filename: str = "items.csv"):
    return client.post(
        "/catalogue/items/import",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def csv_file(*rows: str, bom: bool = False) -> bytes:
    text = "\r\n".join([HEADER, *rows]) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def stored_uploads(app: Flask) -> list[Path]:
    folder = Path(app.instance_path) / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


# Item pages --------------------------------------------------------------------------------------


def test_admin_creates_an_item_and_the_code_is_stored_in_capitals(client, login_as) -> None:
    login_as(Role.ADMIN)
    response = client.post("/catalogue/items/new", data=item_form())
    assert response.status_code == 302
    item = item_by_code("ORT-FOOT-SACH-24")
    assert item is not None
    assert item.name_ko == "SACH 발 24 왼쪽" and item.pack_size == 10
    assert item.category.code == "ORTHO-PROS" and item.unit.code == "piece"
    assert item.family == "SACH foot" and item.is_active and not item.tracks_serial


def test_a_code_taken_in_any_case_is_refused_on_the_code_field(client, login_as) -> None:
    login_as(Role.ADMIN)
    make_item(code="ORT-FOOT-SACH-24")
    response = client.post("/catalogue/items/new", data=item_form(code="ort-foot-SACH-24"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Another item already has the code ORT-FOOT-SACH-24." in body
    assert 'aria-describedby="code-help code-error"' in body
    assert body.count('aria-invalid="true"') == 1
    assert item_count() == 1


def test_form_errors_name_the_field_they_belong_to(client, login_as) -> None:
    login_as(Role.ADMIN)
    response = client.post(
        "/catalogue/items/new",
        data=item_form(code="bad code!", name_ko="", pack_size="0"),
    )
    body = response.get_data(as_text=True)
    assert 'id="name_ko-error"' in body and 'id="pack_size-error"' in body
    assert item_count() == 0
    response = client.post("/catalogue/items/new", data=item_form(code="bad code!", name_ko="ok"))
    body = response.get_data(as_text=True)
    assert "Use at most 40 letters, digits" in body and 'id="code-error"' in body


def test_serial_numbers_are_only_for_equipment(client, login_as) -> None:
    login_as(Role.ADMIN)
    response = client.post("/catalogue/items/new", data=item_form(tracks_serial="y"))
    body = response.get_data(as_text=True)
    assert "Only equipment can be tracked by serial number" in body
    assert 'id="tracks_serial-error"' in body
    assert 'aria-describedby="tracks_serial-error"' in body
    assert item_count() == 0
    response = client.post(
        "/catalogue/items/new", data=item_form(tracks_serial="y", kind="equipment")
    )
    assert response.status_code == 302
    assert item_by_code("ORT-FOOT-SACH-24").tracks_serial


def test_admin_edits_an_item(client, login_as) -> None:
    login_as(Role.ADMIN)
    item = make_item(code="EDU-BRL-SLATE", family=None)
    db.session.commit()
    page = client.get(f"/catalogue/items/{item.id}/edit").get_data(as_text=True)
    assert 'value="EDU-BRL-SLATE"' in page
    response = client.post(
        f"/catalogue/items/{item.id}/edit",
        data=item_form(code="EDU-BRL-SLATE", name="Braille slate", is_active=None),
    )
    assert response.status_code == 302
    item = item_by_code("EDU-BRL-SLATE")
    assert item.name == "Braille slate" and not item.is_active
    assert client.get("/catalogue/items/999999/edit").status_code == 404


def test_unit_and_tracking_are_fixed_once_the_item_has_movements(client, login_as) -> None:
    login_as(Role.ADMIN)
    item = make_item(code="RENO-CEMENT", unit=unit("bag"))
    receive(item, 5, make_warehouse())
    db.session.commit()
    page = client.get(f"/catalogue/items/{item.id}/edit").get_data(as_text=True)
    assert "can no longer change" in page
    response = client.post(
        f"/catalogue/items/{item.id}/edit",
        data=item_form(code="RENO-CEMENT", unit_id=str(unit("kg").id), tracks_expiry="y"),
    )
    body = response.get_data(as_text=True)
    assert "The unit of issue cannot change" in body and 'id="unit_id-error"' in body
    # Deactivating it does not trap its stock: the advice says what can still happen to it.
    assert "can still be written off, counted or returned to a warehouse" in body
    assert item_by_code("RENO-CEMENT").unit.code == "bag"
    with pytest.raises(DomainError, match="Expiry tracking cannot change") as error:
        services.update_item(
            actor=SYSTEM,
            item=item,
            code=item.code,
            name=item.name,
            name_ko=item.name_ko,
            category_id=item.category_id,
            unit_id=item.unit_id,
            tracks_expiry=True,
        )
    assert error.value.field == "tracks_expiry"
    db.session.rollback()
    # Names, pack size and the active flag may still change.
    response = client.post(
        f"/catalogue/items/{item.id}/edit",
        data=item_form(code="RENO-CEMENT", unit_id=str(unit("bag").id), name="Cement 50 kg"),
    )
    assert response.status_code == 302


def test_search_matches_code_and_names_in_every_language(client, login_as) -> None:
    login_as(Role.ADMIN)
    make_item(code="ORT-KNEE-1", name="Knee joint", name_ko="무릎관절", name_fr="Genou articulé")
    make_item(code="EDU-BRL-2", name="Braille paper", name_ko="점자종이", name_fr="Papier braille")
    make_item(code="X_100%", name="Odd code", name_ko="기타", name_fr=None)
    db.session.commit()

    def codes(query: str) -> set[str]:
        body = client.get("/catalogue/items", query_string={"q": query}).get_data(as_text=True)
        shown = ("ORT-KNEE-1", "EDU-BRL-2", "X_100%")
        return {c for c in shown if f'<td class="code">{c}</td>' in body}

    assert codes("무릎") == {"ORT-KNEE-1"}
    assert codes("GENOU") == {"ORT-KNEE-1"}
    assert codes("papier") == {"EDU-BRL-2"}
    assert codes("edu-brl") == {"EDU-BRL-2"}
    assert codes("knee JOINT") == {"ORT-KNEE-1"}
    assert codes("_1") == {"X_100%"}  # LIKE wildcards are matched literally
    assert codes("%") == {"X_100%"}


def test_a_top_level_category_filter_includes_its_sub_categories(client, login_as) -> None:
    login_as(Role.ADMIN)
    make_item(code="IN-PARENT", category=category("ORTHO"))
    make_item(code="IN-CHILD", category=category("ORTHO-PROS"))
    make_item(code="ELSEWHERE", category=category("EDU-BRL"))
    db.session.commit()

    def codes(category_code: str) -> set[str]:
        body = client.get(
            "/catalogue/items", query_string={"category": category(category_code).id}
        ).get_data(as_text=True)
        shown = ("IN-PARENT", "IN-CHILD", "ELSEWHERE")
        return {c for c in shown if f'<td class="code">{c}</td>' in body}

    assert codes("ORTHO") == {"IN-PARENT", "IN-CHILD"}
    assert codes("ORTHO-PROS") == {"IN-CHILD"}
    assert codes("EDU") == {"ELSEWHERE"}
    assert client.get("/catalogue/items?category=nonsense").status_code == 200


def test_family_and_status_filters_narrow_the_list(client, login_as) -> None:
    login_as(Role.ADMIN)
    make_item(code="SACH-22", family="SACH foot")
    make_item(code="SACH-23", family="SACH foot", is_active=False)
    make_item(code="KNEE-1", family="Knee")
    db.session.commit()
    body = client.get("/catalogue/items", query_string={"family": "sach FOOT"}).get_data(
        as_text=True
    )
    assert '<td class="code">SACH-22</td>' in body and '<td class="code">SACH-23</td>' in body
    assert '<td class="code">KNEE-1</td>' not in body
    assert '<option value="SACH foot"></option>' in body  # the families datalist
    body = client.get(
        "/catalogue/items", query_string={"family": "SACH foot", "status": "inactive"}
    ).get_data(as_text=True)
    assert '<td class="code">SACH-23</td>' in body and '<td class="code">SACH-22</td>' not in body


def test_the_item_list_has_pages_that_keep_the_filters(app: Flask, client, login_as) -> None:
    app.config["PER_PAGE"] = 2
    login_as(Role.ADMIN)
    for n in range(3):
        make_item(code=f"PAGE-{n}", family="paged")
    make_item(code="OTHER-1")
    db.session.commit()
    first = client.get("/catalogue/items?family=paged").get_data(as_text=True)
    assert "Page 1 of 2 (3 in all)" in first
    assert "page=2" in first and "family=paged" in first
    second = client.get("/catalogue/items?family=paged&page=2").get_data(as_text=True)
    assert '<td class="code">PAGE-2</td>' in second and '<td class="code">PAGE-0</td>' not in second


def test_the_item_list_runs_the_same_queries_for_few_or_many_items(
    client, login_as, count_queries
) -> None:
    login_as(Role.ADMIN)
    kinds = [("ORTHO-PROS", "piece"), ("EDU-BRL", "box"), ("RENO", "bag"), ("EQUIP", "set")]

    def queries_for_list() -> int:
        before = len(count_queries())
        assert client.get("/catalogue/items").status_code == 200
        return len(count_queries()) - before

    for category_code, unit_code in kinds[:2]:
        make_item(category=category(category_code), unit=unit(unit_code))
    db.session.commit()
    few = queries_for_list()
    for category_code, unit_code in kinds * 3:
        make_item(category=category(category_code), unit=unit(unit_code))
    db.session.commit()
    assert queries_for_list() == few


def test_non_admins_cannot_change_the_catalogue_and_technicians_cannot_open_it(
    app: Flask, make_user
) -> None:
    client = app.test_client()
    for role in (Role.LOGISTICS, Role.TECHNICIAN, Role.VIEWER):
        sign_in(client, make_user(role))
        for url in ("/catalogue/items/new", "/catalogue/categories/new", "/catalogue/units/new"):
            assert client.get(url).status_code == 403
        assert upload(client, csv_file()).status_code == 403
    sign_in(client, make_user(Role.TECHNICIAN))
    for url in ("/catalogue/items", "/catalogue/categories", "/catalogue/units"):
        assert client.get(url).status_code == 403


def test_services_refuse_actors_who_are_not_admins(app: Flask) -> None:
    viewer = factories.make_user(Role.LOGISTICS)
    with pytest.raises(PermissionDeniedError):
        services.create_unit(actor=viewer, code="tin", name="tin", name_ko="깡통")
    with pytest.raises(PermissionDeniedError):
        importing.plan_item_import(actor=viewer, data=csv_file(), filename="x.csv")


def test_services_refuse_a_forgotten_actor_and_let_the_system_act(app: Flask) -> None:
    # actor=None once meant "the command line, every permission"; now only SYSTEM means that.
    with pytest.raises(PermissionDeniedError):
        services.create_unit(actor=None, code="tin", name="tin", name_ko="깡통")
    with pytest.raises(PermissionDeniedError):
        services.create_category(actor=None, code="TINS", name="Tins", name_ko="깡통")
    with pytest.raises(PermissionDeniedError):
        importing.plan_item_import(actor=None, data=csv_file(), filename="x.csv")
    with pytest.raises(PermissionDeniedError):
        importing.import_items(actor=None, data=csv_file(), filename="x.csv")
    db.session.rollback()
    assert unit("tin") is None
    services.create_unit(actor=SYSTEM, code="tin", name="tin", name_ko="깡통")
    db.session.commit()
    assert unit("tin") is not None
    plan = importing.plan_item_import(actor=SYSTEM, data=csv_file(), filename="x.csv")
    assert plan.problems


# Export ------------------------------------------------------------------------------------------


def test_csv_export_starts_with_a_bom_and_neutralises_formulas(client, login_as) -> None:
    login_as(Role.ADMIN)
    make_item(code="DANGER-1", name="=cmd|' /C calc'!A0", name_ko="위험", family="@SUM(A1)")
    make_item(code="OTHER-2", family="other")
    db.session.commit()
    response = client.get("/catalogue/items/export?format=csv&q=danger")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "items.csv" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff".encode())
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0] == HEADER
    assert len(lines) == 2  # only the filtered item
    assert lines[1].startswith("DANGER-1,'=cmd|' /C calc'!A0,위험,")
    assert ",'@SUM(A1),yes" in lines[1]


def test_xlsx_export_opens_in_a_spreadsheet(client, login_as) -> None:
    login_as(Role.ADMIN)
    make_item(code="XL-1", name="Crutch", pack_size=4, kind=ItemKind.EQUIPMENT, tracks_serial=True)
    db.session.commit()
    response = client.get("/catalogue/items/export?format=xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == tuple(HEADER.split(","))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["code"] == "XL-1" and row["pack_size"] == 4 and row["kind"] == "equipment"
    assert row["tracks_serial"] == "yes" and row["unit"] == "piece"


# Import ------------------------------------------------------------------------------------------


def test_import_preview_shows_each_row_and_writes_nothing(app: Flask, client, login_as) -> None:
    login_as(Role.ADMIN)
    make_item(code="KNOWN-1", name="Old name", name_ko="옛이름", category=category("EDU"))
    make_item(code="SAME-1", name="Same", name_ko="같음", name_fr=None, category=category("EDU"))
    db.session.commit()
    content = csv_file(
        "NEW-1,New thing,새것,,ORTHO-PROS,piece,5,consumable,no,no,,yes",
        "known-1,New name,옛이름,,EDU,piece,,,,,,",
        "SAME-1,Same,같음,,EDU,piece,1,consumable,no,no,,yes",
    )
    response = upload(client, content)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing has been changed yet." in body
    assert "<td>New item</td>" in body and "<td>Update</td>" in body
    assert "<td>No change</td>" in body and "<td>name, name_fr</td>" in body
    assert "Import these rows" in body
    assert item_by_code("NEW-1") is None
    assert item_by_code("KNOWN-1").name == "Old name"
    [stored] = stored_uploads(app)
    assert stored.suffix == ".csv" and stat.S_IMODE(stored.stat().st_mode) == 0o600


def test_import_with_one_bad_row_writes_nothing_and_names_row_column_and_reason(
    app: Flask, client, login_as
) -> None:
    login_as(Role.ADMIN)
    content = csv_file(
        "GOOD-1,Good,좋음,,ORTHO,piece,1,consumable,no,no,,yes",
        "BAD-1,Bad,나쁨,,NO-SUCH-CAT,piece,1,consumable,no,no,,yes",
        "GOOD-2,Good two,좋음2,,EDU,box,2,consumable,no,no,,yes",
    )
    body = upload(client, content).get_data(as_text=True)
    assert "The file has 1 problem" in body
    assert (
        '<td class="number">3</td>\n    <td>category</td>\n'
        "    <td>No category has the code NO-SUCH-CAT.</td>"
    ) in body
    assert "Import these rows" not in body
    assert stored_uploads(app) == []
    with pytest.raises(importing.ImportRejectedError) as error:
        importing.import_items(actor=SYSTEM, data=content, filename="items.csv")
    assert error.value.plan.problems == [
        importing.RowProblem(3, "category", "No category has the code NO-SUCH-CAT.")
    ]
    db.session.rollback()
    assert item_count() == 0


def test_every_bad_row_of_an_import_is_reported(app: Flask) -> None:
    item = make_item(code="MOVED-1", unit=unit("piece"))
    receive(item, 2, make_warehouse())
    content = csv_file(
        "A-1,,이름,,ORTHO,piece,1,consumable,no,no,,yes",
        "A-2,Name,이름,,ORTHO,parsec,0,consumable,maybe,no,,yes",
        "a-1,Again,다시,,ORTHO,piece,1,gadget,no,no,,yes",
        "A-3,Serial,번호,,ORTHO,piece,1,consumable,no,yes,,yes",
        "MOVED-1,Moved,이동,,ORTHO,box,1,consumable,no,no,,yes",
        ",No code,코드없음,,ORTHO,piece,1,consumable,no,no,,yes",
    )
    plan = importing.plan_item_import(actor=SYSTEM, data=content, filename="items.csv")
    found = {(p.row, p.column) for p in plan.problems}
    assert found == {
        (2, "name"),
        (3, "unit"),
        (3, "pack_size"),
        (3, "tracks_expiry"),
        (4, "code"),
        (4, "kind"),
        (5, "tracks_serial"),
        (6, "unit"),
        (7, "code"),
    }
    messages = {(p.row, p.column): p.message for p in plan.problems}
    assert "also on row 2" in messages[(4, "code")]
    assert "The unit of issue cannot change" in messages[(6, "unit")]


def test_import_files_with_wrong_columns_or_types_are_refused(client, login_as) -> None:
    login_as(Role.ADMIN)
    body = upload(client, b"code,nmae\r\nX,Y\r\n").get_data(as_text=True)
    assert "<td>nmae</td>" in body and "Unknown column." in body
    assert "<td>name_ko</td>" in body and "This column is missing." in body
    body = upload(client, b"code,name\r\n", "items.txt").get_data(as_text=True)
    assert "Choose a .csv or .xlsx file." in body and 'id="file-error"' in body
    body = upload(client, "code,name\r\n".encode("utf-16"), "items.csv").get_data(as_text=True)
    assert "The file cannot be read" in body and 'id="file-error"' in body
    body = upload(client, b"PK\x03\x04 not really", "items.xlsx").get_data(as_text=True)
    assert "The file cannot be read" in body
    body = upload(client, csv_file()).get_data(as_text=True)
    assert "The file has no item rows." in body


def test_a_confirmed_import_creates_and_updates_by_code_in_one_go(
    app: Flask, client, login_as
) -> None:
    login_as(Role.ADMIN)
    make_item(code="KNOWN-1", name="Old", name_ko="옛", category=category("EDU"), pack_size=1)
    make_item(code="KEEP-1", name="Keep", name_ko="유지", name_fr=None, category=category("EDU"))
    db.session.commit()
    content = csv_file(
        "NEW-1,Walking frame,보행기,Déambulateur,EQUIP,piece,1,EQUIPMENT,no,yes,Frames,yes",
        "NEW-2,'=Gauze,붕대,,ORTHO-MAT,roll,12.0,consumable,TRUE,false,,1",
        "KNOWN-1,New,새,,EDU-BOOK,box,6,consumable,no,no,Books,0",
        "KEEP-1,Keep,유지,,EDU,piece,1,consumable,no,no,,yes",
        bom=True,
    )
    body = upload(client, content).get_data(as_text=True)
    [stored] = stored_uploads(app)
    token = stored.stem
    assert f"/catalogue/items/import/{token}" in body
    response = client.post(f"/catalogue/items/import/{token}", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "Import done: 2 created, 1 updated, 1 unchanged." in body
    assert stored_uploads(app) == []
    walker = item_by_code("NEW-1")
    assert walker.kind is ItemKind.EQUIPMENT and walker.tracks_serial
    assert walker.name_fr == "Déambulateur" and walker.family == "Frames"
    gauze = item_by_code("NEW-2")
    assert gauze.name == "=Gauze" and gauze.pack_size == 12 and gauze.tracks_expiry
    assert gauze.unit.code == "roll" and gauze.category.code == "ORTHO-MAT"
    known = item_by_code("KNOWN-1")
    assert known.name == "New" and known.pack_size == 6 and not known.is_active
    assert known.category.code == "EDU-BOOK" and known.unit.code == "box"
    # The token is used up.
    response = client.post(f"/catalogue/items/import/{token}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/catalogue/items/import")


def test_confirm_applies_nothing_if_the_file_went_bad_since_the_preview(
    app: Flask, client, login_as
) -> None:
    login_as(Role.ADMIN)
    content = csv_file(
        "NEW-1,One,하나,,EDU,piece,1,consumable,no,no,,yes",
        "NEW-2,Two,둘,,RENO,piece,1,consumable,no,no,,yes",
    )
    upload(client, content)
    [stored] = stored_uploads(app)
    reno = category("RENO")
    reno.code = "RENO-OLD"  # another admin renames a category meanwhile
    db.session.commit()
    body = client.post(f"/catalogue/items/import/{stored.stem}").get_data(as_text=True)
    assert "No category has the code RENO." in body
    assert item_count() == 0 and stored_uploads(app) == []


def test_confirm_refuses_tokens_that_are_not_ours(app: Flask, client, login_as) -> None:
    login_as(Role.ADMIN)
    secret = Path(app.instance_path) / "secret.csv"
    secret.write_text(HEADER + "\r\n")
    assert client.post("/catalogue/items/import/..%2Fsecret").status_code == 404
    assert client.post("/catalogue/items/import/ABCDEF").status_code == 404
    assert client.post("/catalogue/items/import/" + "0" * 32).status_code == 302
    assert secret.exists()


def test_csv_import_works_with_and_without_bom(client, login_as) -> None:
    login_as(Role.ADMIN)
    for bom, code in ((True, "BOM-1"), (False, "PLAIN-1")):
        content = csv_file(f"{code},Name,이름,,EDU,piece,1,consumable,no,no,,yes", bom=bom)
        plan = importing.import_items(actor=SYSTEM, data=content, filename="items.CSV")
        assert [row.action for row in plan.rows] == [importing.RowAction.CREATE]
    db.session.commit()
    assert item_by_code("BOM-1") is not None and item_by_code("PLAIN-1") is not None


def test_xlsx_import_creates_items(app: Flask, client, login_as) -> None:
    login_as(Role.ADMIN)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(["XL-9", "Hearing aid", "보청기", None, "EDU-HEAR", "piece", 2, "equipment",
                  True, True, None, "yes"])  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    body = upload(client, buffer.getvalue(), "hearing.xlsx").get_data(as_text=True)
    assert "<td>New item</td>" in body
    [stored] = stored_uploads(app)
    assert stored.suffix == ".xlsx"
    client.post(f"/catalogue/items/import/{stored.stem}")
    item = item_by_code("XL-9")
    assert item.pack_size == 2 and item.tracks_serial and item.tracks_expiry


def test_an_exported_catalogue_imports_back_unchanged(client, login_as) -> None:
    login_as(Role.ADMIN)
    make_item(code="RT-1", name="-5 degree wedge", family="+wedges", name_fr=None)
    make_item(code="RT-2", kind=ItemKind.EQUIPMENT, tracks_serial=True, is_active=False)
    db.session.commit()
    for fmt in ("csv", "xlsx"):
        exported = client.get(f"/catalogue/items/export?format={fmt}").data
        plan = importing.plan_item_import(actor=SYSTEM, data=exported, filename=f"items.{fmt}")
        assert plan.problems == []
        assert {row.action for row in plan.rows} == {importing.RowAction.UNCHANGED}


def test_uploads_larger_than_the_limit_are_refused(app: Flask, client, login_as) -> None:
    login_as(Role.ADMIN)
    app.config["IMPORT_MAX_CONTENT_LENGTH"] = 1024  # the import has its own, larger limit
    assert upload(client, csv_file("X" * 2000)).status_code == 413


# Categories and units ----------------------------------------------------------------------------


def test_categories_are_listed_as_a_tree_with_item_counts(client, login_as) -> None:
    login_as(Role.ADMIN)
    make_item(category=category("ORTHO"))
    make_item(category=category("ORTHO-PROS"))
    make_item(category=category("ORTHO-PROS"))
    db.session.commit()
    body = client.get("/catalogue/categories").get_data(as_text=True)
    ortho = body.index('<th scope="row">Orthopaedic components</th>')
    prosthetic = body.index("Orthopaedic components › Prosthetic components")
    education = body.index('<th scope="row">Educational materials</th>')
    assert ortho < prosthetic < education
    row = body[ortho : body.index("</tr>", ortho)]
    assert '<td class="number">1</td>' in row and '<td class="number">3</td>' in row


def test_categories_have_two_levels_at_most(client, login_as) -> None:
    login_as(Role.ADMIN)
    page = client.get("/catalogue/categories/new").get_data(as_text=True)
    assert f'<option value="{category("ORTHO").id}">' in page
    assert f'<option value="{category("ORTHO-PROS").id}">' not in page
    with pytest.raises(DomainError, match="Only a top-level category can be a parent") as error:
        services.create_category(
            actor=SYSTEM,
            code="ortho-pros-feet",
            name="Feet",
            name_ko="발",
            parent_id=category("ORTHO-PROS").id,
        )
    assert error.value.field == "parent_id"
    db.session.rollback()
    with pytest.raises(DomainError, match="has sub-categories") as error:
        services.update_category(
            actor=SYSTEM,
            category=category("ORTHO"),
            code="ORTHO",
            name="Orthopaedic components",
            name_ko="정형보조기구 부품",
            parent_id=category("EDU").id,
        )
    assert error.value.field == "parent_id"
    db.session.rollback()
    response = client.post(
        "/catalogue/categories/new",
        data={
            "code": "edu-toys",
            "name": "Toys",
            "name_ko": "장난감",
            "parent_id": str(category("EDU").id),
        },
    )
    assert response.status_code == 302
    toys = category("EDU-TOYS")
    assert toys.parent.code == "EDU" and toys.sort_order == 0


def test_admin_edits_a_category_and_codes_stay_unique(client, login_as) -> None:
    login_as(Role.ADMIN)
    own = make_category(code="MISC")
    db.session.commit()
    assert "MISC" in client.get(f"/catalogue/categories/{own.id}/edit").get_data(as_text=True)
    response = client.post(
        f"/catalogue/categories/{own.id}/edit",
        data={"code": "reno", "name": "Misc", "name_ko": "기타"},
    )
    assert "Another category already has the code RENO." in response.get_data(as_text=True)
    response = client.post(
        f"/catalogue/categories/{own.id}/edit",
        data={"code": "misc", "name": "Miscellaneous", "name_ko": "기타", "sort_order": "9"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Category, own.id).name == "Miscellaneous"


def test_admin_manages_units_of_issue(client, login_as) -> None:
    login_as(Role.ADMIN)
    make_item(unit=unit("pair"))
    db.session.commit()
    body = client.get("/catalogue/units").get_data(as_text=True)
    assert '<td class="code">pair</td>' in body and "켤레" in body
    response = client.post(
        "/catalogue/units/new", data={"code": "Tube", "name": "tube", "name_ko": "관"}
    )
    assert response.status_code == 302
    tube = unit("tube")
    response = client.post(
        "/catalogue/units/new", data={"code": "TUBE", "name": "tube", "name_ko": "관"}
    )
    assert "Another unit already has the code tube." in response.get_data(as_text=True)
    response = client.post(
        f"/catalogue/units/{tube.id}/edit",
        data={"code": "tube", "name": "tube", "name_ko": "관", "name_fr": "tube"},
    )
    assert response.status_code == 302
    other = make_unit()
    db.session.commit()
    assert client.get(f"/catalogue/units/{other.id}/edit").status_code == 200


@pytest.mark.parametrize("role", [Role.VIEWER, Role.LOGISTICS])
def test_logistics_and_viewers_read_the_catalogue_but_see_no_edit_links(
    client, login_as, role
) -> None:
    login_as(role)
    make_item(code="READ-1")
    db.session.commit()
    page = client.get("/catalogue/items").get_data(as_text=True)
    assert '<td class="code">READ-1</td>' in page
    assert "/catalogue/items/new" not in page and "/edit" not in page and "/import" not in page
    for path in ("/catalogue/categories", "/catalogue/units"):
        body = client.get(path).get_data(as_text=True)
        assert "/catalogue/categories/new" not in body and "/catalogue/units/new" not in body
        assert "/edit" not in body
    assert client.get("/catalogue/items/new").status_code == 403


def test_viewers_read_the_grants_but_cannot_change_them(client, login_as) -> None:
    from tests.factories import make_grant

    login_as(Role.VIEWER)
    make_grant(code="ECHO-READ")
    db.session.commit()
    body = client.get("/grants").get_data(as_text=True)
    assert "ECHO-READ" in body and "/grants/new" not in body and "/edit" not in body
    assert client.get("/grants/new").status_code == 403
