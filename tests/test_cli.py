"""`flask hilo` commands: create-user, seed-demo, demo-logins."""

import os
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from hilogistics.auth.models import Role, User
from hilogistics.db import db
from tests.factories import make_item, make_location


def test_create_user_reads_the_password_from_stdin(app: Flask, runner) -> None:
    result = runner.invoke(
        args=[
            "hilo",
            "create-user",
            "--username",
            "Chief",
            "--display-name",
            "Chief Admin",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="a long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "created admin chief" in result.output
    assert "a long enough secret" not in result.output
    user = db.session.scalar(select(User).where(User.username == "chief"))
    assert user.check_password("a long enough secret")


def test_create_user_binds_a_technician_to_a_location_code(app: Flask, runner) -> None:
    make_location(code="WS-SCH")
    db.session.commit()
    result = runner.invoke(
        args=[
            "hilo",
            "create-user",
            "--username",
            "tech",
            "--display-name",
            "T",
            "--role",
            "technician",
            "--location",
            "WS-SCH",
            "--password-stdin",
        ],
        input="a long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.username == "tech")).location.code == "WS-SCH"


def test_create_user_fails_with_a_message_on_bad_input(app: Flask, runner) -> None:
    result = runner.invoke(
        args=[
            "hilo",
            "create-user",
            "--username",
            "xy",
            "--display-name",
            "X",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert result.exit_code != 0
    assert "at least 8 characters" in result.output
    missing = runner.invoke(
        args=[
            "hilo",
            "create-user",
            "--username",
            "tech2",
            "--display-name",
            "T",
            "--role",
            "technician",
            "--location",
            "NOPE",
            "--password-stdin",
        ],
        input="a long enough secret\n",
    )
    assert missing.exit_code != 0 and "no location with code NOPE" in missing.output


def test_seed_demo_creates_one_account_per_role_with_private_random_passwords(
    app: Flask, runner
) -> None:
    result = runner.invoke(args=["hilo", "seed-demo"])
    assert result.exit_code == 0, result.output
    logins = Path(app.instance_path) / "demo-logins.txt"
    assert stat.S_IMODE(os.stat(logins).st_mode) == 0o600
    rows = [line.split() for line in logins.read_text(encoding="utf-8").splitlines()]
    assert sorted(role for role, _name, _password in rows) == sorted(role.value for role in Role)
    users = {u.username: u for u in db.session.scalars(select(User))}
    for _role, username, password in rows:
        assert users[username].check_password(password)
    assert users["technician"].location is not None

    printed = runner.invoke(args=["hilo", "demo-logins"])
    assert all(password in printed.output for _r, _u, password in rows)


def test_seed_demo_does_nothing_when_users_exist(app: Flask, runner, make_user) -> None:
    make_user(Role.ADMIN)
    result = runner.invoke(args=["hilo", "seed-demo"])
    assert result.exit_code == 0
    assert "already has users" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_demo_passwords_differ_between_databases(app: Flask, runner) -> None:
    # An item already there: the demo adds places and accounts only, no history that would
    # name the accounts (so they can go), and the test stays quick.
    make_item()
    db.session.commit()
    runner.invoke(args=["hilo", "seed-demo"])
    first = (Path(app.instance_path) / "demo-logins.txt").read_text(encoding="utf-8")
    db.session.execute(db.delete(User))
    db.session.commit()
    runner.invoke(args=["hilo", "seed-demo"])
    second = (Path(app.instance_path) / "demo-logins.txt").read_text(encoding="utf-8")
    assert first != second


def test_backup_copies_a_consistent_sqlite_database(
    app: Flask, runner, make_user, tmp_path: Path, backend: str
) -> None:
    make_user(Role.VIEWER, username="kept")
    target = tmp_path / "backup.sqlite"
    result = runner.invoke(args=["hilo", "backup", str(target)])
    if backend != "sqlite":
        assert result.exit_code != 0 and "pg_dump" in result.output
        return
    assert result.exit_code == 0, result.output
    with closing(sqlite3.connect(target)) as copy:
        assert copy.execute("SELECT username FROM users").fetchall() == [("kept",)]
    again = runner.invoke(args=["hilo", "backup", str(target)])
    assert again.exit_code != 0 and "exists" in again.output


def test_import_items_applies_a_good_file_and_rejects_a_bad_one(
    app: Flask, runner, tmp_path: Path
) -> None:
    good = tmp_path / "items.csv"
    good.write_text(
        "code,name,name_ko,category,unit\nEDU-BRL-PAPER,Braille paper,점자종이,EDU-BRL,ream\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["hilo", "import-items", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,name_ko,category,unit\nEDU-SLATE,Braille slate,점자판,NO-SUCH,piece\n",
        encoding="utf-8",
    )
    rejected = runner.invoke(args=["hilo", "import-items", str(bad)])
    assert rejected.exit_code != 0
    assert "row 2, category" in rejected.output
    from hilogistics.catalogue.models import Item

    assert db.session.scalar(select(func.count()).select_from(Item)) == 1
