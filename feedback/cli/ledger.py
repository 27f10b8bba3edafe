"""`feedback ledger recount [--check]`: the weekly count table behind the ledger page;
`feedback ledger reclassify`: classify every stored text again after an upgrade."""
from __future__ import annotations

import click

from . import cli, pass_app


@cli.group()
def ledger():
    """The negative-review ledger (中差评明细表)."""


@ledger.command("recount")
@click.option("--check", is_flag=True, help="Only compare the weekly counts with the ledger; exit 1 on a difference.")
@pass_app
def recount_cmd(app, check):
    """Rebuild ledger_week_counts from the ledger entries (after loading entries by other means)."""
    from ..services import ledger_counts  # noqa: PLC0415

    with app.session() as session:
        if check:
            diffs = ledger_counts.differences(session)
            for (dim, status, week, value), stored, expected in diffs[:20]:
                click.echo(f"{week} {status} {dim}={value!r}: stored {stored}, ledger {expected}")
            if diffs:
                raise click.ClickException(f"{len(diffs)} weekly counts differ from the ledger; "
                                           "run `feedback ledger recount` to rebuild them")
            click.echo("weekly counts agree with the ledger")
            return
        rows = ledger_counts.rebuild(session)
    click.echo(f"weekly counts rebuilt: {rows} rows")


@ledger.command("reclassify")
@click.option("--only", type=click.Choice(["reviews", "tickets"]), default=None,
              help="Only reviews or only tickets (default: both).")
@pass_app
def reclassify_cmd(app, only):
    """Classify every stored review and ticket again, and rebuild their ledger entries (after an
    upgrade that changed how texts are read, e.g. 追评 and ticket reasons). Queues jobs for the
    worker (`feedback run` or `feedback worker`); manager corrections are kept."""
    from sqlalchemy import select  # noqa: PLC0415

    from ..models import Review, Ticket  # noqa: PLC0415
    from ..services.outbox import request_classification  # noqa: PLC0415

    with app.session() as session:
        reviews = [] if only == "tickets" else list(session.execute(select(Review.id).order_by(Review.id)).scalars())
        tickets = [] if only == "reviews" else list(session.execute(select(Ticket.id).order_by(Ticket.id)).scalars())
        jobs = request_classification(session, reviews, tickets, force=True)
    click.echo(f"queued {jobs} classification jobs for {len(reviews)} reviews and {len(tickets)} tickets; "
               "the worker (feedback run / feedback worker) processes them")
