"""The reply workflow over a real database (SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt

import pytest

from feedback.models.replies import ReplyDraft
from feedback.services.replies import ReplyError, ReplyService, levenshtein
from feedback.services.replies.rules import COMPENSATION_WORDS

from . import web_factories as wf
from .replies_helpers import complaint

ROTTEN = "橙子烂了三个，一点也不新鲜，快递还慢，等了五天才到"
ROTTEN_EV = {"freshness": ["烂了", "不新鲜"], "logistics": ["等了五天"]}


def draft_for(session, review) -> ReplyDraft:
    drafts = ReplyService(session).generate([review.id])
    assert len(drafts) == 1
    return drafts[0]


def test_draft_uses_order_facts_and_the_tasks_corrective_action(dbsession):
    review = complaint(dbsession, ROTTEN, ["freshness", "logistics"], ROTTEN_EV, tier="returning",
                       corrective="该批次已下架并加强入库检验。", corrective_category="freshness")
    d = draft_for(dbsession, review)
    assert d.status == "draft" and not d.needs_senior_approval
    assert "赣南脐橙5斤装" in d.text and "11月1日" in d.text  # product, order date
    assert "2026年10月20日" in d.text  # the batch's production date
    assert "中通快递" in d.text and "5天" in d.text  # shipped 11-2, signed 11-7
    assert "该批次已下架并加强入库检验" in d.text
    assert d.text == d.draft_text and len(d.text) <= 500
    assert d.template_ids and d.categories == ["freshness", "logistics"]
    assert not [i for i in d.issues if i["severity"] == "error"]


def test_a_draft_does_not_quote_words_a_model_chose(dbsession):
    # the classifier marks evidence it took from a model's weights, not the lexicon (nlp.base)
    review = complaint(dbsession, "要的肘子送个鸡腿", ["quality"], {"quality": ["肘子", "鸡腿"]},
                       sources={"quality": "ensemble", "evidence:quality": "model"})
    d = draft_for(dbsession, review)
    assert "肘子" not in d.text and "鸡腿" not in d.text
    plain = complaint(dbsession, "要的肘子送个鸡腿", ["quality"], {"quality": ["肘子", "鸡腿"]},
                      sources={"quality": "ensemble"})
    assert "“肘子”" in draft_for(dbsession, plain).text


def test_food_safety_draft_is_held_for_an_admin(dbsession):
    review = complaint(dbsession, "吃了以后全家拉肚子，袋子里还有虫", ["quality"], {"quality": ["拉肚子", "虫"]},
                       food_safety=True, product="手撕牛肉干")
    d = draft_for(dbsession, review)
    assert d.status == "held" and d.needs_senior_approval
    assert "重视" in d.text and "就医" in d.text
    manager, admin = wf.user(dbsession, "manager"), wf.user(dbsession, "admin")
    with pytest.raises(ReplyError, match="食品安全"):
        ReplyService(dbsession).approve(d, manager)
    assert d.status == "held"
    ReplyService(dbsession).approve(d, admin)
    assert d.status == "approved" and d.senior_approved_by_id == admin.id and d.senior_approved_at


def test_no_forbidden_promise_even_when_the_customer_asks_for_a_refund(dbsession):
    review = complaint(dbsession, "客服不给退款，说好的赠品也没给", ["service", "price"],
                       {"service": ["不给退款"], "price": ["赠品也没给"]})
    d = draft_for(dbsession, review)
    assert not [w for w in COMPENSATION_WORDS if w in d.text]
    assert "售后处理不到位" in d.text and "活动优惠没有按说明兑现" in d.text


def test_platform_settings_change_the_limit_and_the_rules(dbsession):
    admin = wf.user(dbsession, "admin")
    service = ReplyService(dbsession)
    service.save_settings("jd", admin, max_chars=90, allow_links=False, allow_phone=False, allow_compensation=False,
                          blocked_words="烂果, 抱歉抱歉", reply_window_days=15, window_from_followup=False)
    review = complaint(dbsession, ROTTEN, ["freshness", "logistics"], ROTTEN_EV, platform="jd")
    d = ReplyService(dbsession).generate([review.id])[0]
    assert len(d.text) <= 90
    assert "烂果" not in d.text or [i for i in d.issues if i["code"] == "blocked"]
    assert d.deadline_at == review.reviewed_at + dt.timedelta(days=15)
    with pytest.raises(ReplyError):
        service.save_settings("jd", admin, max_chars="abc", allow_links=False, allow_phone=False,
                              allow_compensation=False, blocked_words="", reply_window_days=15,
                              window_from_followup=False)


def test_deadline_counts_from_the_followup_review(dbsession):
    reviewed = dt.datetime(2026, 11, 1, 12, 0)
    review = complaint(dbsession, "不新鲜", ["freshness"], reviewed_at=reviewed,
                       followup_at=reviewed + dt.timedelta(days=10))
    d = ReplyService(dbsession).generate([review.id])[0]
    assert d.deadline_at == reviewed + dt.timedelta(days=40)


def test_expired_reviews_are_skipped_unless_asked(dbsession):
    old = complaint(dbsession, "不新鲜", ["freshness"], reviewed_at=dt.datetime(2020, 1, 1))
    assert ReplyService(dbsession).generate([old.id], include_expired=False) == []
    assert len(ReplyService(dbsession).generate([old.id], include_expired=True)) == 1


def test_candidates_complaints_and_low_ratings_but_not_praise(dbsession):
    service = ReplyService(dbsession)
    before = service.count_candidates()
    complaint(dbsession, "烂了", ["freshness"], rating=5)  # a 5-star review that complains
    complaint(dbsession, "差评", [], rating=1, complaint=False)  # a bare low rating
    complaint(dbsession, "很好吃，下次还买", [], rating=5, complaint=False)  # praise
    assert service.count_candidates() == before + 2
    drafts = service.generate()
    assert len(drafts) >= 2
    assert service.generate() == []  # one draft per review


def test_edit_approve_post_with_who_when_and_edit_distance(dbsession):
    manager = wf.user(dbsession, "manager")
    review = complaint(dbsession, "分量太少了", ["quality"], {"quality": ["太少"]}, tier="new")
    d = draft_for(dbsession, review)
    service = ReplyService(dbsession)
    new_text = d.text + "我们已调整称重标准。"
    issues = service.edit(d, new_text, manager)
    assert not [i for i in issues if i.severity == "error"]
    assert d.status == "edited" and d.edited_by_id == manager.id and d.edited_at
    assert d.draft_text != d.text
    service.approve(d, manager)
    assert d.status == "approved" and d.approved_by_id == manager.id and d.approved_at
    assert d.edit_distance == len("我们已调整称重标准。") == levenshtein(d.draft_text, d.text)
    with pytest.raises(ReplyError):
        service.approve(d, manager)
    service.mark_posted(d, manager)
    assert d.status == "posted" and d.posted_by_id == manager.id and d.posted_at
    with pytest.raises(ReplyError):
        service.edit(d, "再改", manager)


def test_an_edit_that_breaks_a_rule_is_kept_but_cannot_be_approved(dbsession):
    manager = wf.user(dbsession, "manager")
    d = draft_for(dbsession, complaint(dbsession, "不新鲜", ["freshness"]))
    issues = ReplyService(dbsession).edit(d, "抱歉，我们给您退款，加微信 kefu8888 联系，详见 www.shop.cn", manager)
    assert {i.code for i in issues if i.severity == "error"} >= {"compensation", "phone", "link"}
    assert d.text.startswith("抱歉，我们给您退款")  # nothing the manager typed is lost
    with pytest.raises(ReplyError, match="退款"):
        ReplyService(dbsession).approve(d, manager)
    assert d.status == "edited" and d.approved_at is None


def test_editing_an_approved_reply_withdraws_the_approval(dbsession):
    manager = wf.user(dbsession, "manager")
    d = draft_for(dbsession, complaint(dbsession, "不新鲜", ["freshness"]))
    ReplyService(dbsession).approve(d, manager)
    assert d.edit_distance == 0
    ReplyService(dbsession).edit(d, d.text + "谢谢。", manager)
    assert d.status == "edited" and d.approved_at is None and d.edit_distance is None


def test_batch_approval_approves_what_passes_and_says_why_the_rest_was_refused(dbsession):
    manager = wf.user(dbsession, "manager")
    service = ReplyService(dbsession)
    good = [draft_for(dbsession, complaint(dbsession, t, ["freshness"])) for t in ("不新鲜", "烂了两个", "发蔫了")]
    held = draft_for(dbsession, complaint(dbsession, "发霉了，吃了拉肚子", ["freshness", "quality"], food_safety=True))
    broken = draft_for(dbsession, complaint(dbsession, "太贵了", ["price"]))
    service.edit(broken, "我们送您一张优惠券。", manager)
    result = service.approve_many([d.id for d in good] + [held.id, broken.id, 999999], manager)
    assert sorted(result.approved) == sorted(d.id for d in good)
    assert set(result.refused) == {held.id, broken.id, 999999}
    assert "食品安全" in result.refused[held.id] and "优惠券" in result.refused[broken.id]
    assert all(d.status == "approved" for d in good)


def test_a_manager_can_hold_a_reply_for_senior_approval(dbsession):
    manager = wf.user(dbsession, "manager")
    d = draft_for(dbsession, complaint(dbsession, "不新鲜", ["freshness"]))
    ReplyService(dbsession).hold(d, manager)
    assert d.status == "held" and d.needs_senior_approval
    with pytest.raises(ReplyError, match="held for review") as refused:
        ReplyService(dbsession).approve(d, manager)
    assert "食品安全" not in str(refused.value)  # it is not about food safety


def test_later_drafts_learn_from_an_edited_and_approved_reply(dbsession):
    manager = wf.user(dbsession, "manager")
    service = ReplyService(dbsession)
    first = draft_for(dbsession, complaint(dbsession, "牛排送到的时候全化了，快递太慢", ["logistics"],
                                           {"logistics": ["化了", "太慢"]}, product="澳洲牛排"))
    sentence = "我们已经和冷链快递重新约定，冻品改为加冰袋并走次日达线路。"
    service.edit(first, first.text + sentence, manager)
    service.approve(first, manager)
    second = draft_for(dbsession, complaint(dbsession, "冻虾送到都化了，快递慢死了", ["logistics"],
                                            {"logistics": ["化了", "慢死了"]}, product="冻虾"))
    assert sentence in second.text
    assert second.source_draft_ids == [first.id]


def test_regenerate_only_untouched_drafts(dbsession):
    manager = wf.user(dbsession, "manager")
    d = draft_for(dbsession, complaint(dbsession, "不新鲜", ["freshness"]))
    ReplyService(dbsession).regenerate(d, manager)
    ReplyService(dbsession).edit(d, "改过了，非常抱歉，不新鲜是我们的问题。", manager)
    with pytest.raises(ReplyError):
        ReplyService(dbsession).regenerate(d, manager)


def test_templates_are_seeded_once_and_admin_edits_are_used(dbsession):
    admin = wf.user(dbsession, "admin")
    service = ReplyService(dbsession)
    service.seed_templates(admin)
    assert service.seed_templates(admin) == 0
    for t in service.templates():
        if t.kind == "ack" and t.category == "freshness":
            service.save_template(admin, template_id=t.id, kind=t.kind, category=t.category, tone=t.tone,
                                  food_safety=False, text="{product}{problem}，这是我们的错。", active=True)
    d = draft_for(dbsession, complaint(dbsession, "烂了", ["freshness"], {"freshness": ["烂了"]}, product="冬枣"))
    assert "冬枣有坏果烂果，这是我们的错。" in d.text
    with pytest.raises(ReplyError, match="未知占位符"):
        service.save_template(admin, kind="ack", category="freshness", tone="any", food_safety=False,
                              text="{customer_name}您好", active=True)
