"""Add distribution_months: per month, place, recipient type and service, what the slips add up to.

Kept by the ledger (hilogistics/reports/distribution_months.py) so that the distributions
report sums a few rows per place and month instead of every slip and line of its period.
Upgrade fills it from the slips already recorded (each slip's current lines); downgrade drops it.

Revision ID: 3481b809dd1f
Revises: 55fa6ca426cd
Create Date: 2026-11-29 19:40:00
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "3481b809dd1f"
down_revision = "55fa6ca426cd"
branch_labels = None
depends_on = None

HEADCOUNTS = ("girls", "boys", "women", "men", "older_women", "older_men")
FIGURES = ("slips", *HEADCOUNTS, "individuals", "quantity")


def upgrade():
    op.create_table(
        "distribution_months",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("recipient_type", sa.String(length=12), nullable=False),
        sa.Column("service", sa.String(length=12), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in FIGURES),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], name=op.f("fk_distribution_months_location_id_locations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distribution_months")),
        sa.UniqueConstraint("month", "location_id", "recipient_type", "service", name="uq_distribution_months_month_place_type_service"),
    )
    if op.get_bind().dialect.name == "postgresql":
        month = "CAST(date_trunc('month', d.distributed_on) AS DATE)"
    else:
        month = "date(d.distributed_on, 'start of month')"
    heads = ", ".join(f"SUM(d.{name})" for name in HEADCOUNTS)
    op.execute(
        f"""
        INSERT INTO distribution_months (month, location_id, recipient_type, service,
            {", ".join(FIGURES)})
        SELECT {month}, d.location_id, d.recipient_type, COALESCE(d.service, ''), COUNT(*),
            {heads},
            SUM(CASE WHEN d.recipient_type IN ('patient', 'other') THEN 1 ELSE 0 END),
            COALESCE(SUM(u.quantity), 0)
        FROM distributions AS d
        LEFT JOIN (
            SELECT l.distribution_id, SUM(l.quantity) AS quantity
            FROM distribution_lines AS l
            JOIN distributions AS s ON s.id = l.distribution_id AND s.revision = l.revision
            GROUP BY l.distribution_id
        ) AS u ON u.distribution_id = d.id
        GROUP BY {month}, d.location_id, d.recipient_type, COALESCE(d.service, '')
        """
    )


def downgrade():
    op.drop_table("distribution_months")
