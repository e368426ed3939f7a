"""Tenant isolation inside the ORM session.

The request sets ``session.info["tenant_id"]`` once the user is known. Every ORM select then
gets ``tenant_id = :tid`` on each tenant-owned entity (selects, ``session.get`` and lazy loads
alike), and every new tenant-owned row is stamped with the session's tenant before flush; a row
that would be written without a tenant fails loudly instead of leaking.
"""
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from ..models import TenantOwned

TENANT_KEY = "tenant_id"


class TenantMissing(RuntimeError):
    pass


def set_tenant(session, tenant_id: int | None) -> None:
    """Scope session (a Session or scoped_session) to tenant_id; None lifts the scope."""
    if tenant_id is None:
        session.info.pop(TENANT_KEY, None)
    else:
        session.info[TENANT_KEY] = tenant_id


@event.listens_for(Session, "do_orm_execute")
def _scope_selects(state: ORMExecuteState) -> None:
    tenant_id = state.session.info.get(TENANT_KEY)
    if tenant_id is None or not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("all_tenants"):
        return
    state.statement = state.statement.options(
        with_loader_criteria(TenantOwned, lambda cls: cls.tenant_id == tenant_id, include_aliases=True)
    )


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, flush_context, instances) -> None:
    tenant_id = session.info.get(TENANT_KEY)
    for obj in session.new:
        if not isinstance(obj, TenantOwned):
            continue
        if obj.tenant_id is None:
            if tenant_id is None:
                raise TenantMissing(f"{type(obj).__name__} has no tenant_id and the session has no tenant")
            obj.tenant_id = tenant_id
        elif tenant_id is not None and obj.tenant_id != tenant_id:
            raise TenantMissing(f"{type(obj).__name__} belongs to tenant {obj.tenant_id}, session is {tenant_id}")
