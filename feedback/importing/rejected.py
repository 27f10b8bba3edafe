"""The rows an import batch could not store, read back so they can be fixed and imported again."""
from __future__ import annotations

import csv
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
    """Write the rows as a CSV (UTF-8 with BOM, which Excel opens as Chinese): the row number and
    the reason, then the file's own columns in their order. Returns the number of rows."""
    columns: dict[str, None] = {}
    for r in rows:
        columns.update(dict.fromkeys(r["raw"]))
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([ROW_COLUMN, REASON_COLUMN, *columns])
        for r in rows:
            out.writerow([r["row"], r["reason"], *(_cell(r["raw"].get(c)) for c in columns)])
    return len(rows)


def _cell(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
