"""The small character BERT: tokenizer files, a light inference module, batching.

Training uses ``transformers`` (``BertForMaskedLM`` / ``BertForSequenceClassification``, see
``nlp.train``) and writes a standard ``save_pretrained`` directory. Inference here reads the same
files without importing ``transformers`` (its import alone takes ~3 s on this CPU): the
``tokenizer.json`` through the ``tokenizers`` library (what ``BertTokenizer`` wraps in 5.x) and
``model.safetensors`` into a ~100-line re-implementation of the BERT encoder. A test checks it
gives the same logits as ``transformers``.

The int8 model the classifier runs is that encoder exported to ONNX and dynamically quantized
(``model.int8.onnx``, written by ``export_onnx`` at training time), run by ONNX Runtime: no torch
import at load (torch's import alone took about half of the default model's load time) and 1.5x
the texts/s of torch's dynamic quantization here. Without that file (an older model directory, or
``quantize=False``) the torch module is used, int8-quantized by torch when asked.
"""
from __future__ import annotations

import json
import logging
import math
import os
import warnings
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from .text import normalize

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
MAX_LEN = 128  # tokens including [CLS] and [SEP]


def build_vocab(texts: Iterable[str], min_freq: int = 3, max_size: int = 8000) -> dict[str, int]:
    """Character vocabulary over normalized texts; ASCII letters/digits also get ``##x`` forms
    so the WordPiece step of ``BertTokenizer`` splits Latin words into characters."""
    counts: Counter[str] = Counter()
    for t in texts:
        counts.update(ch for ch in normalize(t) if not ch.isspace())
    chars = [c for c, n in counts.most_common(max_size) if n >= min_freq]
    vocab: dict[str, int] = {}
    for tok in SPECIALS + chars:
        vocab.setdefault(tok, len(vocab))
    for c in "abcdefghijklmnopqrstuvwxyz0123456789":
        vocab.setdefault(c, len(vocab))
        vocab.setdefault("##" + c, len(vocab))
    return vocab


def make_hf_tokenizer(vocab: dict[str, int]):
    """A ``transformers.BertTokenizer`` over ``vocab``. Note: with transformers 5.x it must be
    built with ``vocab=`` (``vocab_file=`` silently leaves the vocabulary empty)."""
    from transformers import BertTokenizer  # noqa: PLC0415

    return BertTokenizer(vocab=dict(vocab), do_lower_case=True, tokenize_chinese_chars=True,
                         model_max_length=MAX_LEN)


class CharTokenizer:
    """Fast encoder over the saved ``tokenizer.json`` (the ``tokenizers`` library)."""

    def __init__(self, path: str | Path):
        from tokenizers import Tokenizer  # noqa: PLC0415

        path = Path(path)
        if path.is_dir():
            path = path / "tokenizer.json"
        self._tok = Tokenizer.from_file(str(path))
        self._tok.no_padding()
        self._tok.enable_truncation(MAX_LEN)
        self.pad_id = self._tok.token_to_id("[PAD]")
        self.vocab_size = self._tok.get_vocab_size()

    def encode_batch(self, texts: list[str], normalized: bool = False) -> list[list[int]]:
        if not normalized:
            texts = [normalize(t) for t in texts]
        return [e.ids for e in self._tok.encode_batch(texts)]

    def decode(self, ids: list[int]) -> str:
        return self._tok.decode(ids)


def _pad_numpy(seqs: list[list[int]], pad_id: int = 0):
    """Right-padded int64 ids and the attention mask (1 for a real token) for one batch."""
    import numpy as np  # noqa: PLC0415

    ids = np.full((len(seqs), max(len(s) for s in seqs)), pad_id, dtype=np.int64)
    mask = np.zeros(ids.shape, dtype=np.int64)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = s
        mask[i, : len(s)] = 1
    return ids, mask


def pad_batch(seqs: list[list[int]], pad_id: int = 0):
    """The same padded ids and mask as torch tensors (training, the torch module, the export)."""
    import torch  # noqa: PLC0415

    ids, mask = _pad_numpy(seqs, pad_id)
    return torch.from_numpy(ids), torch.from_numpy(mask)


