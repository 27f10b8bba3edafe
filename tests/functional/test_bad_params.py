"""Values typed into URLs that Python or the database cannot take as they are: a page answers
with a message or a 404, never a 500."""
from __future__ import annotations

import pytest

from . import web_factories as wf


@pytest.fixture
def manager(testapp, dbsession):
    wf.login(testapp, wf.user(dbsession, "manager").username)


@pytest.mark.parametrize("url, status, text", [
    ("/ledger?date_to=9999-12-31", 200, "1900–2100"),
    ("/ledger?date_from=0001-01-01", 200, "1900–2100"),
    ("/ledger?rating=%C2%B2", 200, "评分应为"),
    ("/ledger?shop_id=%C2%B2", 200, "店铺编号无效"),
    ("/ledger?shop_id=99999999999999999999999", 200, "店铺编号无效"),
    ("/triage?date_to=9999-12-31", 200, "bad date"),
    ("/replies?page=99999999999999999999", 200, ""),
    ("/exports?page=999999999999999999999", 200, ""),
    ("/entries/99999999999999999999999", 404, ""),
    ("/tasks/99999999999999999999999", 404, ""),
    ("/exports/99999999999999999999999/status.json", 404, ""),
    ("/imports?page=999999999999999999999", 200, ""),
    ("/imports/99999999999999999999999", 404, ""),
    ("/imports/2147483648/rejected.csv", 404, ""),
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


def test_batch_approve_with_a_bad_id_among_good_ones_is_400(testapp, manager):
    res = testapp.post("/replies/approve", {"ids": ["abc", "1"], "csrf_token": wf.csrf(testapp)}, status=400)
    assert "ids" in res.text


@pytest.mark.parametrize("fields, message", [
    ({"date_from": "9999-12-27", "date_to": "9999-12-31"}, "1900"),
    ({"date_from": "0001-01-01", "date_to": "0001-01-07"}, "1900"),
    ({"notify": "https://x/" + "a" * 600}, "500"),
])
def test_an_export_request_out_of_range_is_refused_with_a_message(testapp, manager, fields, message):
    form = {"kind": "summary", "date_from": "2026-11-02", "date_to": "2026-11-08", "format": "xlsx",
            "csrf_token": wf.csrf(testapp), **fields}
    page = testapp.post("/exports", form, status=303).follow()
    assert message in page.text


def test_a_form_value_that_is_not_utf8_is_400(testapp, manager):
    # WebOb decodes a form with replacement characters: the id is then simply no number
    token = wf.csrf(testapp)
    body = f"csrf_token={token}&ids=%ff".encode()
    res = testapp.post("/replies/approve", body, status=400,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "ids must be integers" in res.text
