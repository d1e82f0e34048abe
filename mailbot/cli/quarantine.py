"""``mailbot quarantine``: mail that could not be taken in, shown and retried."""

from __future__ import annotations

import sys

import click

from mailbot.cli.common import JSON_HELP, Ctx, cut, dump
from mailbot.errors import BadInput
from mailbot.pipeline.outcome import Action
from mailbot.pipeline.quarantine import get_held, list_held, retry
from mailbot.tickets.views import local_time
from mailbot.vocab import HeldStatus


@click.group()
def quarantine():
    """Mail that could not be taken in."""


@quarantine.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include mail already retried successfully.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def quarantine_list(obj: Ctx, as_json, show_all):
    """List held mail, oldest first, and why it is held."""
    app = obj.app(readonly=True)
    try:
        rows = list_held(app, include_done=show_all)
    finally:
        app.close()
    if as_json:
        dump(rows)
        return
    zone = obj.settings.mailbot.timezone
    for r in rows:
        click.echo(
            f"{r['id']:>5} {local_time(r['at'], zone)} {r['status']:<8} {r['message_id'] or '-'} {cut(r['reason'], 80)}"
        )
    click.echo(f"{len(rows):,} {'' if show_all else 'held '}mail{'' if len(rows) == 1 else 's'}")


@quarantine.command("show")
@click.argument("qid", type=int)
@click.option("--raw", is_flag=True, help="Print the raw message.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def quarantine_show(obj: Ctx, qid, as_json, raw):
    """Show one held mail (QID from `mailbot quarantine list`)."""
    app = obj.app(readonly=True)
    try:
        row = get_held(app, qid)
    finally:
        app.close()
    if row is None:
        raise BadInput(f"no quarantined mail {qid} (see 'mailbot quarantine list')")
    if raw:
        sys.stdout.buffer.write(row.pop("raw_bytes"))
        return
    row.pop("raw_bytes")
    if as_json:
        dump(row)
        return
    row["at"] = local_time(row["at"], obj.settings.mailbot.timezone, seconds=True)
    for k, v in row.items():
        click.echo(f"{k:>10}: {'-' if v is None else v}")


@quarantine.command("retry")
@click.argument("qids", type=int, nargs=-1)
@click.option("--all", "retry_all", is_flag=True, help="Retry every held mail.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def quarantine_retry(obj: Ctx, qids, retry_all, as_json):
    """Take held mail in again, after fixing the cause.

    QIDS (from `mailbot quarantine list`), or --all, go through the pipeline
    again. Exits 65 when a mail is held again or a QID names no quarantined
    mail; one applied already is reported and left alone.
    """
    if bool(qids) == retry_all:
        raise click.UsageError(
            "give the ids of held mails (see 'mailbot quarantine list') or --all"
            if not qids
            else "give ids or --all, not both"
        )
    app = obj.app(create=False)
    try:
        results = retry(app, list(qids), retry_all=retry_all)
        # A mail applied already (by an earlier retry) is done: retrying it again is not a mistake.
        missing = sorted(set(qids) - {r["id"] for r in results})
        done = [q for q in missing if (get_held(app, q) or {}).get("status") == HeldStatus.APPLIED]
    finally:
        app.close()
    if as_json:
        dump(results)
    else:
        for r in results:
            click.echo(f"{r['id']}: {r['action']} {r.get('ticket') or ''} {r.get('detail') or ''}".rstrip())
        for q in done:
            click.echo(f"{q}: applied already, nothing to do")
    problems = []
    not_held = [q for q in missing if q not in done]
    if not_held:
        problems.append(f"no held mail {', '.join(map(str, not_held))} (see 'mailbot quarantine list')")
    again = [str(r["id"]) for r in results if r["action"] == Action.QUARANTINED]
    if again:
        problems.append(f"held again: {', '.join(again)} (see 'mailbot quarantine show ID')")
    if problems:
        raise BadInput("; ".join(problems))
