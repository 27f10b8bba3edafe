"""Speed and memory figures of the nlp package (run by hand, not a test).

    .venv/bin/python bench/nlp_bench.py [--n 10000] [--model DIR] [--json]

On 10,000 texts of ``../shared/data/corpus/reviews.jsonl`` (a fixed-seed sample), in one run:
bare ``jieba.lcut`` vs the lexicon classifier (characters/s and the ratio), the transformer path
(texts/s, batched, sorted by length, int8), the TF-IDF and ensemble paths, model load time in a
fresh process, and peak memory (max RSS) of a fresh process that loads the default model and
classifies the texts with it.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nlp.data import CORPUS, read_jsonl  # noqa: E402


def sample_texts(n: int, seed: int = 7) -> list[str]:
    rows = [r["text"] for r in read_jsonl(CORPUS) if r.get("text")]
    random.Random(seed).shuffle(rows)
    return rows[:n]


def timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


def fresh_process(code: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--model", help="model directory (default: the shipped default)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not CORPUS.exists():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    import torch

    torch.set_num_threads(2)
    texts = sample_texts(args.n)
    chars = sum(len(t) for t in texts)
    res: dict = {"texts": len(texts), "chars": chars, "threads": torch.get_num_threads(),
                 "load_average_1m_at_start": round(__import__("os").getloadavg()[0], 2)}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jieba
    jieba.setLogLevel(60)
    jieba.initialize()
    from nlp import load_classifier
    from nlp.bert import BertScorer
    from nlp.classifier import ModelClassifier

    lex = load_classifier("lexicon")
    items = [{"id": i, "text": t} for i, t in enumerate(texts)]
    # jieba and the lexicon alternately, three times each, best time of each: on a shared machine
    # one pass of either can be slowed by a neighbour, which a single pair would take as the ratio
    t_jieba = t_lex = float("inf")
    for _ in range(3):
        t_jieba = min(t_jieba, timed(lambda: [jieba.lcut(t) for t in texts])[1])
        t_lex = min(t_lex, timed(lex.classify_batch, items)[1])
    res["jieba_lcut_chars_per_s"] = round(chars / t_jieba)

    res["lexicon_chars_per_s"] = round(chars / t_lex)
    res["lexicon_texts_per_s"] = round(len(texts) / t_lex)
    res["lexicon_vs_jieba"] = round(t_jieba / t_lex, 3)

    model_dir = Path(args.model) if args.model else None
    default = load_classifier(model_dir=model_dir)
    mdir = default.model_dir
    res["default_model"] = default.version
    manifest = default.manifest
    if "bert" in manifest["paths"]:
        scorer = BertScorer(mdir / manifest["paths"]["bert"]["dir"], quantize=True)
        res["transformer_backend"] = scorer.backend  # onnxruntime (int8 ONNX) or torch
        scorer.scores(texts[:256])  # warm-up
        _, t_bert = timed(scorer.scores, texts)
        res["transformer_texts_per_s"] = round(len(texts) / t_bert)
        _, t_bert = timed(scorer.scores, texts)  # every batch shape seen once already
        res["transformer_texts_per_s_2nd_pass"] = round(len(texts) / t_bert)
        bert_path = ModelClassifier(mdir, path="bert", lexicon=lex)
        _, t = timed(bert_path.classify_batch, items)
        res["transformer_path_classify_texts_per_s"] = round(len(texts) / t)
    for path in ("tfidf", "ensemble_lt", "ensemble"):
        if path in manifest["paths"]:
            clf = ModelClassifier(mdir, path=path, lexicon=lex)
            _, t = timed(clf.classify_batch, items)
            res[f"{path}_classify_texts_per_s"] = round(len(texts) / t)

    md = repr(str(mdir))
    load = fresh_process(textwrap.dedent(f"""
        import json, time
        t0 = time.perf_counter()
        from nlp import load_classifier
        clf = load_classifier(model_dir={md})
        t1 = time.perf_counter()
        clf.classify_batch([{{"id": 1, "text": "送餐太慢了"}}])
        t2 = time.perf_counter()
        print(json.dumps({{"load_s": round(t1 - t0, 3), "first_item_s": round(t2 - t1, 3)}}))
    """))
    res["model_load_s"] = load["load_s"]
    res["first_classify_s"] = load["first_item_s"]
    mem = fresh_process(textwrap.dedent(f"""
        import json, random, resource, sys
        sys.path.insert(0, {str(REPO)!r})
        from nlp import load_classifier
        from nlp.data import CORPUS, read_jsonl
        rows = [r["text"] for r in read_jsonl(CORPUS) if r.get("text")]
        random.Random(7).shuffle(rows)
        clf = load_classifier(model_dir={md})
        texts = rows[:{args.n}]
        for i in range(0, len(texts), 200):
            clf.classify_batch([{{"id": j, "text": t}} for j, t in enumerate(texts[i:i + 200])])
        # VmHWM: this process's own peak (ru_maxrss would include the forking parent's)
        hwm = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
        print(json.dumps({{"peak_rss_mb": round(hwm / 1024)}}))
    """))
    res["peak_rss_mb_default_model"] = mem["peak_rss_mb"]
    res["peak_rss_mb_this_bench"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    res["load_average_1m_at_end"] = round(__import__("os").getloadavg()[0], 2)

    if args.json:
        print(json.dumps(res, indent=1))
    else:
        width = max(len(k) for k in res)
        for k, v in res.items():
            print(f"{k:<{width}}  {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
