"""`feedback run` / `feedback worker` child handling with real child processes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from feedback.cli import supervise as sv

# A child that exits 10 + the number of the signal that stopped it; on SIGINT it first takes a
# few seconds to finish its work (as dramatiq does), and a SIGTERM during them cuts it short (3 s:
# the parent polls every 0.5 s and may be slow to run on a loaded machine). It says "stopping"
# when its graceful stop has begun: a SIGTERM that arrived before would wait until that handler
# returned (Python runs pending handlers one after another), which is a race of the test, not of
# the code under test.
CHILD = ("import signal, sys, time\n"
         "def graceful(n, f):\n"
         "    print('stopping', flush=True)\n"
         "    time.sleep(3.0)\n"
         "    sys.exit(10 + n)\n"
         "signal.signal(signal.SIGINT, graceful)\n"
         "signal.signal(signal.SIGTERM, lambda n, f: sys.exit(10 + n))\n"
         "print('ready', flush=True)\n"
         "time.sleep(60)\n")


@pytest.fixture(autouse=True)
def _restore_handlers():
    old = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGTERM, old[0])
    signal.signal(signal.SIGINT, old[1])


def _child():
    p = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def test_a_dead_child_stops_the_others_with_one_sigterm():
    procs = {"a": _child(), "b": subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"])}
    assert sv.supervise(procs, grace=10) == 1
    assert procs["a"].returncode == 10 + signal.SIGTERM


def test_sigterm_is_forwarded():
    procs = {"a": _child()}
    threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGTERM)).start()
    assert sv.supervise(procs, grace=10) == 0
    assert procs["a"].returncode == 10 + signal.SIGTERM


@pytest.mark.parametrize("typed_at_terminal, expected", [(True, signal.SIGINT), (False, signal.SIGTERM)])
def test_a_terminal_ctrl_c_is_not_forwarded_a_second_time(monkeypatch, typed_at_terminal, expected):
    """Ctrl-C reaches the child too; forwarding SIGTERM on top would cut its graceful stop short.
    A SIGINT sent to the parent alone (``kill -INT``) is still forwarded."""
    monkeypatch.setattr(sv, "terminal_interrupt", lambda signum: typed_at_terminal)
    child = _child()

    def ctrl_c():
        child.send_signal(signal.SIGINT)
        assert child.stdout.readline().strip() == "stopping"
        os.kill(os.getpid(), signal.SIGINT)

    threading.Timer(0.5, ctrl_c).start()
    assert sv.supervise({"a": child}, grace=10) == 0
    assert child.returncode == 10 + expected
