"""`reconciler send-now billing --customer ID`: the Send now button."""

from __future__ import annotations

import click

from reconciler.cli.runtime import runtime
from reconciler.errors import ReconcilerError
from reconciler.schedule import Period, ScheduleError, parse_instant, zone
from reconciler.sends import send_now
from reconciler.sends.now import find_customer, refuse_unapplied
from reconciler.sends.render import results_json


@click.group("send-now")
def command() -> None:
    """Send at once, outside the schedule (uses only applied settings)."""


@command.command("billing")
@click.option("--customer", "customer_id", required=True, metavar="ID",
              help="The customer's slug or ConnectWise company identifier.")
@click.option("--period", "period_text", metavar="YYYY-MM",
              help="Bill this complete month by hand under its scheduled key (a missed or "
              "failed month); a month older than the latest billed one is a ticket only.")
@click.option("--approve-quantities", "approve", is_flag=True,
              help="Let this billing past the quantity guardrail.")
@click.option("--dry-run", is_flag=True, help="Read and check everything; send nothing.")
@click.option("--at", "at_text", metavar="ISO8601", hidden=True,
              help="Pretend it is this instant (tests and demos).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_context
def billing(ctx: click.Context, customer_id, period_text, approve, dry_run, at_text,
            fmt) -> None:
    """Bill one customer now for the latest complete month (key
    tmrm:billing-now:<COMPANY>:<minute>), or with --period a month by hand.

    Refused while the customer has unapplied changes: run plan/apply first, or while
    its file has errors; other customers' files with errors do not matter here."""
    with runtime(ctx) as rt:
        fleet = rt.fleet
        customer = find_customer(fleet, customer_id)
        # An empty --at (e.g. an unset CI variable) is an error, never a silent "now".
        tz = zone(fleet.settings.timezone)
        at = rt.now() if at_text is None else parse_instant(at_text, tz)
        period = None if period_text is None else month(period_text)
        refuse_unapplied(rt.gateway, fleet, customer, at)
        result = send_now(fleet, rt.gateway, customer, at, usage=rt.usage, period=period,
                          dry_run=dry_run, approve=[customer.slug] if approve else [])
    if fmt == "json":
        click.echo(results_json([result], dry_run=dry_run), nl=False)
    else:
        click.echo(f"{result.outcome} {result.customer} billing {result.period} "
                   f"{result.key}: {result.detail}")
    ctx.exit(1 if result.outcome in ("failed", "held") else 0)


def month(text: str) -> Period:
    """A YYYY-MM month, or a clear error."""
    try:
        period = Period.parse(text.strip())
    except ScheduleError:
        period = None
    if period is None or period.frequency != "month":
        raise ReconcilerError(f"--period {text!r} is not a month YYYY-MM")
    return period
