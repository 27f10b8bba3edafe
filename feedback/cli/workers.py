"""`feedback worker` and `feedback scheduler`: the background processes.

`feedback worker` runs two dramatiq process groups with the broker of the ini (FEEDBACK_CONFIG is
passed on): the NLP group (queue nlp; --processes/--threads, the model loaded once per process)
and the general group (default, notify, exports; 1 process, 2 threads). `--group nlp` or
`--group general` runs one of them only (e.g. NLP workers on another machine with Redis).
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys

import click

from . import cli, pass_app
from .supervise import supervise


def dramatiq_argv(queues, processes: int, threads: int) -> list[str]:
    return [sys.executable, "-m", "dramatiq", "workflows.actors", "--processes", str(processes),
            "--threads", str(threads), "--queues", *queues, "--worker-shutdown-timeout", "30000"]


@cli.command("worker")
@click.option("--processes", "-p", default=1, show_default=True, type=click.IntRange(1, 64),
              help="NLP worker processes.")
@click.option("--threads", "-t", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Threads per NLP worker process.")
@click.option("--group", type=click.Choice(["all", "nlp", "general"]), default="all", show_default=True,
              help="Which worker group to run.")
@pass_app
def worker_cmd(app, processes, threads, group):
    """Run the dramatiq workers (Ctrl-C / SIGTERM stops them gracefully)."""
    from workflows.queues import GROUPS

    app.settings  # a missing ini fails here with a clear message
    env = dict(os.environ, FEEDBACK_CONFIG=app.config_path)
    cmds = {}
    if group in ("all", "nlp"):
        cmds["nlp"] = dramatiq_argv(GROUPS["nlp"], processes, threads)
    if group in ("all", "general"):
        cmds["general"] = dramatiq_argv(GROUPS["general"], 1, 2)
    procs = {name: subprocess.Popen(argv, env=env) for name, argv in cmds.items()}
    click.echo(f"workers started: {', '.join(f'{n} (pid {p.pid})' for n, p in procs.items())}", err=True)

    code = supervise(procs, grace=40, what="worker group ")
    sys.exit(code)


@cli.command("scheduler")
@pass_app
def scheduler_cmd(app):
    """Run the periodic jobs (outbox sweep, pending work, SLA, verification, notifications)."""
    os.environ["FEEDBACK_CONFIG"] = app.config_path
    from workflows import actors  # noqa: F401  (broker + actor names)
    from workflows import runtime
    from workflows.schedule import JOBS, build_scheduler, load_extra_jobs

    runtime.configure(app.settings)
    # Every 2 s APScheduler would log two INFO lines per job run; keep its warnings only.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    load_extra_jobs()
    scheduler = build_scheduler()
    click.echo(f"scheduler: {', '.join(j.id for j in JOBS)}", err=True)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
