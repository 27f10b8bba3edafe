"""`feedback demo load` / `feedback demo files DIR`, and load_demo() used by `feedback run`."""
from __future__ import annotations

import click

from . import AppContext, cli, pass_app


def load_demo(app: AppContext, force: bool = False) -> str:
    """Seed departments, demo users and the demo exports (once). Returns a one-line summary."""
    from ..demo import DEMO_PASSWORD, load_demo_data
    from ..importing import run_import

    summary = run_import(app.session_factory, lambda session: load_demo_data(session, force=force))
    users = f"新建用户 / users created: {', '.join(summary['users_created'])} (密码 / password {DEMO_PASSWORD})" \
        if summary["users_created"] else "演示账号已存在 / demo users present"
    if summary["skipped"]:
        return f"演示数据已加载，未重复导入 / demo data already loaded; {users}"
    files = "; ".join(f"{name}: +{c['inserted']} ~{c['updated']} ={c['duplicates']} x{c['rejected']}"
                      for name, c in summary["files"].items())
    return f"{files}; {users}"


@cli.group("demo")
def demo_group():
    """演示数据 / demo data."""


@demo_group.command("load")
@click.option("--force", is_flag=True, help="即使已加载也重新导入（仍然幂等）/ import again even when loaded (still idempotent)")
@pass_app
def demo_load(app, force):
    """加载演示数据 / load the demo data set (idempotent)."""
    click.echo(load_demo(app, force=force))


@demo_group.command("files")
@click.argument("directory", type=click.Path(file_okay=False))
def demo_files(directory):
    """把演示导出文件写到 DIRECTORY / write the demo export files to DIRECTORY (to look at or import)."""
    from ..demo.generate import write_demo_files

    for kind, paths in write_demo_files(directory).items():
        for path in paths:
            click.echo(f"{kind}: {path}")
