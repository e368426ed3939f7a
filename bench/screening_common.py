"""Shared set-up for the screening benchmarks: an app on a scratch database with the demo district."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "platform"))


def bench_app():
    """(app, url): an app on BENCH_DATABASE_URL (a scratch PostgreSQL database: it is wiped) or a
    temporary SQLite file. DATABASE_URL is deliberately not used, so a real database is never wiped."""
    tmp = tempfile.mkdtemp(prefix="duban-bench-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
    from duban import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": tmp,
                      "REPORT_FOLDER": tmp, "UPLOAD_MAX_BYTES": 200 * 1024 * 1024, "DUBAN_TODAY": "2022-08-20"})
    return app, url


def demo_places() -> list[tuple[str, str]]:
    """(street, community) of every community of the demo district."""
    from duban.demo import STREETS

    return [(street, community) for street, _code, *_rest, communities in STREETS for community, _, _ in communities]


def demo_district(session):
    """Create a tenant with the demo district's tree and a bureau admin; return (admin, bureau, places)."""
    from duban.demo import BUREAU_NAME, STREETS
    from duban.tenancy.models import Membership, Tenant, User
    from duban.tenancy.scoping import set_tenant
    from duban.tenancy.tree import add_unit

    tenant = Tenant(name="基准测试民政局", slug="bench")
    session.add(tenant)
    session.flush()
    set_tenant(session, tenant.id)
    bureau = add_unit(session, tenant_id=tenant.id, name=BUREAU_NAME, kind="bureau")
    for street, code, *_rest, communities in STREETS:
        s = add_unit(session, tenant_id=tenant.id, name=street, kind="township", parent=bureau, division_code=code)
        for community, _, _ in communities:
            add_unit(session, tenant_id=tenant.id, name=community, kind="village", parent=s)
    admin = User(username="bench", display_name="基准", password_hash="x", tenant_id=tenant.id)
    admin.memberships.append(Membership(org_unit=bureau, role="bureau_admin", tenant_id=tenant.id))
    session.add(admin)
    session.commit()
    return admin, bureau, demo_places()


def rss_mb() -> float:
    """The process's peak resident memory in MB: since the last reset_peak_rss() where Linux
    allows resetting it (VmHWM), else since the process started."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> None:
    """Start measuring the peak anew (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