def _build_module(cfg: dict, num_labels: int):
    import torch  # noqa: PLC0415
    from torch import nn  # noqa: PLC0415
    from torch.nn import functional as F  # noqa: PLC0415

    H = cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    eps = cfg.get("layer_norm_eps", 1e-12)

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.q = nn.Linear(H, H)
            self.k = nn.Linear(H, H)
            self.v = nn.Linear(H, H)
            self.o = nn.Linear(H, H)
            self.ln1 = nn.LayerNorm(H, eps=eps)
            self.ff1 = nn.Linear(H, cfg["intermediate_size"])
            self.ff2 = nn.Linear(cfg["intermediate_size"], H)
            self.ln2 = nn.LayerNorm(H, eps=eps)

        def forward(self, x, bias):
            b, n, _ = x.shape

            def heads(t):
                return t.view(b, n, nh, H // nh).transpose(1, 2)

            a = F.scaled_dot_product_attention(heads(self.q(x)), heads(self.k(x)),
                                               heads(self.v(x)), attn_mask=bias)
            a = a.transpose(1, 2).reshape(b, n, H)
            x = self.ln1(x + self.o(a))
            return self.ln2(x + self.ff2(F.gelu(self.ff1(x))))

    class TinyBert(nn.Module):
        def __init__(self):
            super().__init__()
            self.word = nn.Embedding(cfg["vocab_size"], H)
            self.pos = nn.Embedding(cfg["max_position_embeddings"], H)
            self.typ = nn.Embedding(cfg.get("type_vocab_size", 2), H)
            self.ln = nn.LayerNorm(H, eps=eps)
            self.layers = nn.ModuleList(Layer() for _ in range(cfg["num_hidden_layers"]))
            self.pool = nn.Linear(H, H)
            self.cls = nn.Linear(H, num_labels)

        def forward(self, ids, mask):
            n = ids.shape[1]
            x = self.word(ids) + self.pos.weight[:n] + self.typ.weight[0]
            x = self.ln(x)
            bias = torch.zeros(mask.shape, dtype=x.dtype).masked_fill(mask == 0, -1e9)
            bias = bias[:, None, None, :]
            for layer in self.layers:
                x = layer(x, bias)
            return self.cls(torch.tanh(self.pool(x[:, 0])))

    return TinyBert()


_KEYMAP = {
    "word.weight": "bert.embeddings.word_embeddings.weight",
    "pos.weight": "bert.embeddings.position_embeddings.weight",
    "typ.weight": "bert.embeddings.token_type_embeddings.weight",
    "ln.weight": "bert.embeddings.LayerNorm.weight",
    "ln.bias": "bert.embeddings.LayerNorm.bias",
    "pool.weight": "bert.pooler.dense.weight",
    "pool.bias": "bert.pooler.dense.bias",
    "cls.weight": "classifier.weight",
    "cls.bias": "classifier.bias",
}
_LAYERMAP = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "o": "attention.output.dense", "ln1": "attention.output.LayerNorm",
    "ff1": "intermediate.dense", "ff2": "output.dense", "ln2": "output.LayerNorm",
}


ONNX_INT8 = "model.int8.onnx"


def _load_module(model_dir: Path, cfg: dict, num_labels: int):
    """The torch encoder with the weights of ``model.safetensors`` (fp32, eval mode)."""
    from safetensors.torch import load_file  # noqa: PLC0415

    module = _build_module(cfg, num_labels)
    state = load_file(str(model_dir / "model.safetensors"))
    mapped = {}
    for name in module.state_dict():
        if name in _KEYMAP:
            src = _KEYMAP[name]
        else:
            _, i, part, wb = name.split(".")
            src = f"bert.encoder.layer.{i}.{_LAYERMAP[part]}.{wb}"
        mapped[name] = state[src]
    module.load_state_dict(mapped)
    return module.eval()


