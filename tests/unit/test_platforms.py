"""Every place that lists the platforms lists the same ones."""
import json
from pathlib import Path

from feedback.cli.imports import PLATFORM_HELP
from feedback.importing.headers import PLATFORM_ALIASES, normalize_platform, platform_choices
from feedback.models import PLATFORM_LABELS, PLATFORMS
from feedback.services.exports.labels import PLATFORM_LABELS as EXPORT_LABELS
from feedback.services.replies.defaults import PLATFORM_DEFAULTS

OPENAPI = Path(__file__).resolve().parents[2] / "feedback" / "openapi.json"


def test_every_platform_has_a_label_reply_rules_and_a_name_to_import_it_by():
    assert set(PLATFORM_LABELS) == set(EXPORT_LABELS) == set(PLATFORM_DEFAULTS) == set(PLATFORMS)
    assert set(PLATFORM_ALIASES.values()) == set(PLATFORMS)
    assert all(len(code) <= 16 for code in PLATFORMS)  # the platform columns are String(16)
    doc = json.loads(OPENAPI.read_text(encoding="utf-8"))
    described = doc["components"]["schemas"]["ReviewItem"]["properties"]["platform"]["description"]
    for code in PLATFORMS:
        assert normalize_platform(code) == normalize_platform(PLATFORM_LABELS[code]) == code
        assert code in PLATFORM_HELP and code in platform_choices() and code in described


def test_chinese_names_of_the_newer_platforms():
    names = {"饿了么": "eleme", "抖音": "douyin", "抖店": "douyin", "快手": "kuaishou", "有赞": "youzan",
             "京东到家": "jddj", "天猫": "tmall", "美团外卖": "meituan", " ＪＤ ": "jd"}
    assert {name: normalize_platform(name) for name in names} == names
