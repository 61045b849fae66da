"""Customers' uploads keep their bytes in the database (case_attachment.data, return_photo.data), so every node
serves them; rows from before keep theirs on disk until `flask --app wsgi uploads import-files`

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 23:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: rows written before this revision have their bytes only in a node's instance directory.
    for table in ('case_attachment', 'return_photo'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('data', sa.LargeBinary(), nullable=True))


def downgrade():
    # Drops the bytes of every upload stored or imported since 0020 (older code would find no file for them).
    for table in ('return_photo', 'case_attachment'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('data')
