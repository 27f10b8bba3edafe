"""search copy: ledger_entries.search_text also holds a review's 追评 and a ticket's platform
reason (one per line, as feedback.services.ledger.search_copy writes them), because the
classifier now reads them: a complaint that came in a 追评 is found by its own words. Data only;
the downgrade writes the text-only copies back.

Revision ID: 5e1a9d3c7b20
Revises: c41f0e8b7a2d
Create Date: 2026-12-06 18:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '5e1a9d3c7b20'
down_revision = 'c41f0e8b7a2d'
branch_labels = None
depends_on = None

# the newline is a parameter: SQLite spells it char(10), PostgreSQL chr(10)
WITH_EXTRAS = """
UPDATE ledger_entries SET search_text = COALESCE(
    (SELECT CASE WHEN COALESCE(reviews.followup_text, '') = '' THEN reviews.text
                 ELSE COALESCE(reviews.text, '') || :nl || reviews.followup_text END
     FROM reviews WHERE reviews.id = ledger_entries.review_id),
    (SELECT CASE WHEN COALESCE(tickets.reason, '') = '' THEN tickets.text
                 ELSE tickets.reason || :nl || COALESCE(tickets.text, '') END
     FROM tickets WHERE tickets.id = ledger_entries.ticket_id))
"""
TEXT_ONLY = """
UPDATE ledger_entries SET search_text = COALESCE(
    (SELECT reviews.text FROM reviews WHERE reviews.id = ledger_entries.review_id),
    (SELECT tickets.text FROM tickets WHERE tickets.id = ledger_entries.ticket_id))
"""


def upgrade():
    op.get_bind().execute(sa.text(WITH_EXTRAS), {"nl": "\n"})


def downgrade():
    op.get_bind().execute(sa.text(TEXT_ONLY))
