"""Retraining from manager corrections, end to end on a tiny hand-written set with a tiny BERT."""
import json

import pytest

from .conftest import write_jsonl

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:torch.*"),
    pytest.mark.filterwarnings("ignore::UserWarning:torch.*"),
    pytest.mark.filterwarnings("ignore::FutureWarning:transformers.*"),
]

T = "taste"
F = "freshness"
L = "logistics"
Q = "quality"
TEXTS = [
    ("太难吃了", [T]), ("味道很咸，没法吃", [T]), ("一点也不甜", [T]), ("口感很差，很腥", [T]),
    ("苹果都烂了", [F]), ("一点都不新鲜", [F]), ("收到就坏了好几个", [F]), ("临期的牛奶", [F]),
    ("送餐太慢了", [L]), ("等了两个小时才到", [L]), ("快递太慢，压坏了", [L]), ("送来都凉了", [L]),
    ("分量太少", [Q]), ("个头太小了", [Q]), ("少送了一份米饭", [Q]), ("缺斤少两", [Q]),
    ("很好吃，下次还来", []), ("送餐很快，好评", []), ("新鲜又便宜", []), ("包装很好", []),
    ("很满意", []), ("不错不错", []), ("又慢又难吃", [T, L]), ("又小又烂", [F, Q]),
]


def _rows(prefix, pairs):
    return [{"id": f"{prefix}{i}", "text": t, "complaint": bool(c), "categories": c,
             "food_safety": False} for i, (t, c) in enumerate(pairs)]


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    from nlp.pipeline import train_model
    from nlp.train_bert import tiny_mlm_dir

    d = tmp_path_factory.mktemp("tiny")
    labeled = write_jsonl(d / "labeled.jsonl", _rows("t", TEXTS))
    mlm = tiny_mlm_dir(d / "mlm", [t for t, _ in TEXTS] * 3)
    train_model(d / "base", labeled=labeled, mlm_dir=mlm, intermediate=False, ft_epochs=1,
                folds=2, sentiment=False, version="tiny-base", runs_dir=d / "runs")
    return d, labeled


def test_tiny_model_directory(tiny_base):
    d, _ = tiny_base
    manifest = json.loads((d / "base" / "model.json").read_text(encoding="utf-8"))
    assert {"tfidf", "bert", "ensemble", "ensemble_lt"} <= set(manifest["paths"])
    metrics = json.loads((d / "base" / "metrics.json").read_text(encoding="utf-8"))
    assert {"lexicon", "tfidf", "bert", "ensemble"} <= set(metrics["heldout"])
    assert manifest["default_path"] in set(manifest["paths"]) | {"lexicon"}
    from nlp import load_classifier

    for path in ("tfidf", "bert", "ensemble"):
        clf = load_classifier(model_dir=d / "base", path=path, cached=False)
        r = clf.classify("送餐太慢了")
        assert r.error is None and r.model == f"{path}-tiny-base"


def test_retrain_from_corrections(tiny_base, tmp_path):
    from nlp import DEFAULT_POINTER
    from nlp.pipeline import retrain_from_corrections

    d, labeled = tiny_base
    before = DEFAULT_POINTER.read_text() if DEFAULT_POINTER.exists() else None
    corrections = write_jsonl(tmp_path / "corrections.jsonl", _rows("c", [
        ("这个价格太贵了", ["price"]), ("客服不理人", ["service"]), ("送错了地址", [L])])
        # a ticket whose reason alone carries the complaint: nothing for the models to learn
        + [{"id": "c-t", "text": "", "reason": "发错货", "complaint": True, "categories": ["quality"],
            "food_safety": False}])
    held = _rows("h", [("太难吃", [T]), ("都烂了", [F]), ("好慢啊", [L]), ("好吃", [])])
    report = retrain_from_corrections(corrections, base_model_dir=d / "base",
                                      out_dir=tmp_path / "new", heldout=held, labeled=labeled,
                                      epochs=1, folds=2, version="tiny-new", promote=True)
    assert report["corrections"] == 3 and report["skipped_without_text"] == 1
    assert report["heldout_rows"] == 4
    # a version's default may be the lexicon when it measured best on the tiny held-out part
    assert report["old"]["version"].endswith("tiny-base") or report["old"]["version"].startswith("lexicon")
    assert report["new"]["version"].endswith("tiny-new") or report["new"]["version"].startswith("lexicon")
    assert isinstance(report["better"], bool)
    # promotion only ever moves the default inside nlp/models
    assert report["promoted"] is False
    assert (DEFAULT_POINTER.read_text() if DEFAULT_POINTER.exists() else None) == before
    new_manifest = json.loads((tmp_path / "new" / "model.json").read_text(encoding="utf-8"))
    assert new_manifest["data"]["corrections"] == 3
    assert (tmp_path / "new" / "retrain_report.json").exists()
    # the transformer started from the base's start checkpoint, not its fine-tuned weights, and
    # the new version keeps that start for the retrain after it
    training = new_manifest["paths"]["bert"]["training"]
    assert training["init"] == str(d / "base" / "bert-start")
    assert training["oof_clean"] is True and training["start"] == "bert-start"
    assert (tmp_path / "new" / "bert-start" / "model.safetensors").exists()


