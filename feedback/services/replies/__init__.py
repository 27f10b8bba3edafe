"""Reply explanations (评价解释): drafting engine, rules, retrieval of approved wording, workflow."""
from .engine import Drafter, DraftResult, LearnedSentence, ReplyFacts, ReplyInput, TemplateData, default_templates
from .rules import Issue, RuleSettings, validate
from .workflow import ReplyError, ReplyService, factory, levenshtein

__all__ = [
    "DraftResult", "Drafter", "Issue", "LearnedSentence", "ReplyError", "ReplyFacts", "ReplyInput", "ReplyService",
    "RuleSettings", "TemplateData", "default_templates", "factory", "levenshtein", "validate",
]