def _read_config(model_dir: Path) -> dict:
    cfg = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    if cfg.get("hidden_act", "gelu") != "gelu":
        raise ValueError(f"{model_dir}: unsupported activation {cfg.get('hidden_act')}")
    return cfg


def export_onnx(model_dir: str | Path, force: bool = False) -> Path:
    """Write ``model.int8.onnx`` next to ``model.safetensors``: the encoder exported to ONNX
    (dynamic batch and length) and dynamically quantized to int8 (weights per channel)."""
    import tempfile  # noqa: PLC0415

    import torch  # noqa: PLC0415
    from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: PLC0415

    model_dir = Path(model_dir)
    out = model_dir / ONNX_INT8
    if out.exists() and not force:
        return out
    cfg = _read_config(model_dir)
    module = _load_module(model_dir, cfg, len(cfg["id2label"]))
    ids, mask = pad_batch([[2, 10, 11, 3], [2, 12, 3]])
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, (ids, mask), str(fp32), input_names=["ids", "mask"],
                              output_names=["logits"], opset_version=17, dynamo=False,
                              dynamic_axes={"ids": {0: "batch", 1: "length"},
                                            "mask": {0: "batch", 1: "length"},
                                            "logits": {0: "batch"}})
        root = logging.getLogger()
        root.disabled = True  # the quantizer logs a pre-processing hint on the root logger
        try:
            quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True)
        finally:
            root.disabled = False
    return out


class _OnnxModule:
    """The int8 ONNX encoder: numpy ids and mask in, logits out."""

    def __init__(self, path: Path, num_threads: int | None):
        import onnxruntime as ort  # noqa: PLC0415

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = num_threads or min(2, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def __call__(self, ids, mask):
        return self.session.run(None, {"ids": ids, "mask": mask})[0]


class BertScorer:
    """Loads a fine-tuned sequence-classification directory and returns sigmoid scores."""

    def __init__(self, model_dir: str | Path, quantize: bool = True, num_threads: int | None = None):
        model_dir = Path(model_dir)
        cfg = _read_config(model_dir)
        self.labels: list[str] = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
        self.tokenizer = CharTokenizer(model_dir)
        self.quantized = quantize
        if quantize and (model_dir / ONNX_INT8).exists():
            self.backend = "onnxruntime"
            self.module = _OnnxModule(model_dir / ONNX_INT8, num_threads)
            return
        import torch  # noqa: PLC0415

        if num_threads:
            torch.set_num_threads(num_threads)
        self.backend = "torch"
        module = _load_module(model_dir, cfg, len(self.labels))
        if quantize:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module = torch.ao.quantization.quantize_dynamic(module, {torch.nn.Linear},
                                                                 dtype=torch.qint8)
        self.module = module

    def logits(self, texts: list[str], normalized: bool = False, batch_size: int = 128):
        """Logits for ``texts`` (a numpy array, rows in input order). Batches are built from
        texts sorted by length, so padding stays small."""
        import numpy as np  # noqa: PLC0415

        enc = self.tokenizer.encode_batch(list(texts), normalized=normalized)
        out = np.zeros((len(enc), len(self.labels)), dtype=np.float32)
        order = sorted(range(len(enc)), key=lambda i: len(enc[i]))
        batches = [order[s: s + batch_size] for s in range(0, len(order), batch_size)]
        if self.backend == "onnxruntime":
            for idx in batches:
                out[idx] = self.module(*_pad_numpy([enc[i] for i in idx], self.tokenizer.pad_id))
            return out
        import torch  # noqa: PLC0415

        with torch.inference_mode():
            for idx in batches:
                ids, mask = pad_batch([enc[i] for i in idx], self.tokenizer.pad_id)
                out[idx] = self.module(ids, mask).float().numpy()
        return out

    def scores(self, texts: list[str], normalized: bool = False, batch_size: int = 128):
        import numpy as np  # noqa: PLC0415

        lg = self.logits(texts, normalized=normalized, batch_size=batch_size)
        return 1.0 / (1.0 + np.exp(-lg))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
