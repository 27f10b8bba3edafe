"""The rows an import batch could not store, read back so they can be fixed and imported again."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ImportBatch, RejectedRow
from .errors import ImportFileError

#: Columns put in front of the file's own; the importer reads no field from them (they stay in a
#: record's raw, as any unknown column does), so a fixed copy can be imported as it is.
ROW_COLUMN, REASON_COLUMN = "原行号/row", "拒绝原因/reason"


def rejected_rows(session: Session, batch_id: int, limit: int | None = None) -> tuple[ImportBatch, list[dict]]:
    """(batch, rows): each row ``{"row", "reason", "raw"}``, ``raw`` the cells as read (column →
    value), in file order; the first ``limit`` rows only when given (a web page). Raises
    ``ImportFileError`` when there is no such batch."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise ImportFileError(f"没有导入批次 #{batch_id} / no import batch #{batch_id} "
                              "(feedback import batches lists them)")
    stored = session.scalars(select(RejectedRow).where(RejectedRow.import_batch_id == batch_id)
                             .order_by(RejectedRow.row_number, RejectedRow.id).limit(limit)).all()
    rows = []
    for r in stored:
        try:
            raw = json.loads(r.raw)
        except ValueError:
            raw = {"_raw": r.raw}
        rows.append({"row": r.row_number, "reason": r.reason,
                     "raw": raw if isinstance(raw, dict) else {"_raw": raw}})
    return batch, rows


def write_rejected_csv(rows: list[dict], path: str | Path) -> int:
    """Write ``rejected_csv_text(rows)`` to ``path`` (UTF-8 with BOM, which Excel opens as
    Chinese). Returns the number of rows."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(rejected_csv_text(rows))
    return len(rows)


def rejected_csv_text(rows: list[dict]) -> str:
    """The rows as CSV text: the row number and the reason, then the file's own columns in their
    order (encode it as UTF-8 with BOM for Excel)."""
    columns: dict[str, None] = {}
    for r in rows:
        columns.update(dict.fromkeys(r["raw"]))
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow([ROW_COLUMN, REASON_COLUMN, *columns])
    for r in rows:
        out.writerow([r["row"], r["reason"], *(_cell(r["raw"].get(c)) for c in columns)])
    return buf.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
