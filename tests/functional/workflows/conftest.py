import os

import dramatiq
import pytest

# Importing workflows sets the global broker from the environment first: never a real queue file.
os.environ.setdefault("FEEDBACK_BROKER", "stub")


@pytest.fixture
def stub_env(fresh_db_url):
    """dramatiq's StubBroker with an in-process Worker (2 threads) on the test's own database,
    the lexicon classifier; yields the broker (``broker.join(queue)`` waits for the work)."""
    from workflows import actors  # noqa: F401
    from workflows import runtime
    from workflows.broker import make_broker, use_broker

    old = dramatiq.get_broker()
    broker = use_broker(make_broker("stub"))
    runtime.configure({"sqlalchemy.url": fresh_db_url, "nlp.model": "lexicon"})
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    yield broker
    worker.stop()
    runtime.reset()
    use_broker(old)
