"""`feedback run`: the one command of the embedded default.

Migrates, loads the demo data once, then runs the web server, the background worker and the
scheduler as child processes until Ctrl-C (or one of them dies, which stops the others).
"""
from __future__ import annotations

import subprocess
import sys

import click

from . import cli, pass_app
from .db import upgrade
from .supervise import supervise


def _children(config_path: str) -> dict[str, list[str]]:
    feedback = [sys.executable, "-m", "feedback.cli", "--config", config_path]
    return {
        "web": [sys.executable, "-m", "pyramid.scripts.pserve", config_path],
        "worker": feedback + ["worker"],
        "scheduler": feedback + ["scheduler"],
    }


@cli.command("run")
@click.option("--no-demo", is_flag=True, help="Do not load the demo data set.")
@pass_app
def run_cmd(app, no_demo):
    """Migrate, load demo data, and serve web + worker + scheduler on this machine."""
    upgrade(app)
    if not no_demo:
        from .demo import load_demo

        summary = load_demo(app)
        click.echo(f"demo data: {summary}")

    available = set(cli.commands)
    procs: dict[str, subprocess.Popen] = {}
    for name, argv in _children(app.config_path).items():
        if name in ("worker", "scheduler") and name not in available:
            continue
        procs[name] = subprocess.Popen(argv)
    click.echo(f"started {', '.join(procs)}; open http://127.0.0.1:6543/  (Ctrl-C stops everything)")

    supervise(procs, grace=45)
