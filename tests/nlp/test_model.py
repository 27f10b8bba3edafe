"""The shipped default model: loading, the contract, the transformer files."""
import json

import pytest

from nlp import CATEGORIES, load_classifier

from .conftest import GOLD, shipped_model_available

pytestmark = [
    pytest.mark.skipif(not shipped_model_available(), reason="no shipped model in nlp/models"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:torch.*"),
    pytest.mark.filterwarnings("ignore::UserWarning:torch.*"),
    pytest.mark.filterwarnings("ignore::FutureWarning:transformers.*"),
]


@pytest.fixture(scope="module")
def model_dir():
    from nlp import default_model_dir

    return default_model_dir()


@pytest.fixture(scope="module")
def manifest(model_dir):
    return json.loads((model_dir / "model.json").read_text(encoding="utf-8"))


def test_default_is_the_best_measured_path(model_dir, manifest):
    from nlp.pipeline import selection_key

    metrics = json.loads((model_dir / "metrics.json").read_text(encoding="utf-8"))
    best = manifest["default_path"]
    assert metrics["default_path"] == best
    score = {p: selection_key(m) for p, m in metrics["heldout"].items()
             if not manifest["paths"].get(p, {}).get("auxiliary")}
    assert score[best] == max(score.values())


def test_load_once_per_process(default_clf):
    assert load_classifier() is default_clf
    assert default_clf.version == default_clf.manifest["paths"][default_clf.name]["version"]


def test_classifies_hand_written_examples(default_clf):
    results = default_clf.classify_batch([{"id": g["id"], "text": g["text"]} for g in GOLD])
    assert [r.id for r in results] == [g["id"] for g in GOLD]
    right = 0
    for g, r in zip(GOLD, results):
        assert r.error is None
        assert r.categories == [c for c in CATEGORIES if c in r.categories]
        assert set(r.sources) >= set(r.categories)
        assert set(r.sources.values()) <= {"lexicon", "model", "ensemble", "rule"}
        for c in r.categories:
            assert isinstance(r.evidence[c], list)
        right += r.complaint == g["complaint"] and set(r.categories) >= set(g["categories"][:1])
        if g["food_safety"]:
            assert r.food_safety and r.evidence["food_safety"], g["text"]
    assert right >= len(GOLD) - 1


def test_scores_are_calibrated_at_one_half(default_clf):
    for r in default_clf.classify_batch([{"id": i, "text": g["text"]} for i, g in enumerate(GOLD)]):
        for c in CATEGORIES:
            assert 0.0 <= r.scores[c] <= 1.0
            if r.sources.get(c) in ("model", "ensemble"):
                assert r.scores[c] >= 0.5
            if c not in r.categories:
                assert r.scores[c] < 0.5
        assert 0.5 <= r.confidence <= 1.0
        if r.confidence < 0.6:
            assert r.low_confidence
        if r.low_confidence and r.confidence >= 0.6:  # the other reason: an unconfirmed model food-safety signal
            assert r.sources.get("food_safety") != "rule"
            assert (r.food_safety and r.sources.get("food_safety") in ("model", "ensemble")) or (
                not r.food_safety and 0.0 < r.scores["food_safety"] < 0.5)


def test_a_scandal_word_in_a_boycott_post_flags_nothing(default_clf):
    """三聚氰胺/毒死/难受 flag a complaint the models found but make none on their own (TAXONOMY:
    a boycott post or a joke is no complaint); the text goes to triage instead of a QC task."""
    posts = ["看完这场球赛真难受啊，输得太憋屈了", "这新闻看得人真难受"]
    for r in default_clf.classify_batch([{"id": i, "text": t} for i, t in enumerate(posts)]):
        assert not r.food_safety and not r.complaint, posts[int(r.id)]
        assert r.low_confidence
    for text in ("喝完这个牛奶肚子难受了一晚上", "这奶粉被查出三聚氰胺超标，我家宝宝喝了一个月"):
        r = default_clf.classify(text)
        assert r.food_safety and r.complaint, text


def test_every_path_loads(model_dir, manifest):
    for path, spec in manifest["paths"].items():
        if spec.get("auxiliary"):
            continue
        clf = load_classifier(model_dir=model_dir, path=path)
        r = clf.classify("送餐太慢了，等了两个小时，饭都凉了")
        assert r.model == spec["version"]
        assert "logistics" in r.categories, (path, r.categories)


def test_model_size_under_50_mb(model_dir):
    total = sum(p.stat().st_size for p in model_dir.rglob("*") if p.is_file())
    assert total < 50 * 1024 * 1024


def _bert_dir(model_dir, manifest):
    if "bert" not in manifest["paths"]:
        pytest.skip("the shipped model has no transformer path")
    return model_dir / manifest["paths"]["bert"]["dir"]


def test_tokenizer_round_trip(model_dir, manifest, tmp_path):
    from transformers import BertTokenizer

    from nlp.bert import CharTokenizer
    from nlp.text import normalize

    bert_dir = _bert_dir(model_dir, manifest)
    tok = BertTokenizer.from_pretrained(bert_dir)
    assert len(tok) > 1000, "vocabulary must not be empty (the vocab_file= pitfall)"
    text = normalize("送餐太慢了，苹果也烂了")  # the tokenizer reads normalized text
    ids = tok(text)["input_ids"]
    assert tok.unk_token_id not in ids
    assert tok.decode(ids, skip_special_tokens=True).replace(" ", "") == text
    tok.save_pretrained(tmp_path / "tok")
    again = BertTokenizer.from_pretrained(tmp_path / "tok")
    assert again(text)["input_ids"] == ids
    assert CharTokenizer(bert_dir).encode_batch([text])[0] == ids
    # latin words are split into characters, not [UNK]
    assert tok.unk_token_id not in tok("apple ok")["input_ids"]


def test_light_inference_matches_transformers(model_dir, manifest):
    import torch
    from transformers import BertForSequenceClassification

    from nlp.bert import BertScorer, pad_batch

    bert_dir = _bert_dir(model_dir, manifest)
    ref = BertForSequenceClassification.from_pretrained(bert_dir).eval()
    mine = BertScorer(bert_dir, quantize=False)
    texts = ["送餐太慢了", "很好吃，下次还来，分量也足", "苹果烂了"]
    enc = mine.tokenizer.encode_batch(texts)
    ids, mask = pad_batch(enc)
    with torch.inference_mode():
        expected = ref(input_ids=ids, attention_mask=mask).logits.numpy()
    got = mine.logits(texts)
    assert abs(got - expected).max() < 1e-3
    q = BertScorer(bert_dir, quantize=True)
    assert q.backend == "onnxruntime"  # the shipped int8 model
    assert abs(q.logits(texts) - expected).max() < 1.0  # int8 stays close to the float model


def test_int8_onnx_export_agrees_with_the_float_model(model_dir, manifest, tmp_path):
    """Re-export the shipped transformer: the int8 ONNX model makes the same decisions as the
    float torch module on hand-written texts, for batch sizes and lengths other than the
    export's example input, and its scores do not depend on the other texts of the batch."""
    import shutil

    import numpy as np

    from nlp.bert import ONNX_INT8, BertScorer, export_onnx

    src = _bert_dir(model_dir, manifest)
    d = tmp_path / "bert"
    shutil.copytree(src, d, ignore=shutil.ignore_patterns(ONNX_INT8))
    export_onnx(d)
    texts = [g["text"] for g in GOLD] + ["苹果" * 80, "好"]
    fp = BertScorer(d, quantize=False).logits(texts)
    q = BertScorer(d, quantize=True)
    lg = q.logits(texts)
    assert lg.shape == fp.shape
    assert ((lg > 0) == (fp > 0)).mean() >= 0.97
    assert np.abs(lg - fp).mean() < 0.15
    alone = np.stack([q.logits([t])[0] for t in texts[:5]])
    assert np.abs(alone - lg[:5]).max() < 0.3
