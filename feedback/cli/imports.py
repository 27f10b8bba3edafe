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
        click.echo(f"  …共 {result.rejected} 行被拒绝，详见导入批次 / see the import batch for all rejected rows")
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


