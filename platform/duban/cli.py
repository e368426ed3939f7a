"""Command-line tools: `flask campaign-types`, `flask demo seed`, `flask create-admin`, `flask jobs worker`."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="演示数据")
jobs_cli = AppGroup("jobs", help="后台任务")


@click.command("campaign-types")
def campaign_types():
    """List the installed campaign types with their source document."""
    for key, d in current_app.extensions["duban"]["types"].items():
        click.echo(f"{key}\t{d.type.name}\t{d.plugin}\n\t来源：{d.type.source_document}")


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Seed only when the database has no tenant yet.")
def demo_seed(if_empty: bool):
    """Create the 厦门市湖里区民政局 demo tenant with users and a campaign part-way done."""
    from .demo import DEMO_PASSWORD, DEMO_USERS, DemoExists, demo_today, seed_demo
    from .tenancy.permissions import ROLE_LABELS

    try:
        created = seed_demo(only_if_empty=if_empty)
    except DemoExists as e:
        raise click.ClickException(str(e)) from None
    if created:
        click.echo(f"已创建演示数据（演示日期 {demo_today().isoformat()}）。")
    else:
        click.echo("数据库中已有数据，未重复创建演示数据。")
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for username, name, role, unit in DEMO_USERS:
        click.echo(f"  {username:<10} {name}  {ROLE_LABELS.get(role, role)}（{unit}）")
    click.echo("  其余各街道、社区的账号见“组织机构 → 用户管理”（admin 登录后可见），密码相同。")


@click.command("create-admin")
@click.option("--tenant", "tenant_name", required=True, help="租户名称，如 厦门市思明区民政局")
@click.option("--slug", required=True, help="租户标识：小写字母、数字、短横线，如 siming")
@click.option("--unit", "unit_name", default="", help="局机关单位名称（默认同租户名称）")
@click.option("--division-code", default="", help="12位统计区划代码（可选）")
@click.option("--username", required=True, help="管理员用户名")
@click.option("--display-name", required=True, help="管理员姓名")
@click.password_option("--password", help="管理员密码（至少8位；不提供时交互输入）")
def create_admin(tenant_name, slug, unit_name, division_code, username, display_name, password):
    """Create a tenant, its bureau and the bureau's first admin (for a real deployment)."""
    from .errors import ValidationError
    from .extensions import db
    from .tenancy.services import create_tenant

    try:
        tenant, unit, user = create_tenant(db.session, name=tenant_name, slug=slug, bureau_name=unit_name,
                                           division_code=division_code, username=username,
                                           display_name=display_name, password=password)
        db.session.commit()
    except ValidationError as e:
        db.session.rollback()
        raise click.ClickException("；".join(e.messages)) from None
    click.echo(f"已创建租户“{tenant.name}”、单位“{unit.name}”和局管理员 {user.username}。")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
def jobs_worker(burst: bool):
    """Run an rq worker for the app's queue (needs REDIS_URL)."""
    from redis import Redis
    from rq import Worker

    from .jobs import queue_name

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("未设置 REDIS_URL：嵌入式部署中后台任务直接在请求内执行，无需 worker。")
    Worker([queue_name()], connection=Redis.from_url(url)).work(burst=burst)


def init_app(app: Flask) -> None:
    app.cli.add_command(campaign_types)
    app.cli.add_command(demo_cli)
    app.cli.add_command(create_admin)
    app.cli.add_command(jobs_cli)
