"""Training the character BERT: MLM pretraining, an intermediate task on the corpus, fine-tuning.

Every stage is seeded, bounded by steps (optionally also by wall-clock minutes) and writes a ``save_pretrained``
directory plus ``train_log.jsonl``. Imports ``transformers`` (only training needs it).
"""
from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path

from .bert import MAX_LEN, build_vocab, make_hf_tokenizer, pad_batch
from .text import normalize

ARCH = dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024,
            max_position_embeddings=MAX_LEN + 2, type_vocab_size=2)


def seed_all(seed: int) -> None:
    import numpy as np  # noqa: PLC0415
    import torch  # noqa: PLC0415

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


class _Log:
    def __init__(self, path: Path):
        self.path = path
        self.fh = open(path, "a", encoding="utf-8")  # noqa: SIM115

    def __call__(self, **kw):
        kw["t"] = round(time.time(), 1)
        self.fh.write(json.dumps(kw, ensure_ascii=False) + "\n")
        self.fh.flush()

    def close(self):
        self.fh.close()


def _batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Length-bucketed batches: sort (with a random tie-break) by length, chunk, shuffle."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches = [order[i: i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def _lr_lambda(warmup: int, total: int):
    def f(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.02, 1.0 - (step - warmup) / max(1, total - warmup))
    return f


def _over(t0: float, max_minutes: float | None) -> bool:
    """A wall-clock safety cap, off by default: a capped stage depends on the machine's speed,
    so its result is not reproducible from the seed alone (``stage.json`` records the steps)."""
    return bool(max_minutes) and time.time() - t0 > max_minutes * 60


def corpus_chunks(texts: list[str], size: int = MAX_LEN - 2) -> list[str]:
    out = []
    for t in texts:
        t = normalize(t)
        if not t:
            continue
        for i in range(0, len(t), size):
            piece = t[i: i + size]
            if len(piece) >= 4:
                out.append(piece)
    return out


