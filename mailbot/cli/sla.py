"""``mailbot sla``: the service-level deadlines, worked out."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click

from mailbot.cli.common import JSON_HELP, SEVERITY, Ctx, dump, local_iso
from mailbot.sla.calendar import BusinessCalendar, duration_text


@click.group()
def sla():
    """Service-level deadlines."""


@sla.command("deadline")
@click.option("--severity", type=SEVERITY, default=None, help="critica, grave or leve.")
@click.option(
    "--from",
    "start",
    metavar="TIME",
    default=None,
    callback=local_iso,
    help="When the mail arrived, ISO time, e.g. 2026-11-27T17:30 (configured timezone if no offset).",
)
@click.option(
    "--ticket",
    "number",
    metavar="NUMBER",
    default=None,
    help="Explain this ticket's current clock instead: whose turn, since when, due when.",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def sla_deadline(obj: Ctx, severity, start, number, as_json):
    """When a mail received at --from must be attended, or where a ticket's clock stands.

    Prints the attention deadline and how it is reached, day by day, in
    business time when [sla.attention] business_time is on. With --ticket:
    whose turn it is and since when, and for the client's mail the desk has
    not answered, its deadline worked out the same way.
    """
    settings = obj.settings
    if number is not None:
        if severity is not None or start is not None:
            raise click.UsageError("give --ticket NUMBER, or --severity and --from; not both")
        _ticket_deadline(obj, number, as_json)
        return
    if severity is None or start is None:
        raise click.UsageError("give --severity and --from (or --ticket NUMBER)")
    _deadline(settings, severity, start, as_json)


def _calendar(settings) -> BusinessCalendar:
    calendar = settings.calendar
    if not settings.sla.attention.business_time:
        calendar = calendar.model_copy(update={"always_open": True})
    return BusinessCalendar(calendar, settings.mailbot.timezone)


def _ticket_deadline(obj: Ctx, number: str, as_json: bool) -> None:
    # Imported here: `sla deadline --from` needs no database and starts faster without it.
    from mailbot.cli.tickets import clock_lines, load_ticket

    settings = obj.settings
    data = load_ticket(obj, number)
    clock = data["clock"]
    report = None
    if clock is not None:
        started = datetime.fromisoformat(clock["started_at"])
        report = _calendar(settings).deadline_report(started, getattr(settings.sla.attention, clock["severity"]))
    if as_json:
        dump(
            {
                "ticket": data["number"],
                "status": data["status"],
                "turn": data["turn"],
                "turn_since": data["turn_since"],
                "clock": clock,
                "overdue": data.get("overdue"),
                "deadline": report,
            }
        )
        return
    click.echo(f"{data['number']}: {data['status']}")
    for line in clock_lines(data, settings.mailbot.timezone):
        click.echo(line)
    if report is not None:
        click.echo("how the deadline is reached:")
        for step in report["steps"]:
            click.echo(f"  {step}")


def _deadline(settings, severity, start, as_json: bool) -> None:
    when = start if start.tzinfo is not None else start.replace(tzinfo=ZoneInfo(settings.mailbot.timezone))
    target = getattr(settings.sla.attention, severity)
    report = _calendar(settings).deadline_report(when, target)
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
