"""Attachments as rows, bytes in the stored mail: migration 0006, recording, reading by id, a case mail's files."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from types import SimpleNamespace

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, delete, func, insert, inspect, select

from mailbot.db.engine import alembic_config, make_engine, session_factory, upgrade
from mailbot.db.models import AttachmentRow, MessageRow, Ticket
from mailbot.mail.parse import attachment_content, parse
from mailbot.mail.text import safe_filename
from mailbot.tickets import attachments
from mailbot.tickets.attachments import ATTACH_LIMIT, NOT_CLIENT_FILES, client_files
from mailbot.vocab import MessageKind, Role, ScreeningKind

pytestmark = pytest.mark.servers

NOW = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
CLIENT = "juan.perez@cliente.com.mx"


def mail_with(*files, message_id: str, sender: str = CLIENT, inner: bool = False) -> bytes:
    """A mail carrying ``files`` ((name or None, bytes) each), and an attached mail with one file if ``inner``."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "soporte@imagenti.mx", "Archivos"
    msg["Message-ID"] = message_id
    msg.set_content("Van los archivos.")
    for name, content in files:
        if name is None:
            msg.add_attachment(content, maintype="application", subtype="octet-stream")
        else:
            msg.add_attachment(content, maintype="application", subtype="octet-stream", filename=name)
    if inner:
        fwd = EmailMessage()
        fwd["From"], fwd["Subject"], fwd["Message-ID"] = "ana@proveedor.com", "Licencia", "<in-" + message_id[1:]
        fwd.set_content("La licencia.")
        fwd.add_attachment(
            b"KEY-" + message_id.encode(), maintype="application", subtype="octet-stream", filename="licencia.key"
        )
        msg.add_attachment(fwd)
    return msg.as_bytes()


def message_row(raw: bytes | None, *, ticket=None, kind: str = Role.CLIENT, direction: str = "in", n: int = 0):
    """A message row; ``ticket`` a Ticket, or a ticket's id (rows written at an older schema)."""
    return MessageRow(
        **({"ticket_id": ticket} if isinstance(ticket, int) else {"ticket": ticket}),
        direction=direction,
        message_id=f"<m{n}-{kind}@x>",
        kind=kind,
        from_addr=CLIENT,
        subject="s",
        body_text="",
        raw=raw,
        at=NOW,
    )


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


# -- migration 0006 ----------------------------------------------------------------


def test_upgrading_lists_the_attachments_of_the_mail_stored_before(engine):
    command.upgrade(alembic_config(engine), "0005")
    sessions = session_factory(engine)
    # Rows written the way version 0005 stored them: inbound mail keeps its raw bytes.
    with sessions() as s, s.begin():
        # The ticket row as 0005 had it: the model's later columns are not there yet, so the
        # table is read from the database, not from the model.
        tickets = Table("tickets", MetaData(), autoload_with=engine)
        ticket = s.scalar(
            insert(tickets)
            .values(
                seq=1,
                number="IMG-000001",
                status="new",
                severity="leve",
                requester=CLIENT,
                requester_name="",
                subject="",
                escalation_level=1,
                origin="normal",
                created_at=NOW,
                updated_at=NOW,
                received_at=NOW,
            )
            .returning(tickets.c.id)
        )
        raws = {}
        for n in range(60):  # more than one batch
            files = [(f"f{n}.bin", bytes([n]) * (n + 1))] if n % 3 == 0 else []
            raws[n] = mail_with(*files, (None, b"anon"), message_id=f"<old{n}@cliente.com.mx>", inner=n == 3)
            s.add(message_row(raws[n], ticket=ticket, n=n))
        s.add(message_row(b"", ticket=ticket, n=100))  # nothing stored
        s.add(message_row(None, ticket=ticket, n=101))
        s.add(
            message_row(
                mail_with(("ack.bin", b"x"), message_id="<out@imagenti.mx>"),
                ticket=ticket,
                kind=MessageKind.ACK,
                direction="out",
                n=102,
            )
        )
        s.add(message_row(b"no es un correo", ticket=ticket, n=103))
    upgrade(engine)
    with sessions() as s:
        by_message = {}
        for att in s.scalars(select(AttachmentRow).order_by(AttachmentRow.message_row_id, AttachmentRow.position)):
            by_message.setdefault(att.message.message_id, []).append(att)
        assert set(by_message) == {f"<m{n}-client@x>" for n in range(60)}
        for n in range(60):
            got = by_message[f"<m{n}-client@x>"]
            expected = [(a.filename, a.content_type, a.size, a.dropped) for a in parse(raws[n]).attachments]
            assert [(a.filename, a.content_type, a.size, a.dropped) for a in got] == expected
            assert [a.position for a in got] == list(range(len(expected)))
            for a in got:
                assert attachments.content(s, a.id) == attachment_content(raws[n], a.position)
        assert [a.filename for a in by_message["<m3-client@x>"]] == ["f3.bin", "attachment-2", "message.eml"]
        assert attachments.content(s, by_message["<m0-client@x>"][0].id) == b"\x00"
    command.downgrade(alembic_config(engine), "0005")
    assert "attachments" not in inspect(engine).get_table_names()
    upgrade(engine)  # and up again
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(AttachmentRow)) == sum(
            len(parse(r).attachments) for r in raws.values()
        )


