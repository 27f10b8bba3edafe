"""Row weights for the training mix: complaint-heavy training rounds must not teach the stackers and
thresholds that most texts complain."""
import json
import shutil

import numpy as np
import pytest

from nlp.base import LABELS
from nlp.ensemble import mix_weights, tune_complaint_gate, tune_thresholds

from .conftest import shipped_model_available

J_TASTE, J_COMPLAINT = LABELS.index("taste"), LABELS.index("complaint")


def _labels(n_complaints: int, n_praise: int) -> np.ndarray:
    y = np.zeros((n_complaints + n_praise, len(LABELS)), dtype=np.int64)
    y[:n_complaints, J_TASTE] = 1
    y[:n_complaints, J_COMPLAINT] = 1
    return y


def test_non_complaints_weigh_as_if_complaints_were_the_given_share():
    y = _labels(90, 10)
    w = mix_weights(y, 0.5)
    assert np.all(w[:90] == 1.0)
    assert np.allclose(w[90:], 9.0)  # 10 rows weighing 9 balance 90 complaints
    comp = y[:, J_COMPLAINT] == 1
    assert w[comp].sum() / w.sum() == 0.5


def test_a_mix_already_under_the_share_is_left_alone():
    assert np.all(mix_weights(_labels(40, 60), 0.55) == 1.0)
    assert np.all(mix_weights(_labels(90, 10), None) == 1.0)
    assert np.all(mix_weights(_labels(10, 0), 0.5) == 1.0)  # nothing to reweigh


def test_weighted_thresholds_rise_when_praise_scores_in_the_middle():
    """Praise at 0.45 costs little at 10 % of the rows and a lot at the shop's mix."""
    y = _labels(90, 10)
    p = np.zeros(y.shape)
    p[:90, J_TASTE] = np.linspace(0.3, 0.95, 90)
    p[90:, J_TASTE] = 0.45
    plain = tune_thresholds(p, y)["taste"]
    weighted = tune_thresholds(p, y, weights=mix_weights(y, 0.5))["taste"]
    assert plain <= 0.45 < weighted


def test_the_complaint_gate_vetoes_praise_with_a_complaint_word():
    """Praise rows pass the taste threshold (a complaint word in praise) but the complaint head
    knows better: a gate on that head is chosen. Where the head adds nothing, no gate."""
    y = _labels(60, 40)
    p = np.zeros(y.shape)
    p[:, J_TASTE] = 0.8                       # every row passes the taste threshold
    p[:60, J_COMPLAINT] = np.linspace(0.5, 0.95, 60)
    p[60:, J_COMPLAINT] = np.linspace(0.05, 0.3, 40)
    thr = {lab: 0.5 for lab in LABELS}
    gate = tune_complaint_gate(p, y, thr)
    assert 0.3 < gate <= 0.5
    p[:, J_COMPLAINT] = 0.9                   # the head says complaint everywhere
    p[60:, J_TASTE] = 0.2                     # and the categories alone already decide
    assert tune_complaint_gate(p, y, thr) == 0.0


@pytest.mark.skipif(not shipped_model_available(), reason="no shipped model in nlp/models")
def test_a_gate_in_the_manifest_is_applied(tmp_path):
    from nlp import load_classifier

    src = load_classifier().model_dir
    dst = tmp_path / "gated"
    shutil.copytree(src, dst)
    manifest = json.loads((dst / "model.json").read_text(encoding="utf-8"))
    manifest["paths"][manifest["default_path"]]["complaint_gate"] = 1.01  # nothing passes
    (dst / "model.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    gated = load_classifier(model_dir=dst, cached=False)
    assert not gated.classify("送餐太慢了，等了两个小时，饭都凉了").complaint
    # a food-safety rule still reports, whatever the gate
    r = gated.classify("吃完以后全家拉肚子")
    assert r.complaint and r.food_safety