def test_a_model_keeps_the_checkpoint_its_fine_tunings_started_from(tiny_base):
    """In float16 beside the model: the MLM weights here (intermediate-task ones in a full run)."""
    from safetensors.torch import load_file

    d, _ = tiny_base
    training = json.loads((d / "base" / "model.json").read_text(encoding="utf-8"))["paths"]["bert"]["training"]
    assert training["start"] == "bert-start" and training["oof_clean"] is True
    assert training["epochs"] == 1
    start = load_file(str(d / "base" / "bert-start" / "model.safetensors"))
    mlm = load_file(str(d / "mlm" / "model.safetensors"))
    assert set(start) == set(mlm)
    name = "bert.embeddings.word_embeddings.weight"
    assert start[name].dtype.is_floating_point and start[name].element_size() == 2
    assert start[name].float().allclose(mlm[name], atol=1e-2)
    assert json.loads((d / "base" / "bert-start" / "stage.json").read_text())["stage"] == "mlm"


def test_a_fine_tuned_model_is_not_kept_as_a_start(tiny_base, tmp_path):
    from nlp.train_bert import is_clean_start, save_start

    d, _ = tiny_base
    assert is_clean_start(d / "base" / "bert-start") and not is_clean_start(d / "base" / "bert")
    with pytest.raises(ValueError, match="not an MLM or intermediate"):
        save_start(d / "base" / "bert", tmp_path / "start")


