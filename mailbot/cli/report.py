"""``mailbot report``: the service reports."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import click

from mailbot.cli.common import JSON_HELP, Ctx, dump
from mailbot.reports import client as history
from mailbot.reports import quarterly as rep

# --out writes one of these, chosen by the file name's ending.
_OUT_KINDS = {".html": "html", ".htm": "html", ".eml": "eml"}


@click.group()
def report():
    """Service reports."""


def _quarter(ctx, param, value):
    if value is None:
        return None
    try:
        return rep.parse_quarter(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _client(ctx, param, value):
    # "" or "@" would scope the report to no domain at all: a whole-desk heading over zero figures.
    if value is not None and not history.normalize(value):
        raise click.BadParameter("must name a domain, e.g. cliente.com.mx", ctx, param)
    return value


def _out(ctx, param, value):
    if value is None:
        return None
    path = Path(value)
    if path.suffix.lower() not in _OUT_KINDS:
        raise click.BadParameter(f"{value!r}: write FILE.html (charts inside) or FILE.eml (the mail)", ctx, param)
    return path


@report.command("quarterly")
@click.option("--quarter", default=None, callback=_quarter, help="e.g. 2026Q3 (default: the last finished quarter).")
@click.option("--client", metavar="DOMAIN", default=None, callback=_client, help="Only this client domain.")
@click.option("--send", is_flag=True, help="Also queue the report mail to [report] recipients.")
@click.option(
    "--out",
    metavar="FILE",
    default=None,
    callback=_out,
    help="Write FILE.html (charts embedded) or FILE.eml (the mail as it would go out); sends nothing.",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def report_quarterly(obj: Ctx, quarter, client, as_json, send, out):
    """The quarterly service report.

    Tickets, acknowledgement and attention rates (first responses and the
    client's later notices), attention and resolution times, open tickets and
    escalations of a quarter; the clients that need attention first, then one
    row per client. The text and --json draw no charts; --send and --out do.
    """
    if send and client:
        raise click.UsageError("--send mails the whole report; leave out --client")
    if out is not None and (send or as_json):
        raise click.UsageError("--out writes a file and sends nothing; leave out --send and --json")
    app = obj.app(readonly=True)
    try:
        now = app.clock()
        year, q = quarter or rep.previous_quarter(now.astimezone(ZoneInfo(app.settings.mailbot.timezone)).date())
        with app.sessions() as session:
            data = rep.quarterly(app, session, year, q, client=client, now=now)
        if send and not rep.send_quarterly(app, year, q):
            click.echo(
                f"warning: the report of {year}Q{q} was sent already (or has no recipients); not sent again", err=True
            )
        if out is not None:
            _write(out, _render_file(app, data, out, now))
            click.echo(f"wrote {out}")
            return
    finally:
        app.close()
    if as_json:
        dump(data)
    else:
        click.echo(rep.render_text(data, obj.settings.mailbot.company))


def _render_file(app, data: dict, out: Path, now) -> bytes:
    if _OUT_KINDS[out.suffix.lower()] == "eml":
        if not rep.recipients(app.settings):
            click.echo("warning: no [report] recipients and no manager: the .eml has no To", err=True)
        return rep.report_eml(app, data, now)
    return rep.file_html(data, app.settings.mailbot.company).encode("utf-8")


def _write(path: Path, content: bytes) -> None:
    """Write the file whole or not at all: a half-written report is worse than none."""
    part = path.with_name(f".{path.name}.part")
    try:
        part.write_bytes(content)
        part.replace(path)
    except OSError as exc:
        try:
            part.unlink(missing_ok=True)
        except OSError:
            pass
        raise click.BadParameter(f"cannot write {path}: {exc.strerror or exc}", param_hint="'--out'") from None


@report.command("client")
@click.argument("domain")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help=f"Tickets received on or after this date (YYYY-MM-DD, local; default: {history.DEFAULT_MONTHS} months ago).",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def report_client(obj: Ctx, domain, since, as_json):
    """One client's history.

    The tickets of DOMAIN (requesters ending in @DOMAIN, as `tickets list
    --client` matches them) received since the date: severities, attention
    within its deadline (first responses and later notices), attention and
    resolution times; and every ticket of the client still open, whose turn
    it is and since when.
    """
    if not history.normalize(domain):
        raise click.BadParameter("must name a domain, e.g. cliente.com.mx", param_hint="'DOMAIN'")
    zone = obj.settings.mailbot.timezone
    app = obj.app(readonly=True)
    try:
        now = app.clock()
        start = (
            since.replace(tzinfo=ZoneInfo(zone))
            if since
            else history.months_back(now.astimezone(ZoneInfo(zone)).date(), history.DEFAULT_MONTHS, zone)
        )
        with app.sessions() as session:
            data = history.history(app, session, domain, start, now)
    finally:
        app.close()
    if as_json:
        dump(data)
    else:
        click.echo(history.render_text(data, obj.settings.mailbot.company, zone))
