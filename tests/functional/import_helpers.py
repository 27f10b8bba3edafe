"""Small writers for import tests (the files are made here, never copied from real data)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

TAOBAO_HEADER = ["订单编号", "子订单编号", "宝贝名称", "商家编码", "初评等级", "评价内容", "评价时间", "追评内容", "追评时间",
                 "买家会员名", "批次号", "生产日期", "到期日期", "发货仓", "快递公司", "运单号", "发货时间", "签收时间"]


def taobao_row(n: int, text: str | None = None, followup: str = "", level: str = "差评", sku: str = "FZ-DUMP-1KG") -> list:
    return [f"31000{n:06d}", f"31000{n:06d}-1", "猪肉白菜水饺 1kg", sku, level, text or f"饺子到手全化了 {n}",
            "2024-03-05 12:00", followup, "2024/3/8" if followup else "", f"买家{n}", "DUMP240301", "2024-03-01",
            "2025-03-01", "广州仓", "中通", f"ZT{n:010d}", "2024-03-02 09:00", "2024-03-04 18:30"]


def csv_bytes(header, rows, encoding="utf-8", newline="\r\n") -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
