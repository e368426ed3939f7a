"""Permissions, and which role grants which. The one place roles are mapped to rights."""
from enum import StrEnum


class Permission(StrEnum):
    CAMPAIGN_VIEW = "campaign:campaign:view"
    CAMPAIGN_LAUNCH = "campaign:campaign:launch"
    TASK_WORK = "campaign:task:work"
    TASK_REVIEW = "campaign:task:review"
    TASK_COMMENT = "campaign:task:comment"
    LIST_VIEW = "campaign:list:view"
    LIST_EDIT = "campaign:list:edit"
    REPORT_GENERATE = "campaign:report:generate"
    EVIDENCE_VIEW = "campaign:evidence:view"
    ORG_MANAGE = "tenant:org:manage"
    SCREENING_IMPORT = "screening:data:import"  # import department data, run the matching rules


class Role(StrEnum):
    BUREAU_ADMIN = "bureau_admin"
    TOWNSHIP_OPERATOR = "township_operator"
    VILLAGE_WORKER = "village_worker"
    DEPARTMENT_STAFF = "department_staff"
    INSPECTOR = "inspector"


ROLE_LABELS = {
    Role.BUREAU_ADMIN: "局管理员",
    Role.TOWNSHIP_OPERATOR: "镇(街道)经办人",
    Role.VILLAGE_WORKER: "村(社区)工作人员",
    Role.DEPARTMENT_STAFF: "股室/中心工作人员",
    Role.INSPECTOR: "督导检查人员",
}

P = Permission
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.BUREAU_ADMIN: frozenset(P),
    Role.TOWNSHIP_OPERATOR: frozenset(
        {P.CAMPAIGN_VIEW, P.TASK_WORK, P.TASK_REVIEW, P.TASK_COMMENT, P.LIST_VIEW, P.LIST_EDIT,
         P.REPORT_GENERATE, P.EVIDENCE_VIEW}
    ),
    Role.VILLAGE_WORKER: frozenset(
        {P.CAMPAIGN_VIEW, P.TASK_WORK, P.TASK_COMMENT, P.LIST_VIEW, P.LIST_EDIT, P.EVIDENCE_VIEW}
    ),
    # Staff of a bureau department (股室/中心): do the department's own tasks; the bureau reviews them.
    Role.DEPARTMENT_STAFF: frozenset(
        {P.CAMPAIGN_VIEW, P.TASK_WORK, P.TASK_COMMENT, P.LIST_VIEW, P.LIST_EDIT, P.EVIDENCE_VIEW,
         P.REPORT_GENERATE}
    ),
    # Superiors who read everything below them, comment and escalate, but do not do the work.
    Role.INSPECTOR: frozenset(
        {P.CAMPAIGN_VIEW, P.TASK_COMMENT, P.LIST_VIEW, P.REPORT_GENERATE, P.EVIDENCE_VIEW}
    ),
}
