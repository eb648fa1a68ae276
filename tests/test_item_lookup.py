"""The item lookup behind the code inputs, and forms that no longer carry the whole catalogue."""

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert, select, text

from hilogistics.auth.models import Role
from hilogistics.catalogue import queries
from hilogistics.catalogue.models import Category, Item, Unit
from hilogistics.dates import business_today
from hilogistics.db import db
from tests.factories import make_item, make_location, make_warehouse, operation_key

LOOKUP = "/catalogue/lookup"


@pytest.fixture
def staff(login_as) -> None:
    login_as(Role.LOGISTICS)


def codes(client: FlaskClient, q: str) -> list[str]:
    response = client.get(LOOKUP, query_string={"q": q})
    assert response.status_code == 200 and response.is_json
    return [item["code"] for item in response.get_json()["items"]]


def test_codes_starting_with_the_text_come_first_then_names_containing_it(
    client: FlaskClient, staff
) -> None:
    make_item(code="ORT-FOOT-SACH-24", name="SACH foot 24 cm")
    make_item(code="ORT-FOOT-SACH-25", name="SACH foot 25 cm")
    make_item(code="MOB-CRUT-EL", name="Elbow crutches for a foot injury")
    make_item(code="ORT-KNEE-SA", name="Single-axis knee")
    make_item(code="ORT-FOOT-OLD", name="Retired foot", is_active=False)
    make_item(code="ORT_FOOTX", name="Underscore is literal")
    db.session.commit()
    assert codes(client, "ort-foot") == ["ORT-FOOT-SACH-24", "ORT-FOOT-SACH-25"]
    assert codes(client, "  Ort-F ") == ["ORT-FOOT-SACH-24", "ORT-FOOT-SACH-25"]
    assert codes(client, "foot") == ["MOB-CRUT-EL", "ORT-FOOT-SACH-24", "ORT-FOOT-SACH-25"]
    assert codes(client, "ort_") == ["ORT_FOOTX"]  # wildcards are plain characters
    assert codes(client, "%") == []
    assert codes(client, "") == []


def test_an_exact_code_gives_the_item_its_unit_pack_size_and_rules_in_the_readers_language(
    client: FlaskClient, staff
) -> None:
    make_item(
        code="MAT-GLUE",
        name="Contact adhesive",
        name_ko="접촉식 접착제",
        pack_size=12,
        tracks_expiry=True,
    )
    make_item(code="MAT-GLUE-2", name="Other glue")
    db.session.commit()
    with client.session_transaction() as session:
        session["locale"] = "ko_KP"
    answer = client.get(LOOKUP, query_string={"q": "mat-glue"}).get_json()
    assert [item["code"] for item in answer["items"]] == ["MAT-GLUE", "MAT-GLUE-2"]
    exact = answer["exact"]
    assert exact["code"] == "MAT-GLUE" and exact["name"] == "접촉식 접착제"
    assert exact["pack_size"] == 12 and exact["unit"] == "개"
    assert exact["tracks_expiry"] is True and exact["tracks_serial"] is False
    assert exact["summary"].startswith("접촉식 접착제.") and "12" in exact["summary"]
    # A Korean name is found by a part of it.
    assert codes(client, "착제") == ["MAT-GLUE"]
    assert client.get(LOOKUP, query_string={"q": "MAT-GL"}).get_json()["exact"] is None


def test_the_lookup_answers_at_most_ten_items_in_two_statements_for_any_catalogue(
    client: FlaskClient, staff, count_queries: Callable[[], list[str]]
) -> None:
    category = db.session.scalar(select(Category).order_by(Category.id).limit(1))
    piece = db.session.scalar(select(Unit).where(Unit.code == "piece"))
    db.session.execute(
        insert(Item),
        [
            {
                "code": f"EDU-BK-{n:04d}",
                "name": f"Exercise book {n}",
                "name_ko": f"학습장 {n}",
                "category_id": category.id,
                "unit_id": piece.id,
            }
            for n in range(300)
        ],
    )
    db.session.commit()
    client.get(LOOKUP, query_string={"q": "warm-up"})  # the session's user, the collation
    statements = count_queries()
    statements.clear()
    assert codes(client, "edu-bk-01") == [f"EDU-BK-{n:04d}" for n in range(100, 110)]
    lookups = [s for s in statements if "FROM items" in s]
    assert len(lookups) == 1  # ten codes found: no name search; unit joined, no N+1
    statements.clear()
    assert len(codes(client, "book 1")) == 10
    assert len([s for s in statements if "FROM items" in s]) == 2
    statements.clear()
    assert codes(client, "EDU-BK-0007") == ["EDU-BK-0007"]  # a whole code: no name search
    assert len([s for s in statements if "FROM items" in s]) == 1


