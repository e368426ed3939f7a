"""Tenant isolation in the session, the subtree ranges, and who-sees-what."""
import pytest
from sqlalchemy import select

from duban.extensions import db
from duban.tenancy.access import can, sees
from duban.tenancy.models import OrgUnit, User
from duban.tenancy.permissions import Permission
from duban.tenancy.scoping import TenantMissing, set_tenant
from duban.tenancy.tree import descendants, path_range

from . import factories


def test_selects_are_scoped_to_the_session_tenant(district):
    other = factories.make_tree({"别的民政局": {"别的街道": ["别的社区"]}})
    db.session.commit()
    other_street, other_tenant = other["别的街道"].id, other["别的民政局"].tenant_id
    mine = district["units"]["湖里区民政局"].tenant_id
    set_tenant(db.session, mine)
    names = set(db.session.scalars(select(OrgUnit.name)))
    assert "别的街道" not in names and "湖里街道" in names
    # session.get and relationship loads are filtered too
    db.session.expunge_all()
    assert db.session.get(OrgUnit, other_street) is None
    set_tenant(db.session, other_tenant)
    assert db.session.get(OrgUnit, other_street) is not None


def test_new_rows_are_stamped_and_cross_tenant_writes_fail(district):
    mine = district["units"]["湖里区民政局"]
    set_tenant(db.session, mine.tenant_id)
    unit = OrgUnit(name="新社区", kind="village", parent_id=mine.id, path="/x/")
    db.session.add(unit)
    db.session.flush()
    assert unit.tenant_id == mine.tenant_id
    other = factories.make_tenant()
    db.session.add(OrgUnit(name="越界", kind="village", tenant_id=other.id, path="/y/"))
    with pytest.raises(TenantMissing):
        db.session.flush()
    db.session.rollback()


def test_rows_without_a_tenant_are_refused(app):
    set_tenant(db.session, None)
    db.session.add(OrgUnit(name="无主", kind="bureau", path="/"))
    with pytest.raises(TenantMissing):
        db.session.flush()
    db.session.rollback()


def test_subtree_range_is_exact(district):
    u = district["units"]
    hl = u["湖里街道"]
    low, high = path_range(hl.path)
    assert low == hl.path and low < hl.path + "999/" < high
    assert [x.name for x in descendants(db.session, hl)] == ["金湖社区", "湖边社区"]
    # A unit whose id shares the prefix digits is not inside ("/1/2/" vs "/1/23/").
    assert not any(x.path.startswith(hl.path) for x in descendants(db.session, u["殿前街道"]))
    names = {x.name for x in descendants(db.session, u["湖里区民政局"])}
    assert names == {"湖里街道", "殿前街道", "金湖社区", "湖边社区", "高殿社区", "兴隆社区"}


def test_visibility_and_rights_follow_memberships(district):
    u, users = district["units"], district["users"]
    op = users["township"]
    assert sees(op, u["金湖社区"]) and not sees(op, u["高殿社区"]) and not sees(op, u["湖里区民政局"])
    assert can(op, Permission.TASK_REVIEW, u["金湖社区"], strictly_above=True)
    assert not can(op, Permission.TASK_REVIEW, u["湖里街道"], strictly_above=True)
    inspector = users["inspector"]
    assert sees(inspector, u["高殿社区"]) and not can(inspector, Permission.TASK_WORK, u["高殿社区"])


def test_many_units_paths_stay_prefix_free(app):
    """Ids of different lengths never make one path a prefix of a non-descendant's."""
    units = factories.make_tree({"大区": {f"街道{i}": [f"社区{i}-{j}" for j in range(3)] for i in range(15)}})
    for street in [x for x in units.values() if x.kind == "township"]:
        below = descendants(db.session, street)
        assert {b.parent_id for b in below} == {street.id} and len(below) == 3
    assert db.session.scalar(select(User).limit(1)) is None
