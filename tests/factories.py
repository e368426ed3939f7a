"""Test data builders: defaults plus **overrides."""
from __future__ import annotations

import itertools
from contextlib import contextmanager

from duban.extensions import db
from duban.tenancy.models import Membership, OrgUnit, Tenant, User
from duban.tenancy.passwords import hash_password
from duban.tenancy.scoping import set_tenant
from duban.tenancy.tree import add_unit

_seq = itertools.count(1)
PASSWORD = "test-pass-123"
_HASH = None


def make_tenant(name: str | None = None) -> Tenant:
    n = next(_seq)
    tenant = Tenant(name=name or f"测试民政局{n}", slug=f"t{n}")
    db.session.add(tenant)
    db.session.flush()
    return tenant


def make_tree(spec: dict, tenant: Tenant | None = None) -> dict[str, OrgUnit]:
    """{"区民政局": {"甲街道": ["一社区", "二社区"]}} → {name: OrgUnit}; levels bureau/township/village."""
    tenant = tenant or make_tenant()
    set_tenant(db.session, tenant.id)
    units: dict[str, OrgUnit] = {}
    kinds = ["bureau", "township", "village"]

    def walk(node, parent, depth):
        items = node.items() if isinstance(node, dict) else ((n, None) for n in node)
        for i, (name, sub) in enumerate(items):
            unit = add_unit(db.session, tenant_id=tenant.id, name=name, kind=kinds[depth], parent=parent, sort_order=i)
            units[name] = unit
            if sub:
                walk(sub, unit, depth + 1)

    walk(spec, None, 0)
    db.session.flush()
    return units


def make_user(unit: OrgUnit, role: str, username: str | None = None, password: str = PASSWORD) -> User:
    global _HASH
    if password == PASSWORD:
        _HASH = _HASH or hash_password(PASSWORD)
        hashed = _HASH
    else:
        hashed = hash_password(password)
    n = next(_seq)
    set_tenant(db.session, unit.tenant_id)
    user = User(username=username or f"user{n}", display_name=f"用户{n}", password_hash=hashed,
                tenant_id=unit.tenant_id)
    user.memberships.append(Membership(org_unit=unit, role=role, tenant_id=unit.tenant_id))
    db.session.add(user)
    db.session.flush()
    return user


def launch(root: OrgUnit, admin: User, type_key: str = "loubao_loujiu", year: int = 2022, publish: bool = True):
    """Create (and publish) a campaign at root; returns the Campaign."""
    from duban.campaigns.services import create_draft, publish as do_publish

    set_tenant(db.session, root.tenant_id)
    c = create_draft(db.session, admin, type_key=type_key, root_unit=root, year=year,
                     title="测试专项行动", doc_number="测民〔2022〕1号")
    if publish:
        do_publish(db.session, admin, c)
    db.session.commit()
    return c


@contextmanager
def app_with_plugins(app, district: dict, *plugins):
    """Enter a second app on the same database whose only campaign plugins are `plugins`.

    Yields the district's {"units": ..., "users": ...} loaded into that app's session, scoped to
    the district's tenant; the second app's connections are closed on the way out.
    """
    from duban import create_app
    from duban.tenancy.models import User

    other = create_app({**app.config, "DUBAN_PLUGINS": [], "DUBAN_EXTRA_PLUGINS": list(plugins)})
    # Read the ids here: touching the fixture's rows inside the other app's context would make
    # this app's session borrow a connection from the other app's engine.
    unit_ids = {name: u.id for name, u in district["units"].items()}
    user_ids = {name: u.id for name, u in district["users"].items()}
    with other.app_context():
        units = {name: db.session.get(OrgUnit, i) for name, i in unit_ids.items()}
        users = {name: db.session.get(User, i) for name, i in user_ids.items()}
        set_tenant(db.session, next(iter(units.values())).tenant_id)
        try:
            yield {"units": units, "users": users}
        finally:
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()
