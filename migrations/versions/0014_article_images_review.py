"""Editors' workspace: article_image (uploaded pictures, re-encoded, served from the help center) and the review
request on article (HELPCENTER_EDITORIAL_REVIEW: which version waits for a second editor, and who asked)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'article_image',
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'],
                                name=op.f('fk_article_image_uploaded_by_id_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_article_image')),
    )
    with op.batch_alter_table('article') as batch:
        batch.add_column(sa.Column('review_revision', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('review_requested_by_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f('fk_article_review_requested_by_id_user_account'), 'user_account',
                                 ['review_requested_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('article') as batch:
        batch.drop_constraint(batch.f('fk_article_review_requested_by_id_user_account'), type_='foreignkey')
        batch.drop_column('review_requested_by_id')
        batch.drop_column('review_revision')
    op.drop_table('article_image')
