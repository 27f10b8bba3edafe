"""Imports from the web page: an uploaded file goes through the importer the CLI uses
(``feedback.importing.import_file``, source "web") inside the request's transaction, so the
batch, its rows, its rejected rows and the classification jobs (outbox) commit together or not at
all; the pages read the batches back the way ``feedback import batches|rejected`` do.

The upload is copied to a temporary directory under its own name (the suffix tells the reader
the format; the batch keeps the name) and removed whatever happens; so is an optional mapping
file (``feedback import --mapping``'s JSON or ``列名 = field`` lines) for a layout the built-in
header tables do not know.
"""
from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path, PurePosixPath

from pyramid_retry import mark_error_retryable
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..importing import ImportFileError, ImportResult, check_platform, import_file, retryable_error
from ..importing.rejected import rejected_csv_text, rejected_rows
from ..importing.service import KINDS
from ..models import ImportBatch

DEFAULT_MAX_MB = 50
MAPPING_MAX_MB = 1  # a mapping names columns: a few hundred bytes
KIND_LABELS = {"reviews": "评价", "tickets": "售后单"}
SOURCE_LABELS = {"file": "命令行", "web": "网页上传", "api": "接口", "demo": "演示数据"}
_COPY_CHUNK = 1024 * 1024
_MAX_NAME_BYTES = 180  # of the stem, in UTF-8: file systems allow 255 bytes per name


class UploadError(Exception):
    """The upload is refused as a whole and nothing was stored; the message is for the person."""


def max_upload_mb(settings: dict) -> float:
    """``feedback.import_max_mb``: the largest file the page takes, in MB (default 50)."""
    return float(settings.get("feedback.import_max_mb") or DEFAULT_MAX_MB)


def import_upload(session: Session, upload, *, kind: str, platform: str | None, created_by: str | None,
                  max_mb: float, mapping=None) -> ImportResult:
    """Import an uploaded file (a form field with ``filename`` and ``file``) in ``session``'s
    transaction, its columns named by ``mapping`` (another such field, optional). UploadError when
    it cannot be imported at all; a database error that running the transaction again may cure
    (deadlock, SQLite's writer lock) is marked retryable, so pyramid_retry runs the request
    again, as ``run_import`` does for the CLI."""
    if kind not in KINDS:
        raise UploadError("请选择导入类型：评价或售后单 / choose what the file holds: reviews or tickets")
    if not _is_upload(upload):
        raise UploadError("请选择要上传的文件 / choose a file to upload")
    try:
        platform = check_platform(platform)
    except ImportFileError as exc:
        raise UploadError(str(exc)) from None
    with tempfile.TemporaryDirectory(prefix="feedback-upload-") as tmp:
        path = Path(tmp) / "data" / safe_filename(upload.filename)
        path.parent.mkdir()
        _copy(upload.file, path, max_mb)
        mapping_path = None
        if _is_upload(mapping):  # a form sends an empty part when no mapping was chosen
            mapping_path = Path(tmp) / "mapping" / safe_filename(mapping.filename)
            mapping_path.parent.mkdir()
            _copy(mapping.file, mapping_path, MAPPING_MAX_MB, what=("映射文件", "the mapping file"))
        try:
            return import_file(session, path, kind, platform=platform, mapping=mapping_path,
                               created_by=created_by, source="web")
        except ImportFileError as exc:
            message = str(exc)
            if mapping_path is not None:  # name the person's file, not the temporary copy
                message = message.replace(str(mapping_path), mapping.filename)
            raise UploadError(_for_the_form(message)) from None
        except DBAPIError as exc:
            if retryable_error(exc):
                mark_error_retryable(exc)
            raise


def safe_filename(name: str) -> str:
    """The uploaded file's own name without any directory (some browsers send a whole Windows
    path), control characters or leading dots, short enough for any file system; its suffix,
    which tells the reader the format, is kept."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    suffix = PurePosixPath(base).suffix[:16]
    stem = base[:len(base) - len(suffix)] if suffix else base
    while len(stem.encode("utf-8")) > _MAX_NAME_BYTES:
        stem = stem[:-1]
    return (stem or "upload") + suffix


def _is_upload(field) -> bool:
    return bool(getattr(field, "filename", None)) and getattr(field, "file", None) is not None


def _copy(src, path: Path, max_mb: float, what: tuple[str, str] | None = None) -> None:
    if hasattr(src, "seek"):
        src.seek(0)
    size, max_bytes = 0, int(max_mb * 1024 * 1024)
    with open(path, "wb") as out:
        while chunk := src.read(_COPY_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                limit = f"{max_mb:g}"
                if what:
                    raise UploadError(f"{what[0]}超过 {limit} MB / {what[1]} is larger than {limit} MB")
                raise UploadError(f"文件超过 {limit} MB 的上传上限：请拆成几个文件分别上传，或用命令行 feedback import "
                                  f"导入 / the file is larger than the upload limit of {limit} MB: split it, or "
                                  "import it with the feedback import command")
            out.write(chunk)


# The importer's messages name the CLI's options; on the page they are fields of the form.
_FORM_HINTS = (
    ("--platform", "请在上传表单的「平台」中选择导出这个文件的平台，再上传一次 / choose the platform in the form and "
                   "upload the file again"),
    ("feedback import reviews", "请把「类型」选为「评价」再上传 / choose 评价 (reviews) as the kind"),
    ("feedback import tickets", "请把「类型」选为「售后单」再上传 / choose 售后单 (tickets) as the kind"),
    ("--mapping", "请在表单的「列映射」中上传一个映射文件，说明每一列是什么 / upload a mapping file in the form "
                  "that names the columns"),
)


def _for_the_form(message: str) -> str:
    hints = [hint for needle, hint in _FORM_HINTS if needle in message]
    return "无法导入：" + message + "".join(f" → {h}" for h in hints)


# -- reading batches back ---------------------------------------------------------------------

def recent_batches(session: Session, page: int, size: int) -> tuple[list[ImportBatch], bool]:
    """(the batches of this page, newest first; whether there is a next page)."""
    rows = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())
                           .offset((page - 1) * size).limit(size + 1)).all()
    return list(rows[:size]), len(rows) > size


def batch_with_rejected(session: Session, batch_id: int, limit: int) -> tuple[ImportBatch, list[dict]] | None:
    """(batch, its first ``limit`` rejected rows), or None when there is no such batch."""
    try:
        return rejected_rows(session, batch_id, limit=limit)
    except ImportFileError:
        return None


def rejected_csv(session: Session, batch_id: int) -> tuple[ImportBatch, bytes] | None:
    """The batch and the CSV ``feedback import rejected BATCH --out FILE`` writes (UTF-8 with BOM,
    row number and reason in front of the file's columns, importable again once fixed)."""
    try:
        batch, rows = rejected_rows(session, batch_id)
    except ImportFileError:
        return None
    return batch, rejected_csv_text(rows).encode("utf-8-sig")
