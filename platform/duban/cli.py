"""Command-line tools: `flask campaign-types`, `flask demo seed`, `flask jobs worker`."""
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
    from .demo import DEMO_PASSWORD, seed_demo

    created = seed_demo(only_if_empty=if_empty)
    if created:
        click.echo("已创建演示数据。")
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    from .demo import DEMO_USERS

    for username, name, role, unit in DEMO_USERS:
        click.echo(f"  {username:<12} {name}（{unit}）")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
def jobs_worker(burst: bool):
    """Run an rq worker for the app's queue (needs REDIS_URL)."""
    from redis import Redis
    from rq import Worker

    from .jobs import QUEUE_NAME

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("未设置 REDIS_URL：嵌入式部署中后台任务直接在请求内执行，无需 worker。")
    Worker([QUEUE_NAME], connection=Redis.from_url(url)).work(burst=burst)


def init_app(app: Flask) -> None:
    app.cli.add_command(campaign_types)
    app.cli.add_command(demo_cli)
    app.cli.add_command(jobs_cli)
