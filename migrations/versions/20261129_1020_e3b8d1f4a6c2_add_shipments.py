"""Add shipments: consignments in and dispatches out, their lines and their history.

New tables only (shipments, shipment_lines, shipment_events); the ledger's tables are not
touched (shipments post the transaction kinds c7e4a2d9f1b3 added). The per-line CHECK
``received + damaged + lost <= quantity`` backs the receiving services' guarded UPDATE.
Downgrade drops the three tables, and with them every shipment's lines and history; the
transactions they posted stay in the ledger, linked to their documents.

Revision ID: e3b8d1f4a6c2
Revises: e1f3a5c7b9d2
Create Date: 2026-11-29 09:59:57
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3b8d1f4a6c2'
down_revision = 'e1f3a5c7b9d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shipments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.Enum('inbound', 'outbound', name='shipmentdirection', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status', sa.Enum('draft', 'dispatched', 'partly_received', 'received', 'recalled', 'cancelled', 'closed', name='shipmentstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('origin_id', sa.Integer(), nullable=False),
    sa.Column('destination_id', sa.Integer(), nullable=False),
    sa.Column('supplier', sa.String(length=200), server_default='', nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=120), server_default='', nullable=False),
    sa.Column('carrier', sa.String(length=120), server_default='', nullable=False),
    sa.Column('vehicle', sa.String(length=60), server_default='', nullable=False),
    sa.Column('driver', sa.String(length=120), server_default='', nullable=False),
    sa.Column('expected_on', sa.Date(), nullable=True),
    sa.Column('dispatched_on', sa.Date(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('origin_id <> destination_id', name=op.f('ck_shipments_distinct_ends')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_shipments_created_by_id_users')),
    sa.ForeignKeyConstraint(['destination_id'], ['locations.id'], name=op.f('fk_shipments_destination_id_locations')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_shipments_document_id_documents')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_shipments_grant_id_grants')),
    sa.ForeignKeyConstraint(['origin_id'], ['locations.id'], name=op.f('fk_shipments_origin_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments')),
    sa.UniqueConstraint('document_id', name=op.f('uq_shipments_document_id'))
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index('ix_shipments_direction_status_expected', ['direction', 'status', 'expected_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_dispatched_on'), ['dispatched_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index('ix_shipments_origin_status', ['origin_id', 'status'], unique=False)
        batch_op.create_index('ix_shipments_status_destination', ['status', 'destination_id'], unique=False)

    op.create_table('shipment_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('created', 'edited', 'dispatched', 'received', 'recalled', 'cancelled', 'closed', name='shipmentaction', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status', sa.Enum('draft', 'dispatched', 'partly_received', 'received', 'recalled', 'cancelled', 'closed', name='shipmentstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=True),
    sa.Column('loss_transaction_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_shipment_events_actor_id_users')),
    sa.ForeignKeyConstraint(['loss_transaction_id'], ['stock_transactions.id'], name=op.f('fk_shipment_events_loss_transaction_id_stock_transactions')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_shipment_events_shipment_id_shipments')),
    sa.ForeignKeyConstraint(['transaction_id'], ['stock_transactions.id'], name=op.f('fk_shipment_events_transaction_id_stock_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_events'))
    )
    with op.batch_alter_table('shipment_events', schema=None) as batch_op:
        batch_op.create_index('ix_shipment_events_shipment', ['shipment_id', 'id'], unique=False)

    op.create_table('shipment_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('lot_code', sa.String(length=64), server_default='', nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('received', sa.Integer(), server_default='0', nullable=False),
    sa.Column('damaged', sa.Integer(), server_default='0', nullable=False),
    sa.Column('lost', sa.Integer(), server_default='0', nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_shipment_lines_quantity_positive')),
    sa.CheckConstraint('received + damaged + lost <= quantity', name=op.f('ck_shipment_lines_not_above_quantity')),
    sa.CheckConstraint('received >= 0 AND damaged >= 0 AND lost >= 0', name=op.f('ck_shipment_lines_outcomes_not_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_shipment_lines_item_id_items')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_shipment_lines_lot_id_lots')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_shipment_lines_shipment_id_shipments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_lines'))
    )
    with op.batch_alter_table('shipment_lines', schema=None) as batch_op:
        batch_op.create_index('ix_shipment_lines_item', ['item_id'], unique=False)
        batch_op.create_index('ix_shipment_lines_shipment_position', ['shipment_id', 'position'], unique=False)


def downgrade():
    with op.batch_alter_table('shipment_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_shipment_lines_shipment_position')
        batch_op.drop_index('ix_shipment_lines_item')

    op.drop_table('shipment_lines')
    with op.batch_alter_table('shipment_events', schema=None) as batch_op:
        batch_op.drop_index('ix_shipment_events_shipment')

    op.drop_table('shipment_events')
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index('ix_shipments_status_destination')
        batch_op.drop_index('ix_shipments_origin_status')
        batch_op.drop_index(batch_op.f('ix_shipments_grant_id'))
        batch_op.drop_index(batch_op.f('ix_shipments_dispatched_on'))
        batch_op.drop_index('ix_shipments_direction_status_expected')

    op.drop_table('shipments')
