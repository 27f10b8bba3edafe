"""`feedback ledger recount [--check]`: the weekly count table behind the ledger page."""
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
