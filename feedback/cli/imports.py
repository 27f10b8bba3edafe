"""`feedback import reviews|tickets FILE [--platform P] [--mapping M] [--json]`."""
from __future__ import annotations

import json

import click

from . import AppContext, cli, pass_app, setup_error

PLATFORM_HELP = ("平台 / platform: taobao 淘宝, tmall 天猫, jd 京东, pdd 拼多多, meituan 美团, eleme 饿了么, "
                 "douyin 抖音/抖店, kuaishou 快手, youzan 有赞, jddj 京东到家, other 其他 "
                 "(默认由表头推断 / inferred from the header)")


@cli.group("import")
def import_group():
    """导入评价或售后单 / import reviews or after-sales tickets (CSV, XLSX, JSON Lines, JSON)."""


def _run(app: AppContext, kind: str, path: str, platform, mapping, as_json: bool) -> None:
    from ..importing import ImportFileError, import_file, run_import

    try:
        result = run_import(app.session_factory, lambda session: import_file(
            session, path, kind, platform=platform, mapping=mapping, created_by="cli"))
    except ImportFileError as exc:
        _fail(as_json, path, f"无法导入 {path}: {exc}", str(exc))
    except Exception as exc:
        setup = setup_error(app, exc)  # a database not set up or not reachable: said as JSON too
        if setup is None:
            raise
        _fail(as_json, path, setup.message, setup.message, cause=exc)
    summary = result.as_dict()
    # every row rejected: the rows are kept in the batch, but a script must see that it failed
    all_rejected = result.rejected > 0 and result.inserted + result.updated + result.duplicates == 0
    if as_json:
        if all_rejected:
            summary["error"] = NOTHING_IMPORTED
        click.echo(json.dumps(summary, ensure_ascii=False))
        if all_rejected:
            click.echo(f"Error: {NOTHING_IMPORTED}", err=True)
            raise click.exceptions.Exit(1)
        return
    click.echo(
        f"{path}: 格式 {summary['format']}"
        + (f"，编码 {summary['encoding']}" if summary["encoding"] else "")
        + f"，表头 {summary['header_family']}，平台 {summary['platform'] or '按行'}"
    )
    click.echo(
        f"新增 inserted={result.inserted}  更新 updated={result.updated}  "
        f"重复 duplicates={result.duplicates}  拒绝 rejected={result.rejected}  (import batch #{result.import_batch_id})"
    )
    for note in result.notes:
        click.echo(f"注意 / note: {note}")
    for item in summary["rejected_rows"][:10]:
        click.echo(f"  第 {item['row']} 行 / row {item['row']}: {item['reason']}")
    if result.rejected > 10:
        click.echo(f"  …共 {result.rejected} 行被拒绝 / {result.rejected} rows rejected in all: "
                   f"feedback import rejected {result.import_batch_id} --out FILE.csv")
    if all_rejected:
        raise click.ClickException(NOTHING_IMPORTED)


NOTHING_IMPORTED = ("没有一行可以导入（被拒绝的行已保存在导入批次中）/ "
                    "no row could be imported (the rejected rows are kept in the import batch)")


def _fail(as_json: bool, path: str, message: str, error: str, cause: BaseException | None = None):
    """The whole file failed: exit 1 with the message on stderr; with --json, stdout holds one
    JSON object with an ``error`` field too (a script parses stdout whatever happened)."""
    if as_json:
        click.echo(json.dumps({"error": error, "file": path}, ensure_ascii=False))
    raise click.ClickException(message) from cause


def _command(kind: str, help_text: str):
    @import_group.command(kind, help=help_text)
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--platform", help=PLATFORM_HELP)
    @click.option("--mapping", type=click.Path(exists=True, dir_okay=False),
                  help='列映射文件 / mapping file: JSON {"列名": "field"} or lines "列名 = field"')
    @click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象 / print one JSON object")
    @pass_app
    def command(app, file, platform, mapping, as_json):
        _run(app, kind, file, platform, mapping, as_json)

    return command


reviews_cmd = _command("reviews", "导入评价 / import reviews from FILE.")
tickets_cmd = _command("tickets", "导入售后单 / import after-sales tickets (退款/退货/换货/补发/投诉) from FILE.")




