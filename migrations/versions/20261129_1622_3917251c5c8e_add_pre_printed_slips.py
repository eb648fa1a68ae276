"""Add pre-printed slips: distribution slip numbers reserved and printed blank for a session.

One new table (preprinted_slips); an index on distributions (status, date) for the list of
slips not returned at every place; the lines' lot index extended to (lot, distribution,
revision) so that a lot's recall reads no line rows (measured in bench/distributions.py).
Each pre-printed slip points at a ``DIS``
document of the registry, a type the registry already allows, and the distribution keyed
from the slip later points at the same document. Downgrade drops the table; the reserved
documents stay in the registry (numbers are never reused), as do distributions keyed from them.

Revision ID: 3917251c5c8e
Revises: c7e4a9d2f815
Create Date: 2026-11-29 16:22:21
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "3917251c5c8e"
down_revision = "c7e4a9d2f815"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "preprinted_slips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("batch_key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "reserved",
                "used",
                "voided",
                name="preprintedstatus",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint("position > 0", name=op.f("ck_preprinted_slips_position_positive")),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_preprinted_slips_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_preprinted_slips_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_preprinted_slips_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_preprinted_slips_location_id_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preprinted_slips")),
        sa.UniqueConstraint("batch_key", "position", name="uq_preprinted_slips_batch_position"),
        sa.UniqueConstraint("document_id", name=op.f("uq_preprinted_slips_document_id")),
    )
    with op.batch_alter_table("preprinted_slips", schema=None) as batch_op:
        batch_op.create_index(
            "ix_preprinted_slips_location_on", ["location_id", "planned_on"], unique=False
        )
        batch_op.create_index(
            "ix_preprinted_slips_status_location_on",
            ["status", "location_id", "planned_on"],
            unique=False,
        )

    # The slips not returned at every place, oldest first, read in index order (bench/).
    with op.batch_alter_table("distributions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_distributions_status_on", ["status", "distributed_on", "id"], unique=False
        )

    # A lot's recall reads the lines' side from the index alone; the old one is its prefix.
    with op.batch_alter_table("distribution_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_distribution_lines_lot_distribution",
            ["lot_id", "distribution_id", "revision"],
            unique=False,
        )
        batch_op.drop_index("ix_distribution_lines_lot")


def downgrade():
    with op.batch_alter_table("distribution_lines", schema=None) as batch_op:
        batch_op.create_index("ix_distribution_lines_lot", ["lot_id"], unique=False)
        batch_op.drop_index("ix_distribution_lines_lot_distribution")
    with op.batch_alter_table("distributions", schema=None) as batch_op:
        batch_op.drop_index("ix_distributions_status_on")
    with op.batch_alter_table("preprinted_slips", schema=None) as batch_op:
        batch_op.drop_index("ix_preprinted_slips_status_location_on")
        batch_op.drop_index("ix_preprinted_slips_location_on")

    op.drop_table("preprinted_slips")
