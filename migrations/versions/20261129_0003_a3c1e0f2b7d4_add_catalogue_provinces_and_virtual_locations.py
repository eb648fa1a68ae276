"""Add the catalogue (categories, units, items), provinces and virtual locations.

Revision ID: a3c1e0f2b7d4
Revises: 7c3681ddb087
Create Date: 2026-11-29 00:03:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c1e0f2b7d4'
down_revision = '7c3681ddb087'
branch_labels = None
depends_on = None

# Reference data as the first release ships it. Table stubs, never the app's models.
PROVINCES = [
    ("PY", "Pyongyang", "평양시", 1),
    ("SPY", "South Pyongan", "평안남도", 2),
    ("NPY", "North Pyongan", "평안북도", 3),
    ("SHW", "South Hwanghae", "황해남도", 4),
    ("NHW", "North Hwanghae", "황해북도", 5),
    ("KW", "Kangwon", "강원도", 6),
    ("SHG", "South Hamgyong", "함경남도", 7),
]
VIRTUAL_LOCATIONS = [
    ("SUPPLIER", "supplier", "Suppliers and donors", "공급자"),
    ("TRANSIT", "transit", "In transit", "수송중"),
    ("RECIPIENTS", "recipients", "Recipients", "수혜자"),
    ("LOSS", "loss", "Losses", "손실"),
    ("COUNT", "count", "Stock-take differences", "재고조사 차이"),
]
CATEGORIES = [
    # code, name, Korean, French, parent code, order
    ("ORTHO", "Orthopaedic components", "정형보조기구 부품", "Composants orthopédiques", None, 1),
    ("ORTHO-PROS", "Prosthetic components", "의지 부품", "Composants prothétiques", "ORTHO", 1),
    ("ORTHO-ORTH", "Orthotic components", "보조기 부품", "Composants orthétiques", "ORTHO", 2),
    ("ORTHO-MAT", "Orthopaedic materials", "정형재료", "Matériaux orthopédiques", "ORTHO", 3),
    ("EDU", "Educational materials", "교육자료", "Matériel éducatif", None, 2),
    ("EDU-BRL", "Braille and low vision", "점자 및 약시용품", "Braille et basse vision", "EDU", 1),
    ("EDU-HEAR", "Hearing", "청각용품", "Audition", "EDU", 2),
    ("EDU-BOOK", "Books and teaching aids", "도서 및 교구", "Livres et matériel pédagogique", "EDU", 3),
    ("RENO", "Renovation supplies", "보수자재", "Fournitures de rénovation", None, 3),
    ("EQUIP", "Equipment", "설비", "Équipement", None, 4),
]
UNITS = [
    ("piece", "piece", "개", "pièce"),
    ("pair", "pair", "켤레", "paire"),
    ("roll", "roll", "두루마리", "rouleau"),
    ("box", "box", "상자", "boîte"),
    ("can", "can", "통", "bidon"),
    ("sheet", "sheet", "장", "feuille"),
    ("ream", "ream", "련", "rame"),
    ("bag", "bag", "포대", "sac"),
    ("bottle", "bottle", "병", "flacon"),
    ("set", "set", "조", "jeu"),
    ("kg", "kilogram", "킬로그람", "kilogramme"),
    ("metre", "metre", "메터", "mètre"),
]


def upgrade():
    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_ko', sa.String(length=120), nullable=False),
    sa.Column('name_fr', sa.String(length=120), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('sort_order', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['categories.id'], name=op.f('fk_categories_parent_id_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('code', name=op.f('uq_categories_code'))
    )
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_categories_parent_id'), ['parent_id'], unique=False)

    op.create_table('units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('name_ko', sa.String(length=60), nullable=False),
    sa.Column('name_fr', sa.String(length=60), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units')),
    sa.UniqueConstraint('code', name=op.f('uq_units_code'))
    )

    op.create_table('provinces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_ko', sa.String(length=120), nullable=False),
    sa.Column('sort_order', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provinces')),
    sa.UniqueConstraint('code', name=op.f('uq_provinces_code'))
    )

    op.create_table('items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_ko', sa.String(length=200), nullable=False),
    sa.Column('name_fr', sa.String(length=200), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('pack_size', sa.Integer(), server_default='1', nullable=False),
    sa.Column('kind', sa.Enum('consumable', 'equipment', name='itemkind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('tracks_expiry', sa.Boolean(), nullable=False),
    sa.Column('tracks_serial', sa.Boolean(), nullable=False),
    sa.Column('family', sa.String(length=64), nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('pack_size >= 1', name=op.f('ck_items_pack_size_positive')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_items_category_id_categories')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_items_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('code', name=op.f('uq_items_code'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_items_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_family'), ['family'], unique=False)

    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('province_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('supplied_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_locations_province_id'), ['province_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_locations_supplied_by_id_locations'), 'locations', ['supplied_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_locations_province_id_provinces'), 'provinces', ['province_id'], ['id'])

    provinces = sa.table(
        "provinces",
        sa.column("code", sa.String), sa.column("name", sa.String),
        sa.column("name_ko", sa.String), sa.column("sort_order", sa.Integer),
    )
    op.bulk_insert(provinces, [dict(zip(("code", "name", "name_ko", "sort_order"), row)) for row in PROVINCES])
    locations = sa.table(
        "locations",
        sa.column("code", sa.String), sa.column("kind", sa.String), sa.column("name", sa.String),
        sa.column("name_ko", sa.String), sa.column("is_active", sa.Boolean),
    )
    op.bulk_insert(
        locations,
        [dict(code=code, kind=kind, name=name, name_ko=name_ko, is_active=True)
         for code, kind, name, name_ko in VIRTUAL_LOCATIONS],
    )
    units = sa.table(
        "units",
        sa.column("code", sa.String), sa.column("name", sa.String),
        sa.column("name_ko", sa.String), sa.column("name_fr", sa.String),
    )
    op.bulk_insert(units, [dict(zip(("code", "name", "name_ko", "name_fr"), row)) for row in UNITS])
    categories = sa.table(
        "categories",
        sa.column("id", sa.Integer), sa.column("code", sa.String), sa.column("name", sa.String),
        sa.column("name_ko", sa.String), sa.column("name_fr", sa.String),
        sa.column("parent_id", sa.Integer), sa.column("sort_order", sa.Integer),
    )
    connection = op.get_bind()
    for code, name, name_ko, name_fr, parent, order in CATEGORIES:
        parent_id = None
        if parent:
            parent_id = connection.execute(
                sa.select(categories.c.id).where(categories.c.code == parent)
            ).scalar_one()
        connection.execute(
            categories.insert().values(
                code=code, name=name, name_ko=name_ko, name_fr=name_fr,
                parent_id=parent_id, sort_order=order,
            )
        )


def downgrade():
    codes = [code for code, *_ in VIRTUAL_LOCATIONS]
    op.execute(
        sa.text("DELETE FROM locations WHERE code IN :codes").bindparams(
            sa.bindparam("codes", expanding=True)
        ).params(codes=codes)
    )
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_locations_province_id_provinces'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_locations_supplied_by_id_locations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_locations_province_id'))
        batch_op.drop_column('supplied_by_id')
        batch_op.drop_column('province_id')

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_items_family'))
        batch_op.drop_index(batch_op.f('ix_items_category_id'))

    op.drop_table('items')
    op.drop_table('provinces')
    op.drop_table('units')
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_categories_parent_id'))

    op.drop_table('categories')