# -- recording, reading by id ---------------------------------------------------------


def test_rows_are_recorded_read_by_id_and_go_with_their_message(engine):
    upgrade(engine)
    sessions = session_factory(engine)
    raw = mail_with(
        ("grande.zip", b"z" * 300_000),
        ("informe.pdf", b"%PDF"),
        (None, b"anon"),
        message_id="<r1@cliente.com.mx>",
        inner=True,
    )
    mail = parse(raw, max_message_size=None, max_attachment_size=100_000)
    with sessions() as s, s.begin():
        row = message_row(mail.raw)
        s.add(row)
        recorded = attachments.record(s, row, mail)
    assert [(a.position, a.filename, a.dropped) for a in recorded] == [
        (0, "grande.zip", True),
        (1, "informe.pdf", False),
        (2, "attachment-3", False),
        (3, "message.eml", False),
    ]
    with sessions() as s:
        ids = [a.id for a in recorded]
        assert attachments.content(s, ids[1]) == b"%PDF"
        assert attachments.content(s, ids[2]) == b"anon"
        assert email.message_from_bytes(attachments.content(s, ids[3]))["Subject"] == "Licencia"
        with pytest.raises(LookupError, match="size limits"):
            attachments.content(s, ids[0])
        with pytest.raises(LookupError):
            attachments.content(s, max(ids) + 1)
    with sessions() as s, s.begin():
        s.execute(delete(MessageRow).where(MessageRow.id == recorded[0].message_row_id))
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(AttachmentRow)) == 0


# -- the client's files on a vendor's case mail ------------------------------------------


def reference_client_files(session, ticket):
    """tickets/escalation.py's choice before this issue (parsing the stored bytes again), kept as the oracle."""
    rows = session.scalars(
        select(MessageRow)
        .where(
            MessageRow.ticket_id == ticket.id,
            MessageRow.direction == "in",
            MessageRow.kind.not_in(("engineer", "manager", "vendor", "unverified", "bounce", "autoreply")),
        )
        .order_by(MessageRow.id)
    ).all()
    files, lines, seen, total = [], [], set(), 0
    for m in rows:
        for name, ctype, content in _attachments_of(m.raw) if m.raw else ():
            if (name, len(content)) in seen:
                continue
            seen.add((name, len(content)))
            if total + len(content) > ATTACH_LIMIT:
                lines.append(f"{name} ({len(content) / 1048576:.1f} MB, not attached: available on request)")
                continue
            total += len(content)
            files.append((name, ctype, content))
            lines.append(name)
    return files, lines


