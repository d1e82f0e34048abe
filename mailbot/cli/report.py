"""``mailbot report``: the service reports."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click

from mailbot.cli.common import JSON_HELP, Ctx, dump
from mailbot.reports import quarterly as rep


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


@report.command("quarterly")
@click.option("--quarter", default=None, callback=_quarter, help="e.g. 2026Q3 (default: the last finished quarter).")
@click.option("--client", metavar="DOMAIN", default=None, help="Only this client domain.")
@click.option("--send", is_flag=True, help="Also queue the report mail to [report] recipients.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def report_quarterly(obj: Ctx, quarter, client, as_json, send):
    """The quarterly service report.

    Tickets, acknowledgement and attention rates, attention times and
    escalations of a quarter, overall and per client domain.
    """
    if send and client:
        raise click.UsageError("--send mails the whole report; leave out --client")
    app = obj.app(readonly=True)
    try:
        year, q = quarter or rep.previous_quarter(
            app.clock().astimezone(ZoneInfo(app.settings.mailbot.timezone)).date()
        )
        with app.sessions() as session:
            data = rep.quarterly(app, session, year, q, client=client)
        if send and not rep.send_quarterly(app, year, q):
            click.echo(
                f"warning: the report of {year}Q{q} was sent already (or has no recipients); not sent again", err=True
            )
    finally:
        app.close()
    if as_json:
        dump(data)
    else:
        click.echo(rep.render_text(data, obj.settings.mailbot.company))
