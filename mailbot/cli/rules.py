"""``mailbot rules``: the classification rules, tried on a mail."""

from __future__ import annotations

import click

from mailbot.cli.common import JSON_HELP, Ctx, dump
from mailbot.daemon.checks import check_all
from mailbot.errors import BadInput, OpsInputError
from mailbot.pipeline.dryrun import dry_run


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
