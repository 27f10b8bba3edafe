"""The reply workflow: draft -> edited -> approved -> posted (food safety: held until an admin
approves), templates and platform settings, and the export for bulk posting."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from ...models import CATEGORIES, PLATFORMS, Classification, Review, User
from ...models.meta import shop_now, utcnow
from ...models.replies import DRAFT_STATUSES, TEMPLATE_KINDS, TONES, ReplyDraft, ReplySettings, ReplyTemplate
from . import defaults
from .context import build_input
from .engine import Drafter, TemplateData, check_template_text, default_templates
from .retrieval import ApprovedReply, ApprovedReplyIndex
from .rules import RuleSettings, errors, validate

STATUS_LABELS = {"draft": "待审", "edited": "已修改", "held": "待高级审批", "approved": "已批准", "posted": "已发布"}
#: Platform times (reviewed_at, deadlines) are stored in shop local time: China, UTC+8.
SENIOR_ROLE = "admin"
RETRIEVAL_POOL = 2000  # the most recent approved replies the drafter learns from


class ReplyError(ValueError):
    """A request the workflow refuses; the message is shown to the user as is."""


def needs_reply():
    """SQL condition on Review: it calls for a 评价解释 — a complaint (any rating) or a mid/low rating."""
    complaint = exists().where(and_(Classification.review_id == Review.id, Classification.complaint.is_(True)))
    return or_(complaint, Review.rating_level.in_(("neutral", "bad")), Review.rating_stars <= 3)


def levenshtein(a: str, b: str) -> int:
    """Edit distance in characters (insert, delete, substitute)."""
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def deadline_for(review: Review, rules: RuleSettings) -> dt.datetime | None:
    start = review.reviewed_at
    if rules.window_from_followup and review.followup_at and (start is None or review.followup_at > start):
        start = review.followup_at
    return None if start is None else start + dt.timedelta(days=rules.reply_window_days)


@dataclass
class BatchResult:
    approved: list[int]
    refused: dict[int, str]


class ReplyService:
    def __init__(self, session: Session):
        self.session = session
        self._rules: dict[str, RuleSettings] = {}

    # --- settings ---------------------------------------------------------------------------
    def rules_for(self, platform: str) -> RuleSettings:
        if platform not in self._rules:
            row = self.session.execute(select(ReplySettings).where(ReplySettings.platform == platform)).scalar_one_or_none()
            self._rules[platform] = RuleSettings.from_row(row) if row else RuleSettings.default_for(platform)
        return self._rules[platform]

    def all_rules(self) -> list[RuleSettings]:
        return [self.rules_for(p) for p in PLATFORMS]

    def save_settings(self, platform: str, user: User | None, *, max_chars, allow_links: bool, allow_phone: bool,
                      allow_compensation: bool, blocked_words: str | list, reply_window_days,
                      window_from_followup: bool) -> ReplySettings:
        if platform not in PLATFORMS:
            raise ReplyError(f"未知平台 / unknown platform {platform!r}")
        try:
            max_chars = int(max_chars)
            reply_window_days = int(reply_window_days)
        except (TypeError, ValueError) as exc:
            raise ReplyError("字数上限和回复期限必须是整数 (max chars and window days must be integers)") from exc
        if not 20 <= max_chars <= 5000:
            raise ReplyError("字数上限应在 20 到 5000 之间 (max chars must be 20..5000)")
        if not 1 <= reply_window_days <= 365:
            raise ReplyError("回复期限应在 1 到 365 天之间 (window must be 1..365 days)")
        if isinstance(blocked_words, str):
            blocked_words = blocked_words.replace("，", ",").replace("\n", ",").split(",")
        words = []
        for w in blocked_words:
            w = w.strip()
            if w and w not in words:
                words.append(w[:50])
        row = self.session.execute(select(ReplySettings).where(ReplySettings.platform == platform)).scalar_one_or_none()
        if row is None:
            row = ReplySettings(platform=platform)
            self.session.add(row)
        row.max_chars = max_chars
        row.allow_links, row.allow_phone, row.allow_compensation = bool(allow_links), bool(allow_phone), bool(
            allow_compensation)
        row.blocked_words = words
        row.reply_window_days = reply_window_days
        row.window_from_followup = bool(window_from_followup)
        row.updated_by_id = user.id if user else None
        self.session.flush()
        self._rules.pop(platform, None)
        return row

    # --- templates --------------------------------------------------------------------------
    def seed_templates(self, user: User | None = None) -> int:
        """Copy the default templates into the table when it is empty. Returns the rows added."""
        if self.session.execute(select(func.count()).select_from(ReplyTemplate)).scalar_one():
            return 0
        for t in default_templates():
            self.session.add(ReplyTemplate(kind=t.kind, category=t.category, tone=t.tone, food_safety=t.food_safety,
                                           text=t.text, active=True, created_by_id=user.id if user else None))
        self.session.flush()
        return len(defaults.DEFAULT_TEMPLATES)

    def templates(self) -> list[ReplyTemplate]:
        return list(self.session.execute(
            select(ReplyTemplate).order_by(ReplyTemplate.kind, ReplyTemplate.category, ReplyTemplate.id)).scalars())

    def save_template(self, user: User | None, *, template_id: int | None = None, kind: str, category: str,
                      tone: str, food_safety: bool, text: str, active: bool) -> ReplyTemplate:
        text = (text or "").strip()
        if kind not in TEMPLATE_KINDS:
            raise ReplyError(f"未知模板类型 / unknown kind {kind!r}")
        if category not in (*CATEGORIES, "any", "none"):
            raise ReplyError(f"未知分类 / unknown category {category!r}")
        if tone not in TONES:
            raise ReplyError(f"未知语气 / unknown tone {tone!r}")
        problems = check_template_text(text)
        if problems:
            raise ReplyError("；".join(problems))
        if template_id is not None:
            row = self.session.get(ReplyTemplate, template_id)
            if row is None:
                raise ReplyError("模板不存在 / template not found")
        else:
            row = ReplyTemplate(created_by_id=user.id if user else None)
            self.session.add(row)
        row.kind, row.category, row.tone, row.food_safety = kind, category, tone, bool(food_safety)
        row.text, row.active = text, bool(active)
        row.updated_by_id = user.id if user else None
        self.session.flush()
        return row

    def _template_data(self) -> list[TemplateData]:
        rows = self.templates()
        if not rows:
            self.seed_templates()
            rows = self.templates()
        return [TemplateData(r.kind, r.category, r.tone, r.food_safety, r.text, id=r.id, active=r.active) for r in rows]

    # --- drafting ---------------------------------------------------------------------------
    def candidates_query(self):
        """Reviews that need a reply and have none."""
        has_draft = exists().where(ReplyDraft.review_id == Review.id)
        return select(Review).where(~has_draft, needs_reply()).order_by(Review.id)

    def count_candidates(self) -> int:
        return self.session.execute(select(func.count()).select_from(self.candidates_query().subquery())).scalar_one()

    def approved_index(self) -> ApprovedReplyIndex:
        rows = self.session.execute(
            select(ReplyDraft).where(ReplyDraft.status.in_(("approved", "posted")), ReplyDraft.text != ReplyDraft.draft_text)
            .order_by(ReplyDraft.approved_at.desc(), ReplyDraft.id.desc()).limit(RETRIEVAL_POOL)
        ).scalars().all()
        replies = []
        for d in rows:
            product = d.review.product.name if d.review.product else None
            carrier = d.review.order.carrier if d.review.order else None
            replies.append(ApprovedReply(id=d.id, review_text=d.review.text or "", text=d.text, draft_text=d.draft_text,
                                         categories=list(d.categories or []), product=product, carrier=carrier))
        return ApprovedReplyIndex(replies)

    def generate(self, review_ids=None, *, include_expired: bool = True, limit: int | None = None,
                 actor: str = "system") -> list[ReplyDraft]:
        """Draft replies for the given reviews (or every candidate) that have none yet."""
        query = self.candidates_query()
        if review_ids is not None:
            query = query.where(Review.id.in_(list(review_ids)))
        if limit:
            query = query.limit(limit)
        reviews = self.session.execute(query).scalars().all()
        if not reviews:
            return []
        templates = self._template_data()
        index = self.approved_index()
        classifications = {c.review_id: c for c in self.session.execute(
            select(Classification).where(Classification.review_id.in_([r.id for r in reviews]))).scalars()}
        drafts = []
        now = shop_now()
        for review in reviews:
            rules = self.rules_for(review.platform)
            deadline = deadline_for(review, rules)
            if not include_expired and deadline is not None and deadline < now:
                continue
            draft = self._draft_one(review, classifications.get(review.id), templates, index, rules)
            draft.deadline_at = deadline
            draft.drafted_by = actor
            self.session.add(draft)
            drafts.append(draft)
        self.session.flush()
        return drafts

    def _draft_one(self, review, classification, templates, index, rules, draft: ReplyDraft | None = None):
        inp = build_input(self.session, review, classification)
        learned = index.learned_for(inp, rules) if len(index) else {}
        result = Drafter(templates, rules).draft(inp, learned)
        draft = draft or ReplyDraft(review_id=review.id, platform=review.platform)
        draft.text = draft.draft_text = result.text
        draft.categories = inp.categories
        draft.food_safety = inp.food_safety
        draft.needs_senior_approval = inp.food_safety
        draft.status = "held" if inp.food_safety else "draft"
        draft.template_ids = result.template_ids
        draft.source_draft_ids = result.source_ids
        draft.issues = [i.to_dict() for i in result.issues] + [
            {"code": "note", "message": n, "severity": "warning"} for n in result.notes]
        draft.drafted_at = utcnow()
        return draft

    def regenerate(self, draft: ReplyDraft, user: User | None) -> ReplyDraft:
        if draft.status not in ("draft", "held") or draft.edited_at is not None:
            raise ReplyError("只有未修改、未批准的草稿可以重新生成 (only untouched drafts can be redrafted)")
        classification = self.session.execute(
            select(Classification).where(Classification.review_id == draft.review_id)).scalar_one_or_none()
        rules = self.rules_for(draft.platform)
        self._draft_one(draft.review, classification, self._template_data(), self.approved_index(), rules, draft)
        draft.deadline_at = deadline_for(draft.review, rules)
        draft.drafted_by = user.username if user else "system"
        self.session.flush()
        return draft

    # --- workflow ---------------------------------------------------------------------------
    def check(self, draft: ReplyDraft, text: str):
        return validate(text, self.rules_for(draft.platform), categories=draft.categories or (),
                        food_safety=draft.food_safety)

    def edit(self, draft: ReplyDraft, text: str, user: User) -> list:
        """Save the manager's text (kept even when it breaks a rule; approval is what is blocked)."""
        if draft.status == "posted":
            raise ReplyError("已发布的回复不能再修改 (a posted reply cannot be edited)")
        text = (text or "").replace("\r\n", "\n").strip()
        if not text:
            raise ReplyError("回复内容不能为空 (the reply is empty)")
        issues = self.check(draft, text)
        draft.text = text
        draft.edited_by_id, draft.edited_at = user.id, utcnow()
        if draft.status == "approved":  # an edit withdraws the approval
            draft.approved_by_id = draft.approved_at = draft.edit_distance = None
            draft.senior_approved_by_id = draft.senior_approved_at = None
        if draft.status != "held":
            draft.status = "edited"
        draft.issues = [i.to_dict() for i in issues]
        self.session.flush()
        return issues

    def approve(self, draft: ReplyDraft, user: User) -> ReplyDraft:
        if draft.status in ("approved", "posted"):
            raise ReplyError(f"回复 #{draft.id} 已是「{STATUS_LABELS[draft.status]}」状态 (already {draft.status})")
        if draft.needs_senior_approval and user.role != SENIOR_ROLE:
            zh, en = ("涉及食品安全", "is about food safety") if draft.food_safety else (
                "已被搁置待审", "was held for review")
            raise ReplyError(f"回复 #{draft.id} {zh}，需要管理员（高级）审批 "
                             f"(this reply {en}: it needs an admin's approval)")
        issues = self.check(draft, draft.text)
        draft.issues = [i.to_dict() for i in issues]
        bad = errors(issues)
        if bad:
            raise ReplyError(f"回复 #{draft.id} 未通过检查：" + "；".join(i.message for i in bad))
        now = utcnow()
        draft.status = "approved"
        draft.approved_by_id, draft.approved_at = user.id, now
        if draft.needs_senior_approval:
            draft.senior_approved_by_id, draft.senior_approved_at = user.id, now
        draft.edit_distance = levenshtein(draft.draft_text, draft.text)
        self.session.flush()
        return draft

    def approve_many(self, ids, user: User) -> BatchResult:
        result = BatchResult([], {})
        for draft_id in ids:
            draft = self.session.get(ReplyDraft, draft_id)
            if draft is None:
                result.refused[draft_id] = f"回复 #{draft_id} 不存在 (not found)"
                continue
            try:
                self.approve(draft, user)
                result.approved.append(draft_id)
            except ReplyError as exc:
                result.refused[draft_id] = str(exc)
        return result

    def hold(self, draft: ReplyDraft, user: User) -> ReplyDraft:
        if draft.status == "posted":
            raise ReplyError("已发布的回复不能再搁置 (a posted reply cannot be held)")
        draft.status = "held"
        draft.needs_senior_approval = True
        draft.approved_by_id = draft.approved_at = draft.edit_distance = None
        self.session.flush()
        return draft

    def mark_posted(self, draft: ReplyDraft, user: User) -> ReplyDraft:
        if draft.status != "approved":
            raise ReplyError("只有已批准的回复可以标记为已发布 (only approved replies can be marked posted)")
        draft.status = "posted"
        draft.posted_by_id, draft.posted_at = user.id, utcnow()
        self.session.flush()
        return draft

    # --- listing ----------------------------------------------------------------------------
    def list(self, *, status: str | None = None, platform: str | None = None, due: str | None = None,
             page: int = 1, per_page: int = 50):
        query = select(ReplyDraft)
        if status in DRAFT_STATUSES:
            query = query.where(ReplyDraft.status == status)
        if platform in PLATFORMS:
            query = query.where(ReplyDraft.platform == platform)
        now = shop_now()
        if due == "overdue":
            query = query.where(ReplyDraft.deadline_at < now, ReplyDraft.status != "posted")
        elif due == "soon":
            query = query.where(ReplyDraft.deadline_at >= now, ReplyDraft.deadline_at < now + dt.timedelta(days=3),
                                ReplyDraft.status != "posted")
        total = self.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = self.session.execute(
            query.order_by(ReplyDraft.deadline_at.is_(None), ReplyDraft.deadline_at, ReplyDraft.id)
            .offset((page - 1) * per_page).limit(per_page)).scalars().all()
        return rows, total

    def stats(self) -> dict:
        rows = self.session.execute(select(ReplyDraft.status, func.count()).group_by(ReplyDraft.status)).all()
        counts = {s: 0 for s in DRAFT_STATUSES}
        counts.update({s: n for s, n in rows})
        avg = self.session.execute(select(func.avg(ReplyDraft.edit_distance))
                                   .where(ReplyDraft.edit_distance.is_not(None))).scalar_one()
        unchanged = self.session.execute(select(func.count()).where(ReplyDraft.edit_distance == 0)).scalar_one()
        approved = self.session.execute(select(func.count()).where(ReplyDraft.edit_distance.is_not(None))).scalar_one()
        return {"counts": counts, "avg_edit_distance": None if avg is None else float(avg),
                "approved_unchanged": unchanged, "approved_total": approved}

    def approved_for_export(self, platform: str | None = None, include_posted: bool = False) -> list[ReplyDraft]:
        statuses = ("approved", "posted") if include_posted else ("approved",)
        query = select(ReplyDraft).where(ReplyDraft.status.in_(statuses))
        if platform in PLATFORMS:
            query = query.where(ReplyDraft.platform == platform)
        return list(self.session.execute(query.order_by(ReplyDraft.platform, ReplyDraft.id)).scalars())


def factory(context, request) -> ReplyService:
    return ReplyService(request.dbsession)
