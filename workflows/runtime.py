"""Per-process runtime of the workers and the scheduler: settings, database sessions, the
classifier. Everything is created lazily on first use in the process that uses it (a forked
worker process opens its own connections)."""
from __future__ import annotations

import os
import threading

from feedback.models import get_engine, get_session_factory
from feedback.services.workflow_config import WorkflowConfig

CONFIG_ENV = "FEEDBACK_CONFIG"
_lock = threading.Lock()
_state: dict = {}


def config_path() -> str:
    return os.path.abspath(os.environ.get(CONFIG_ENV) or "development.ini")


def settings() -> dict:
    if "settings" not in _state:
        path = config_path()
        if os.path.exists(path):
            from pyramid.paster import get_appsettings

            _state["settings"] = dict(get_appsettings(path, name="main"))
        else:
            _state["settings"] = {}
    return _state["settings"]


def configure(new_settings: dict) -> None:
    """Use these settings in this process (tests, CLI); drops cached engines and classifier."""
    reset()
    _state["settings"] = dict(new_settings)


def reset() -> None:
    engine = _state.pop("engine", None)
    if engine is not None:
        engine.dispose()
    _state.clear()


def _pid_guard() -> None:
    if _state.get("pid") not in (None, os.getpid()):
        # Forked after the parent created its engine: never share its connections.
        for key in ("engine", "session_factory", "read_session_factory"):
            _state.pop(key, None)
    _state["pid"] = os.getpid()


def engine():
    with _lock:
        _pid_guard()
        if "engine" not in _state:
            _state["engine"] = get_engine(settings())
        return _state["engine"]


def session_factory():
    eng = engine()
    with _lock:
        if "session_factory" not in _state:
            _state["session_factory"] = get_session_factory(eng)
        return _state["session_factory"]


def read_session_factory():
    """Sessions for reads only: on SQLite a deferred BEGIN, so they never queue behind writers."""
    eng = engine()
    with _lock:
        if "read_session_factory" not in _state:
            _state["read_session_factory"] = get_session_factory(eng.execution_options(sqlite_deferred=True))
        return _state["read_session_factory"]


def workflow_config() -> WorkflowConfig:
    if "workflow_config" not in _state:
        _state["workflow_config"] = WorkflowConfig.from_settings(settings())
    return _state["workflow_config"]


def classifier():
    """The classifier named by ``nlp.model`` (default | lexicon | a model directory), loaded once
    per process."""
    with _lock:
        if "classifier" not in _state:
            from nlp import load_classifier

            name = (settings().get("nlp.model") or "default").strip()
            _state["classifier"] = load_classifier() if name == "default" else load_classifier(name)
        return _state["classifier"]
