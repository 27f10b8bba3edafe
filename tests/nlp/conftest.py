"""Shared helpers for the nlp tests (hand-written texts only; no rows of the shared data)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

# Hand-written gold examples in the TAXONOMY format (one per category and some boundaries).
GOLD = [
    {"id": "g01", "text": "味道太咸了，根本没法吃", "complaint": True, "categories": ["taste"], "food_safety": False},
    {"id": "g02", "text": "收到的橙子烂了好几个，一点都不新鲜", "complaint": True, "categories": ["freshness"], "food_safety": False},
    {"id": "g03", "text": "送餐太慢了，等了两个小时，饭都凉了", "complaint": True, "categories": ["logistics"], "food_safety": False},
    {"id": "g04", "text": "分量太少了，说好的五斤只有三斤多，缺斤少两", "complaint": True, "categories": ["quality"], "food_safety": False},
    {"id": "g05", "text": "客服态度差，一直不理人，也不给退款", "complaint": True, "categories": ["service"], "food_safety": False},
    {"id": "g06", "text": "太贵了，完全不值这个价，买完第二天就降价", "complaint": True, "categories": ["price"], "food_safety": False},
    {"id": "g07", "text": "很好吃，送餐也很快，下次还来", "complaint": False, "categories": [], "food_safety": False},
    {"id": "g08", "text": "吃完以后全家拉肚子", "complaint": True, "categories": ["quality"], "food_safety": True},
    {"id": "g09", "text": "面包打开就发霉了，还有一股怪味", "complaint": True, "categories": ["freshness", "taste"], "food_safety": True},
    {"id": "g10", "text": "包装很好，水果新鲜，物流也快，好评", "complaint": False, "categories": [], "food_safety": False},
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def lexicon_clf():
    from nlp import load_classifier

    return load_classifier("lexicon")


def shipped_model_available() -> bool:
    from nlp import DEFAULT_POINTER, default_model_dir

    return DEFAULT_POINTER.exists() and (default_model_dir() / "model.json").exists()


@pytest.fixture(scope="session")
def default_clf():
    if not shipped_model_available():
        pytest.skip("no shipped model in nlp/models")
    from nlp import load_classifier

    return load_classifier()
