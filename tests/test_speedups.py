"""The test-only shortcuts of tests/speedups.py change nothing a test can see."""

import re
from collections.abc import Iterator
from pathlib import Path

import fpdf.output
import pytest
from flask import Flask
from fontTools import subset as ftsubset

from hilogistics import create_app
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.documents.layout import Column, Document, render
from tests.conftest import base_config

# What differs between two renderings a second apart: the creation time, and the file
# identifier fpdf2 hashes from the content and that time.
_STAMPS = re.compile(rb"/CreationDate \(D:[^)]*\)|/ID \[<[0-9A-F]+><[0-9A-F]+>\]")


@pytest.fixture
def bare_app(tmp_path: Path) -> Iterator[Flask]:
    """An app context for rendering only (the database is never opened)."""
    app = create_app(base_config(f"sqlite:///{tmp_path / 'unused.sqlite'}", tmp_path / "i"))
    with app.app_context():
        yield app
        db.engine.dispose()


def _document(rows: int, place: str = "평양 물자") -> Document:
    return Document(
        title="Receipt",
        number=f"RC-{rows}",
        columns=[Column("Item", 60), Column("Quantity", 20, "R")],
        rows=[[f"{place} {n} élan «{n}»", str(n * 7)] for n in range(rows)],
        facts=[("From", "중앙창고")],
    )


def test_kept_font_subsets_give_the_same_pdf_as_fonttools(
    bare_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    shortcut = fpdf.output.ftsubset
    assert getattr(shortcut, "_reused", False), "tests/conftest.py installs the shortcut"
    cuts: list[int] = []
    real_subset = ftsubset.Subsetter.subset
    monkeypatch.setattr(
        ftsubset.Subsetter, "subset", lambda self, font: cuts.append(1) or real_subset(self, font)
    )
    # Two documents whose glyphs differ: each must get its own subset.
    documents = [_document(23), _document(5, "함흥 정형쎈터 Ŵ")]
    monkeypatch.setattr(fpdf.output, "ftsubset", ftsubset)
    plain = [_STAMPS.sub(b"", render(document)) for document in documents]
    assert len(cuts) == 4  # the regular and the bold font of each
    monkeypatch.setattr(fpdf.output, "ftsubset", shortcut)
    for _round in range(2):
        assert [_STAMPS.sub(b"", render(document)) for document in documents] == plain
    cuts.clear()
    render(documents[0])
    assert cuts == []  # answered from the kept subsets, without fontTools


def test_the_app_itself_still_hashes_passwords_at_full_strength(bare_app: Flask) -> None:
    from hilogistics.auth import services
    from hilogistics.auth.models import User
    from tests.factories import TEST_HASH_METHOD

    user = User(username="full", display_name="Full", role=Role.VIEWER)
    user.set_password("a long enough secret")
    assert user.password_hash.startswith("scrypt:32768:8:1$")
    assert user.check_password("a long enough secret")
    # The dummy an unknown username is checked against: production's, and the tests' cheaper
    # one, which has the same cost as the test users' hashes.
    assert services._dummy_hash.production().startswith("scrypt:32768:8:1$")
    assert services._dummy_hash().startswith(f"{TEST_HASH_METHOD}$")
