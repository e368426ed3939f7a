"""Load test of the public survey: 200 concurrent respondents against gunicorn + PostgreSQL.

    .venv/bin/pip install -e '.[prod]'           # gunicorn
    .venv/bin/python bench/survey_load.py [--respondents 3000 --concurrency 200 --workers 4 --threads 8]

What it does, all on loopback and bounded in count and time:

1. creates its own PostgreSQL database (``--admin-url``, default the local server as postgres;
   dropped at the end unless ``--keep``), builds a district of ``--streets`` × ``--villages``
   communities, launches the 漏保漏救 campaign and opens its survey (one public link per community);
2. starts the production set-up: ``gunicorn wsgi:app`` (gthread workers) on that database, with
   the per-link limits raised so the limiter is exercised but not hit;
3. runs the load generator as a **separate process** (this file with ``client``): an asyncio
   HTTP/1.1 client in which each of ``--concurrency`` virtual respondents, in turn, opens a
   community's page (``GET /s/<token>``: gets a browser cookie and the form nonce) and submits a
   full answer sheet (``POST``, expecting 303), with a unique marker in the free text, until
   ``--respondents`` sheets were tried or ``--time-limit`` seconds passed;
4. runs the same client against a bare static file served by the same gunicorn (the baseline);
5. counts the stored rows: responses, guards and distinct markers must equal the accepted
   submissions, and the markers must be exactly the accepted ones (nothing lost or duplicated);
6. prints a table: requests, errors, requests/s, p50/p95/max latency, the baseline ratio, and the
   count check (exit status 1 when it fails).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TODAY = "2022-09-15"  # inside the survey's default window (the campaign's 总结评价阶段, 9/1–10/31)
NONCE = re.compile(rb'name="nonce" value="([^"]+)"')
COOKIE = re.compile(rb"Set-Cookie: (duban_survey=[^;]+)", re.I)


# --- The load generator (a separate process) ---------------------------------------------------

async def http(host: str, port: int, method: str, path: str, headers: dict | None = None,
               body: bytes = b"") -> tuple[int, bytes, bytes]:
    """One request on a fresh connection (like a phone opening a page); returns (status, head, body)."""
    reader, writer = await asyncio.open_connection(host, port)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close",
             f"Content-Length: {len(body)}"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()
    data = await reader.read(-1)
    writer.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return status, head, rest


def answers(n: int, rng: random.Random) -> dict:
    overall = rng.choices(["满意", "基本满意", "不满意"], weights=[70, 22, 8])[0]
    return {"policy_awareness": rng.choice(["了解", "部分了解", "不了解"]),
            "policy_channels": rng.sample(["村(社区)干部上门走访", "村(社区)宣传栏", "政策宣讲会"], 2),
            "home_visit": rng.choice(["走访过", "没有走访过", "不清楚"]), "help_in_time": str(rng.randint(2, 5)),
            "staff_attitude": str(rng.randint(3, 5)), "overall": overall, "suggestions": f"bench-{n}"}


async def run_client(args) -> dict:
    host, port = args.host, args.port
    tokens = args.tokens.split(",") if args.tokens else []
    stats = {"page": [], "submit": [], "static": []}
    errors: dict[str, int] = {}
    accepted: list[int] = []
    counter = iter(range(args.respondents))
    deadline = time.monotonic() + args.time_limit
    rng = random.Random(7)

    def fail(kind: str) -> None:
        errors[kind] = errors.get(kind, 0) + 1

    async def respondent(n: int) -> None:
        token = tokens[n % len(tokens)]
        t = time.perf_counter()
        status, head, body = await http(host, port, "GET", f"/s/{token}")
        stats["page"].append(time.perf_counter() - t)
        nonce, cookie = NONCE.search(body), COOKIE.search(head)
        if status != 200 or not nonce or not cookie:
            return fail(f"page {status}")
        form = dict(answers(n, rng), nonce=nonce.group(1).decode())
        payload = urllib.parse.urlencode(form, doseq=True).encode()
        t = time.perf_counter()
        status, _, _ = await http(host, port, "POST", f"/s/{token}", body=payload, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie.group(1).decode()})
        stats["submit"].append(time.perf_counter() - t)
        if status == 303:
            accepted.append(n)
        else:
            fail(f"submit {status}")

    async def static(n: int) -> None:
        t = time.perf_counter()
        status, _, body = await http(host, port, "GET", "/static/app.css")
        stats["static"].append(time.perf_counter() - t)
        if status != 200 or not body:
            fail(f"static {status}")

    job = static if args.phase == "static" else respondent

    async def worker() -> None:
        for n in counter:
            if time.monotonic() > deadline:
                return
            try:
                await asyncio.wait_for(job(n), timeout=60)
            except (OSError, asyncio.TimeoutError) as e:
                fail(type(e).__name__)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    return {"elapsed": time.perf_counter() - start, "latencies": stats, "errors": errors, "accepted": accepted}


def client_main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="survey_load.py client")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tokens", default="")
    ap.add_argument("--phase", choices=("survey", "static"), default="survey")
    ap.add_argument("--respondents", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=200)
    ap.add_argument("--time-limit", type=float, default=120)
    args = ap.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("the load generator only targets loopback")
    print(json.dumps(asyncio.run(run_client(args))))


# --- Set-up: database, data, gunicorn --------------------------------------------------------

def make_database(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit(("postgresql+psycopg", parts.netloc, f"/{name}", "", ""))


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(db_url: str, streets: int, villages: int) -> list[str]:
    """Create the schema and a district with an open survey; return the public link tokens."""
    os.environ.update(DATABASE_URL=db_url, DUBAN_TODAY=TODAY, DUBAN_DEMO="1")
    from duban import create_app
    from duban.campaigns.services import create_draft, publish
    from duban.extensions import db
    from duban.surveys import services as surveys
    from duban.tenancy.scoping import set_tenant
    from duban.tenancy.services import create_tenant
    from duban.tenancy.tree import add_unit

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url})
    with app.app_context():
        db.create_all()
        _, root, admin = create_tenant(db.session, name="压测区民政局", slug="bench", username="bench_admin",
                                       display_name="压测管理员", password=secrets.token_urlsafe(12))
        set_tenant(db.session, root.tenant_id)
        for s in range(streets):
            street = add_unit(db.session, tenant_id=root.tenant_id, name=f"第{s + 1}街道", kind="township",
                              parent=root, sort_order=s)
            for v in range(villages):
                add_unit(db.session, tenant_id=root.tenant_id, name=f"第{s + 1}街道{v + 1}社区", kind="village",
                         parent=street, sort_order=v)
        campaign = create_draft(db.session, admin, type_key="loubao_loujiu", root_unit=root, year=2022,
                                title="压测专项行动")
        publish(db.session, admin, campaign)
        survey = surveys.create_survey(db.session, admin, campaign)
        surveys.open_survey(db.session, admin, survey)
        db.session.commit()
        tokens = [link.token for link in surveys.links_under(db.session, survey, root)]
        db.session.remove()
        db.engine.dispose()
    return tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(db_url: str, port: int, workers: int, threads: int, instance: str,
                   warm_up_path: str) -> subprocess.Popen:
    """Start gunicorn and return once its workers answer warm_up_path (a GET that writes nothing)."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        sys.exit("gunicorn is not installed: .venv/bin/pip install -e '.[prod]'")
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(DATABASE_URL=db_url, SECRET_KEY=secrets.token_hex(16), DUBAN_TODAY=TODAY, DUBAN_INSTANCE=instance,
               DUBAN_SURVEY_SUBMIT_LIMIT="1000000 per minute", DUBAN_SURVEY_VIEW_LIMIT="1000000 per minute")
    env.pop("DUBAN_DEMO", None)
    proc = subprocess.Popen([str(gunicorn), "-k", "gthread", "-w", str(workers), "--threads", str(threads),
                             "-b", f"127.0.0.1:{port}", "--backlog", "2048", "--log-level", "warning",
                             "--chdir", str(REPO), "wsgi:app"], env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("gunicorn did not start")
        try:
            if all(asyncio.run(_warm_up(port, warm_up_path, workers * threads))):
                return proc  # every worker has booted the app and answers
        except OSError:
            pass
        time.sleep(0.3)
    stop(proc)
    sys.exit("gunicorn did not answer within 60 s")


async def _warm_up(port: int, path: str, n: int) -> list[bool]:
    results = await asyncio.gather(*(http("127.0.0.1", port, "GET", path) for _ in range(n)))
    return [status == 200 for status, _, _ in results]


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def run_phase(port: int, phase: str, args, tokens: list[str]) -> dict:
    cmd = [sys.executable, __file__, "client", "--port", str(port), "--phase", phase,
           "--respondents", str(args.respondents), "--concurrency", str(args.concurrency),
           "--time-limit", str(args.time_limit)]
    if phase == "survey":
        cmd += ["--tokens", ",".join(tokens)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.time_limit + 120)
    if out.returncode:
        sys.exit(f"load generator failed:\n{out.stderr}")
    return json.loads(out.stdout)


def count_rows(db_url: str) -> dict:
    import psycopg

    url = db_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        markers = [r[0] for r in conn.execute(
            "SELECT value FROM survey_answers WHERE question_key = 'suggestions'").fetchall()]
        return {"responses": one("SELECT count(*) FROM survey_responses"),
                "guards": one("SELECT count(*) FROM survey_guards"),
                "overall": one("SELECT count(*) FROM survey_answers WHERE question_key = 'overall'"),
                "markers": markers}


# --- Report ------------------------------------------------------------------------------------

def summarise(name: str, samples: list[float], elapsed: float, errors: int) -> list:
    s = sorted(samples)
    pick = lambda q: 1000 * s[min(len(s) - 1, int(q * (len(s) - 1)))] if s else float("nan")  # noqa: E731
    return [name, len(s), errors, len(s) / elapsed if elapsed else 0.0, pick(0.5), pick(0.95), pick(1.0)]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        return client_main(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--respondents", type=int, default=3000, help="answer sheets to try (and static requests)")
    ap.add_argument("--concurrency", type=int, default=200, help="concurrent respondents")
    ap.add_argument("--time-limit", type=float, default=120, help="seconds per phase, at most")
    ap.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    ap.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    ap.add_argument("--streets", type=int, default=4)
    ap.add_argument("--villages", type=int, default=10, help="communities per street (one link each)")
    ap.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--database", default="duban_bench_survey")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = ap.parse_args()

    db_url = make_database(args.admin_url, args.database)
    proc = None
    try:
        tokens = seed(db_url, args.streets, args.villages)
        port = free_port()
        with tempfile.TemporaryDirectory() as instance:
            proc = start_gunicorn(db_url, port, args.workers, args.threads, instance, f"/s/{tokens[0]}")
            survey = run_phase(port, "survey", args, tokens)
            static = run_phase(port, "static", args, tokens)
            stop(proc)
        counts = count_rows(db_url)
    finally:
        if proc is not None:
            stop(proc)
        if not args.keep:
            drop_database(args.admin_url, args.database)

    lat, errs = survey["latencies"], survey["errors"]
    page_err = sum(v for k, v in errs.items() if k.startswith("page") or k in ("OSError", "TimeoutError"))
    sub_err = sum(v for k, v in errs.items() if k.startswith("submit"))
    rows = [summarise("问卷页 GET /s/<token>", lat["page"], survey["elapsed"], page_err),
            summarise("提交 POST /s/<token>", lat["submit"], survey["elapsed"], sub_err),
            summarise("基线 GET /static/app.css", static["latencies"]["static"], static["elapsed"],
                      sum(static["errors"].values()))]
    print(f"\ngunicorn gthread {args.workers}×{args.threads} + PostgreSQL · {args.concurrency} concurrent respondents "
          f"from a separate process · {len(tokens)} public links · survey phase {survey['elapsed']:.1f} s, "
          f"baseline {static['elapsed']:.1f} s")
    print(f"{'':28}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for name, n, e, rps, p50, p95, top in rows:
        print(f"{name:<28}{n:>9}{e:>8}{rps:>9.1f}{p50:>9.1f}{p95:>9.1f}{top:>9.1f}")
    flow = rows[0][3] + rows[1][3]
    print(f"survey requests/s (page + submit) ÷ static baseline requests/s = {flow / rows[2][3]:.2f}")
    if errs:
        print("errors:", errs)
    accepted = sorted(survey["accepted"])
    stored = sorted(int(m.split("-")[1]) for m in counts["markers"])
    ok = (counts["responses"] == counts["guards"] == counts["overall"] == len(accepted) and stored == accepted)
    print(f"count check: accepted {len(accepted)} · stored responses {counts['responses']} · guards "
          f"{counts['guards']} · answer sheets with a marker {len(stored)} (distinct {len(set(stored))}) → "
          f"{'PASS: nothing lost, nothing duplicated' if ok else 'FAIL'}")
    sys.exit(0 if ok and accepted else 1)


if __name__ == "__main__":
    main()
