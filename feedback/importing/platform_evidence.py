"""What tells the platform besides the header's columns: Pinduoduo's order number format, a Tmall
shop name in a Taobao-style export, and where the same records are stored already (Taobao and
Tmall export the same header, so a batch moved with ``feedback import reassign`` must be found
there when the next export comes in, not stored a second time under Taobao).
"""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Review, Ticket
from .headers import PLATFORM_LABELS
from .rows import Table
from .values import parse_id

# 拼多多 order numbers: the order day and a serial, 261103-382910000000000. No other platform's
# numbers carry the hyphen, so a file whose every order number reads so is a Pinduoduo export.
_PDD_ORDER_RE = re.compile(r"^\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])-\d{8,}$")
SAMPLE_ROWS = 200
CHUNK = 1000  # keys per IN (...) query

SIBLINGS = {"taobao": "tmall", "tmall": "taobao"}
TMALL_SHOP_WORDS = ("旗舰店", "专卖店", "专营店")


def order_number_platform(table: Table) -> str | None:
    """pdd when the order numbers (the first rows that have one) are all Pinduoduo's."""
    column = next((i for i, name in table.header.fields.items() if name == "order_id"), None)
    if column is None:
        return None
    seen = 0
    for row in table.rows:
        if seen >= SAMPLE_ROWS:
            break
        if row.cells is None or column >= len(row.cells):
            continue
        try:
            number = parse_id(row.cells[column])
        except ValueError:
            return None
        if number:
            if not _PDD_ORDER_RE.match(number):
                return None
            seen += 1
    return "pdd" if seen else None


def tmall_hint(records: list[dict], batch_id: int | None) -> str | None:
    """A Taobao-read file whose shop is a 旗舰店/专卖店/专营店 is likely a Tmall shop's export."""
    shop = next((r["shop"] for r in records if r["platform"] == "taobao" and r["shop"]
                 and any(w in r["shop"] for w in TMALL_SHOP_WORDS)), None)
    if shop is None:
        return None
    fix = f"feedback import reassign {batch_id} --platform tmall" if batch_id else "--platform tmall"
    return (f"店铺「{shop}」像天猫店铺：天猫的导出与淘宝表头相同，已按淘宝导入；若是天猫，请用 {fix} 更正，以后导入时加 "
            f"--platform tmall / the shop \"{shop}\" looks like a Tmall shop: Tmall exports have Taobao's header and "
            f"this file was read as taobao; if it is Tmall, run `{fix}` and import with --platform tmall from now on")


def settle_sibling(session: Session, kind: str, records: list[dict], platform: str) -> tuple[str, str | None]:
    """Records of a file whose header said ``platform`` (Taobao or Tmall) whose keys are stored under
    the sibling platform go there, so nothing is stored twice. Returns the platform the batch is
    filed under, and a note when anything moved.

    All found under the sibling (the earlier batch was reassigned): the whole file goes there, new
    records too. Some found under each: each record stays where it is stored, and the new ones go
    where most of the file's stored records are (the sibling on a tie)."""
    sibling = SIBLINGS[platform]
    model = Review if kind == "reviews" else Ticket
    mine = [r for r in records if r["platform"] == platform]
    keys = sorted({r["dedupe_key"][:200] for r in mine})
    there = _stored_keys(session, model, sibling, keys)
    if not there:
        return platform, None
    here = _stored_keys(session, model, platform, keys)
    target = sibling if len(there) >= len(here) else platform
    for rec in mine:
        key = rec["dedupe_key"][:200]
        rec["platform"] = platform if key in here else sibling if key in there else target
    new = len([k for k in keys if k not in here and k not in there])
    names = {code: f"{PLATFORM_LABELS.get(code, code)} ({code})" for code in (platform, sibling)}
    if not here:
        return sibling, (
            f"本文件的 {len(there)} 条记录已存于{names[sibling]}（之前的导入已更正为{PLATFORM_LABELS[sibling]}），"
            f"整个文件按 {sibling} 导入，没有在 {platform} 下重复添加 / {len(there)} of this file's records are "
            f"already stored under {sibling} (an earlier import was reassigned there): the whole file is imported "
            f"as {sibling}, nothing is added a second time under {platform}")
    return target, (
        f"本文件的记录已分别存于两个平台：{len(there)} 条在 {names[sibling]}，{len(here)} 条在 {names[platform]}；各自在原平台"
        f"更新，{new} 条新记录记入 {target}，没有重复添加 / this file's records are stored under two platforms: "
        f"{len(there)} under {sibling}, {len(here)} under {platform}; each is updated where it is stored, the {new} "
        f"new ones go to {target}, nothing is stored twice")


def _stored_keys(session: Session, model, platform: str, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        found.update(session.scalars(select(model.dedupe_key).where(model.platform == platform,
                                                                     model.dedupe_key.in_(chunk))))
    return found
