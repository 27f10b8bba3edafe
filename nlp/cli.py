"""``python -m nlp {classify,evaluate,fpcheck,train,retrain}``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .fpcheck import WEAK_NEGATIVES_DEFAULT

BATCH = 128


def _load(model: str | None, path: str | None):
    from . import load_classifier  # noqa: PLC0415

    if model == "lexicon":
        return load_classifier("lexicon")
    return load_classifier(model_dir=model, path=path)


def _json_line(row: dict) -> str:
    """One output line; a lone surrogate (an id written as "\\ud800") cannot be UTF-8, so that
    line is written with ASCII escapes, which any JSON reader turns back into the same value."""
    line = json.dumps(row, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(row)
    return line + "\n"


def _input_lines(path: str):
    """``(line number, line)`` of the non-blank lines of a JSONL file or ``-`` (stdin), decoded
    as ``data.read_text`` does (UTF-8 with or without BOM, or GB18030)."""
    from .data import decode_text, read_text, text_lines  # noqa: PLC0415

    return text_lines(decode_text(sys.stdin.buffer.read(), "stdin") if path == "-" else read_text(path))


def cmd_classify(args) -> int:
    from .base import error_result  # noqa: PLC0415
    from .data import InputError, parse_jsonl_line  # noqa: PLC0415

    lines = _input_lines(args.inp)  # read (and checked) before the output file is opened
    clf = _load(args.model, args.path)
    n = bad = 0
    dst = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")  # noqa: SIM115
    try:
        batch: list = []  # input items, or a ready error result for a line that is no object

        def flush():
            nonlocal n, bad
            items = [b for b in batch if isinstance(b, dict)]
            done = iter(clf.classify_batch(items)) if items else iter(())
            for b in batch:
                r = next(done) if isinstance(b, dict) else b
                dst.write(_json_line(r.to_dict()))
                n += 1
                bad += r.error is not None
            batch.clear()

        for lineno, line in lines:
            try:
                batch.append(parse_jsonl_line(line, lineno, args.inp))
            except InputError as exc:  # kept in place, with the reason, so outputs stay aligned
                batch.append(error_result(f"line-{lineno}", str(exc), clf.version))
            if len(batch) >= args.batch_size:
                flush()
        if batch:
            flush()
    finally:
        if dst is not sys.stdout:
            dst.close()
    print(f"classified {n} items with {clf.version} ({bad} with errors)", file=sys.stderr)
    return 0


def cmd_evaluate(args) -> int:
    from .evaluate import compute_metrics, dumps, format_table, load_gold  # noqa: PLC0415

    gold, problems = load_gold(args.gold)
    for msg in problems[:20]:
        print(f"skipped {msg}", file=sys.stderr)
    if len(problems) > 20:
        print(f"... and {len(problems) - 20} more lines skipped", file=sys.stderr)
    clf = _load(args.model, args.path)
    preds = []
    for i in range(0, len(gold), BATCH):
        chunk = gold[i: i + BATCH]
        items = [{"id": g.get("id"), "text": g.get("text"), "rating": g.get("rating"),
                  "reason": g.get("reason")} for g in chunk]
        preds.extend(r.to_dict() for r in clf.classify_batch(items))
    m = compute_metrics(gold, preds)
    m["model"] = clf.version
    m["skipped_lines"] = len(problems)
    fp = None
    if args.negatives_from_corpus:
        from .data import CORPUS  # noqa: PLC0415
        from .fpcheck import check, format_report  # noqa: PLC0415

        if CORPUS.exists():
            fp = check(clf, CORPUS)
            m["praise_check"] = fp
        else:
            print(f"corpus not found: {CORPUS}; praise check skipped", file=sys.stderr)
    if args.json:
        print(dumps(m))
    else:
        print(format_table(m, f"{clf.version} on {args.gold}"))
        if fp is not None:
            print(format_report(fp))
    return 0


def cmd_fpcheck(args) -> int:
    from .data import CORPUS  # noqa: PLC0415
    from .fpcheck import N_NEG, N_POS, check, format_report  # noqa: PLC0415

    corpus = Path(args.corpus) if args.corpus else CORPUS
    if not corpus.exists():
        print(f"corpus not found: {corpus} (语料不存在，跳过误报检查)", file=sys.stderr)
        return 0
    clf = _load(args.model, args.path)
    m = check(clf, corpus, n_pos=args.n_pos or N_POS, n_neg=args.n_neg or N_NEG,
              examples=args.examples)
    if args.json:
        print(json.dumps(m, ensure_ascii=False, indent=1))
    else:
        print(format_report(m))
        for e in m.get("positive_flagged_examples", []):
            print(f"  {e['id']}\t{'+'.join(e['categories'])}{' FS' if e['food_safety'] else ''}\t{e['text']}")
    return 0


def cmd_train(args) -> int:
    from . import DEFAULT_POINTER, MODELS_DIR  # noqa: PLC0415
    from .pipeline import train_model  # noqa: PLC0415

    import datetime as dt  # noqa: PLC0415

    version = args.version or dt.date.today().strftime("%Y.%m.%d")
    out = Path(args.out) if args.out else MODELS_DIR / version
    weak = None
    if args.weak_negatives:
        from .fpcheck import weak_negatives  # noqa: PLC0415

        weak = weak_negatives(args.corpus, n=args.weak_negatives, seed=args.seed)
    from .data import load_corpus_labels  # noqa: PLC0415

    team = []
    if not args.no_corpus_labels:
        team = load_corpus_labels(args.corpus_labels, args.corpus)
        if any(Path(p).exists() for p in args.corpus_labels) and not team:
            print(f"note: no labeled corpus rows joined ({args.corpus} absent?)", file=sys.stderr)
    validation = (load_corpus_labels(args.validation_labels, args.corpus)
                  if args.validation_labels else [])
    train_model(out, weak_rows=weak, corpus_label_rows=team, validation_rows=validation,
                labeled=args.labeled, corpus=args.corpus, seed=args.seed, folds=args.folds,
                mlm_dir=args.mlm_dir, mlm_minutes=args.mlm_minutes, mlm_steps=args.mlm_steps,
                mlm_stop_at=args.mlm_stop_at,
                intermediate=not args.no_intermediate, inter_minutes=args.inter_minutes,
                inter_texts=args.inter_texts,
                ft_epochs=args.epochs, ft_lr=args.lr, ft_minutes=args.ft_minutes, bert=not args.no_bert, version=version,
                sentiment=not args.no_sentiment, complaint_share=_share(args.complaint_share),
                bert_soup=args.bert_soup)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    for part in ("heldout", "validation"):
        if metrics.get(part):
            print(part, json.dumps({p: {k: m[k] for k in ("macro_f1", "main4_min_f1",
                                                           "food_safety_recall")}
                                    for p, m in metrics[part].items()}, indent=1))
    if args.set_default:
        if out.parent.resolve() != MODELS_DIR.resolve():
            print("--set-default needs the model under nlp/models/", file=sys.stderr)
            return 2
        DEFAULT_POINTER.write_text(out.name + "\n", encoding="utf-8")
        print(f"default model is now {out.name}", file=sys.stderr)
    return 0


def cmd_retrain(args) -> int:
    from .data import load_corpus_labels, read_jsonl  # noqa: PLC0415
    from .pipeline import retrain_from_corrections  # noqa: PLC0415

    if not args.corrections and not args.corpus_labels:
        print("give --corrections FILE... and/or --corpus-labels FILE...", file=sys.stderr)
        return 2
    rows = [r for path in args.corrections for r in read_jsonl(path)]
    if args.corpus_labels:  # team-labeled corpus reviews: ids and labels, the texts from the corpus
        team = load_corpus_labels(args.corpus_labels, args.corpus)
        if not team:
            print(f"no labeled corpus review found ({args.corpus} absent?)", file=sys.stderr)
            return 2
        rows += [{k: r[k] for k in ("id", "text", "complaint", "categories", "food_safety")} for r in team]
    report = retrain_from_corrections(
        rows, base_model_dir=args.base, out_dir=args.out, promote=args.promote,
        heldout=args.heldout, epochs=args.epochs, folds=args.folds, seed=args.seed,
        labeled=args.labeled, version=args.version, complaint_share=_share(args.complaint_share),
        bert_soup=args.bert_soup)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


def _share(value: float) -> float | None:
    return value or None  # 0: off


def _share_arg(text: str) -> float:
    value = float(text)
    if not (value == 0 or 0 < value < 1):
        raise argparse.ArgumentTypeError(f"{text}: a share between 0 and 1 (0 turns the weights off)")
    return value


def _soup_arg(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: the number of fine-tunings to average (1 or more)")
    return value


def _add_soup_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bert-soup", type=_soup_arg, default=1, metavar="K",
                        help="fine-tune the transformer K times (seeds SEED + 1000 i) and average "
                             "the weights: one model's speed, less of one seed's luck (default 1)")


def _add_share_option(parser: argparse.ArgumentParser) -> None:
    from .pipeline import COMPLAINT_SHARE  # noqa: PLC0415

    parser.add_argument("--complaint-share", type=_share_arg, default=COMPLAINT_SHARE,
                        help="when complaints are more than this share of the training rows, "
                             "non-complaint rows weigh more in the stackers and thresholds, so "
                             f"praise is not called a complaint more often (default {COMPLAINT_SHARE}; "
                             "0: every row weighs 1)")


def build_parser() -> argparse.ArgumentParser:
    from .data import CORPUS, CORPUS_LABEL_ROUNDS, LABELED, VALIDATION_ROUNDS  # noqa: PLC0415

    p = argparse.ArgumentParser(prog="python -m nlp", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)

    c = sub.add_parser("classify", help="classify a JSONL file of {id, text, rating?}")
    c.add_argument("--in", dest="inp", required=True, help="input JSONL ('-' for stdin)")
    c.add_argument("--out", required=True, help="output JSONL ('-' for stdout)")
    c.add_argument("--model", help="model directory or 'lexicon' (default: the shipped model)")
    c.add_argument("--path", help="tfidf, bert, ensemble_lt or ensemble (default: the model's best)")
    c.add_argument("--batch-size", type=int, default=BATCH)
    c.set_defaults(func=cmd_classify)

    e = sub.add_parser("evaluate", help="metrics against a gold JSONL file")
    e.add_argument("--gold", required=True)
    e.add_argument("--model")
    e.add_argument("--path")
    e.add_argument("--json", action="store_true")
    e.add_argument("--negatives-from-corpus", action="store_true",
                   help="also run the praise / false-positive check (see fpcheck)")
    e.set_defaults(func=cmd_evaluate)

    f = sub.add_parser("fpcheck", help="praise / false-positive check on corpus reviews (外卖, 水果)")
    f.add_argument("--model", help="model directory or 'lexicon' (default: the shipped model)")
    f.add_argument("--path")
    f.add_argument("--corpus", help="corpus JSONL (default ../shared/data/corpus/reviews.jsonl)")
    f.add_argument("--n-pos", type=int)
    f.add_argument("--n-neg", type=int)
    f.add_argument("--examples", type=int, default=0, help="print this many flagged positives")
    f.add_argument("--json", action="store_true")
    f.set_defaults(func=cmd_fpcheck)

    t = sub.add_parser("train", help="train a new model version (all paths) with its metrics")
    t.add_argument("--out", help="model directory (default nlp/models/<version>)")
    t.add_argument("--version")
    t.add_argument("--labeled", default=str(LABELED))
    t.add_argument("--corpus", default=str(CORPUS))
    t.add_argument("--seed", type=int, default=13)
    t.add_argument("--folds", type=int, default=4)
    t.add_argument("--mlm-dir", help="reuse this MLM-pretrained directory")
    t.add_argument("--mlm-steps", type=int, default=3000, help="steps the MLM schedule is planned for")
    t.add_argument("--mlm-stop-at", type=int, default=None,
                   help="end MLM at this step on the same schedule (reproduces a capped run)")
    t.add_argument("--no-intermediate", action="store_true",
                   help="skip the intermediate task (weak corpus labels) before fine-tuning")
    # wall-clock safety caps, off by default: a capped stage is not reproducible from the seed
    t.add_argument("--mlm-minutes", type=float, default=None, help="optional wall-clock cap")
    t.add_argument("--inter-minutes", type=float, default=None, help="optional wall-clock cap")
    t.add_argument("--inter-texts", type=int, default=40000)
    t.add_argument("--epochs", type=float, default=5.0, help="fine-tuning epochs (shipped model: 5)")
    t.add_argument("--lr", type=float, default=3e-4)
    t.add_argument("--ft-minutes", type=float, default=None,
                   help="optional wall-clock cap per fine-tuning run")
    t.add_argument("--weak-negatives", type=int, default=WEAK_NEGATIVES_DEFAULT,
                   help="add N corpus praise reviews (外卖/水果) the lexicon finds nothing in as "
                        "non-complaint rows to the train side (shipped model: 3000)")
    t.add_argument("--corpus-labels", nargs="+", default=[str(p) for p in CORPUS_LABEL_ROUNDS],
                   help="the team's labels for corpus reviews, one file per round (ids + labels; "
                        "texts from --corpus; default: the shipped model's rounds, "
                        "data.CORPUS_LABEL_ROUNDS)")
    t.add_argument("--no-corpus-labels", action="store_true",
                   help="train on the labeled set's training part only")
    t.add_argument("--validation-labels", nargs="*", default=[str(p) for p in VALIDATION_ROUNDS],
                   help="team-labeled corpus reviews scored like the held-out part and never "
                        "trained on (default: the validation round in nlp/resources; none: off)")
    t.add_argument("--no-bert", action="store_true")
    t.add_argument("--no-sentiment", action="store_true")
    t.add_argument("--set-default", action="store_true", help="point nlp/models/DEFAULT at it")
    _add_share_option(t)
    _add_soup_option(t)
    t.set_defaults(func=cmd_train)

    r = sub.add_parser("retrain", help="fine-tune a new version from manager corrections")
    r.add_argument("--corrections", nargs="+", metavar="FILE", default=[],
                   help="JSONL in the gold format (one file or several)")
    r.add_argument("--corpus-labels", nargs="+", metavar="FILE", default=[],
                   help="team-label files (nlp/resources/corpus_labels_*.jsonl) to add as corrections, "
                        "their texts joined from --corpus")
    r.add_argument("--corpus", default=str(CORPUS))
    r.add_argument("--base", help="base model directory (default: the shipped default)")
    r.add_argument("--out", help="new model directory (default nlp/models/<timestamp>)")
    r.add_argument("--heldout", help="gold JSONL both versions are compared on "
                                     "(default: the held-out split of the labeled data)")
    r.add_argument("--labeled", default=str(LABELED))
    r.add_argument("--promote", action="store_true", help="make it the default if it is better")
    r.add_argument("--epochs", type=float, default=None,
                   help="fine-tuning epochs (default: the base's own; 3 for a base that keeps "
                        "no start checkpoint)")
    r.add_argument("--folds", type=int, default=3)
    r.add_argument("--seed", type=int, default=13)
    r.add_argument("--version")
    _add_share_option(r)
    _add_soup_option(r)
    r.set_defaults(func=cmd_retrain)
    return p


def main(argv: list[str] | None = None) -> int:
    from .data import InputError  # noqa: PLC0415

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (InputError, OSError) as exc:  # a bad path or file: a message, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
