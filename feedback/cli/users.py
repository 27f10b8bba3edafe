"""`feedback user create ...` and `feedback token create ...`."""
from __future__ import annotations

import click
from sqlalchemy import select

from ..models.accounts import ROLES
from ..models.tasks import DEPARTMENT_CODES
from . import cli, pass_app


@cli.group("user")
def user_group():
    """用户 / users."""


@user_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="admin | manager | dept_head")
@click.option("--department", type=click.Choice(DEPARTMENT_CODES), help="部门负责人所属部门 / a dept_head's department")
@click.option("--password", help="不给则提示输入 / prompted when absent")
@click.option("--display-name", default="", help="显示名 / display name")
@click.option("--email", default=None)
@pass_app
def user_create(app, username, role, department, password, display_name, email):
    """创建用户 / create a user."""
    from ..services.accounts import AccountError, create_user
    from ..services.departments import ensure_departments

    if password is None:
        password = click.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
    try:
        with app.session() as session:
            ensure_departments(session)
            user = create_user(session, username, password, role, display_name=display_name,
                               department_code=department, email=email)
            user_id = user.id
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已创建用户 / created user {username} (#{user_id}, {role}{', ' + department if department else ''})")


@cli.group("token")
def token_group():
    """API 令牌 / API tokens."""


@token_group.command("create")
@click.argument("username")
@click.argument("name")
@pass_app
def token_create(app, username, name):
    """为 USERNAME 创建名为 NAME 的 API 令牌，只显示一次 / create an API token (shown once)."""
    from ..models import User
    from ..services.accounts import AccountError, create_api_token

    with app.session() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise click.ClickException(f"用户不存在 / no such user: {username}")
        try:
            secret = create_api_token(session, user, name)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(secret)
    click.echo("请立即保存，此令牌不会再次显示 / store it now: it is not shown again "
               "(Authorization: Bearer <token>)", err=True)