def _attachments_of(raw):
    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
        out = []
        for part in msg.walk():
            if part.is_multipart() or not part.get_filename():
                continue
            if part["X-Mailbot-Dropped"]:
                # The note for a dropped part had no file name before this issue: it was never attached.
                continue
            content = part.get_payload(decode=True)
            if content is None:
                continue
            out.append((safe_filename(part.get_filename() or ""), part.get_content_type(), content))
        return out
    except Exception:
        return []


def test_a_case_mail_carries_the_same_client_files_as_before(engine):
    assert {"engineer", "manager", "vendor", "unverified", "bounce", "autoreply"} == NOT_CLIENT_FILES
    upgrade(engine)
    sessions = session_factory(engine)
    six_mb = bytes(range(256)) * (6 * 4096)
    mails = [
        (Role.CLIENT, mail_with(("fsdiag.zip", b"PK\x03\x04"), (None, b"sin nombre"), message_id="<c1@x>")),
        (Role.ENGINEER, mail_with(("interno.txt", b"solo equipo"), message_id="<e1@x>", sender="ana@imagenti.mx")),
        (
            Role.CLIENT,
            mail_with(("fsdiag.zip", b"PK\x03\x04"), ("captura.png", b"\x89PNG"), message_id="<c2@x>", inner=True),
        ),
        (ScreeningKind.AUTOREPLY, mail_with(("ooo.txt", b"fuera"), message_id="<a1@x>")),
        (Role.VENDOR, mail_with(("parche.exe", b"MZ"), message_id="<v1@x>")),
        (ScreeningKind.AUTO, mail_with(("respaldo1.bin", six_mb), message_id="<c3@x>")),
        (MessageKind.UNVERIFIED, mail_with(("falso.txt", b"?"), message_id="<u1@x>")),
        (Role.CLIENT, mail_with(("respaldo2.bin", six_mb[:-1]), ("final.txt", b"fin"), message_id="<c4@x>")),
    ]
    with sessions() as s, s.begin():
        ticket = Ticket(
            seq=1,
            number="IMG-000001",
            severity="leve",
            requester=CLIENT,
            created_at=NOW,
            updated_at=NOW,
            received_at=NOW,
        )
        other = Ticket(
            seq=2,
            number="IMG-000002",
            severity="leve",
            requester=CLIENT,
            created_at=NOW,
            updated_at=NOW,
            received_at=NOW,
        )
        s.add_all([ticket, other])
        for n, (kind, raw) in enumerate(mails):
            mail = parse(raw)
            row = message_row(mail.raw, ticket=ticket, kind=kind, n=n)
            s.add(row)
            attachments.record(s, row, mail)
        dropped = parse(mail_with(("enorme.zip", b"z" * 300_000), message_id="<c5@x>"), max_attachment_size=100_000)
        row = message_row(dropped.raw, ticket=ticket, n=50)
        s.add(row)
        attachments.record(s, row, dropped)
        elsewhere = parse(mail_with(("otro.txt", b"otro ticket"), message_id="<o1@x>"))
        row = message_row(elsewhere.raw, ticket=other, n=60)
        s.add(row)
        attachments.record(s, row, elsewhere)
    with sessions() as s:
        ticket = s.scalar(select(Ticket).where(Ticket.number == "IMG-000001"))
        files, lines = client_files(SimpleNamespace(session=s), ticket)
        assert (files, lines) == reference_client_files(s, ticket)
    assert [name for name, _, _ in files] == ["fsdiag.zip", "captura.png", "licencia.key", "respaldo1.bin", "final.txt"]
    assert lines == [
        "fsdiag.zip",
        "captura.png",
        "licencia.key",
        "respaldo1.bin",
        "respaldo2.bin (6.0 MB, not attached: available on request)",
        "final.txt",
    ]
    assert files[2][2] == b"KEY-<c2@x>"
