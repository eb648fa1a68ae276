"""``flask hilo …`` commands: thin wrappers over services that commit once and print a summary."""

import os
import sqlite3
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.auth import services as auth_services
from hilogistics.auth.models import Role, User
from hilogistics.db import db
from hilogistics.errors import DomainError
from hilogistics.locations.models import Location

DEMO_LOGINS_FILE = "demo-logins.txt"


@click.group()
def hilo() -> None:
    """Hilogistics administration commands."""


@hilo.command("create-user")
@click.option("--username", required=True, help="Login name (letters, digits, . _ -).")
@click.option("--display-name", required=True, help="The person's full name.")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="What they may do.",
)
@click.option("--location", "location_code", help="Location code; required for technicians.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user_command(
    username: str, display_name: str, role: str, location_code: str | None, password_stdin: bool
) -> None:
    """Create an account; the password is prompted for or read from stdin, never an argument."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    location_id = None
    if location_code:
        location_id = db.session.scalar(select(Location.id).where(Location.code == location_code))
        if location_id is None:
            raise click.ClickException(f"no location with code {location_code}")
    try:
        user = auth_services.create_user(
            actor=SYSTEM,
            username=username,
            display_name=display_name,
            role=Role(role),
            password=password,
            location_id=location_id,
        )
    except DomainError as error:
        db.session.rollback()
        prefix = f"{error.field.replace('_', '-')}: " if error.field else ""
        raise click.ClickException(prefix + error.message) from error
    db.session.commit()
    click.echo(f"created {user.role.value} {user.username}")


@hilo.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load a demo programme and one account per role when the database has no users.

    On a database without items or stock it also loads the catalogue, grants, reorder levels
    and about six months of stock history at warehouses, centres, schools and a camp.
    """
    from hilogistics.demo import load_demo

    if db.session.scalar(select(func.count()).select_from(User)):
        click.echo("the database already has users; demo data not loaded")
        return
    started = time.perf_counter()
    try:
        summary = load_demo()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    lines = [
        f"{role.value:<11} {username:<11} {password}"
        for role, username, password in summary.accounts
    ]
    _write_private(Path(current_app.instance_path) / DEMO_LOGINS_FILE, "\n".join(lines) + "\n")
    db.session.commit()
    stock = (
        f", {summary.items} items, {summary.transactions} stock transactions"
        if summary.programme_loaded
        else " (items or stock already present: no demo history)"
    )
    click.echo(
        f"demo data loaded: {len(summary.accounts)} accounts, {summary.locations} locations"
        f"{stock} in {time.perf_counter() - started:.1f} s"
    )


@hilo.command("seed-scale")
@click.option(
    "--items", default=5000, show_default=True, type=click.IntRange(min=1), help="Catalogue size."
)
@click.option(
    "--locations",
    default=120,
    show_default=True,
    type=click.IntRange(min=2),
    help="Warehouses, centres, schools and camps.",
)
@click.option(
    "--movements",
    default=1_000_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Movements of history.",
)
@with_appcontext
def seed_scale_command(items: int, locations: int, movements: int) -> None:
    """Fill an EMPTY ledger with a large synthetic history, for benchmarks only.

    Inserts items, locations, lots and MOVEMENTS movements (about three years of receipts,
    transfers, consumption and adjustments) in bulk, then computes every balance from them.
    Refuses to run when the database holds anything beyond the reference data the migrations
    insert: any user, item, physical location, grant, lot, stock or reorder level.
    """
    from hilogistics.stock import bulk

    started = time.perf_counter()
    try:
        bulk.ensure_reference_only()
        with click.progressbar(length=movements, label="movements") as bar:
            summary = bulk.seed_scale(
                items=items, locations=locations, movements=movements, progress=bar.update
            )
    except bulk.SeedRefusedError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo("committing…")
    db.session.commit()
    bulk.compact_sqlite()
    click.echo(
        f"seeded {summary.items} items, {summary.locations} locations, {summary.lots} lots, "
        f"{summary.transactions} transactions, {summary.movements} movements, "
        f"{summary.shipments} shipments, {summary.balances} balances "
        f"in {time.perf_counter() - started:.1f} s"
    )


@hilo.command("demo-logins")
@with_appcontext
def demo_logins_command() -> None:
    """Print the demo accounts and their generated passwords, if demo data was loaded."""
    path = Path(current_app.instance_path) / DEMO_LOGINS_FILE
    if not path.exists():
        click.echo("no demo logins (the database was not seeded with demo accounts)")
        return
    click.echo("Demo logins (role, username, password):")
    click.echo(path.read_text(encoding="utf-8"), nl=False)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