def test_the_code_prefix_is_read_from_the_lower_code_index(
    staff, count_queries: Callable[[], list[str]]
) -> None:
    make_item(code="ORT-PYL-30")
    db.session.commit()
    statements = count_queries()
    assert [item.code for item in queries.lookup_items("ort-p", "en")] == ["ORT-PYL-30"]
    by_code = next(s for s in statements if "FROM items" in s)
    assert "lower(items.code) >=" in by_code and "lower(items.code) <" in by_code
    # The same shape of statement, asked of the planner: it walks the index.
    sql = (
        "SELECT id FROM items WHERE lower(code) >= 'ort-p' AND lower(code) < 'ort-q' "
        "AND lower(code) LIKE 'ort-p%' ORDER BY lower(code) LIMIT 10"
    )
    if db.session.get_bind().dialect.name == "sqlite":
        plan = db.session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
    else:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table is scanned
        plan = db.session.execute(text("EXPLAIN " + sql)).all()
    assert "uq_items_lower_code" in " ".join(str(row) for row in plan)


def test_bad_lookup_text_is_bounded_and_never_an_error(client: FlaskClient, staff) -> None:
    make_item(code="ORT-PYL-30")
    db.session.commit()
    long = client.get(LOOKUP, query_string={"q": "ORT-PYL-30" + "x" * 5000})
    assert long.status_code == 200 and long.get_json()["q"] == ("ORT-PYL-30" + "x" * 30)
    assert client.get(LOOKUP, query_string={"q": "a\x00b"}).status_code == 400
    assert codes(client, "'; DROP TABLE items; --") == []
    assert codes(client, "조선") == []


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_look_items_up(client: FlaskClient, login_as, role: Role) -> None:
    # Technicians type item codes on their distributions; the lookup says nothing of any place.
    login_as(role)
    assert client.get(LOOKUP, query_string={"q": "x"}).status_code == 200


def test_anonymous_visitors_may_not_look_items_up(client: FlaskClient) -> None:
    response = client.get(LOOKUP, query_string={"q": "x"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_forms_do_not_grow_with_the_catalogue(client: FlaskClient, staff) -> None:
    warehouse = make_warehouse()
    make_item(code="ORT-KNEE-SA")
    db.session.commit()
    receipt = client.get("/stock/receipts/new").get_data(as_text=True)
    adjust = client.get("/stock/adjust").get_data(as_text=True)
    for n in range(200):
        make_item(code=f"EXTRA-{n:03d}", name=f"An extra item with a long name {n}")
    db.session.commit()
    assert len(client.get("/stock/receipts/new").get_data(as_text=True)) == len(receipt)
    assert len(client.get("/stock/adjust").get_data(as_text=True)) == len(adjust)
    for body in (receipt, adjust):
        assert "ORT-KNEE-SA" not in body and "<datalist" not in body
        assert "data-item-lookup" in body and "/js/lines.js" in body
    assert warehouse.id


def test_an_unknown_code_is_checked_on_submit_and_links_to_the_catalogue(
    client: FlaskClient, staff
) -> None:
    warehouse = make_warehouse()
    centre = make_location()
    db.session.commit()
    data = {
        "warehouse_id": str(warehouse.id),
        "occurred_on": business_today().isoformat(),
        "operation_key": operation_key(),
        "lines-0-item": "ORT-KNE",
        "lines-0-units": "2",
    }
    body = client.post("/stock/receipts/new", data=data).get_data(as_text=True)
    assert "No active item has this code." in body
    assert "/catalogue/items?q=ORT-KNE&amp;status=active" in body
    assert "Search the catalogue for “ORT-KNE”" in body
    adjust = client.get("/stock/adjust", query_string={"location_id": centre.id, "item": "ORT-KNE"})
    adjust_body = adjust.get_data(as_text=True)
    assert "/catalogue/items?q=ORT-KNE&amp;status=active" in adjust_body


def test_the_line_script_is_a_deferred_versioned_file_and_the_pages_have_no_inline_script(
    client: FlaskClient, staff
) -> None:
    make_warehouse()
    db.session.commit()
    body = client.get("/stock/receipts/new").get_data(as_text=True)
    tag = re.search(r"<script[^>]*>", body)
    assert tag and re.search(r'src="/static/[0-9a-f]{12}/js/lines\.js"', tag.group(0))
    assert " defer" in tag.group(0) and 'data-lookup-url="/catalogue/lookup"' in tag.group(0)
    assert body.count("<script") == 1  # no inline script: the policy is script-src 'self'
    assert not re.search(r"\son[a-z]+=", body)  # nor inline handlers
    src = re.search(r'src="([^"]+)"', tag.group(0)).group(1)
    script = client.get(src, headers={"Accept-Encoding": "gzip"})
    assert script.status_code == 200 and script.headers["Content-Encoding"] == "gzip"
    assert "immutable" in script.headers["Cache-Control"]
    script.close()
