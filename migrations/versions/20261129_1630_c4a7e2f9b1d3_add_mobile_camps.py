"""Add mobile camps: a numbered camp (``CMP``) tied one to one to the place it opens.

One new table (camps) and one new document type: the CHECKs on documents.type and
document_counters.type allow ``CMP`` (the column stays three characters long). Camps use the
location kind ``camp`` that the first migration allows. Downgrade drops the table and the
type; it fails while camp documents exist (delete nothing silently: their places, counts and
shipments stay, as the ledger's rows refer to them).

Revision ID: c4a7e2f9b1d3
Revises: 3917251c5c8e
Create Date: 2026-11-29 16:30:00
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c4a7e2f9b1d3"
down_revision = "3917251c5c8e"
branch_labels = None
depends_on = None

OLD_TYPES = ("SHP", "DIS", "REQ", "CNT")
NEW_TYPES = (*OLD_TYPES, "CMP")


def _type(types):
    return sa.Enum(
        *types, name="documenttype", native_enum=False, create_constraint=True, length=3
    )


def _change_types(old, new):
    for table in ("documents", "document_counters"):
        check = f"ck_{table}_documenttype"
        if op.get_bind().dialect.name == "postgresql":
            # By hand: autogenerate does not see the CHECK's values.
            values = ", ".join(f"'{value}'" for value in new)
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {check}")
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {check} CHECK (type IN ({values}))")
        else:
            # SQLite: a table rebuild with the new type carries the new CHECK.
            with op.batch_alter_table(table, recreate="always") as batch_op:
                batch_op.alter_column(
                    "type", type_=_type(new), existing_type=_type(old), existing_nullable=False
                )


def upgrade():
    _change_types(OLD_TYPES, NEW_TYPES)
    op.create_table(
        "camps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("village", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("team", sa.Text(), server_default="", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "closing", "closed", name="campstatus", native_enum=False,
                create_constraint=True, length=7,
            ),
            nullable=False,
        ),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("closing_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closing_by_id", sa.Integer(), nullable=True),
        sa.Column("count_id", sa.Integer(), nullable=True),
        sa.Column("return_shipment_id", sa.Integer(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_key", sa.String(length=64), nullable=True),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_camps_ends_after_start")),
        sa.ForeignKeyConstraint(["closed_by_id"], ["users.id"], name=op.f("fk_camps_closed_by_id_users")),
        sa.ForeignKeyConstraint(["closing_by_id"], ["users.id"], name=op.f("fk_camps_closing_by_id_users")),
        sa.ForeignKeyConstraint(["count_id"], ["stock_counts.id"], name=op.f("fk_camps_count_id_stock_counts")),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_camps_document_id_documents")),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], name=op.f("fk_camps_location_id_locations")),
        sa.ForeignKeyConstraint(["opened_by_id"], ["users.id"], name=op.f("fk_camps_opened_by_id_users")),
        sa.ForeignKeyConstraint(["return_shipment_id"], ["shipments.id"], name=op.f("fk_camps_return_shipment_id_shipments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camps")),
        sa.UniqueConstraint("document_id", name=op.f("uq_camps_document_id")),
        sa.UniqueConstraint("location_id", name=op.f("uq_camps_location_id")),
        sa.UniqueConstraint("opened_key", name=op.f("uq_camps_opened_key")),
    )
    with op.batch_alter_table("camps", schema=None) as batch_op:
        batch_op.create_index("ix_camps_status", ["status", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("camps", schema=None) as batch_op:
        batch_op.drop_index("ix_camps_status")
    op.drop_table("camps")
    _change_types(NEW_TYPES, OLD_TYPES)
