"""Add distributions: slips handed out at a place, their lines by revision and their history.

New tables only (distributions, distribution_lines, distribution_events); the ledger's tables
are not touched: distributions post the transaction kinds ``distribution`` and ``consumption``
that c7e4a2d9f1b3 already allows, and the document type ``DIS`` the registry already knows.
Downgrade drops the three tables, and with them every slip's lines and history; the
transactions they posted stay in the ledger, linked to their documents.

Revision ID: e64ff8b816e3
Revises: b5d2e8f1c4a7
Create Date: 2026-11-29 13:10:38
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e64ff8b816e3"
down_revision = "b5d2e8f1c4a7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "distributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("distributed_on", sa.Date(), nullable=False),
        sa.Column(
            "recipient_type",
            sa.Enum(
                "patient",
                "class",
                "camp_session",
                "other",
                "workshop",
                name="recipienttype",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("recipient_ref", sa.String(length=40), server_default="", nullable=False),
        sa.Column(
            "service",
            sa.Enum(
                "new",
                "repair",
                "replacement",
                name="fittingservice",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "side",
            sa.Enum(
                "left",
                "right",
                "bilateral",
                "not_applicable",
                name="side",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("girls", sa.Integer(), server_default="0", nullable=False),
        sa.Column("boys", sa.Integer(), server_default="0", nullable=False),
        sa.Column("women", sa.Integer(), server_default="0", nullable=False),
        sa.Column("men", sa.Integer(), server_default="0", nullable=False),
        sa.Column("older_women", sa.Integer(), server_default="0", nullable=False),
        sa.Column("older_men", sa.Integer(), server_default="0", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "issued",
                "returned",
                name="distributionstatus",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "girls >= 0 AND boys >= 0 AND women >= 0 AND men >= 0 AND older_women >= 0 AND older_men >= 0",
            name=op.f("ck_distributions_headcounts_positive"),
        ),
        sa.CheckConstraint("revision > 0", name=op.f("ck_distributions_revision_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_distributions_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_distributions_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_distributions_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distributions")),
        sa.UniqueConstraint("document_id", name=op.f("uq_distributions_document_id")),
    )
    with op.batch_alter_table("distributions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_distributions_location_on", ["location_id", "distributed_on"], unique=False
        )
        batch_op.create_index("ix_distributions_recipient_ref", ["recipient_ref"], unique=False)
        batch_op.create_index(
            "ix_distributions_status_location_on",
            ["status", "location_id", "distributed_on"],
            unique=False,
        )

    op.create_table(
        "distribution_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("distribution_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "recorded",
                "returned",
                "corrected",
                name="distributionaction",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("reversal_transaction_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_distribution_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["distribution_id"],
            ["distributions.id"],
            name=op.f("fk_distribution_events_distribution_id_distributions"),
        ),
        sa.ForeignKeyConstraint(
            ["reversal_transaction_id"],
            ["stock_transactions.id"],
            name=op.f("fk_distribution_events_reversal_transaction_id_stock_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["stock_transactions.id"],
            name=op.f("fk_distribution_events_transaction_id_stock_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distribution_events")),
    )
    with op.batch_alter_table("distribution_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_distribution_events_distribution", ["distribution_id", "id"], unique=False
        )

    op.create_table(
        "distribution_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("distribution_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_distribution_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["distribution_id"],
            ["distributions.id"],
            name=op.f("fk_distribution_lines_distribution_id_distributions"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_distribution_lines_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lots.id"], name=op.f("fk_distribution_lines_lot_id_lots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distribution_lines")),
    )
    with op.batch_alter_table("distribution_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_distribution_lines_distribution",
            ["distribution_id", "revision", "position"],
            unique=False,
        )
        batch_op.create_index("ix_distribution_lines_lot", ["lot_id"], unique=False)


def downgrade():
    with op.batch_alter_table("distribution_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_distribution_lines_lot")
        batch_op.drop_index("ix_distribution_lines_distribution")

    op.drop_table("distribution_lines")
    with op.batch_alter_table("distribution_events", schema=None) as batch_op:
        batch_op.drop_index("ix_distribution_events_distribution")

    op.drop_table("distribution_events")
    with op.batch_alter_table("distributions", schema=None) as batch_op:
        batch_op.drop_index("ix_distributions_status_location_on")
        batch_op.drop_index("ix_distributions_recipient_ref")
        batch_op.drop_index("ix_distributions_location_on")

    op.drop_table("distributions")