def pretrain_mlm(out_dir: str | Path, texts: list[str], *, seed: int = 13, max_steps: int = 2000,
                 max_minutes: float | None = None, batch_size: int = 64, lr: float = 5e-4,
                 arch: dict | None = None, min_freq: int = 3, threads: int = 2,
                 stop_at: int | None = None) -> Path:
    """Masked-language-model pretraining from scratch on ``texts``; builds the vocabulary.

    The learning-rate schedule is planned for ``max_steps``; ``stop_at`` ends the run earlier on
    the same schedule (how a run cut short by a wall-clock cap is reproduced from its seed)."""
    import torch  # noqa: PLC0415
    from transformers import BertConfig, BertForMaskedLM  # noqa: PLC0415

    torch.set_num_threads(threads)
    seed_all(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    log = _Log(out / "train_log.jsonl")
    chunks = corpus_chunks(texts)
    vocab = build_vocab(chunks, min_freq=min_freq)
    tok = make_hf_tokenizer(vocab)
    enc = [e for e in tok(chunks, truncation=True, max_length=MAX_LEN)["input_ids"]]
    log(stage="mlm", chunks=len(chunks), vocab=len(vocab))
    cfg = BertConfig(vocab_size=len(vocab), **(arch or ARCH))
    model = BertForMaskedLM(cfg)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _lr_lambda(min(500, max_steps // 10), max_steps))
    rng = random.Random(seed)
    mask_id, pad_id, n_special = vocab["[MASK]"], vocab["[PAD]"], len([t for t in vocab if t.startswith("[")])
    step, t0, run_loss = 0, time.time(), 0.0
    done = False
    while not done:
        for b in _batches([len(e) for e in enc], batch_size, rng):
            ids, att = pad_batch([enc[i] for i in b], pad_id)
            labels = ids.clone()
            prob = torch.full(ids.shape, 0.15)
            special = ids < n_special
            sel = torch.bernoulli(prob).bool() & ~special
            labels[~sel] = -100
            r = torch.rand(ids.shape)
            inp = ids.clone()
            inp[sel & (r < 0.8)] = mask_id
            rand_sel = sel & (r >= 0.8) & (r < 0.9)
            inp[rand_sel] = torch.randint(n_special, len(vocab), (int(rand_sel.sum()),))
            # the vocabulary head only on the masked positions: the same loss as
            # ``model(..., labels=labels)`` at a fraction of the cost (15 % of the positions)
            hidden = model.bert(input_ids=inp, attention_mask=att).last_hidden_state
            loss = torch.nn.functional.cross_entropy(model.cls(hidden[sel]), labels[sel])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            run_loss += loss.item()
            if step % 50 == 0:
                log(stage="mlm", step=step, loss=round(run_loss / 50, 4), lr=sched.get_last_lr()[0],
                    elapsed=round(time.time() - t0, 1))
                run_loss = 0.0
            if step >= max_steps or (stop_at and step >= stop_at) or _over(t0, max_minutes):
                done = True
                break
    model.save_pretrained(out)
    tok.save_pretrained(out)
    (out / "stage.json").write_text(json.dumps(
        {"stage": "mlm", "steps": step, "planned_steps": max_steps, "seed": seed,
         "minutes": round((time.time() - t0) / 60, 1),
         "chunks": len(chunks), "vocab": len(vocab)}, indent=1))
    log(stage="mlm", done=True, steps=step)
    log.close()
    return out


def _encode(tok_dir: str | Path, texts: list[str]) -> list[list[int]]:
    from .bert import CharTokenizer  # noqa: PLC0415

    return CharTokenizer(tok_dir).encode_batch(texts, normalized=True)


FT_BATCH_SIZE = 32  # fine-tuning batch size: a manifest's steps / ceil(n / this) = its epochs


def train_multilabel(init_dir: str | Path, out_dir: str | Path, texts: list[str], y, *,
                     seed: int = 13, epochs: float = 6.0, batch_size: int = FT_BATCH_SIZE, lr: float = 2e-4,
                     max_minutes: float | None = None, max_steps: int | None = None, threads: int = 2,
                     pos_weight=None, stage: str = "finetune", log_every: int = 20) -> Path:
    """Multi-label (``LABELS``) training from ``init_dir`` (an MLM, intermediate or fine-tuned
    directory); ``texts`` normalized; ``y`` (n, len(LABELS)) 0/1. Saves to ``out_dir``."""
    import numpy as np  # noqa: PLC0415
    import torch  # noqa: PLC0415
    from transformers import BertForSequenceClassification  # noqa: PLC0415
    from transformers.utils import logging as hf_logging  # noqa: PLC0415

    from .base import LABELS  # noqa: PLC0415

    torch.set_num_threads(threads)
    seed_all(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    log = _Log(out / "train_log.jsonl")
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        model = BertForSequenceClassification.from_pretrained(
            init_dir, num_labels=len(LABELS), problem_type="multi_label_classification",
            id2label=dict(enumerate(LABELS)), label2id={k: i for i, k in enumerate(LABELS)})
    finally:
        hf_logging.set_verbosity(verbosity)
    model.float()  # a start kept in float16 (``save_start``) trains in float32
    enc = _encode(init_dir, texts)
    Y = torch.tensor(np.asarray(y), dtype=torch.float32)
    steps_per_epoch = math.ceil(len(enc) / batch_size)
    total = max_steps or max(1, int(steps_per_epoch * epochs))
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _lr_lambda(max(1, total // 10), total))
    pw = torch.tensor(pos_weight, dtype=torch.float32) if pos_weight is not None else None
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pw)
    rng = random.Random(seed)
    step, t0, run = 0, time.time(), 0.0
    done = False
    while not done:
        for b in _batches([len(e) for e in enc], batch_size, rng):
            ids, att = pad_batch([enc[i] for i in b], 0)
            logits = model(input_ids=ids, attention_mask=att).logits
            loss = loss_fn(logits, Y[b])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            run += loss.item()
            if step % log_every == 0:
                log(stage=stage, step=step, total=total, loss=round(run / log_every, 4),
                    elapsed=round(time.time() - t0, 1))
                run = 0.0
            if step >= total or _over(t0, max_minutes):
                done = True
                break
    model.eval()
    model.save_pretrained(out)
    # keep the tokenizer files next to the weights
    for name in ("tokenizer.json", "tokenizer_config.json"):
        src = Path(init_dir) / name
        if src.exists():
            (out / name).write_bytes(src.read_bytes())
    (out / "stage.json").write_text(json.dumps(
        {"stage": stage, "steps": step, "planned_steps": total, "seed": seed, "n": len(enc),
         "init": str(init_dir), "minutes": round((time.time() - t0) / 60, 2)}, indent=1))
    log(stage=stage, done=True, steps=step)
    log.close()
    return out


def average_weights(member_dirs: list[Path], out_dir: str | Path) -> Path:
    """Uniform weight average (a "model soup") of fine-tunings that started from one checkpoint
    and differ only in seed: one model, so inference costs what a single one does. Non-float
    tensors (none in BERT today) are taken from the first member. Saves to ``out_dir``."""
    import shutil  # noqa: PLC0415

    from safetensors.torch import load_file, save_file  # noqa: PLC0415

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    states = [load_file(str(Path(d) / "model.safetensors")) for d in member_dirs]
    avg = {}
    for name, t in states[0].items():
        if t.is_floating_point():
            avg[name] = sum(s[name].double() for s in states).div(len(states)).to(t.dtype)
        else:
            avg[name] = t.clone()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        src = Path(member_dirs[0]) / name
        if src.exists():
            shutil.copyfile(src, out / name)
    save_file(avg, str(out / "model.safetensors"), metadata={"format": "pt"})
    return out


def train_multilabel_soup(init_dir: str | Path, out_dir: str | Path, texts: list[str], y, *,
                          seeds: list[int], members_dir: str | Path | None = None,
                          **kw) -> Path:
    """``train_multilabel`` once per seed, then the members' weights averaged into ``out_dir``
    (one seed: a plain fine-tuning). Members are kept in ``members_dir`` (default: beside
    ``out_dir``) as ``<name>-m<i>``, so a caller can compare them with the soup."""
    out = Path(out_dir)
    if len(seeds) == 1:
        return train_multilabel(init_dir, out, texts, y, seed=seeds[0], **kw)
    root = Path(members_dir) if members_dir else out.parent
    members = [train_multilabel(init_dir, root / f"{out.name}-m{i}", texts, y, seed=s, **kw)
               for i, s in enumerate(seeds)]
    average_weights(members, out)
    stages = [json.loads((m / "stage.json").read_text()) for m in members]
    (out / "stage.json").write_text(json.dumps(
        {**stages[0], "seed": seeds[0], "soup_seeds": list(seeds),
         "minutes": round(sum(s["minutes"] for s in stages), 2)}, indent=1))
    return out


#: Stages whose weights have seen no labeled row: a fine-tuning may start from them out of fold.
CLEAN_STAGES = ("mlm", "intermediate")


def is_clean_start(model_dir: str | Path) -> bool:
    """True when ``model_dir`` is an MLM or intermediate-task checkpoint (``stage.json``)."""
    stage = Path(model_dir) / "stage.json"
    return stage.exists() and json.loads(stage.read_text()).get("stage") in CLEAN_STAGES


def keep_start(candidates: list[Path], out_dir: str | Path) -> bool:
    """``save_start`` the first clean checkpoint of ``candidates`` into ``out_dir``; False when
    none is clean (the fine-tuning began from weights that had seen labeled rows)."""
    for start in candidates:
        if is_clean_start(start):
            save_start(start, out_dir)
            return True
    return False


def save_start(init_dir: str | Path, out_dir: str | Path) -> Path:
    """Keep the checkpoint a fine-tuning started from (``is_clean_start``) beside the model, its
    float weights in float16 (half the size; rounding a start costs a fine-tuning nothing), so
    that ``retrain`` can fine-tune its fold models from it: starting them from the fine-tuned
    model instead leaks the rows it was trained on into the out-of-fold scores."""
    import shutil  # noqa: PLC0415

    import torch  # noqa: PLC0415
    from safetensors.torch import load_file, save_file  # noqa: PLC0415

    src, out = Path(init_dir), Path(out_dir)
    if not is_clean_start(src):
        raise ValueError(f"{src} is not an MLM or intermediate-task checkpoint")
    out.mkdir(parents=True, exist_ok=True)
    state = load_file(str(src / "model.safetensors"))
    half = {k: (t.to(torch.float16) if t.is_floating_point() else t).contiguous()
            for k, t in state.items()}
    save_file(half, str(out / "model.safetensors"), metadata={"format": "pt"})
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "stage.json"):
        if (src / name).exists():
            shutil.copyfile(src / name, out / name)
    return out


def tiny_mlm_dir(out_dir: str | Path, texts: list[str], seed: int = 0) -> Path:
    """A tiny untrained BERT (1 layer, 32 wide) with a vocabulary from ``texts``: for tests."""
    return pretrain_mlm(out_dir, texts, seed=seed, max_steps=1, max_minutes=1, batch_size=8,
                        arch=dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                  intermediate_size=64, max_position_embeddings=MAX_LEN + 2,
                                  type_vocab_size=2), min_freq=1)
