"""Add shipment_discrepancies: a consignment's shortfalls and surpluses per receiving event.

A new table only. A consignment's shortfall moves no stock and its surplus is posted as
received, so neither shows in the ledger as such; the goods-received note reads them here.
Downgrade drops the table (the lines keep their counts; the reasons of those events are lost).

Revision ID: b5d2e8f1c4a7
Revises: f2a9c4e7b1d5
Create Date: 2026-11-29 13:30:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d2e8f1c4a7'
down_revision = 'f2a9c4e7b1d5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shipment_discrepancies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('short', 'surplus', name='discrepancykind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reason_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_shipment_discrepancies_quantity_positive')),
    sa.ForeignKeyConstraint(['event_id'], ['shipment_events.id'], name=op.f('fk_shipment_discrepancies_event_id_shipment_events')),
    sa.ForeignKeyConstraint(['line_id'], ['shipment_lines.id'], name=op.f('fk_shipment_discrepancies_line_id_shipment_lines')),
    sa.ForeignKeyConstraint(['reason_id'], ['adjustment_reasons.id'], name=op.f('fk_shipment_discrepancies_reason_id_adjustment_reasons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_discrepancies'))
    )
    with op.batch_alter_table('shipment_discrepancies', schema=None) as batch_op:
        batch_op.create_index('ix_shipment_discrepancies_event', ['event_id'], unique=False)


def downgrade():
    with op.batch_alter_table('shipment_discrepancies', schema=None) as batch_op:
        batch_op.drop_index('ix_shipment_discrepancies_event')

    op.drop_table('shipment_discrepancies')
