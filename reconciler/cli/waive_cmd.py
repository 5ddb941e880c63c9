"""`reconciler waive KIND --customer ID --period P --reason TEXT`: a period not to send."""

from __future__ import annotations

import click

from reconciler.cli.runtime import runtime
from reconciler.errors import ReconcilerError
from reconciler.schedule import Period, ScheduleError
from reconciler.sends.marks import waive
from reconciler.sends.now import find_customer
from reconciler.sends.render import results_json

KINDS = {"billing": "billing", "hosted_email_security": "hosted_email_security",
         "hes": "hosted_email_security", "email_security": "email_security",
         "tmems": "email_security"}


@click.command("waive")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.option("--customer", "customer_id", required=True, metavar="ID",
              help="The customer's slug or ConnectWise company identifier.")
@click.option("--period", "period_text", required=True, metavar="PERIOD",
              help="The period as run-due names it: YYYY-MM, YYYY-Www, YYYY-MM-DD or a span "
              "YYYY-MM-DD/YYYY-MM-DD.")
@click.option("--reason", required=True, help="Why it is not to be sent (kept on the ticket).")
@click.option("--dry-run", is_flag=True, help="Check everything; write nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_context
def command(ctx: click.Context, kind, customer_id, period_text, reason, dry_run, fmt) -> None:
    """Waive a missed or failed period: it is not to be sent, and runs stop reporting it.

    The waiver is a ticket in ConnectWise (key tmrm:waived-<kind>:<COMPANY>:<period>) on
    the billing board, with the reason: the decision stays where the sends are. A period
    already sent cannot be waived."""
    try:
        period = Period.parse(period_text.strip())
    except ScheduleError as exc:
        raise ReconcilerError(f"--period: {exc}") from None
    with runtime(ctx) as rt:
        customer = find_customer(rt.fleet, customer_id)
        result = waive(rt.fleet, rt.gateway, customer, KINDS[kind], period, reason,
                       dry_run=dry_run)
    if fmt == "json":
        click.echo(results_json([result], dry_run=dry_run), nl=False)
    else:
        click.echo(f"{result.outcome} {result.customer} {result.kind} {result.period} "
                   f"{result.key}: {result.detail}")
    ctx.exit(1 if result.outcome == "failed" else 0)
