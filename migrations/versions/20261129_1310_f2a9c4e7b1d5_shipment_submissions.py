"""Add shipment_submissions: a draft or plan's create form, by its one-time key.

A create form sent twice (double click, resent after a timeout) made two drafts: drafts post
no transaction, so the ledger's operation keys never saw them. One row per created draft or
plan, UNIQUE (actor_key, operation_key), lets the second submission find the first draft.
A new table only; downgrade drops it (drafts stay, only their keys are forgotten).

Revision ID: f2a9c4e7b1d5
Revises: e91f3b6c2a40
Create Date: 2026-11-29 13:10:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2a9c4e7b1d5'
down_revision = 'e91f3b6c2a40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shipment_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('actor_key', sa.Integer(), nullable=False),
    sa.Column('operation_key', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_shipment_submissions_shipment_id_shipments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_submissions')),
    sa.UniqueConstraint('actor_key', 'operation_key', name=op.f('uq_shipment_submissions_actor_key_operation_key')),
    sa.UniqueConstraint('shipment_id', name=op.f('uq_shipment_submissions_shipment_id'))
    )


def downgrade():
    op.drop_table('shipment_submissions')
