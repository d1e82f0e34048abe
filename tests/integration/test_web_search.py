"""The web board's full-text search (``mailbot.web.search``) on SQLite FTS5 and PostgreSQL.

Tickets come in through the real pipeline on a hand-moved clock, so every
mail is indexed by what migration 0010 set up (triggers on SQLite, expression
indexes on PostgreSQL); a database from before 0010 is upgraded and its old
rows are found (the backfill).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import delete, inspect, select, update

from mailbot.db.engine import alembic_config, make_engine, session_factory, upgrade
from mailbot.db.models import MessageRow, Ticket
from mailbot.web.search import search
from tests.support.desk import ClockDesk
from tests.support.mail import make_mail

pytestmark = pytest.mark.servers

REPORTS = [  # (subject, body): IMG-000001 … IMG-000004, an hour apart
    ("No puedo cambiar mi contraseña", "El sistema dice que la contraseña expiró y no me deja entrar."),
    ("Impresora atascada", "La impresora del segundo piso no imprime desde ayer."),
    ("Falla de red", "Sin internet desde las 9; la IMPRESORA de recepción tampoco responde."),
    ("Solicitud de licencia", "Necesitamos una licencia adicional de Office para el área de ventas."),
]

HOSTILE = [
    '"',
    '""',
    '"""',
    "*",
    "**",
    "impresora*",
    "^impresora",
    "NEAR",
    "NEAR(impresora licencia)",
    "NEAR(impresora licencia, 2)",
    "impresora NEAR licencia",
    "impresora OR licencia",
    "impresora AND licencia",
    "AND",
    "OR",
    "NOT",
    "impresora NOT licencia",
    "-impresora",
    "!impresora",
    "impresora | licencia",
    "impresora & !licencia",
    "(impresora OR licencia)",
    "((((",
    "))",
    "subject:impresora",
    "body_text:licencia",
    "{subject body_text}: impresora",
    "search_messages",
    "x' OR '1'='1",
    "' OR 1=1 --",
    "'; DROP TABLE tickets; --",
    "1; SELECT * FROM messages",
    "%",
    "_",
    "\\",
    "\x00",
    ":q",
    ":*",
    "impresora:*",
    "<b>impresora</b>",
    "la de el",
    "contraseña " * 2000,
    "x" * 100_000,
    " ".join(f"palabra{k}" for k in range(5000)),
]


def mx_hour(hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 7, 6, hh, mm, tzinfo=UTC)


@pytest.fixture
def desk(make_settings, db_url):
    d = ClockDesk(make_settings(db_url=db_url), mx_hour(15))
    yield d
    d.close()


def report(d: ClockDesk, k: int, subject: str, body: str, when: datetime) -> None:
    d.at(when).mail(
        make_mail(
            sender=f"cliente{k}@empresa{k}.com.mx", subject=subject, body=body, message_id=f"<r{k}@empresa{k}.com.mx>"
        )
    )


def follow_up(d: ClockDesk, number: str, k: int, body: str, when: datetime) -> None:
    """The client of ``number`` (report ``k``) answers its acknowledgement."""
    [ack] = d.out("ack", number)
    d.at(when).mail(
        make_mail(
            sender=f"cliente{k}@empresa{k}.com.mx",
            subject="RE: " + ack.subject,
            body=body,
            message_id=f"<f{k}-{when.hour}@empresa{k}.com.mx>",
            in_reply_to=ack.message_id,
        )
    )


@pytest.fixture
def reports(desk):
    for k, (subject, body) in enumerate(REPORTS, start=1):
        report(desk, k, subject, body, mx_hour(15 + k))
    return desk


def found(d: ClockDesk, query: str, **kw) -> list[dict]:
    with d.app.sessions() as s:
        return search(s, query, **kw)


def numbers(d: ClockDesk, query: str, **kw) -> list[str]:
    return [hit["number"] for hit in found(d, query, **kw)]


def test_finds_by_subject_and_by_body_ignoring_accents_and_case(reports):
    d = reports
    for query in ("contraseña", "contrasena", "CONTRASEÑA", "Contraseñas", "contraseña expiró", "CONTRASENA EXPIRO"):
        assert numbers(d, query) == ["IMG-000001"], query
    assert numbers(d, "atascada") == ["IMG-000002"]  # the subject only
    assert numbers(d, "segundo piso") == ["IMG-000002"]  # the body only
    assert numbers(d, '"segundo piso"') == ["IMG-000002"]  # a phrase
    # SQLite: in its order. PostgreSQL: its words, in any order (checking the order would cost seconds).
    in_order = d.app.engine.dialect.name == "sqlite"
    assert numbers(d, '"piso segundo"') == ([] if in_order else ["IMG-000002"])
    assert numbers(d, "licencia ventas") == ["IMG-000004"]  # every word, wherever it is
    assert numbers(d, "licencia impresora") == []  # ... all of them
    assert numbers(d, "escáner") == []

    [hit] = found(d, "expiro")
    assert hit["subject"] == "No puedo cambiar mi contraseña"
    assert hit["status"] == "new"
    assert datetime.fromisoformat(hit["at"]) == mx_hour(16)
    assert "expiró" in hit["snippet"] and "<" not in hit["snippet"]


