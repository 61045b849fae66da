"""product_variant.stock can never go below zero (a CHECK behind the conditional reservation UPDATE)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 06:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product_variant', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_product_variant_stock_nonnegative'), 'stock >= 0')


def downgrade():
    with op.batch_alter_table('product_variant', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_product_variant_stock_nonnegative'), type_='check')
