"""``mailbot check``: are config, rules and templates usable?"""

from __future__ import annotations

import click

from mailbot.cli.common import Ctx
from mailbot.daemon.checks import check_all, describe_sources
from mailbot.errors import OpsInputError


@click.command()
@click.pass_obj
def check(obj: Ctx):
    """Validate config, templates and rules.

    Says which config, rules and templates folders and which database are in
    use. Each problem is one line, file:line: message; any error exits 78.
    """
    problems, warnings = check_all(obj.settings)
    for line in describe_sources(obj.settings):
        click.echo(line)
    for file, line, msg in warnings:
        click.echo(f"warning: {file}{':' + str(line) if line else ''}: {msg}", err=True)
    if problems:
        raise OpsInputError(problems)
    click.echo("ok")
