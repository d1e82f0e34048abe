"""``mailbot rules``: the classification rules, tried on a mail, and how they fare."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click

from mailbot.cli.common import JSON_HELP, Ctx, dump
from mailbot.daemon.checks import check_all
from mailbot.errors import BadInput, OpsInputError
from mailbot.pipeline.dryrun import dry_run
from mailbot.reports.rule_stats import rule_stats


@click.group()
def rules():
    """Classification rules."""


@rules.command("test")
@click.argument("source", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def rules_test(obj: Ctx, source, as_json):
    """Show what would happen to one mail; keep nothing.

    SOURCE (FILE.eml, or - for standard input) goes through screening,
    threading, the rules and the ticket changes in a transaction that is rolled
    back: nothing is saved or sent. Exits 65 when SOURCE is empty or not a
    mail, 78 when config, rules or templates are wrong.
    """
    problems, _warnings = check_all(obj.settings)
    if problems:
        raise OpsInputError(problems)
    try:
        report = dry_run(obj.settings, source.read())
    except BadInput as exc:
        # click names standard input "<stdin>" (and gives no name to a test runner's stream).
        name = getattr(source, "name", None)
        raise BadInput(f"{'standard input' if name in (None, '<stdin>') else name}: {exc}") from None
    if as_json:
        dump(report.to_json())
    else:
        for line in report.lines():
            click.echo(line)


@rules.command("stats")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Tickets created on or after this date (YYYY-MM-DD, local).",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def rules_stats(obj: Ctx, since, as_json):
    """How often each rule fired, and how often the desk corrected the severity it set.

    A correction is the first #severidad (or `tickets set --severity`) on a
    ticket whose severity a rule decided: the rules corrected most often are
    the ones to look at first.
    """
    start = since.replace(tzinfo=ZoneInfo(obj.settings.mailbot.timezone)) if since else None
    app = obj.app(readonly=True)
    try:
        with app.sessions() as session:
            stats = rule_stats(session, start)
    finally:
        app.close()
    if as_json:
        dump({"since": start.isoformat() if start else None, "rules": [s.to_json() for s in stats]})
        return
    if not stats:
        click.echo("no classified tickets" + (f" since {since:%Y-%m-%d}" if since else ""))
        return
    click.echo(f"{'rule':<40} {'fired':>6} {'decided':>8} {'corrected':>9}  corrected to")
    for s in stats:
        to = ", ".join(f"{sev} {n}" for sev, n in s.to.most_common())
        rate = f" ({s.override_rate:.0%})" if s.override_rate is not None and s.overridden else ""
        click.echo(f"{s.rule:<40} {s.fired:>6} {s.decided_severity:>8} {s.overridden:>9}{rate}  {to}")
        if s.examples:
            click.echo(f"{'':<40} e.g. {', '.join(s.examples)}")
