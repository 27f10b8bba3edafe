"""Text normalization and jieba segmentation with the food e-commerce user dictionary.

``normalize`` is shared by every classifier path (lexicon, TF-IDF, transformer), so they all
see the same text: NFKC (full-width -> half-width), traditional -> simplified Chinese, control
and zero-width characters removed, emoji dropped, runs of repeated punctuation or characters
collapsed, whitespace squeezed, Latin letters lower-cased, very long texts cut.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import re
import threading
import unicodedata
import warnings
from pathlib import Path

from .dagcut import WordTable

RESOURCES = Path(__file__).parent / "resources"
USER_DICT = RESOURCES / "userdict.txt"

#: Texts longer than this (after normalization) are cut; a review is never that long, a pasted
#: e-mail thread or log may be. The lexicon still reads the whole kept part.
MAX_CHARS = 5000

_CONTROL = {c: " " for c in range(0x20) if chr(c) not in "\n\t"}
_CONTROL.update({0x7F: " ", 0x200B: None, 0x200C: None, 0x200D: None, 0xFEFF: None, 0x00AD: None,
                 0x2028: " ", 0x2029: " ", 0xFE0F: None, 0xFE0E: None})
_CONTROL.update({c: " " for c in range(0x80, 0xA0)})
# most texts hold none of them: a regex search is much cheaper than a dict-table translate
_CONTROL_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_CONTROL)) + "]")

# Emoji and pictographs (the common blocks); dropped, they carry no category evidence.
_EMOJI_RE = re.compile(
    "[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U0001F900-\U0001F9FF\U00002B00-\U00002BFF"
    "\U0001F1E6-\U0001F1FF\U000E0000-\U000E007F\u2190-\u21FF\u2300-\u23FF\u25A0-\u25FF]+"
)
_PUNCT_RUN_RE = re.compile(r"([!?.,~;:。，、！？…～·\-_=*#@/\\|^])\1+")
_MIXED_PUNCT_RE = re.compile(r"([!?。！？])[!?。！？]+")
_CHAR_RUN_RE = re.compile(r"(.)\1{3,}")
_OTHER_RE = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ue000-\uf8ff"
    "\ud800-\udfff\U000f0000-\U0010ffff]")
_SPACE_RE = re.compile(r"[ \t\u3000]+")
_NEWLINES_RE = re.compile(r"\s*\n\s*")

_conv: tuple[frozenset[str], dict[str, str], int] | None = None
_conv_lock = threading.Lock()


def _load_conversion() -> tuple[frozenset[str], dict[str, str], int]:
    """zhconv's MediaWiki traditional -> simplified table (``zh2Hans`` + ``zh2CN``), read from
    its JSON file (importing zhconv drags in pkg_resources and leaks the file handle)."""
    global _conv
    if _conv is None:
        with _conv_lock:
            if _conv is None:
                table: dict[str, str] = {}
                spec = importlib.util.find_spec("zhconv")
                if spec and spec.origin:
                    with open(Path(spec.origin).parent / "zhcdict.json", "rb") as fh:
                        data = json.loads(fh.read().decode("utf-8"))
                    table.update(data["zh2Hans"])
                    table.update(data["zh2CN"])
                table = {k: v for k, v in table.items() if k != v}
                chars = frozenset(k for k in table if len(k) == 1)
                _conv = (chars, table, max((len(k) for k in table), default=1))
    return _conv


def to_simplified(text: str) -> str:
    """Traditional -> simplified (longest match first, as zhconv does); a cheap no-op when
    the text holds no traditional character."""
    chars, table, longest = _load_conversion()
    if chars.isdisjoint(text):
        return text
    out = []
    i, n = 0, len(text)
    while i < n:
        for size in range(min(longest, n - i), 0, -1):
            piece = text[i: i + size]
            if piece in table:
                out.append(table[piece])
                i += size
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def normalize(text: object, max_chars: int = MAX_CHARS) -> str:
    """Return the canonical form of a review text (see module docstring). Never raises."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    if not text:
        return ""
    if len(text) > max_chars * 2:
        text = text[: max_chars * 2]
    if _CONTROL_RE.search(text):
        text = text.translate(_CONTROL)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = _EMOJI_RE.sub(" ", text)
    # drop what is left of format / private-use / surrogate characters
    text = _OTHER_RE.sub("", text)
    text = to_simplified(text)
    text = text.lower()
    text = _PUNCT_RUN_RE.sub(r"\1", text)
    text = _MIXED_PUNCT_RE.sub(r"\1", text)
    text = _CHAR_RUN_RE.sub(r"\1\1\1", text)
    text = _NEWLINES_RE.sub("\n", text)
    text = _SPACE_RE.sub(" ", text).strip()
    if len(text) > max_chars:
        text = text[:max_chars]
    return text


def has_content(text: str) -> bool:
    """True when the normalized text holds at least one letter, digit or CJK character."""
    return any(ch.isalnum() for ch in text)


