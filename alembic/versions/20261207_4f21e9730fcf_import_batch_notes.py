"""import_batches.notes: what an import said about its file (a title line's platform, skipped
summary lines, fractional ratings, the Tmall hint ...), kept for the batch's web page. Batches
imported before this have none.

Revision ID: 4f21e9730fcf
Revises: 5e1a9d3c7b20
Create Date: 2026-12-07 08:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '4f21e9730fcf'
down_revision = '5e1a9d3c7b20'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('import_batches', sa.Column(
        'notes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))


def downgrade():
    with op.batch_alter_table('import_batches') as batch_op:
        batch_op.drop_column('notes')
