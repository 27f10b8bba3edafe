"""text search: ledger_entries.search_text, a copy of each entry's review/ticket text kept by the
ledger builder, and on PostgreSQL a GIN index of its characters and character pairs, so the triage
`q=` filter reads candidates from an index for a search term of any length (a two-character
Chinese word like 发霉 included, which a pg_trgm index cannot serve); every candidate is still
confirmed by the ILIKE itself. SQLite: the column only (its scan meets the target).

Only ledger entries (what the triage queue lists) are indexed, not every review and ticket: the
import of new texts, which makes no ledger entry, pays nothing for the index (an expression index
on reviews.text halved PostgreSQL's first-import speed). The copy is written by
feedback.services.ledger.LedgerBuilder and by the importer when it changes a stored text; this
migration fills it for the entries that exist.

Revision ID: c41f0e8b7a2d
Revises: 9e7a4c26fa15
Create Date: 2026-11-23 13:15:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c41f0e8b7a2d'
down_revision = '9e7a4c26fa15'
branch_labels = None
depends_on = None

# Every character and every pair of adjacent characters of a text (lower-cased by the caller, as
# ILIKE compares; duplicates are fine, GIN keeps each key once per row). The pairs come from two
# regex passes (from the 1st and from the 2nd character): ~5x cheaper to compute than a substr()
# per position. Only pg_catalog functions: safe in an index expression.
TEXT_GRAMS = """
CREATE FUNCTION feedback_text_grams(s text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT string_to_array(s, NULL)
           || ARRAY(SELECT (regexp_matches(s, '..', 'g'))[1])
           || ARRAY(SELECT (regexp_matches(substr(s, 2), '..', 'g'))[1])
$$
"""
# What a search term must find among a text's grams: its character pairs (its one character
# when it has only one). A text containing the term contains every one of them.
SEARCH_GRAMS = """
CREATE FUNCTION feedback_search_grams(s text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN char_length(s) < 2 THEN ARRAY[s]
                ELSE ARRAY(SELECT DISTINCT substr(s, i, 2) FROM generate_series(1, char_length(s) - 1) AS i)
           END
$$
"""
BACKFILL = """
UPDATE ledger_entries SET search_text = COALESCE(
    (SELECT reviews.text FROM reviews WHERE reviews.id = ledger_entries.review_id),
    (SELECT tickets.text FROM tickets WHERE tickets.id = ledger_entries.ticket_id))
"""


def upgrade():
    op.add_column("ledger_entries", sa.Column("search_text", sa.Text(), nullable=True))
    op.execute(BACKFILL)
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(TEXT_GRAMS)
    op.execute(SEARCH_GRAMS)
    op.execute("CREATE INDEX ix_ledger_entries_search_grams ON ledger_entries "
               "USING gin (feedback_text_grams(lower(search_text)))")
    op.execute("ANALYZE ledger_entries")  # statistics of the new expression, for the planner's estimates


def downgrade():
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_ledger_entries_search_grams")
        op.execute("DROP FUNCTION feedback_search_grams(text)")
        op.execute("DROP FUNCTION feedback_text_grams(text)")
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_column("search_text")
