"""Every action the platform records has a Chinese label on the 操作记录 page."""
import re
from pathlib import Path

import duban
from duban.audit.trail import ACTION_LABELS, action_label

RECORDED = re.compile(r"""record\(\s*session,\s*\w+,\s*"([a-z_]+\.[a-z_]+)"|"(ledger\.row_\w+)"|"(user\.deactivated)\"""")


def test_every_recorded_action_has_a_chinese_label():
    source = "\n".join(p.read_text(encoding="utf-8") for p in Path(duban.__file__).parent.rglob("*.py"))
    actions = {next(g for g in m.groups() if g) for m in RECORDED.finditer(source)}
    assert {"screening.imported", "ledger.exported", "ledger.row_added", "person.id_viewed"} <= actions
    missing = sorted(a for a in actions if a not in ACTION_LABELS)
    assert not missing, missing
    assert action_label("ledger.exported") == "导出台账/名单"
