"""Review texts are written by strangers: every page shows them as text."""
from __future__ import annotations

import datetime as dt

from . import web_factories as wf

EVIL = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&'


def test_review_markup_is_escaped_on_every_page(testapp, dbsession):
    m = wf.user(dbsession, "manager")
    e = wf.complaint(dbsession, EVIL + "发霉", sku="SKU-X<b>", carrier="<i>快递</i>",
                     evidence={"freshness": ["发霉", "<script>"]}, occurred_at=dt.datetime.now() - dt.timedelta(days=1))
    t = wf.task(dbsession, "qc", entries=[e], title="<svg onload=alert(3)>")
    wf.login(testapp, m.username)
    for path in ("/triage", f"/entries/{e.id}", "/ledger", "/tasks", f"/tasks/{t.id}"):
        body = testapp.get(path).text
        assert "<script>alert" not in body, path
        assert "<img src=x" not in body and "<svg onload" not in body and "<i>快递" not in body, path
        assert "&lt;" in body, path
