"""Learning from approved replies: similar complaints reuse the manager's wording."""
from __future__ import annotations

from feedback.services.replies.engine import Drafter, ReplyFacts, ReplyInput, default_templates
from feedback.services.replies.retrieval import ApprovedReply, ApprovedReplyIndex, manager_sentences
from feedback.services.replies.rules import RuleSettings

MANAGER = "我们已经和冷链快递重新约定，冻品改为加冰袋并走次日达线路。"
APPROVED = [
    ApprovedReply(id=10, review_text="牛排送到的时候全化了，冰袋都没有，快递太慢",
                  draft_text="您好。牛排在运输中化掉了，非常抱歉。我们会跟快递核实这单的运输过程。",
                  text="您好。牛排在运输中化掉了，非常抱歉。" + MANAGER,
                  categories=["logistics"], product="牛排", carrier="顺丰"),
    ApprovedReply(id=11, review_text="苹果个头太小了，和图片不一样",
                  draft_text="苹果个头偏小，抱歉。", text="苹果个头偏小，抱歉。我们会按这条反馈复查分拣标准，小果不再混装。",
                  categories=["quality"], product="苹果"),
]


def test_manager_sentences_are_the_ones_not_in_the_draft():
    assert manager_sentences(APPROVED[0]) == [MANAGER]


def test_a_similar_complaint_reuses_the_approved_wording():
    index = ApprovedReplyIndex(APPROVED)
    review = ReplyInput("77", "冻虾送到都化了，快递慢死了", ["logistics"], {"logistics": ["化了", "慢"]},
                        facts=ReplyFacts(product="冻虾"))
    learned = index.learned_for(review, RuleSettings())
    assert learned["logistics"].source_id == 10
    r = Drafter(default_templates(), RuleSettings()).draft(review, learned)
    assert MANAGER in r.text and r.source_ids == [10]
    assert "在运输中化掉了" in r.text  # the problem is still named from this review


def test_an_unrelated_complaint_learns_nothing():
    index = ApprovedReplyIndex(APPROVED)
    review = ReplyInput("78", "客服态度太差了，问了半天不回", ["service"], {"service": ["态度太差"]})
    assert index.learned_for(review, RuleSettings()) == {}


def test_sentences_with_the_other_orders_facts_or_forbidden_words_are_not_reused():
    bad = ApprovedReply(id=12, review_text="牛排化了", draft_text="抱歉。",
                        text="抱歉。这单3月5日发出的我们会给您补发。我们会和快递沟通改进。",
                        categories=["logistics"])
    index = ApprovedReplyIndex([bad])
    learned = index.learned_for(ReplyInput("1", "牛排化了", ["logistics"]), RuleSettings())
    assert learned["logistics"].text == "我们会和快递沟通改进。"
