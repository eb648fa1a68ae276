"""Add the registry of documents: numbered documents, their counters and print log.

Also links each stock transaction to the document it posts (stock_transactions.document_id).

Revision ID: d83a7d958253
Revises: b5d2f1a8c9e6
Create Date: 2026-11-29 07:05:30

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd83a7d958253'
down_revision = 'b5d2f1a8c9e6'
branch_labels = None
depends_on = None

# A new document type changes both CHECKs by hand in its own migration (batch mode on SQLite).
DOCUMENT_TYPES = ('SHP', 'DIS', 'REQ', 'CNT')


def document_type():
    return sa.Enum(*DOCUMENT_TYPES, name='documenttype', native_enum=False, create_constraint=True)


def upgrade():
    op.create_table('document_counters',
    sa.Column('type', document_type(), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('last >= 0', name=op.f('ck_document_counters_last_not_negative')),
    sa.PrimaryKeyConstraint('type', 'year', name=op.f('pk_document_counters'))
    )
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', document_type(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('print_count', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('print_count >= 0', name=op.f('ck_documents_print_count_not_negative')),
    sa.CheckConstraint('sequence > 0', name=op.f('ck_documents_sequence_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_documents_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('number', name=op.f('uq_documents_number'))
    )
    op.create_table('document_prints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('copy_number', sa.Integer(), nullable=False),
    sa.Column('printed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('printed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('copy_number > 0', name=op.f('ck_document_prints_copy_number_positive')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_prints_document_id_documents')),
    sa.ForeignKeyConstraint(['printed_by_id'], ['users.id'], name=op.f('fk_document_prints_printed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_prints')),
    sa.UniqueConstraint('document_id', 'copy_number', name='uq_document_prints_document_copy')
    )
    # SQLite rebuilds stock_transactions here (batch mode). It has no triggers of its own; the
    # append-only triggers live on movements, which is not rebuilt.
    with op.batch_alter_table('stock_transactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_stock_transactions_document_id'), ['document_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_stock_transactions_document_id_documents'), 'documents', ['document_id'], ['id'])


def downgrade():
    with op.batch_alter_table('stock_transactions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_stock_transactions_document_id_documents'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_stock_transactions_document_id'))
        batch_op.drop_column('document_id')

    op.drop_table('document_prints')
    op.drop_table('documents')
    op.drop_table('document_counters')