@hilo.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def backup_command(destination: Path) -> None:
    """Copy the SQLite database to DESTINATION while the app keeps running (online backup).

    For PostgreSQL use pg_dump instead (see README).
    """
    engine = db.engine
    if engine.dialect.name != "sqlite":
        raise click.ClickException("backup copies SQLite databases; for PostgreSQL use pg_dump")
    if destination.exists():
        raise click.ClickException(f"{destination} exists; choose a new file name")
    source = engine.raw_connection()
    try:
        target = sqlite3.connect(destination)
        try:
            source.driver_connection.backup(target)
        finally:
            target.close()
    finally:
        source.close()
    click.echo(f"backed up to {destination}")


@hilo.command("check-ledger")
@with_appcontext
def check_ledger_command() -> None:
    """Recompute balances from the movements, check conservation; exit 1 on any difference."""
    from hilogistics.stock.audit import ledger_differences

    differences = ledger_differences()
    for difference in differences:
        click.echo(difference.describe(), err=True)
    if differences:
        raise click.ClickException(f"{len(differences)} difference(s) between ledger and balances")
    click.echo("ledger and balances agree")


@hilo.command("import-items")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_items_command(path: Path) -> None:
    """Create and update catalogue items from a CSV or XLSX file: every row, or none."""
    from hilogistics.catalogue.importing import ImportRejectedError, import_items

    try:
        plan = import_items(actor=SYSTEM, data=path.read_bytes(), filename=path.name)
    except ImportRejectedError as error:
        db.session.rollback()
        for problem in error.plan.problems:
            click.echo(f"row {problem.row}, {problem.column}: {problem.message}", err=True)
        raise click.ClickException(error.message) from error
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"imported {path.name}: {plan.summary()}")


@hilo.command("print")
@click.argument("number")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The PDF file to write.",
)
@click.option(
    "--kind",
    type=click.Choice(["waybill", "picking-list", "goods-received", "count-sheet"]),
    help="Which document (default: picking list of a draft, waybill, goods-received note; "
    "a count prints its blind count sheet).",
)
@click.option("--event", "event_id", type=int, help="The receiving event of a goods-received note.")
@with_appcontext
def print_command(number: str, output: Path, kind: str | None, event_id: int | None) -> None:
    """Print a shipment, distribution slip, count sheet, requisition or camp report by number.

    Reprints say COPY n.
    """
    from datetime import datetime

    from hilogistics.camps.queries import camp_of_document
    from hilogistics.camps.services import print_camp_report
    from hilogistics.counts.queries import count_of_document
    from hilogistics.counts.services import print_count_sheet
    from hilogistics.dates import business_zone
    from hilogistics.distributions.models import Distribution
    from hilogistics.distributions.services import print_slip
    from hilogistics.documents.layout import Printing
    from hilogistics.i18n import localised_setting
    from hilogistics.registry.models import DocumentType
    from hilogistics.registry.queries import find_document
    from hilogistics.requisitions.queries import requisition_of_document
    from hilogistics.requisitions.services import print_requisition
    from hilogistics.shipments.models import Shipment
    from hilogistics.shipments.services import print_shipment

    document = find_document(number)
    shipment = distribution = count = camp = requisition = None
    if document is not None and document.type is DocumentType.CAMP:
        camp = camp_of_document(document.id)
    elif document is not None and document.type is DocumentType.REQUISITION:
        requisition = requisition_of_document(document.id)
    elif document is not None and document.type is DocumentType.DISTRIBUTION:
        distribution = db.session.scalar(
            select(Distribution).where(Distribution.document_id == document.id)
        )
    elif document is not None:
        count = count_of_document(document.id)
        if count is None:
            shipment = db.session.scalar(
                select(Shipment).where(Shipment.document_id == document.id)
            )
    if all(found is None for found in (shipment, distribution, count, camp, requisition)):
        raise click.ClickException(
            f"no shipment, distribution, count, requisition or camp numbered {number}"
        )
    config = current_app.config
    printing = Printing(
        organisation=localised_setting(config["ORGANISATION_NAME"], "en"),
        partner=localised_setting(config["PARTNER_NAME"], "ko_KP"),
        printed_by="flask hilo print",
        printed_at=datetime.now(business_zone()),
        locale="en",
        base_url=config.get("BASE_URL") or "",
    )
    try:
        if camp is not None:
            body, name = print_camp_report(actor=SYSTEM, camp_id=camp.id, printing=printing)
        elif requisition is not None:
            body, name = print_requisition(
                actor=SYSTEM, requisition_id=requisition.id, printing=printing
            )
        elif distribution is not None:
            body, name = print_slip(
                actor=SYSTEM, distribution_id=distribution.id, printing=printing
            )
        elif count is not None:
            body, name = print_count_sheet(actor=SYSTEM, count_id=count.id, printing=printing)
        else:
            body, name = print_shipment(
                actor=SYSTEM,
                shipment_id=shipment.id,  # type: ignore[union-attr]
                printing=printing,
                kind=kind,
                event_id=event_id,
            )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    output.write_bytes(body)
    click.echo(f"printed {name} to {output}")
