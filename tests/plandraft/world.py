"""A saved tenant template for the route walk in tests/test_tenancy_routes.py."""
from duban.extensions import db
from duban.plandraft.models import TenantTemplate

DATA = {
    "schema": 1, "name": "测试方案模板", "issuer": "湖里区民政局", "doc_number": "", "year": 2022,
    "phases": [{"key": "p1", "name": "实施阶段", "start": "2022-06-01", "end": "2022-08-31", "source": "", "sentence": None}],
    "tasks": [{"key": "t1", "title": "全面排查", "phase": "p1", "level": "township", "responsible": [],
               "departments": [], "description": "", "source": "", "sentence": None}],
    "deadlines": [], "recurring": [], "screening_categories": [], "screening_checks": [], "ledgers": [],
}


def plandraft_objects(district) -> dict:
    bureau, admin = district["units"]["湖里区民政局"], district["users"]["admin"]
    template = TenantTemplate(key="pending-world", name=DATA["name"], year=2022, data=DATA, source_text="一、实施阶段",
                              owner_unit=bureau, created_by=admin, tenant_id=bureau.tenant_id)
    db.session.add(template)
    db.session.flush()
    template.key = f"tenant{template.tenant_id}_{template.id}"
    db.session.commit()
    return {"template_id": template.id}
