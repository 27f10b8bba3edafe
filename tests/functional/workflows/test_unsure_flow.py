"""A low-confidence "not a complaint" end to end, on a committed database of the test's own:
API ingestion → outbox → classify_reviews (real lexicon classifier, in-process worker) → the
triage queue shows it, the ledger does not count it → a manager bulk-confirms → update_ledger
job → counted on the ledger page and grouped into a root-cause task."""
from __future__ import annotations

import datetime as dt

import pytest
import webtest
from sqlalchemy import select

from feedback.models import LedgerEntry, RootCauseTask, TaskEvidence, get_engine, get_session_factory
from feedback.services import ledger_counts
from feedback.services.accounts import create_api_token, create_user
from feedback.services.departments import ensure_departments

# English text: the Chinese classifier finds no complaint in it and, seeing no Chinese, marks
# it low-confidence (nlp: `not has_cjk` → low_confidence), whatever its lexicon holds.
UNSURE_TEXTS = ["The mooncakes were OK I guess", "Box arrived, not sure about the taste", "Hmm. So-so."]


def test_unsure_review_from_ingestion_to_a_task(stub_env, fresh_db_url, app_settings):
    from feedback import main
    from workflows import runtime
    from workflows.outbox import sweep_outbox

    pytest.importorskip("nlp")
    engine = get_engine({"sqlalchemy.url": fresh_db_url})
    sessions = get_session_factory(engine)
    with sessions() as s, s.begin():
        ensure_departments(s)
        manager = create_user(s, "flow_manager", "flow-pass-123", "manager")
        token = create_api_token(s, manager, "erp")
    app = webtest.TestApp(main({}, **{**app_settings, "sqlalchemy.url": fresh_db_url}),
                          extra_environ={"HTTP_HOST": "localhost"})

    # ingestion: three reviews of one SKU, a day apart
    now = dt.datetime.now().replace(microsecond=0)
    items = [{"review_id": f"EN-{i}", "sku": "SKU-EN", "rating": 3, "text": text,
              "reviewed_at": (now - dt.timedelta(days=i)).strftime("%Y-%m-%d %H:%M")}
             for i, text in enumerate(UNSURE_TEXTS)]
    res = app.post_json("/api/v1/reviews", {"platform": "jd", "items": items},
                        headers={"Authorization": f"Bearer {token}"}, status=200)
    assert res.json["inserted"] == 3

    # the worker classifies them: not complaints, low confidence -> unsure entries
    assert sweep_outbox(runtime.session_factory(), stub_env).enqueued == 1
    stub_env.join("nlp", timeout=60_000)
    with sessions() as s:
        entries = list(s.execute(select(LedgerEntry).where(LedgerEntry.sku == "SKU-EN")).scalars())
        assert sorted(e.status for e in entries) == ["unsure"] * 3

    # the manager sees them in the queue (low-confidence tier); the ledger does not count them
    form = app.get("/login").forms[0]
    form["username"], form["password"] = "flow_manager", "flow-pass-123"
    form.submit(status=303)
    page = app.get("/triage", {"sku": "SKU-EN"})
    rows = page.html.select("tr[data-row]")
    assert len(rows) == 3 and all("疑似投诉" in r.text and "低置信度" in r.text for r in rows)
    assert "The mooncakes" in page.text
    ledger = app.get("/ledger")
    assert "SKU-EN" not in ledger.html.select_one("#by-sku").text

    # bulk-confirm every result of the filter
    form = page.forms["bulk-form"]
    form["bulk_action"] = "confirm"
    confirm = form.submit("scope", value="filter")
    assert confirm.html.select_one("#bulk-count").text == "3"
    assert "3 条" in confirm.forms["bulk-confirm-form"].submit(status=303).follow().text

    # the update_ledger job (queued in the same transaction) re-syncs and groups them
    assert sweep_outbox(runtime.session_factory(), stub_env).enqueued >= 1
    stub_env.join("default", timeout=60_000)
    ledger = app.get("/ledger")
    by_sku = {li.select("span")[0].text: li.select("span")[1].text for li in ledger.html.select("#by-sku li")
              if len(li.select("span")) == 2}
    assert by_sku.get("SKU-EN") == "3"
    with sessions() as s:
        ids = {e.id for e in s.execute(select(LedgerEntry).where(LedgerEntry.sku == "SKU-EN")).scalars()}
        assert {e.status for e in s.execute(select(LedgerEntry).where(LedgerEntry.id.in_(ids))).scalars()} == {"confirmed"}
        tasks = s.execute(select(RootCauseTask.id).join(TaskEvidence, TaskEvidence.task_id == RootCauseTask.id)
                          .where(TaskEvidence.ledger_entry_id.in_(ids)).distinct()).scalars().all()
        assert len(tasks) == 1
        evidence = set(s.execute(select(TaskEvidence.ledger_entry_id).where(TaskEvidence.task_id == tasks[0])).scalars())
        assert evidence == ids
        assert ledger_counts.differences(s) == []
    assert app.get("/triage", {"sku": "SKU-EN"}).html.select("tr[data-row]") == []
    engine.dispose()
