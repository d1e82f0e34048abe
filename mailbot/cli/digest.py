"""``mailbot digest``: the morning digests, previewed or sent now."""

from __future__ import annotations

import base64
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from mailbot.addresses import normalize_address
from mailbot.cli.common import Ctx, local_iso
from mailbot.outbound.compose import compose, new_message_id
from mailbot.reports import digest as dig


@click.command()
@click.option("--preview", is_flag=True, help="Show what would go out now; nothing is sent or marked as sent.")
@click.option("--send", is_flag=True, help="Queue today's digests now, once a day per person as the scheduler does.")
@click.option("--for", "only", metavar="ADDR", default=None, help="Only this person's digest.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    default=None,
    help="With --preview: write ADDR.eml and ADDR.html per digest into this folder instead of printing.",
)
@click.option(
    "--at",
    callback=local_iso,
    default=None,
    metavar="ISO-TIME",
    help="With --preview: as at this moment (local time unless it has an offset), not now.",
)
@click.pass_obj
def digest(obj: Ctx, preview, send, only, out, at):
    """The morning digests: each engineer's open tickets, the manager's board.

    The scheduler sends them on business days at [digest] engineers_at and
    manager_at. --preview prints the text of each digest that would go out
    (or writes them as .eml and .html with --out) and sends nothing; --send
    queues them now, at most one per person a day (a person who had one
    today gets no second), for the running daemon's outbox to send. Nobody
    with nothing to read gets a digest.
    """
    if preview == send:
        raise click.UsageError("give one of --preview or --send")
    if send and (out is not None or at is not None):
        raise click.UsageError("--out and --at go with --preview; --send sends today's digests as they are now")
    settings = obj.settings
    if only is not None:
        only = normalize_address(only.strip())
        everyone = [a for kind in dig.KINDS for a in dig.recipients(settings, kind)]
        if only not in everyone:
            raise click.BadParameter(
                f"{only!r} gets no digest; the engineers and the manager do: {', '.join(everyone) or 'none configured'}",
                param_hint="'--for'",
            )
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise click.BadParameter(
                f"cannot create the folder {out}: {exc.strerror or exc}", param_hint="'--out'"
            ) from None
    app = obj.app(readonly=True)
    try:
        if send:
            _send(app, only)
        else:
            _preview(app, only, out, _moment(app, at))
    finally:
        app.close()


def _moment(app, at: datetime | None) -> datetime:
    if at is None:
        return app.clock()
    return at if at.tzinfo is not None else at.replace(tzinfo=ZoneInfo(app.settings.mailbot.timezone))


def _send(app, only: str | None) -> None:
    now = app.clock()
    for kind in dig.KINDS:
        for address in dig.send_digests(app, kind, now, only=only):
            click.echo(f"queued the {kind} digest for {address}")
    click.echo("done: whoever had a digest today already, or nothing to read, got none", err=True)


def _preview(app, only: str | None, out: Path | None, now: datetime) -> None:
    mails = [m for kind in dig.KINDS for m in dig.build(app, kind, now, only=only, draw=out is not None)]
    if not mails:
        click.echo(
            f"no digest would go out at {now.isoformat(timespec='minutes')}: nobody has anything to read", err=True
        )
        return
    for mail in mails:
        if out is None:
            click.echo(f"To: {mail.address}\nSubject: {mail.subject}\n\n{mail.text}")
            continue
        name = re.sub(r"[^\w@.+-]", "_", mail.address)
        eml, page = out / f"{name}.eml", out / f"{name}.html"
        try:
            eml.write_bytes(_eml(app, mail, now))
            page.write_text(_standalone(mail), encoding="utf-8")
        except OSError as exc:
            raise click.BadParameter(f"cannot write into {out}: {exc.strerror or exc}", param_hint="'--out'") from None
        click.echo(f"{eml}\n{page}")


def _eml(app, mail: dig.DigestMail, now: datetime) -> bytes:
    """The mail as the outbox would queue it (its own Message-ID; nothing is stored)."""
    return compose(
        app.settings,
        message_id=new_message_id(app.settings.mail_domain),
        to=[mail.address],
        cc=[],
        subject=mail.subject,
        body=mail.text,
        now=now,
        auto=False,
        html=mail.html,
        inline=mail.inline,
    )


def _standalone(mail: dig.DigestMail) -> str:
    """The HTML with its images in it (data: URLs), so a browser shows what the mail program would."""
    page = mail.html
    for cid, content_type, data in mail.inline:
        page = page.replace(f'src="cid:{cid}"', f'src="data:{content_type};base64,{base64.b64encode(data).decode()}"')
    return page