def test_a_base_without_a_start_is_fine_tuned_further_and_says_so(tiny_base, tmp_path):
    """Versions before 2026.12.11 keep no start: the retrain falls back to the base's fine-tuned
    weights, and its manifest says its out-of-fold transformer scores are not clean."""
    import shutil

    from nlp.pipeline import retrain_from_corrections

    d, labeled = tiny_base
    old = tmp_path / "old"
    shutil.copytree(d / "base", old, ignore=shutil.ignore_patterns("bert-start"))
    manifest = json.loads((old / "model.json").read_text(encoding="utf-8"))
    del manifest["paths"]["bert"]["training"]["start"]
    (old / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    corrections = _rows("c", [("这个价格太贵了", ["price"])])
    retrain_from_corrections(corrections, base_model_dir=old, out_dir=tmp_path / "new",
                             heldout=_rows("h", [("太难吃", [T]), ("好慢啊", [L])]),
                             labeled=labeled, folds=2, version="tiny-old")
    training = json.loads((tmp_path / "new" / "model.json").read_text(encoding="utf-8"))["paths"]["bert"]["training"]
    assert training["init"] == str(old / "bert") and training["oof_clean"] is False
    assert "start" not in training and not (tmp_path / "new" / "bert-start").exists()
    assert training["epochs"] == 3.0  # the old default for a further fine-tuning


def test_a_retrain_asks_for_the_weak_negatives_its_base_had(tiny_base, tmp_path):
    """Without them a retrained version would see thousands fewer non-complaints than the base it
    is compared with; manifests before 2026.12.07 record only how many were used."""
    from nlp.fpcheck import WEAK_NEGATIVES_DEFAULT
    from nlp.pipeline import _weak_negatives_of

    d, _ = tiny_base
    manifest = json.loads((d / "base" / "model.json").read_text(encoding="utf-8"))
    assert manifest["data"]["weak_negatives_requested"] == 0
    assert _weak_negatives_of(d / "base", manifest) == 0
    assert _weak_negatives_of(tmp_path, {"data": {"weak_negatives_requested": 1200}}) == 1200
    (tmp_path / "metrics.json").write_text(json.dumps({"weak_negatives": 2732}), encoding="utf-8")
    assert _weak_negatives_of(tmp_path, {"data": {}}) == WEAK_NEGATIVES_DEFAULT
    (tmp_path / "metrics.json").write_text(json.dumps({"weak_negatives": 0}), encoding="utf-8")
    assert _weak_negatives_of(tmp_path, {"data": {}}) == 0


def test_the_cli_retrains_from_several_files_and_team_labels(tiny_base, tmp_path, capsys):
    """`python -m nlp retrain --corrections A B --corpus-labels L`: team labels (ids and labels)
    join their texts from the corpus and count as corrections."""
    from nlp.cli import main
    from nlp.data import text_digest

    d, labeled = tiny_base
    a = write_jsonl(tmp_path / "a.jsonl", _rows("a", [("这个价格太贵了", ["price"])]))
    b = write_jsonl(tmp_path / "b.jsonl", _rows("b", [("客服不理人", ["service"]), ("好吃", [])]))
    corpus = write_jsonl(tmp_path / "corpus.jsonl", [{"id": "k1", "text": "送错了地址"}, {"id": "k2", "text": "不相干"}])
    team = write_jsonl(tmp_path / "team.jsonl", [{"id": "k1", "complaint": True, "categories": [L],
                                                  "food_safety": False, "text_sha1": text_digest("送错了地址")}])
    held = write_jsonl(tmp_path / "held.jsonl", _rows("h", [("太难吃", [T]), ("好慢啊", [L]), ("好吃", [])]))
    argv = ["retrain", "--base", str(d / "base"), "--out", str(tmp_path / "new"), "--heldout", str(held),
            "--labeled", str(labeled), "--epochs", "1", "--folds", "2", "--version", "tiny-cli"]
    assert main(argv + ["--corrections", str(a), str(b), "--corpus-labels", str(team), "--corpus", str(corpus)]) == 0
    capsys.readouterr()
    report = json.loads((tmp_path / "new" / "retrain_report.json").read_text(encoding="utf-8"))
    assert report["corrections"] == 4
    # "好吃" is also a held-out text: trained on are the other three
    assert json.loads((tmp_path / "new" / "model.json").read_text(encoding="utf-8"))["data"]["corrections"] == 3
    assert main(argv) == 2 and "--corrections" in capsys.readouterr().err
    assert main(argv + ["--corpus-labels", str(team), "--corpus", str(tmp_path / "none.jsonl")]) == 2


def test_retrain_rejects_bad_corrections(tiny_base, tmp_path):
    from nlp.pipeline import retrain_from_corrections

    d, labeled = tiny_base
    with pytest.raises(ValueError, match="unknown categories"):
        retrain_from_corrections([{"id": 1, "text": "x", "categories": ["smell"]}],
                                 base_model_dir=d / "base", out_dir=tmp_path / "x",
                                 heldout=[], labeled=labeled)


def test_team_labeled_rows_join_training_but_never_a_held_out_text(tmp_path):
    from nlp.pipeline import train_model

    labeled = write_jsonl(tmp_path / "labeled.jsonl", _rows("t", TEXTS))
    held = _rows("h", [("太难吃", [T]), ("都烂了", [F]), ("好慢啊", [L]), ("好吃", [])])
    team = _rows("c", [("等了一个小时才送到", [L]), ("都烂了", [F]), ("苹果很甜", [])])
    manifest = train_model(tmp_path / "m", labeled=labeled, corpus=None, bert=False,
                           sentiment=False, folds=2, heldout_rows=held, corpus_label_rows=team,
                           version="tiny-team", runs_dir=tmp_path / "runs")
    # "都烂了" is a held-out text: that team row is left out, the other two are trained on
    assert manifest["data"]["corpus_labels"] == 2
    assert manifest["data"]["train_rows"] == len(TEXTS) - round(len(TEXTS) * 0.2) + 2


def test_validation_rows_are_scored_and_never_trained_on(tmp_path):
    from nlp.pipeline import train_model

    labeled = write_jsonl(tmp_path / "labeled.jsonl", _rows("t", TEXTS))
    held = _rows("h", [("太难吃", [T]), ("好慢啊", [L]), ("好吃", [])])
    validation = _rows("v", [("都烂了", [F]), ("送了两个小时", [L]), ("很新鲜", [])])
    team = _rows("c", [("等了一个小时才送到", [L]), ("都烂了", [F])])
    weak = [{"id": "w1", "text": "很新鲜"}, {"id": "w2", "text": "挺甜的"}]
    manifest = train_model(tmp_path / "m", labeled=labeled, corpus=None, bert=False,
                           sentiment=False, folds=2, heldout_rows=held, corpus_label_rows=team,
                           validation_rows=validation, version="tiny-val", weak_rows=weak,
                           runs_dir=tmp_path / "runs")
    # "都烂了" and "很新鲜" are validation texts: that team row and that weak negative are left out
    assert manifest["data"]["corpus_labels"] == 1
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["weak_negatives"] == 1
    assert manifest["data"]["validation_rows"] == 3
    assert set(metrics["validation"]) == set(metrics["heldout"])
    assert all(m["n"] == 3 for m in metrics["validation"].values())


def test_a_soup_is_the_mean_of_its_members_weights(tiny_base, tmp_path):
    """`--bert-soup K`: K fine-tunings from one start, weights averaged into one model."""
    from safetensors.torch import load_file

    from nlp.tfidf import label_matrix
    from nlp.train_bert import train_multilabel_soup

    d, _ = tiny_base
    rows = _rows("s", TEXTS)
    out = train_multilabel_soup(d / "base" / "bert", tmp_path / "soup", [r["text"] for r in rows],
                                label_matrix(rows), seeds=[1, 2], epochs=1)
    a, b, s = (load_file(str(p / "model.safetensors"))
               for p in (tmp_path / "soup-m0", tmp_path / "soup-m1", out))
    name = "classifier.weight"
    assert not a[name].equal(b[name])  # two seeds, two different models
    assert s[name].allclose((a[name] + b[name]) / 2)
    stage = json.loads((out / "stage.json").read_text())
    assert stage["soup_seeds"] == [1, 2]
    from nlp.bert import BertScorer

    assert BertScorer(out, quantize=False).logits(["送餐太慢了"]).shape == (1, 9)


def test_a_soup_retrain_reports_members_and_soup_out_of_fold(tiny_base, tmp_path):
    from nlp.cli import main

    d, labeled = tiny_base
    a = write_jsonl(tmp_path / "a.jsonl", _rows("a", [("这个价格太贵了", ["price"])]))
    held = write_jsonl(tmp_path / "held.jsonl", _rows("h", [("太难吃", [T]), ("好慢啊", [L])]))
    argv = ["retrain", "--base", str(d / "base"), "--out", str(tmp_path / "new"), "--heldout", str(held),
            "--labeled", str(labeled), "--epochs", "1", "--folds", "2", "--version", "tiny-soup",
            "--corrections", str(a)]
    with pytest.raises(SystemExit):
        main(argv + ["--bert-soup", "0"])
    assert main(argv + ["--bert-soup", "2"]) == 0
    training = json.loads((tmp_path / "new" / "model.json").read_text(encoding="utf-8"))["paths"]["bert"]["training"]
    assert training["finetune"]["soup_seeds"] == [13, 1013]
    soup = training["soup_oof_macro_f1"]
    assert len(soup["members"]) == 2 and 0 <= soup["soup"] <= 1
    assert not (tmp_path / "new" / "bert-m0").exists()  # members stay in the runs directory


def test_a_retrain_fine_tunes_for_as_many_epochs_as_its_base(tmp_path):
    from nlp.pipeline import _retrain_start

    (tmp_path / "bert-start").mkdir()
    (tmp_path / "bert-start" / "model.safetensors").write_bytes(b"")
    # a manifest that records its epochs, and one that records only steps and rows (batch 32)
    for training, epochs in (({"epochs": 4.0}, 4.0),
                             ({"finetune": {"steps": 1765, "n": 11295}}, 5.0)):
        manifest = {"paths": {"bert": {"dir": "bert", "training": {"start": "bert-start", **training}}}}
        assert _retrain_start(tmp_path, manifest, None) == (tmp_path / "bert-start", epochs)
        assert _retrain_start(tmp_path, manifest, 2) == (tmp_path / "bert-start", 2.0)


def test_a_retrain_scores_the_validation_round_and_never_trains_on_it(tiny_base, tmp_path, monkeypatch):
    """As `train` does: the new version's metrics have the validation round beside the held-out
    part, and a correction whose text is a validation text is not trained on."""
    from nlp import pipeline
    from nlp.data import text_digest

    d, labeled = tiny_base
    corpus = write_jsonl(tmp_path / "corpus.jsonl", [{"id": "v1", "text": "客服不理人"},
                                                     {"id": "v2", "text": "很新鲜"}])
    rounds = write_jsonl(tmp_path / "validation.jsonl", [
        {"id": "v1", "complaint": True, "categories": ["service"], "food_safety": False,
         "text_sha1": text_digest("客服不理人")},
        {"id": "v2", "complaint": False, "categories": [], "food_safety": False, "text_sha1": text_digest("很新鲜")}])
    monkeypatch.setattr(pipeline, "VALIDATION_ROUNDS", (rounds,))
    corrections = _rows("c", [("这个价格太贵了", ["price"]), ("客服不理人", ["service"])])
    pipeline.retrain_from_corrections(corrections, base_model_dir=d / "base", out_dir=tmp_path / "new",
                                      heldout=_rows("h", [("太难吃", [T]), ("好慢啊", [L])]),
                                      labeled=labeled, epochs=1, folds=2, version="tiny-val", corpus=corpus)
    manifest = json.loads((tmp_path / "new" / "model.json").read_text(encoding="utf-8"))
    assert manifest["data"]["corrections"] == 1 and manifest["data"]["validation_rows"] == 2
    metrics = json.loads((tmp_path / "new" / "metrics.json").read_text(encoding="utf-8"))
    assert all(m["n"] == 2 for m in metrics["validation"].values())


def test_the_default_path_is_ranked_by_targets_met_then_macro_f1():
    """One food-safety text of 15 must not outweigh points of macro-F1 (two clean retrains of
    session 16 picked a TF-IDF path 4.5 points below the ensemble that way); a target met
    still comes first."""
    from nlp.pipeline import select_default

    def m(macro, main4, fs):
        return {"macro_f1": macro, "main4_min_f1": main4, "food_safety_recall": fs}

    paths = {"tfidf": {}, "ensemble": {}}
    heldout = {"lexicon": m(0.74, 0.67, 0.67), "tfidf": m(0.804, 0.829, 0.733),
               "ensemble": m(0.849, 0.839, 0.667)}
    assert select_default(heldout, paths) == "ensemble"
    heldout["tfidf"] = m(0.804, 0.829, 0.933)  # meets the food-safety target too
    assert select_default(heldout, paths) == "tfidf"
    heldout["tfidf"] = m(0.79, 0.88, 0.60)  # meets main4 but misses macro: one target each
    assert select_default(heldout, paths) == "ensemble"
    # the praise gate still removes a path that flags praise
    praise = {"lexicon": None, "tfidf": None,
              "ensemble": {"positive_food_safety": 0.05, "negative_food_safety": 0.05}}
    assert select_default(heldout, paths, praise) == "tfidf"


def test_a_refit_of_a_reused_transformer_keeps_its_start(tiny_base, tmp_path):
    """`bert_reuse`: the stackers refitted on an earlier run's transformer; the start its fold
    models began from is kept, so a later retrain of the refit is clean too."""
    import shutil

    from nlp.pipeline import train_model

    d, labeled = tiny_base
    reuse = tmp_path / "reuse"  # the fold models of the base's run, and its final transformer
    shutil.copytree(d / "runs", reuse, ignore=shutil.ignore_patterns("build"))
    shutil.copytree(d / "base" / "bert", reuse / "final-bert")
    manifest = train_model(tmp_path / "refit", labeled=labeled, folds=2, sentiment=False,
                           bert_reuse=reuse, version="tiny-refit", runs_dir=tmp_path / "runs")
    training = manifest["paths"]["bert"]["training"]
    assert training["reused_from"] == str(reuse)
    assert training["oof_clean"] is True and training["start"] == "bert-start"
    assert (tmp_path / "refit" / "bert-start" / "model.safetensors").exists()
