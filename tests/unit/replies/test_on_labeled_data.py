"""Every draft over the labeled complaints of ../shared/data stays within the platform rules."""
from __future__ import annotations

import json

from feedback.services.replies.engine import Drafter, ReplyFacts, ReplyInput, default_templates
from feedback.services.replies.rules import RuleSettings, errors


def test_all_drafts_for_labeled_complaints_pass_the_rules(shared_data):
    rows = [json.loads(line) for line in (shared_data / "labeled" / "dev.jsonl").read_text("utf-8").splitlines()
            if line.strip()]
    complaints = [r for r in rows if r["complaint"]][:300]
    assert complaints
    for limit in (500, 150):
        drafter = Drafter(default_templates(), RuleSettings(max_chars=limit))
        for i, row in enumerate(complaints):
            r = drafter.draft(ReplyInput(key=row["id"], text=row["text"], categories=row["categories"],
                                         food_safety=row["food_safety"], buyer_tier=("new", "returning", None)[i % 3],
                                         facts=ReplyFacts(product="测试商品", carrier="中通快递")))
            assert len(r.text) <= limit, (row["id"], r.text)
            assert not errors(r.issues), (row["id"], r.text, r.issues)
