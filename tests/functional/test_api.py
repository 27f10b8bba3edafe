"""POST /api/v1/reviews and /api/v1/tickets through WebTest, sharing the test's session."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from feedback.models import ImportBatch, Review, Ticket
from feedback.services.accounts import create_api_token, create_user
from feedback.services.departments import ensure_departments


@pytest.fixture
def tokens(dbsession):
    ensure_departments(dbsession)
    manager = create_user(dbsession, "api_manager", "manager-pass", "manager")
    head = create_user(dbsession, "api_head", "head-pass-1", "dept_head", department_code="qc")
    return {"manager": create_api_token(dbsession, manager, "erp"), "head": create_api_token(dbsession, head, "x")}


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


ITEMS = [
    {"review_id": "JD-1", "order_id": "2800001", "sku": "FZ-DUMP-1KG", "rating": 1, "text": "冰袋化了，饺子全软了",
     "reviewed_at": "2024-03-05 12:00", "warehouse": "广州仓", "carrier": "中通"},
    {"review_id": "JD-2", "rating": "5星", "text": "很好吃", "reviewed_at": "2024/3/6", "buyer_tier": "老客"},
]


def test_no_or_bad_token_is_401_and_a_department_head_403(testapp, tokens):
    res = testapp.post_json("/api/v1/reviews", {"platform": "jd", "items": ITEMS}, status=401)
    assert res.content_type == "application/json" and "token" in res.json["error"]
    assert res.headers["WWW-Authenticate"].startswith("Bearer")
    testapp.post_json("/api/v1/reviews", {"items": ITEMS}, headers=auth("fl_wrong"), status=401)
    res = testapp.post_json("/api/v1/reviews", {"items": ITEMS}, headers=auth(tokens["head"]), status=403)
    assert res.json["status"] == 403


def test_created_then_duplicate_then_updated(testapp, tokens, dbsession):
    res = testapp.post_json("/api/v1/reviews", {"platform": "jd", "items": ITEMS}, headers=auth(tokens["manager"]),
                            status=200)
    body = res.json
    assert (body["inserted"], body["duplicates"], body["rejected"]) == (2, 0, 0)
    assert [(r["status"], r["code"]) for r in body["results"]] == [("created", 201), ("created", 201)]
    review = dbsession.get(Review, body["results"][0]["id"])
    assert review.order.warehouse == "广州仓" and review.rating_level == "bad"
    batch = dbsession.get(ImportBatch, body["import_batch_id"])
    assert (batch.source, batch.created_by) == ("api", "api_manager")

    again = testapp.post_json("/api/v1/reviews", {"platform": "jd", "items": ITEMS}, headers=auth(tokens["manager"]),
                              status=200).json
    assert [(r["status"], r["code"]) for r in again["results"]] == [("duplicate", 409), ("duplicate", 409)]
    assert count(dbsession, Review) == 2

    changed = [dict(ITEMS[0], followup_text="追评：补发的也化了", followup_at="2024-03-09")]
    res = testapp.post_json("/api/v1/reviews", {"platform": "jd", "items": changed}, headers=auth(tokens["manager"]))
    assert res.json["results"][0]["status"] == "updated" and res.json["results"][0]["code"] == 200
    dbsession.refresh(review)
    assert review.followup_text == "追评：补发的也化了"


def test_mixed_is_207_and_all_bad_is_422_storing_nothing(testapp, tokens, dbsession):
    items = ITEMS + [{"review_id": "JD-3", "text": "", "rating": 7}]
    res = testapp.post_json("/api/v1/reviews", {"platform": "jd", "items": items}, headers=auth(tokens["manager"]),
                            status=207)
    bad = res.json["results"][2]
    assert (bad["index"], bad["status"], bad["code"]) == (2, "error", 422)
    assert any("missing review text" in e for e in bad["errors"]) and any("1-5" in e for e in bad["errors"])
    before = (count(dbsession, Review), count(dbsession, ImportBatch))
    res = testapp.post_json("/api/v1/reviews", {"items": [{"text": "好"}, {"platform": "weibo", "text": "好"}]},
                            headers=auth(tokens["manager"]), status=422)
    assert [r["status"] for r in res.json["results"]] == ["error", "error"]
    assert "unknown platform" in " ".join(res.json["results"][1]["errors"])
    assert (count(dbsession, Review), count(dbsession, ImportBatch)) == before


def test_body_limits_and_bad_json(testapp, tokens):
    headers = auth(tokens["manager"])
    res = testapp.post_json("/api/v1/reviews", {"platform": "jd", "items": [{"text": "x"}] * 1001}, headers=headers,
                            status=413)
    assert "1000" in res.json["error"]
    huge = json.dumps({"platform": "jd", "items": [{"text": "长" * (6 * 1024 * 1024 // 3)}]})
    testapp.post("/api/v1/reviews", huge, headers=dict(headers, **{"Content-Type": "application/json"}), status=413)
    res = testapp.post("/api/v1/reviews", "{not json", headers=dict(headers, **{"Content-Type": "application/json"}),
                       status=400)
    assert "invalid JSON" in res.json["error"]
    res = testapp.post_json("/api/v1/reviews", {"platform": "jd", "items": "nope"}, headers=headers, status=400)
    assert "items" in res.json["error"]
    testapp.post_json("/api/v1/reviews", {"platform": "jd", "items": []}, headers=headers, status=400)


def test_tickets_endpoint(testapp, tokens, dbsession):
    items = [{"ticket_id": "TK1", "order_id": "2800001", "type": "退货退款", "reason": "质量问题", "amount": "¥59.00",
              "status": "待处理", "opened_at": "2024-03-05 10:00"},
             {"ticket_id": "TK2", "type": "维修", "reason": "坏了"}]
    res = testapp.post_json("/api/v1/tickets", {"platform": "pdd", "items": items}, headers=auth(tokens["manager"]),
                            status=207)
    assert [r["status"] for r in res.json["results"]] == ["created", "error"]
    ticket = dbsession.scalars(select(Ticket)).one()
    assert (ticket.ticket_type, ticket.platform, str(ticket.amount)) == ("return", "pdd", "59.00")


def test_openapi_document_is_public(testapp):
    doc = testapp.get("/api/v1/openapi.json", status=200).json
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) >= {"/api/v1/reviews", "/api/v1/tickets"}
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    post = doc["paths"]["/api/v1/reviews"]["post"]
    assert set(post["responses"]) >= {"200", "207", "400", "401", "403", "413", "422"}
    assert "text" in doc["components"]["schemas"]["ReviewItem"]["properties"]


@pytest.mark.parametrize("kind, bad, message", [
    ("reviews", {"image_count": 10 ** 30}, "image_count"),
    ("reviews", {"quantity": 1e300}, "out of range"),
    ("reviews", {"quantity": -3}, "out of range"),
    ("reviews", {"reviewed_at": "0001-01-01T00:00:00+09:00"}, "date out of range"),
    ("reviews", {"reviewed_at": "9999-12-31T23:00:00-01:00"}, "date out of range"),
    ("reviews", {"reviewed_at": "2024-03-05 12:00+25:00"}, "time-zone offset"),
    ("reviews", {"text": {"a": 1}}, "must be a string or a number"),
    ("reviews", {"review_id": [1, 2]}, "must be a string or a number"),
    ("reviews", {"text": True}, "must be a string"),
    ("reviews", {"extra": {"k": "\u0000"}}, "invalid character"),
    ("reviews", {"extra": ["\ud800"]}, "invalid character"),
    ("reviews", {"k\u0000": "v"}, "invalid character"),
    ("tickets", {"amount": "-NaN"}, "amount"),
    ("tickets", {"shelf_life_days": 10 ** 25}, "out of range"),
])
def test_a_bad_value_is_one_item_422_and_the_good_items_are_stored(testapp, tokens, dbsession, kind, bad,
                                                                   message):
    if kind == "reviews":
        good = {"review_id": "OK-1", "text": "很好吃", "rating": 5}
        item = {"review_id": "BAD-1", "text": "难吃", "rating": 1, **bad}
    else:
        good = {"ticket_id": "OK-1", "type": "退款", "reason": "坏了"}
        item = {"ticket_id": "BAD-1", "type": "退款", "reason": "坏了", **bad}
    res = testapp.post(f"/api/v1/{kind}", json.dumps({"platform": "jd", "items": [good, item]}),
                       headers=dict(auth(tokens["manager"]), **{"Content-Type": "application/json"}),
                       status=207)
    ok, err = res.json["results"]
    assert ok["status"] == "created" and err["status"] == "error"
    assert message in " ".join(err["errors"])
    assert count(dbsession, Review if kind == "reviews" else Ticket) == 1


@pytest.mark.parametrize("body", ['{"items": [{"text": "x", "image_count": NaN}]}',
                                  '{"items": [{"text": "x", "image_count": ' + "9" * 5000 + "}]}",
                                  "[" * 100000])
def test_json_python_reads_but_json_does_not_allow_is_400(testapp, tokens, body):
    res = testapp.post("/api/v1/reviews", body, status=400,
                       headers=dict(auth(tokens["manager"]), **{"Content-Type": "application/json"}))
    assert "invalid JSON" in res.json["error"]


def test_resending_a_batch_that_repeats_an_id_is_all_duplicates_and_queues_nothing(testapp, tokens, dbsession):
    from feedback.models import OutboxJob

    items = [{"review_id": "DUP1", "text": "A 太咸"}, {"review_id": "DUP1", "text": "B 太淡"}]
    first = testapp.post_json("/api/v1/reviews", {"platform": "jd", "items": items},
                              headers=auth(tokens["manager"])).json
    assert first["inserted"] == 1
    jobs = count(dbsession, OutboxJob)
    again = testapp.post_json("/api/v1/reviews", {"platform": "jd", "items": items},
                              headers=auth(tokens["manager"])).json
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert (again["updated"], count(dbsession, OutboxJob)) == (0, jobs)
    assert dbsession.scalars(select(Review.text)).one() == "B 太淡"  # the later row won, once


def test_an_unknown_platform_for_the_whole_body_names_it(testapp, tokens):
    res = testapp.post_json("/api/v1/reviews", {"platform": "amazon", "items": ITEMS},
                            headers=auth(tokens["manager"]), status=422)
    assert "unknown platform: amazon" in res.json["error"]
