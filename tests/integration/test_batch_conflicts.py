"""A batch of mails in one transaction meets another process on PostgreSQL.

The IMAP holder takes a chunk of mails in one transaction; another process
(LMTP, `mailbot ingest`) takes one mail at a time. A batch that opened a ticket
holds the ticket counter; a mail threading into a ticket holds that ticket's
row. When the two wait on each other PostgreSQL breaks the cycle by failing one
of them: that one must run again, and nothing may end in quarantine.
"""

from __future__ import annotations

import threading

import psycopg
import pytest
from sqlalchemy import func, select

from mailbot.app import build_app
from mailbot.db.models import Quarantine, Ticket
from mailbot.errors import TemporaryFailure
from mailbot.pipeline import apply
from mailbot.pipeline.core import Item, Pipeline
from mailbot.tickets.numbering import subject_tag
from tests.support.mail import make_mail
from tests.support.servers import PG_URL, wait_until

pytestmark = pytest.mark.servers


def _someone_waits_on_a_lock() -> bool:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        return (
            conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = 'mailbot'"
            ).fetchone()[0]
            > 0
        )


def test_a_lock_cycle_between_a_batch_and_another_process_loses_nothing(make_settings, pg_url, monkeypatch):
    settings = make_settings(db_url=pg_url)
    holder, other = build_app(settings), build_app(settings)
    try:
        first = Pipeline(holder).process(make_mail(subject="Original", message_id="<o@cliente.com.mx>"))
        tag = subject_tag(settings, first.ticket)
        new = make_mail(sender="nuevo@cliente2.com.mx", subject="Nuevo", message_id="<n@cliente2.com.mx>")
        reply = make_mail(
            subject=f"Re: {tag} Original", in_reply_to="<o@cliente.com.mx>", message_id="<r@cliente.com.mx>"
        )
        # A stranger naming the ticket: locks its row, then opens a linked ticket (needs the counter).
        stranger = make_mail(sender="otro@ajeno.com.mx", subject=f"{tag} otra cosa", message_id="<s@ajeno.com.mx>")

        counter_held = threading.Event()
        real_open = apply.open_ticket

        def open_ticket(ctx, *args, **kw):
            out = real_open(ctx, *args, **kw)
            if ctx.app is holder and ctx.mail.message_id == "<n@cliente2.com.mx>" and not counter_held.is_set():
                counter_held.set()  # this batch now holds the counter until it commits
                wait_until(_someone_waits_on_a_lock, what="the other process to wait for the counter")
            return out

        monkeypatch.setattr(apply, "open_ticket", open_ticket)
        result = {}

        def other_process():
            counter_held.wait(20)
            result["stranger"] = Pipeline(other).process(stranger, source="lmtp")

        thread = threading.Thread(target=other_process)
        thread.start()
        batch = Pipeline(holder).process_batch([Item(new, source="imap"), Item(reply, source="imap")])
        thread.join(60)

        assert [o.action for o in batch] == ["created", "appended"]
        assert batch[1].ticket == first.ticket
        assert result["stranger"].action == "created"
        with holder.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Quarantine)) == 0
            numbers = sorted(s.scalars(select(Ticket.seq)))
        assert numbers == [1, 2, 3]  # three tickets, no gap
    finally:
        holder.close()
        other.close()


def test_a_lock_held_too_long_is_a_temporary_failure_not_a_quarantine(make_settings, pg_url):
    # Statements give up after 200 ms of waiting for a lock (SQLSTATE 55P03, "lock timeout").
    settings = make_settings(db_url=pg_url + "%20-clock_timeout%3D200")
    app = build_app(settings)
    try:
        Pipeline(app).process(make_mail(message_id="<first@cliente.com.mx>"))  # the counter row exists
        schema = pg_url.rsplit("%3D", 1)[1]
        with psycopg.connect(PG_URL) as blocker:  # someone holds the ticket counter (a long transaction)
            blocker.execute(f"SELECT value FROM {schema}.counters FOR UPDATE").fetchall()
            with pytest.raises(TemporaryFailure, match="lock conflict"):
                Pipeline(app).process_batch(
                    [
                        Item(make_mail(subject=f"Caso {i}", message_id=f"<b{i}@cliente.com.mx>"), source="imap")
                        for i in range(3)
                    ]
                )
        with app.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Quarantine)) == 0
        # Once the lock is free the same mails go through.
        out = Pipeline(app).process_batch(
            [Item(make_mail(subject=f"Caso {i}", message_id=f"<b{i}@cliente.com.mx>"), source="imap") for i in range(3)]
        )
        assert [o.action for o in out] == ["created"] * 3
    finally:
        app.close()
