"""Values typed into URLs that Python or the database cannot take as they are: a page answers
with a message or a 404, never a 500."""
from __future__ import annotations

import pytest

from . import web_factories as wf


@pytest.fixture
def manager(testapp, dbsession):
    wf.login(testapp, wf.user(dbsession, "manager").username)


@pytest.mark.parametrize("url, status, text", [
    ("/ledger?date_to=9999-12-31", 200, "日期格式应为"),
    ("/ledger?date_from=0001-01-01", 200, "日期格式应为"),
    ("/ledger?rating=%C2%B2", 200, "评分应为"),
    ("/ledger?shop_id=%C2%B2", 200, "店铺编号无效"),
    ("/ledger?shop_id=99999999999999999999999", 200, "店铺编号无效"),
    ("/triage?date_to=9999-12-31", 200, "bad date"),
    ("/replies?page=99999999999999999999", 200, ""),
    ("/exports?page=999999999999999999999", 200, ""),
    ("/entries/99999999999999999999999", 404, ""),
    ("/tasks/99999999999999999999999", 404, ""),
    ("/exports/99999999999999999999999/status.json", 404, ""),
    ("/entries/2147483648", 404, ""),  # one past PostgreSQL's INTEGER
    ("/entries/2147483647", 404, ""),  # the last id the column can hold: looked up, absent
    ("/ledger?sku=%ff", 400, "not UTF-8"),
    ("/triage?q=%ff", 400, "not UTF-8"),
])
def test_bad_values_in_the_url(testapp, manager, url, status, text):
    res = testapp.get(url, status=status)
    assert text in res.text


def test_api_wrong_method_is_405_json_and_unknown_path_404_json(testapp):
    res = testapp.get("/api/v1/reviews", status=405)
    assert res.json["status"] == 405 and res.headers["Allow"] == "POST"
    res = testapp.get("/api/v1/nope", status=404)
    assert res.content_type == "application/json" and "no such endpoint" in res.json["error"]
    assert testapp.get("/api/v1/reviews?x=%ff", status=405).json["status"] == 405
