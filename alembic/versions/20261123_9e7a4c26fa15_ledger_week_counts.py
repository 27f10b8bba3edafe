"""ledger_week_counts: entries per ISO week, status and dimension value, for the ledger page

Backfilled here from the existing ledger (one INSERT ... SELECT per dimension); from then on the
writers keep it (feedback/services/ledger_counts.py) and `feedback ledger recount` checks it.

Revision ID: 9e7a4c26fa15
Revises: 09348da0c2a2
Create Date: 2026-11-23 12:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '9e7a4c26fa15'
down_revision = '09348da0c2a2'
branch_labels = None
depends_on = None

# (dimension, the value expression over ledger_entries e)
_DIMENSIONS = [
    ("sku", "coalesce(e.sku, '')"),
    ("carrier", "coalesce(e.carrier, '')"),
    ("warehouse", "coalesce(e.warehouse, '')"),
    ("platform", "coalesce(e.platform, '')"),
]


def upgrade():
    op.create_table(
        'ledger_week_counts',
        sa.Column('dim', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('week', sa.String(length=8), nullable=False),
        sa.Column('value', sa.String(length=100), nullable=False),
        sa.Column('entries', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('dim', 'status', 'week', 'value', name=op.f('pk_ledger_week_counts')),
    )
    op.execute(
        "INSERT INTO ledger_week_counts (dim, status, week, value, entries) "
        "SELECT 'all', e.status, e.week, '', count(*) FROM ledger_entries e GROUP BY e.status, e.week")
    for dim, value in _DIMENSIONS:
        op.execute(
            "INSERT INTO ledger_week_counts (dim, status, week, value, entries) "
            f"SELECT '{dim}', e.status, e.week, {value}, count(*) FROM ledger_entries e "
            f"GROUP BY e.status, e.week, {value}")
    op.execute(
        "INSERT INTO ledger_week_counts (dim, status, week, value, entries) "
        "SELECT 'category', e.status, e.week, c.category, count(*) FROM ledger_categories c "
        "JOIN ledger_entries e ON e.id = c.entry_id GROUP BY e.status, e.week, c.category")


def downgrade():
    op.drop_table('ledger_week_counts')
