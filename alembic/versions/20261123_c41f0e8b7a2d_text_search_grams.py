"""text search on PostgreSQL: a GIN index of each review/ticket text's characters and character
pairs, so the triage `q=` filter reads candidates from an index for a search term of any length
(a two-character Chinese word like 发霉 included, which a pg_trgm index cannot serve); every
candidate is still confirmed by the ILIKE itself. SQLite: nothing (its scan meets the target).

The index is an expression index: PostgreSQL keeps it up to date on every INSERT/UPDATE of a
text, whoever writes it (importer, API, scripts), and builds it for the existing rows here.

Revision ID: c41f0e8b7a2d
Revises: 9e7a4c26fa15
Create Date: 2026-11-23 13:15:00
"""
from alembic import op

revision = 'c41f0e8b7a2d'
down_revision = '9e7a4c26fa15'
branch_labels = None
depends_on = None

# Every character and every pair of adjacent characters of a text (lower-cased by the caller, as
# ILIKE compares; duplicates are fine, GIN keeps each key once per row). The pairs come from two
# regex passes (from the 1st and from the 2nd character): ~5x cheaper to compute than a substr()
# per position, which matters as every INSERT/UPDATE of a text computes it. Only pg_catalog
# functions: safe in an index expression.
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


def upgrade():
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(TEXT_GRAMS)
    op.execute(SEARCH_GRAMS)
    for table in ("reviews", "tickets"):
        op.execute(f"CREATE INDEX ix_{table}_text_grams ON {table} "
                   f"USING gin (feedback_text_grams(lower(text)))")
        op.execute(f"ANALYZE {table}")  # statistics of the new expression, for the planner's estimates


def downgrade():
    if op.get_context().dialect.name != "postgresql":
        return
    for table in ("reviews", "tickets"):
        op.execute(f"DROP INDEX ix_{table}_text_grams")
    op.execute("DROP FUNCTION feedback_search_grams(text)")
    op.execute("DROP FUNCTION feedback_text_grams(text)")