def default_cache_dir() -> Path:
    """Where derived files (the segmenter's word table) are kept between runs:
    ``$FEEDBACK_NLP_CACHE``, else ``$XDG_CACHE_HOME/feedback-loop`` (``~/.cache/feedback-loop``)."""
    if os.environ.get("FEEDBACK_NLP_CACHE"):
        return Path(os.environ["FEEDBACK_NLP_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "feedback-loop"


class Segmenter:
    """jieba's precise cut with the user dictionary and any words added later.

    The no-HMM cut runs on a :class:`WordTable` built from a jieba tokenizer of its own (the
    global one is left alone). The table is kept in ``cache_dir`` under a key of jieba's
    dictionary and every added word, as jieba keeps its own dictionary cache: a later process
    with the same words reads it back instead of loading jieba (most of a classifier's load
    time). ``cache_dir`` defaults to :func:`default_cache_dir`; ``cache=False`` keeps nothing.
    An unreadable or unwritable cache only costs time."""

    def __init__(self, user_dict: Path | str | None = USER_DICT, hmm: bool = False,
                 cache: bool = True, cache_dir: Path | str | None = None):
        self.hmm = hmm
        self.cache_dir = (Path(cache_dir) if cache_dir else default_cache_dir()) if cache else None
        self._jieba: object | None = None  # the jieba Tokenizer, built when first needed
        self._added: list[tuple[str, int | None]] = []
        self._table: WordTable | None = None  # built on first cut, after the user words
        if user_dict and os.path.exists(user_dict):
            for line in Path(user_dict).read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                parts = line.split()
                freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
                self.add_word(parts[0], freq)

    @property
    def _tok(self):
        """The jieba tokenizer holding every added word."""
        if self._jieba is None:
            with warnings.catch_warnings():  # jieba imports the deprecated pkg_resources
                warnings.simplefilter("ignore")
                import jieba  # noqa: PLC0415

            jieba.setLogLevel(60)
            tok = jieba.Tokenizer()
            tok.initialize()
            for word, freq in self._added:
                tok.add_word(word, freq)
            self._jieba = tok
        return self._jieba

    def add_word(self, word: str, freq: int | None = None) -> None:
        self._added.append((word, freq))
        if self._jieba is not None:
            self._jieba.add_word(word, freq)
        self._table = None

    def cut(self, text: str) -> list[str]:
        if self.hmm:
            return self._tok.lcut(text, HMM=True)
        return (self._table or self.prepare()).cut(text)

    def prepare(self) -> WordTable:
        """Build (or read from the cache) the log-probability table now, once the words are
        added, so the first text does not pay for it."""
        path = self._cache_path()
        table = None
        if path is not None and path.exists():
            try:
                table = WordTable.from_bytes(path.read_bytes())
                os.utime(path)  # in use: the pruning below keeps the recently used tables
            except (OSError, ValueError):
                table = None  # rebuilt below and written again
        if table is None:
            table = WordTable(self._tok.FREQ, self._tok.total)
            if path is not None:
                _write_atomically(path, table)
        self._table = table
        return table

    def _cache_path(self) -> Path | None:
        if self.cache_dir is None:
            return None
        spec = importlib.util.find_spec("jieba")
        if not spec or not spec.origin:
            return None
        # jieba's dictionary and code as installed: a new version gives a new key
        jieba_dir = Path(spec.origin).parent
        h = hashlib.sha256(str(jieba_dir).encode())
        try:
            for name in ("dict.txt", "__init__.py"):
                st = (jieba_dir / name).stat()
                h.update(f"|{name}|{st.st_size}|{st.st_mtime_ns}".encode())
        except OSError:
            return None
        for word, freq in self._added:
            h.update(f"\0{word}\t{freq}".encode())
        return Path(self.cache_dir) / f"wordtable-{h.hexdigest()[:24]}.bin"


#: word tables kept in a cache directory (7.5 MB each; a new lexicon version makes a new one)
KEEP_TABLES = 4


def _write_atomically(path: Path, table: WordTable) -> None:
    """Write the table next to its final name, then rename (a reader never sees half a file),
    and drop all but the ``KEEP_TABLES`` most recently used tables; any failure leaves no
    cache, which only costs the next process time."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(table.to_bytes())
        os.replace(tmp, path)
        tables = sorted(path.parent.glob("wordtable-*.bin"), key=lambda p: p.stat().st_mtime,
                        reverse=True)
        for old in tables[KEEP_TABLES:]:
            old.unlink()
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            tmp.unlink()


_segmenter: Segmenter | None = None
_seg_lock = threading.Lock()


def get_segmenter() -> Segmenter:
    """The process-wide segmenter (built once; jieba's dictionary takes ~0.5 s to load)."""
    global _segmenter
    if _segmenter is None:
        with _seg_lock:
            if _segmenter is None:
                _segmenter = Segmenter()
    return _segmenter


def segment(text: str) -> list[str]:
    """Normalize then cut with the user dictionary."""
    return get_segmenter().cut(normalize(text))
