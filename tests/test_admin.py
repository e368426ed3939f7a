"""Org and user administration: bureau admins only, inside their subtree, every bad input refused."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from duban.errors import ValidationError
from duban.extensions import db
from duban.tenancy import services as org
from duban.tenancy.models import Membership, OrgUnit, Tenant, User
from duban.tenancy.scoping import set_tenant

from . import factories


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model).execution_options(all_tenants=True))


def _unit(name: str) -> OrgUnit:
    return db.session.scalar(select(OrgUnit).where(OrgUnit.name == name).execution_options(all_tenants=True))


@pytest.fixture
def other_tenant(district):
    units = factories.make_tree({"思明区民政局": {"中华街道": ["光彩社区"]}})
    admin = factories.make_user(units["思明区民政局"], "bureau_admin", "sm_admin")
    db.session.commit()
    # The factories scoped the (shared) session to the new tenant; scope it back to the district's.
    set_tenant(db.session, district["units"]["湖里区民政局"].tenant_id)
    return {"units": units, "admin": admin}


# --- Who may enter ---------------------------------------------------------------------------

def test_anonymous_is_sent_to_login(client):
    r = client.get("/admin/units")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


@pytest.mark.parametrize("who", ["inspector", "township", "sibling", "village"])
@pytest.mark.parametrize("url", ["/admin/units", "/admin/users"])
def test_non_admins_get_403(district, login_as, who, url):
    assert login_as(district["users"][who]).get(url).status_code == 403


def test_non_admin_cannot_post(district, login_as):
    c = login_as(district["users"]["township"])
    before = _count(OrgUnit)
    r = c.post_form("/admin/units", {"parent_id": district["units"]["湖里街道"].id, "kind": "village", "name": "新社区"})
    assert r.status_code == 403
    assert _count(OrgUnit) == before


# --- The tree --------------------------------------------------------------------------------

def test_tree_shows_subtree_indented(district, other_tenant, login_as):
    html = login_as(district["users"]["admin"]).get("/admin/units").get_data(as_text=True)
    for name in ("湖里区民政局", "湖里街道", "殿前街道", "金湖社区", "兴隆社区"):
        assert name in html
    assert "思明区民政局" not in html and "中华街道" not in html
    assert "--level: 2" in html


def test_add_child_unit(district, login_as):
    c = login_as(district["users"]["admin"])
    street = district["units"]["湖里街道"]
    r = c.post_form("/admin/units", {"parent_id": street.id, "kind": "village", "name": " 海天社区 ",
                                     "division_code": "350206001004"})
    assert r.status_code == 302
    unit = _unit("海天社区")
    assert unit.parent_id == street.id and unit.kind == "village" and unit.depth == 2
    assert unit.path == f"{street.path}{unit.id}/" and unit.division_code == "350206001004"
    assert unit.sort_order == 2  # after 金湖社区 and 湖边社区
    assert "海天社区" in c.get("/admin/units").get_data(as_text=True)


def test_add_department_and_township_under_bureau(district, login_as):
    c = login_as(district["users"]["admin"])
    bureau = district["units"]["湖里区民政局"]
    assert c.post_form(f"/admin/units/{bureau.id}/children", {"kind": "department", "name": "社会救助股"}).status_code == 302
    assert c.post_form(f"/admin/units/{bureau.id}/children", {"kind": "township", "name": "禾山街道"}).status_code == 302
    assert _unit("社会救助股").kind == "department" and _unit("禾山街道").kind == "township"


@pytest.mark.parametrize("data, message", [
    ({"kind": "village", "name": ""}, "请填写单位名称"),
    ({"kind": "village", "name": "金湖社区"}, "已有名为“金湖社区”的单位"),
    ({"kind": "village", "name": "新社区", "division_code": "35020600100"}, "统计区划代码应为12位数字"),
    ({"kind": "village", "name": "新社区", "division_code": "35020600100a"}, "统计区划代码应为12位数字"),
    ({"kind": "village", "name": "新社区", "division_code": "３５０２０６００１００１"}, "统计区划代码应为12位数字"),
    ({"kind": "township", "name": "新街道"}, "下只能添加村(社区)"),
    ({"kind": "bureau", "name": "新局"}, "下只能添加村(社区)"),
    ({"kind": "village", "name": "长" * 101}, "单位名称不能超过100个字"),
])
def test_add_child_bad_input(district, login_as, data, message):
    c = login_as(district["users"]["admin"])
    before = _count(OrgUnit)
    r = c.post_form(f"/admin/units/{district['units']['湖里街道'].id}/children", data)
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    assert _count(OrgUnit) == before


def test_cannot_add_below_a_village(district, login_as):
    c = login_as(district["users"]["admin"])
    r = c.post_form("/admin/units", {"parent_id": district["units"]["金湖社区"].id, "kind": "village", "name": "x"})
    assert r.status_code == 400 and "不能再添加下级单位" in r.get_data(as_text=True)


def test_add_unit_requires_a_parent_in_subtree(district, other_tenant, login_as):
    c = login_as(district["users"]["admin"])
    before = _count(OrgUnit)
    for parent in ("", "abc", str(other_tenant["units"]["中华街道"].id), "999999"):
        r = c.post_form("/admin/units", {"parent_id": parent, "kind": "village", "name": "新社区"})
        assert r.status_code == 400 and "请选择上级单位" in r.get_data(as_text=True)
    assert _count(OrgUnit) == before


def test_rename_unit(district, login_as):
    c = login_as(district["users"]["admin"])
    unit = district["units"]["湖边社区"]
    assert c.get(f"/admin/units/{unit.id}").status_code == 200
    r = c.post_form(f"/admin/units/{unit.id}", {"name": "湖边社区居委会", "division_code": "350206001002"})
    assert r.status_code == 302
    db.session.expire_all()
    assert unit.name == "湖边社区居委会" and unit.division_code == "350206001002"
    # The name of a sibling is taken; the code must be 12 digits.
    r = c.post_form(f"/admin/units/{unit.id}", {"name": "金湖社区"})
    assert r.status_code == 400 and "同一上级单位下已有名为“金湖社区”的单位" in r.get_data(as_text=True)
    r = c.post_form(f"/admin/units/{unit.id}", {"name": "湖边", "division_code": "123"})
    assert r.status_code == 400 and "统计区划代码应为12位数字" in r.get_data(as_text=True)
    db.session.expire_all()
    assert unit.name == "湖边社区居委会"


def test_units_of_another_tenant_are_404(district, other_tenant, login_as):
    c = login_as(district["users"]["admin"])
    foreign = other_tenant["units"]["中华街道"]
    assert c.get(f"/admin/units/{foreign.id}").status_code == 404
    assert c.post_form(f"/admin/units/{foreign.id}", {"name": "改名"}).status_code == 404
    assert c.post_form(f"/admin/units/{foreign.id}/children", {"kind": "village", "name": "x"}).status_code == 404
    db.session.expire_all()
    assert foreign.name == "中华街道"


@pytest.fixture
def street_admin(district):
    """An admin whose subtree is one street (an unusual but possible membership)."""
    user = factories.make_user(district["units"]["湖里街道"], "bureau_admin", "street_admin")
    db.session.commit()
    return user


def test_street_admin_stays_in_its_street(district, street_admin, login_as):
    c = login_as(street_admin)
    html = c.get("/admin/units").get_data(as_text=True)
    assert "金湖社区" in html and "殿前街道" not in html and "高殿社区" not in html
    sibling = district["units"]["殿前街道"]
    assert c.get(f"/admin/units/{sibling.id}").status_code == 404
    # The bureau above is visible (it is an ancestor) but not manageable.
    assert c.get(f"/admin/units/{district['units']['湖里区民政局'].id}").status_code == 404
    users = c.get("/admin/users").get_data(as_text=True)
    assert "jh_worker" in users and "dq_op" not in users and ">admin<" not in users
    assert c.post_form(f"/admin/users/{district['users']['sibling'].id}/password",
                       {"password": "new-pass-123"}).status_code == 404


# --- Users -----------------------------------------------------------------------------------

def test_users_list(district, other_tenant, login_as):
    html = login_as(district["users"]["admin"]).get("/admin/users").get_data(as_text=True)
    for username in ("admin", "inspector", "hl_op", "dq_op", "jh_worker"):
        assert username in html
    assert "sm_admin" not in html
    assert "金湖社区 · 村(社区)工作人员" in html


def test_create_user_then_login(district, login_as, client):
    c = login_as(district["users"]["admin"])
    r = c.post_form("/admin/users", {"username": "hb_worker", "display_name": "陈美玲", "password": "secret-123",
                                     "role": "village_worker", "unit_id": district["units"]["湖边社区"].id})
    assert r.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "hb_worker"))
    assert [(m.org_unit.name, m.role) for m in user.memberships] == [("湖边社区", "village_worker")]
    assert user.tenant_id == district["units"]["湖边社区"].tenant_id
    assert client.login("hb_worker", "secret-123").status_code == 302


@pytest.mark.parametrize("overrides, field_message", [
    ({"username": "ab"}, "用户名应为3至60位"),
    ({"username": "张三"}, "用户名应为3至60位"),
    ({"username": "jh_worker"}, "用户名“jh_worker”已被使用"),
    ({"username": "JH_Worker"}, "已被使用"),
    ({"username": "sm_admin"}, "已被使用"),  # usernames are unique across tenants
    ({"display_name": "  "}, "请填写姓名"),
    ({"password": "short"}, "密码至少8位"),
    ({"password": " " * 10}, "密码不能全是空格"),
    ({"role": "superuser"}, "请选择角色"),
    ({"role": "township_operator"}, "的用户只能是：村(社区)工作人员"),
    ({"unit_id": ""}, "请选择您管理范围内的单位"),
    ({"unit_id": "foreign"}, "请选择您管理范围内的单位"),
])
def test_create_user_bad_input(district, other_tenant, login_as, overrides, field_message):
    c = login_as(district["users"]["admin"])
    data = {"username": "new_user", "display_name": "新用户", "password": "secret-123", "role": "village_worker",
            "unit_id": district["units"]["湖边社区"].id}
    data.update(overrides)
    if data["unit_id"] == "foreign":
        data["unit_id"] = other_tenant["units"]["光彩社区"].id
    users, memberships = _count(User), _count(Membership)
    r = c.post_form("/admin/users", data)
    assert r.status_code == 400
    assert field_message in r.get_data(as_text=True)
    assert (_count(User), _count(Membership)) == (users, memberships)


def test_reset_password_ends_sessions(district, login_as, client):
    target = district["users"]["village"]
    victim = login_as(target)
    assert victim.get("/admin/units").status_code == 403  # logged in (a non-admin page answer)
    admin = login_as(district["users"]["admin"])
    r = admin.post_form(f"/admin/users/{target.id}/password", {"password": "brand-new-pass"})
    assert r.status_code == 302
    r = victim.get("/admin/units")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert client.login("jh_worker", factories.PASSWORD).status_code == 401
    assert client.login("jh_worker", "brand-new-pass").status_code == 302


def test_reset_password_bad_input(district, login_as):
    target = district["users"]["village"]
    version = target.session_version
    r = login_as(district["users"]["admin"]).post_form(f"/admin/users/{target.id}/password", {"password": "1234567"})
    assert r.status_code == 400 and "密码至少8位" in r.get_data(as_text=True)
    db.session.expire_all()
    assert target.session_version == version


def test_deactivate_and_reactivate(district, login_as, client):
    target = district["users"]["sibling"]
    victim = login_as(target)
    admin = login_as(district["users"]["admin"])
    assert admin.post_form(f"/admin/users/{target.id}/active", {"active": "0"}).status_code == 302
    assert victim.get("/admin/units").status_code == 302  # session ended
    r = client.login("dq_op")
    assert r.status_code == 401 and "用户名或密码错误" in r.get_data(as_text=True)
    assert "已停用" in admin.get("/admin/users").get_data(as_text=True)
    r = admin.post_form(f"/admin/users/{target.id}/active", {"active": "0"})
    assert r.status_code == 400 and "该账号已经停用" in r.get_data(as_text=True)
    assert admin.post_form(f"/admin/users/{target.id}/active", {"active": "1"}).status_code == 302
    assert client.login("dq_op").status_code == 302


def test_cannot_deactivate_self(district, login_as):
    admin = district["users"]["admin"]
    r = login_as(admin).post_form(f"/admin/users/{admin.id}/active", {"active": "0"})
    assert r.status_code == 400 and "不能停用自己的账号" in r.get_data(as_text=True)
    db.session.expire_all()
    assert admin.active


def test_users_of_another_tenant_are_404(district, other_tenant, login_as):
    c = login_as(district["users"]["admin"])
    foreign = other_tenant["admin"]
    assert c.post_form(f"/admin/users/{foreign.id}/password", {"password": "hijacked-123"}).status_code == 404
    assert c.post_form(f"/admin/users/{foreign.id}/active", {"active": "0"}).status_code == 404
    assert c.post_form("/admin/users/999999/active", {"active": "0"}).status_code == 404
    db.session.expire_all()
    assert foreign.active and foreign.session_version == 1


def test_user_reaching_outside_the_subtree_is_403(district, street_admin, login_as):
    """A street admin may not reset a user who also holds a role above the street."""
    both = district["users"]["township"]
    both.memberships.append(Membership(org_unit=district["units"]["湖里区民政局"], role="inspector",
                                       tenant_id=both.tenant_id))
    db.session.commit()
    r = login_as(street_admin).post_form(f"/admin/users/{both.id}/password", {"password": "new-pass-123"})
    assert r.status_code == 403


# --- Services and the bootstrap command --------------------------------------------------------

def test_service_refuses_actor_outside(district, other_tenant):
    foreign_admin = other_tenant["admin"]
    set_tenant(db.session, district["units"]["湖里街道"].tenant_id)
    with pytest.raises(ValidationError) as e:
        org.add_child_unit(db.session, foreign_admin, district["units"]["湖里街道"], name="x", kind="village")
    assert "您无权管理该单位" in e.value.messages
    with pytest.raises(ValidationError):
        org.reset_password(db.session, district["users"]["township"], district["users"]["village"], "new-pass-123")


def test_create_tenant_service():
    tenant, root, user = org.create_tenant(db.session, name="厦门市集美区民政局", slug="jimei", division_code="350211000000",
                                           username="jm_admin", display_name="管理员", password="jimei-pass-1")
    db.session.commit()
    assert root.kind == "bureau" and root.path == f"/{root.id}/" and root.name == "厦门市集美区民政局"
    assert [(m.org_unit_id, m.role) for m in user.memberships] == [(root.id, "bureau_admin")]
    assert user.tenant_id == tenant.id == root.tenant_id
    with pytest.raises(ValidationError) as e:
        org.create_tenant(db.session, name="厦门市集美区民政局", slug="Jimei!", division_code="12",
                          username="jm_admin", display_name="", password="short")
    assert set(e.value.fields) == {"name", "slug", "division_code", "username", "display_name", "password"}
    db.session.rollback()
    assert _count(Tenant) == 1


def test_create_admin_command(app, client):
    runner = app.test_cli_runner()
    args = ["create-admin", "--tenant", "厦门市海沧区民政局", "--slug", "haicang", "--unit", "海沧区民政局",
            "--division-code", "350205000000", "--username", "hc_admin", "--display-name", "海沧管理员"]
    r = runner.invoke(args=args + ["--password", "short"])
    assert r.exit_code != 0 and "密码至少8位" in r.output
    assert _count(Tenant) == 0
    r = runner.invoke(args=args + ["--password", "haicang-2024"])
    assert r.exit_code == 0, r.output
    assert "已创建租户“厦门市海沧区民政局”" in r.output
    assert _unit("海沧区民政局").kind == "bureau"
    assert client.login("hc_admin", "haicang-2024").status_code == 302
    r = runner.invoke(args=args + ["--password", "haicang-2024"])
    assert r.exit_code != 0 and "已存在" in r.output and "已被使用" in r.output