@import_group.command("batches")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="输出 JSON Lines / print JSON Lines")
@pass_app
def batches_cmd(app, limit, as_json):
    """导入批次 / the latest import batches: id, time (shop time; UTC in --json), file, header read,
    platform, row counts."""
    from sqlalchemy import select

    from ..models import ImportBatch
    from ..models.meta import shop_time

    with app.session() as session:
        rows = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)).all()
        for b in rows:
            item = {"id": b.id, "kind": b.kind, "source": b.source, "file": b.filename, "format": b.file_format,
                    "header_family": b.header_family, "platform": b.platform, "inserted": b.inserted,
                    "updated": b.updated, "duplicates": b.duplicates, "rejected": b.rejected,
                    "created_at": b.created_at.isoformat(timespec="seconds")}
            if as_json:
                click.echo(json.dumps(item, ensure_ascii=False))
            else:
                click.echo(f"#{b.id}  {shop_time(b.created_at)}  {b.kind:<7} {b.platform or '按行':<8} "
                           f"表头 {b.header_family or '-':<9} 新增 {b.inserted} 更新 {b.updated} 重复 {b.duplicates} "
                           f"拒绝 {b.rejected}  {b.filename or b.source}")


@import_group.command("rejected")
@click.argument("batch_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, writable=True),
              help="写入 CSV（UTF-8，Excel 可打开），改好后可再导入 / write a CSV (UTF-8 with BOM) to fix "
                   "and import again")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON Lines / print JSON Lines")
@pass_app
def rejected_cmd(app, batch_id, out, as_json):
    """被拒绝的行 / the rows import batch BATCH_ID could not store: row number, reason, the cells as read."""
    from ..importing import ImportFileError
    from ..importing.rejected import rejected_rows, write_rejected_csv

    with app.session() as session:
        try:
            batch, rows = rejected_rows(session, batch_id)
        except ImportFileError as exc:
            raise click.ClickException(str(exc)) from None
    if out:
        try:
            n = write_rejected_csv(rows, out)
        except OSError as exc:
            raise click.ClickException(f"无法写入 / cannot write {out}: {exc.strerror or exc}") from None
        click.echo(f"{out}: {n} 行 / rows (import batch #{batch.id}, {batch.filename or batch.source})", err=as_json)
    if as_json:
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False))
    elif not out:
        if not rows:
            click.echo(f"导入批次 #{batch.id} 没有被拒绝的行 / import batch #{batch.id} rejected no row")
        for r in rows:
            cells = "  ".join(f"{k}={v}" for k, v in r["raw"].items() if v not in (None, ""))
            click.echo(f"第 {r['row']} 行 / row {r['row']}: {r['reason']}\n    {cells[:300]}")


@import_group.command("reassign")
@click.argument("batch_id", type=int)
@click.option("--platform", required=True, help="正确的平台 / the right platform (taobao, tmall, jd, pdd, meituan, "
                                                "eleme, douyin, kuaishou, youzan, jddj, other)")
@click.option("--dry-run", is_flag=True, help="只检查，不更改 / check only, change nothing")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象 / print one JSON object")
@pass_app
def reassign_cmd(app, batch_id, platform, dry_run, as_json):
    """更正导入平台 / move the reviews or tickets of import batch BATCH_ID to the platform they came from
    (with their shop, order lines, ledger entries and reply drafts), when the header was read as
    another platform's export. All or nothing."""
    from ..importing import ImportFileError
    from ..importing.reassign import ReassignError, reassign_batch

    try:
        with app.session() as session:
            result = reassign_batch(session, batch_id, platform, dry_run=dry_run)
    except (ReassignError, ImportFileError) as exc:
        if as_json:
            click.echo(json.dumps({"error": str(exc), "batch_id": batch_id}, ensure_ascii=False))
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    verb = "可以移动 / would move" if dry_run else "已移动 / moved"
    click.echo(f"导入批次 #{result.batch_id}: {verb} {result.records} 条{'评价' if result.kind == 'reviews' else '售后单'} "
               f"{result.old_platform} → {result.platform}")
    if not dry_run:
        click.echo(f"订单行 order lines: 移动 moved {result.orders_moved}，并入已有 joined {result.orders_joined}；"
                   f"回复草稿 reply drafts: {result.reply_drafts}")
