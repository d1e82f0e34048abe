"""A repeat in a batch changes a ticket that exists: what comes after it in the batch must see that.

A repeat (the same report again) takes the way of a new report but ends by joining the first
ticket: its message, a colleague it copies. Found by review: the batch kept those rows waiting,
so the colleague's next mail in the same batch, naming the ticket, opened a second one.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from mailbot.app import build_app
from mailbot.db.models import Participant, Ticket
from mailbot.pipeline.core import Item, Pipeline
from mailbot.tickets.numbering import subject_tag
from tests.support.mail import make_mail

pytestmark = pytest.mark.servers


def _one_by_one(monkeypatch, pipeline: Pipeline, raws: list[bytes]):
    with monkeypatch.context() as m:
        m.setattr(Pipeline, "_in_one_flush", lambda *_: None)
        return [pipeline.process(raw, source="test") for raw in raws]


def test_a_colleague_copied_on_a_repeat_may_write_into_the_ticket_by_its_tag(make_settings, db_url, caplog):
    """A repeat (own rows, waits) adds a copied colleague as a participant of an existing ticket.

    The colleague's next mail in the same batch names the ticket in its subject: one mail at a time,
    the colleague is a participant and the mail joins the ticket; in one flush the participant row
    waits unseen (no shared key: other sender, no reference, no number being given), so the mail
    opens a second ticket linked to the first and the colleague gets an acknowledgement.
    """
    first = make_mail(message_id="<orig@cliente.com.mx>", subject="Impresora atascada", body="No imprime.")
    app = build_app(make_settings(db_url=db_url))
    try:
        created = Pipeline(app).process(first, source="test")
        assert created.action == "created"
        tag = subject_tag(app.settings, created.ticket)
        # The same mail again (a repeat), this time with a colleague of another company copied.
        repeat = make_mail(
            message_id="<again@cliente.com.mx>",
            subject="Impresora atascada",
            body="No imprime.",
            cc="Consultor <consultor@externo.mx>",
        )
        colleague = make_mail(
            sender="Consultor <consultor@externo.mx>",
            message_id="<c1@externo.mx>",
            subject=f"{tag} Impresora atascada",
            body="Soy el consultor del cliente: el modelo es HP 4250.",
        )
        with caplog.at_level(logging.INFO, logger="mailbot.pipeline"):
            out = Pipeline(app).process_batch([Item(repeat, source="test"), Item(colleague, source="test")])
        assert not [r for r in caplog.records if "taken again" in r.getMessage()]
        with app.sessions() as s:
            assert s.scalar(select(Participant.id).where(Participant.address == "consultor@externo.mx")) is not None
            tickets = s.scalars(select(Ticket.number)).all()
        assert [o.action for o in out] == ["appended", "appended"], out
        assert tickets == [created.ticket]
    finally:
        app.close()


def test_one_mail_at_a_time_the_colleague_joins_too(make_settings, db_url, monkeypatch):
    """The reference for the test above: one mail at a time (a savepoint each), the colleague's mail joins."""
    app = build_app(make_settings(db_url=db_url))
    try:
        created = Pipeline(app).process(
            make_mail(message_id="<orig@cliente.com.mx>", subject="Impresora atascada", body="No imprime."),
            source="test",
        )
        tag = subject_tag(app.settings, created.ticket)
        out = _one_by_one(
            monkeypatch,
            Pipeline(app),
            [
                make_mail(
                    message_id="<again@cliente.com.mx>",
                    subject="Impresora atascada",
                    body="No imprime.",
                    cc="Consultor <consultor@externo.mx>",
                ),
                make_mail(
                    sender="Consultor <consultor@externo.mx>",
                    message_id="<c1@externo.mx>",
                    subject=f"{tag} Impresora atascada",
                    body="Soy el consultor del cliente: el modelo es HP 4250.",
                ),
            ],
        )
        assert [o.action for o in out] == ["appended", "appended"], out
    finally:
        app.close()
