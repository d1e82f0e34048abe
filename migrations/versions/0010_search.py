"""full-text search of tickets' subjects and inbound mail (the web board's search)

What is indexed: every ticket's subject, and the subject and text of every
inbound message (``direction = 'in'``); mailbot's own outbound mail is not.
``mailbot/web/search.py`` queries it.

- SQLite: FTS5 tables over the rows themselves (external content: the text is
  not stored twice), tokenizer unicode61 with diacritics removed, so case and
  accents do not count. ``search_messages`` (rowid = messages.id: subject,
  body_text) and ``search_tickets`` (rowid = tickets.id: subject), kept in step
  by triggers on insert, update (of the indexed columns only: tickets change
  status all day) and delete; existing rows are indexed here.
- PostgreSQL: GIN expression indexes ``ix_search_messages`` (partial: inbound
  only) and ``ix_search_tickets`` on ``to_tsvector('spanish', search_fold(…))``;
  ``search_fold`` takes the accents off Latin letters (the Spanish stemmer
  drops acute accents but keeps the ñ: "contraseña" would not find
  "contrasena"). An immutable SQL function of ``translate``, so no extension
  (``unaccent``) is needed. The index build locks the tables against writes
  while it runs.

Careful on SQLite: a later migration that rebuilds ``messages`` or ``tickets``
(``batch_alter_table``: copy, DROP, rename) drops these triggers with the old
table. It must create them again (``_sqlite_triggers`` below) and, if rows can
have changed meanwhile, drop and re-create the FTS tables with the backfill.
FTS5 'rebuild' is no substitute for ``search_messages``: it would index the
outbound rows too.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TOKENIZE = "unicode61 remove_diacritics 2"

# search_fold: the Latin letters with accents (U+00C0–U+024F) to their plain lower-case letter, one for one.
ACCENTED = (
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆć"
    "ĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕ"
    "ŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟ"
    "ǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ"
)
PLAIN = (
    "aaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooouuuuyyaaaaaacc"
    "ccccccddeeeeeeeeeegggggggghhiiiiiiiiijjkkllllllnnnnnnoooooorr"
    "rrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzzoouuaaiioouuuuuuuuuuaa"
    "aaggkkoooojggnnaaaaaaeeeeiiiioooorrrruuuusstthhaaeeooooooooyy"
)
assert len(ACCENTED) == len(PLAIN)

SQLITE_TRIGGERS = {
    "search_messages_insert": """
        CREATE TRIGGER search_messages_insert AFTER INSERT ON messages WHEN new.direction = 'in' BEGIN
            INSERT INTO search_messages (rowid, subject, body_text) VALUES (new.id, new.subject, new.body_text);
        END""",
    "search_messages_delete": """
        CREATE TRIGGER search_messages_delete AFTER DELETE ON messages WHEN old.direction = 'in' BEGIN
            INSERT INTO search_messages (search_messages, rowid, subject, body_text)
            VALUES ('delete', old.id, old.subject, old.body_text);
        END""",
    "search_messages_update": """
        CREATE TRIGGER search_messages_update AFTER UPDATE OF id, subject, body_text, direction ON messages BEGIN
            INSERT INTO search_messages (search_messages, rowid, subject, body_text)
            SELECT 'delete', old.id, old.subject, old.body_text WHERE old.direction = 'in';
            INSERT INTO search_messages (rowid, subject, body_text)
            SELECT new.id, new.subject, new.body_text WHERE new.direction = 'in';
        END""",
    "search_tickets_insert": """
        CREATE TRIGGER search_tickets_insert AFTER INSERT ON tickets BEGIN
            INSERT INTO search_tickets (rowid, subject) VALUES (new.id, new.subject);
        END""",
    "search_tickets_delete": """
        CREATE TRIGGER search_tickets_delete AFTER DELETE ON tickets BEGIN
            INSERT INTO search_tickets (search_tickets, rowid, subject) VALUES ('delete', old.id, old.subject);
        END""",
    "search_tickets_update": """
        CREATE TRIGGER search_tickets_update AFTER UPDATE OF id, subject ON tickets BEGIN
            INSERT INTO search_tickets (search_tickets, rowid, subject) VALUES ('delete', old.id, old.subject);
            INSERT INTO search_tickets (rowid, subject) VALUES (new.id, new.subject);
        END""",
}


def _sqlite_triggers():
    for ddl in SQLITE_TRIGGERS.values():
        op.execute(ddl)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION search_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE"
            f" AS $$ SELECT translate($1, '{ACCENTED}', '{PLAIN}') $$"
        )
        op.execute(
            "CREATE INDEX ix_search_messages ON messages USING gin"
            " (to_tsvector('spanish', search_fold(coalesce(subject, '') || ' ' || coalesce(body_text, ''))))"
            " WHERE direction = 'in'"
        )
        op.execute(
            "CREATE INDEX ix_search_tickets ON tickets USING gin"
            " (to_tsvector('spanish', search_fold(coalesce(subject, ''))))"
        )
        return
    op.execute(
        "CREATE VIRTUAL TABLE search_messages USING fts5"
        f"(subject, body_text, content='messages', content_rowid='id', tokenize='{TOKENIZE}')"
    )
    op.execute(
        f"CREATE VIRTUAL TABLE search_tickets USING fts5(subject, content='tickets', content_rowid='id', tokenize='{TOKENIZE}')"
    )
    _sqlite_triggers()
    op.execute(
        "INSERT INTO search_messages (rowid, subject, body_text)"
        " SELECT id, subject, body_text FROM messages WHERE direction = 'in'"
    )
    op.execute("INSERT INTO search_tickets (rowid, subject) SELECT id, subject FROM tickets")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_tickets")
        op.execute("DROP INDEX IF EXISTS ix_search_messages")
        op.execute("DROP FUNCTION IF EXISTS search_fold(text)")
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS search_tickets")
    op.execute("DROP TABLE IF EXISTS search_messages")
