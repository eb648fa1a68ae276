"""Make codes and usernames unique regardless of case, in the database.

The services compared codes without case, but two requests at once could both pass the check
("CASE-X" and "case-x" made two grants). A unique index on lower(code) closes the race. Rows
that already differ only by case stop the upgrade with a list of them: renaming data is a
decision for people, not for a migration.

The exact-case unique constraints stay: dropping them would rebuild these tables on SQLite for
no gain.

Revision ID: d5f5bf3960f5
Revises: d83a7d958253
Create Date: 2026-11-29 07:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5f5bf3960f5'
down_revision = 'd83a7d958253'
branch_labels = None
depends_on = None

# (table, column): every code meant to be unique.
CODES = [
    ("adjustment_reasons", "code"),
    ("categories", "code"),
    ("grants", "code"),
    ("items", "code"),
    ("locations", "code"),
    ("provinces", "code"),
    ("units", "code"),
    ("users", "username"),
]


def _index_name(table, column):
    return f"uq_{table}_lower_{column}"


def _clashes(bind):
    """Lines such as "grants.code: ECHO-1, echo-1" for values that differ only by case."""
    found = []
    for table, column in CODES:
        rows = bind.execute(
            sa.text(
                f"SELECT {column} FROM {table} WHERE lower({column}) IN "
                f"(SELECT lower({column}) FROM {table} GROUP BY lower({column}) "
                f"HAVING count(*) > 1) ORDER BY lower({column}), {column}"
            )
        ).scalars()
        groups = {}
        for value in rows:
            groups.setdefault(value.lower(), []).append(value)
        found += [f"{table}.{column}: {', '.join(values)}" for values in groups.values()]
    return found


def upgrade():
    clashes = _clashes(op.get_bind())
    if clashes:
        # Flask-Migrate prints a RuntimeError as "Error: ..." and exits non-zero.
        raise RuntimeError(
            "These values differ only by upper and lower case, and must become unique "
            "regardless of case. Change or merge them (e.g. in the application), then run the "
            "upgrade again:\n  " + "\n  ".join(clashes)
        )
    for table, column in CODES:
        op.create_index(
            _index_name(table, column), table, [sa.text(f"lower({column})")], unique=True
        )


def downgrade():
    for table, column in reversed(CODES):
        op.drop_index(_index_name(table, column), table_name=table)
