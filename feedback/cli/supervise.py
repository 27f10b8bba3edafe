"""Child processes that run until Ctrl-C or SIGTERM, or until one of them dies (then the others
are stopped too): what `feedback run` and `feedback worker` share."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import click


def terminal_interrupt(signum: int) -> bool:
    """Whether this SIGINT is a Ctrl-C typed at the terminal: it then reached every process of
    the foreground group, the children included, and a second signal forwarded on top would make
    dramatiq kill its workers mid-job instead of letting them finish."""
    if signum != signal.SIGINT:
        return False
    try:
        return os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()
    except OSError:
        return False


def supervise(procs: dict[str, subprocess.Popen], grace: float, what: str = "") -> int:
    """Wait for a stop signal or a dead child, then stop the rest: one SIGTERM each (none after a
    terminal Ctrl-C, which they got themselves), ``grace`` seconds to finish, then SIGKILL.
    Returns 1 when a child died on its own, else 0."""
    stopping: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, _frame: stopping.append(signum))
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    code = 0
    try:
        while not stopping:
            dead = [n for n, p in procs.items() if p.poll() is not None]
            if dead:
                click.echo(f"{what}{', '.join(dead)} exited; stopping", err=True)
                code = 1
                break
            time.sleep(0.5)
    finally:
        if not (stopping and terminal_interrupt(stopping[0])):
            _signal_all(procs, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for p in procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    return code


def _signal_all(procs: dict[str, subprocess.Popen], signum: int) -> None:
    for p in procs.values():
        if p.poll() is None:
            p.send_signal(signum)
