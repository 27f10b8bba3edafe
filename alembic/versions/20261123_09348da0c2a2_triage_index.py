"""web UI indexes: the triage queue reads (status, food_safety) newest first; the ledger page
counts a date range from a covering index

Revision ID: 09348da0c2a2
Revises: 7bf02b75fff4
Create Date: 2026-11-23 09:32:03.337171
"""
from alembic import op

revision = '09348da0c2a2'
down_revision = '7bf02b75fff4'
branch_labels = None
depends_on = None


def upgrade():
    # A plain CREATE INDEX (no batch table copy on SQLite).
    op.create_index('ix_ledger_entries_triage', 'ledger_entries',
                    ['status', 'food_safety', 'occurred_at', 'id'], unique=False)
    op.create_index('ix_ledger_entries_stats', 'ledger_entries',
                    ['occurred_at', 'status', 'week', 'sku', 'carrier'], unique=False)


def downgrade():
    # if_exists: scratch databases upgraded while this revision held only the first index
    op.drop_index('ix_ledger_entries_stats', table_name='ledger_entries', if_exists=True)
    op.drop_index('ix_ledger_entries_triage', table_name='ledger_entries')
