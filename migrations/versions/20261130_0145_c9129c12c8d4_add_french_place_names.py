"""Add French names to places and provinces: ``locations.name_fr`` and ``provinces.name_fr``.

Both nullable (no French name: the English one is shown), as items, categories and units have.
Upgrade also names in French the provinces the first release seeded (only those still named as
seeded, so an administrator's renaming is not overwritten) and the five virtual locations.
Downgrade drops the two columns (the French names are lost).

Revision ID: c9129c12c8d4
Revises: 5d1b7e3a9c20
Create Date: 2026-11-30 01:45:00
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c9129c12c8d4"
down_revision = "5d1b7e3a9c20"
branch_labels = None
depends_on = None

# code, English name as seeded, French name (names that are the same in French are left empty).
PROVINCES = [
    ("SPY", "South Pyongan", "Pyongan du Sud"),
    ("NPY", "North Pyongan", "Pyongan du Nord"),
    ("SHW", "South Hwanghae", "Hwanghae du Sud"),
    ("NHW", "North Hwanghae", "Hwanghae du Nord"),
    ("SHG", "South Hamgyong", "Hamgyong du Sud"),
]
VIRTUAL_LOCATIONS = [
    ("SUPPLIER", "Suppliers and donors", "Fournisseurs et donateurs"),
    ("TRANSIT", "In transit", "En transit"),
    ("RECIPIENTS", "Recipients", "Bénéficiaires"),
    ("LOSS", "Losses", "Pertes"),
    ("COUNT", "Stock-take differences", "Écarts d'inventaire"),
]


def _name_in_french(table: str, rows: list[tuple[str, str, str]]) -> None:
    stub = sa.table(table, sa.column("code"), sa.column("name"), sa.column("name_fr"))
    for code, english, french in rows:
        op.execute(
            stub.update()
            .where(stub.c.code == code, stub.c.name == english, stub.c.name_fr.is_(None))
            .values(name_fr=french)
        )


def upgrade():
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_fr", sa.String(length=200), nullable=True))
    with op.batch_alter_table("provinces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_fr", sa.String(length=120), nullable=True))
    _name_in_french("provinces", PROVINCES)
    _name_in_french("locations", VIRTUAL_LOCATIONS)


def downgrade():
    with op.batch_alter_table("provinces", schema=None) as batch_op:
        batch_op.drop_column("name_fr")
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_column("name_fr")
    if op.get_bind().dialect.name == "sqlite":
        # The SQLite rebuilds lose the expression indexes that keep codes unique in any case.
        for table in ("provinces", "locations"):
            op.execute(f"DROP INDEX IF EXISTS uq_{table}_lower_code")
            op.create_index(
                f"uq_{table}_lower_code", table, [sa.text("lower(code)")], unique=True
            )
