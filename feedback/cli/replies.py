"""`feedback replies draft|seed-templates|export`: reply explanations (评价解释) from the shell."""
from __future__ import annotations

from pathlib import Path

import click

from . import cli, pass_app


@cli.group()
def replies():
    """Reply explanations (评价解释): drafts, templates, export."""


@replies.command("draft")
@click.option("--all", "include_expired", is_flag=True,
              help="Also draft for reviews whose platform reply window has already closed.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Draft at most this many.")
@click.option("--show/--no-show", default=False, help="Print each draft.")
@pass_app
def draft_cmd(app, include_expired, limit, show):
    """Draft a reply for every complaint (and mid/low rating) that has none yet."""
    from ..services.replies import ReplyService  # noqa: PLC0415

    with app.session() as session:
        drafts = ReplyService(session).generate(include_expired=include_expired, limit=limit, actor="cli")
        held = sum(1 for d in drafts if d.status == "held")
        bad = sum(1 for d in drafts if any(i.get("severity") == "error" for i in d.issues or []))
        if show:
            for d in drafts:
                click.echo(f"#{d.id} review {d.review_id} [{d.status}] {d.text}")
    click.echo(f"drafted {len(drafts)} replies ({held} held for senior approval: food safety; "
               f"{bad} with rule violations to fix)")


@replies.command("seed-templates")
@pass_app
def seed_cmd(app):
    """Copy the default reply templates into an empty template table."""
    from ..services.replies import ReplyService  # noqa: PLC0415

    with app.session() as session:
        added = ReplyService(session).seed_templates()
    click.echo(f"added {added} templates" if added else "templates already present; nothing added")


@replies.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None,
              help="csv or xlsx (default: from the extension of -o, else csv).")
@click.option("--platform", default=None, help="Only this platform.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_app
def export_cmd(app, fmt, platform, output):
    """Write the approved replies (platform, review id, reply text) for bulk posting."""
    from ..services.replies import ReplyService  # noqa: PLC0415
    from ..services.replies import export as reply_export  # noqa: PLC0415

    fmt = fmt or ("xlsx" if output.suffix.lower() == ".xlsx" else "csv")

    with app.session() as session:
        drafts = ReplyService(session).approved_for_export(platform)
        body = reply_export.to_csv(drafts) if fmt == "csv" else reply_export.to_xlsx(drafts)
    output.write_bytes(body)
    click.echo(f"wrote {len(drafts)} approved replies to {output}")
