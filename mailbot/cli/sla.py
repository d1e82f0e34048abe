"""``mailbot sla``: the service-level deadlines, worked out."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click

from mailbot.cli.common import JSON_HELP, SEVERITY, Ctx, dump, local_iso
from mailbot.sla.calendar import BusinessCalendar, duration_text


@click.group()
def sla():
    """Service-level deadlines."""


@sla.command("deadline")
@click.option("--severity", type=SEVERITY, required=True, help="critica, grave or leve.")
@click.option(
    "--from",
    "start",
    metavar="TIME",
    required=True,
    callback=local_iso,
    help="When the mail arrived, ISO time, e.g. 2026-11-27T17:30 (configured timezone if no offset).",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def sla_deadline(obj: Ctx, severity, start, as_json):
    """When a mail received at --from must be attended.

    Prints the attention deadline and how it is reached, day by day, in
    business time when [sla.attention] business_time is on.
    """
    settings = obj.settings
    when = start if start.tzinfo is not None else start.replace(tzinfo=ZoneInfo(settings.mailbot.timezone))
    target = getattr(settings.sla.attention, severity)
    calendar = settings.calendar
    if not settings.sla.attention.business_time:
        calendar = calendar.model_copy(update={"always_open": True})
    report = BusinessCalendar(calendar, settings.mailbot.timezone).deadline_report(when, target)
    report["severity"] = severity
    if as_json:
        dump(report)
        return
    click.echo(
        f"severity {severity}, target {duration_text(target)}"
        f"{' of business time' if report['business_time'] else ''}, from {report['start']['local']}"
    )
    for step in report["steps"]:
        click.echo(f"  {step}")
    click.echo(f"deadline: {report['deadline']['local']} ({report['deadline']['utc']})")
