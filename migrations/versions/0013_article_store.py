"""Articles in the database: article, article_revision (every version as the whole markdown file),
content_category, content_file (synonyms) and content_state (the change counter every node polls)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'content_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_content_state')),
    )
    op.create_table(
        'content_category',
        sa.Column('slug', sa.String(length=120), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('slug', name=op.f('pk_content_category')),
    )
    op.create_table(
        'content_file',
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_content_file')),
    )
    op.create_table(
        'article',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=120), nullable=False),
        sa.Column('category', sa.String(length=120), nullable=False),
        sa.Column('lang', sa.String(length=2), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('published_revision', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("state IN ('draft', 'published', 'archived')", name=op.f('ck_article_state')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_article_updated_by_id_user_account'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_article')),
        sa.UniqueConstraint('slug', name=op.f('uq_article_slug')),
    )
    op.create_index(op.f('ix_article_category'), 'article', ['category'], unique=False)
    op.create_table(
        'article_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=True),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['article_id'], ['article.id'], name=op.f('fk_article_revision_article_id_article'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_article_revision_author_id_user_account'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_article_revision')),
        sa.UniqueConstraint('article_id', 'number', name='uq_article_revision_number'),
    )
    op.create_index(op.f('ix_article_revision_article_id'), 'article_revision', ['article_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_article_revision_article_id'), table_name='article_revision')
    op.drop_table('article_revision')
    op.drop_index(op.f('ix_article_category'), table_name='article')
    op.drop_table('article')
    op.drop_table('content_file')
    op.drop_table('content_category')
    op.drop_table('content_state')