def test_newest_first_one_hit_per_ticket_and_the_limit(reports):
    d = reports
    assert numbers(d, "impresora") == ["IMG-000003", "IMG-000002"]
    # The client of IMG-000002 writes again: its newest matching mail now comes first, once.
    follow_up(d, "IMG-000002", 2, "La impresora sigue sin imprimir; ya cambiamos el tóner.", mx_hour(21))
    hits = found(d, "impresora")
    assert [h["number"] for h in hits] == ["IMG-000002", "IMG-000003"]
    assert datetime.fromisoformat(hits[0]["at"]) == mx_hour(21)
    assert "tóner" in hits[0]["snippet"]
    assert numbers(d, "toner") == ["IMG-000002"]  # a mail added after the migration is found
    assert numbers(d, "impresora", limit=1) == ["IMG-000002"]
    assert numbers(d, "impresora", limit=0) == []

    for k in range(5, 12):
        report(
            d, k, f"Equipo {k} lento", f"La computadora número {k} está muy lenta al abrir el correo.", mx_hour(22, k)
        )
    assert numbers(d, "lenta computadora", limit=3) == ["IMG-000011", "IMG-000010", "IMG-000009"]
    assert len(found(d, "lento")) == 7
    assert len(found(d, "lento", limit=50)) == 7


def test_empty_and_blank_queries_find_nothing(reports):
    for query in ("", " ", "\t\n", '" "', "¿?", "--", "..."):
        assert found(reports, query) == [], repr(query)


def test_hostile_queries_neither_fail_nor_match_everything(reports):
    d = reports
    total = len(REPORTS)
    for query in HOSTILE:
        hits = found(d, query)
        assert isinstance(hits, list)
        assert len(hits) < total, (query[:60], hits)
        assert all(set(hit) == {"number", "subject", "snippet", "status", "at"} for hit in hits)
    # Operators are words like any other: they are required, so nothing has them all.
    assert numbers(d, "impresora OR licencia") == []
    assert numbers(d, "NEAR(impresora licencia)") == []
    assert numbers(d, "(impresora)") == ["IMG-000003", "IMG-000002"]
    assert numbers(d, "impresora*") == ["IMG-000003", "IMG-000002"]
    with d.app.sessions() as s:  # and nothing was dropped
        assert s.scalar(select(Ticket.number).where(Ticket.id == 1)) == "IMG-000001"


def test_what_mailbot_sends_is_not_searched(reports):
    # Words of the acknowledgement sent for every ticket, and of the team's notice.
    assert found(reports, "agilizar diagnóstico") == []
    assert found(reports, "Hemos recibido su reporte") == []


def test_the_index_follows_changes_and_deletions(reports):
    d = reports
    with d.app.sessions() as s, s.begin():
        s.execute(update(Ticket).where(Ticket.number == "IMG-000004").values(subject="Renovación de antivirus"))
        s.execute(update(Ticket).where(Ticket.number == "IMG-000001").values(status="in_progress"))
        body = s.scalars(
            select(MessageRow).where(MessageRow.direction == "in", MessageRow.body_text.like("%segundo piso%"))
        ).one()
        body.body_text = "El plotter del tercer piso no imprime."
    assert numbers(d, "antivirus") == ["IMG-000004"]
    assert numbers(d, "solicitud") == ["IMG-000004"]  # its first mail still says so
    assert numbers(d, "plotter") == ["IMG-000002"]
    assert numbers(d, "segundo") == []
    [hit] = found(d, "contraseña")
    assert hit["status"] == "in_progress"

    with d.app.sessions() as s, s.begin():
        s.execute(delete(MessageRow).where(MessageRow.direction == "in", MessageRow.body_text.like("%plotter%")))
    assert numbers(d, "plotter") == []
    assert numbers(d, "atascada") == ["IMG-000002"]  # still by its subject


def _before_search(engine) -> str:
    return ScriptDirectory.from_config(alembic_config(engine)).get_revision("0010").down_revision


def test_a_database_from_before_the_search_finds_its_old_rows(db_url):
    engine = make_engine(db_url)
    try:
        before = _before_search(engine)
        command.upgrade(alembic_config(engine), before)
        now = mx_hour(12)
        with engine.begin() as c:
            for k, (subject, body) in enumerate(REPORTS, start=1):
                c.execute(
                    Ticket.__table__.insert(),
                    dict(
                        id=k,
                        seq=k,
                        number=f"IMG-{k:06d}",
                        subject=subject,
                        status="closed",
                        severity="leve",
                        requester=f"cliente{k}@empresa{k}.com.mx",
                        created_at=now,
                        updated_at=now,
                        received_at=now,
                    ),
                )
                rows = [
                    dict(direction="in", kind="client", message_id=f"<old{k}@x>", subject=subject, body_text=body),
                    dict(
                        direction="out", kind="ack", message_id=f"<ack{k}@x>", subject=subject, body_text="ornitorrinco"
                    ),
                ]
                c.execute(MessageRow.__table__.insert(), [dict(r, ticket_id=k, at=now.replace(minute=k)) for r in rows])
        upgrade(engine)
        sessions = session_factory(engine)
        with sessions() as s:
            hits = search(s, "impresora")
            assert [h["number"] for h in hits] == ["IMG-000003", "IMG-000002"]
            assert hits[0]["status"] == "closed" and datetime.fromisoformat(hits[0]["at"]) == now.replace(minute=3)
            assert [h["number"] for h in search(s, "contrasena")] == ["IMG-000001"]
            assert search(s, "ornitorrinco") == []  # outbound rows are not indexed
        # Down again: the search's tables and indexes go; up again: found again.
        command.downgrade(alembic_config(engine), before)
        names = set(inspect(engine).get_table_names())
        assert not {n for n in names if n.startswith("search_")}
        assert "ix_search_messages" not in {i["name"] for i in inspect(engine).get_indexes("messages")}
        upgrade(engine)
        with sessions() as s:
            assert [h["number"] for h in search(s, "licencia")] == ["IMG-000004"]
    finally:
        engine.dispose()
