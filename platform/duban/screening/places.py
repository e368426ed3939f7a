"""Find the village a data row names: by 12-digit division code, by 乡镇（街道）+ 村（居委会）, or by
the village name alone when it is unique inside the importing unit's subtree."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..ledgers.mapping import norm
from ..tenancy.models import OrgUnit
from ..tenancy.tree import descendants


class Places:
    def __init__(self, session: Session, root: OrgUnit):
        self.root = root
        units = [root, *descendants(session, root)]
        by_id = {u.id: u for u in units}
        self.by_code: dict[str, OrgUnit] = {u.division_code: u for u in units if u.division_code}
        self.by_pair: dict[tuple[str, str], OrgUnit] = {}
        by_name: dict[str, list[OrgUnit]] = {}
        for u in units:
            if u.kind != "village":
                continue
            parent = by_id.get(u.parent_id)
            if parent is not None:
                self.by_pair[(norm(parent.name), norm(u.name))] = u
            by_name.setdefault(norm(u.name), []).append(u)
        self.by_name = {k: v[0] for k, v in by_name.items() if len(v) == 1}
        self.ambiguous = {k for k, v in by_name.items() if len(v) > 1}
        self._cache: dict[tuple, tuple[OrgUnit | None, str | None]] = {}

    def find(self, township: str | None, village: str | None, code: str | None) -> tuple[OrgUnit | None, str | None]:
        """Return (village unit, None) or (None, why not)."""
        key = (township, village, code)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._find(township, village, code)
        return hit

    def _find(self, township, village, code):
        if code:
            unit = self.by_code.get(str(code).strip())
            if unit is not None and unit.kind == "village":
                return unit, None
            if not village:
                return None, f"区划代码“{code}”不是本辖区内的村（社区）"
        if not village:
            return None, "缺少“村（居委会）”，无法确定所属村（社区）"
        v = norm(village)
        if township:
            unit = self.by_pair.get((norm(township), v))
            if unit is not None:
                return unit, None
            return None, f"“{township}”下没有“{village}”，请核对乡镇（街道）和村（居委会）名称"
        unit = self.by_name.get(v)
        if unit is not None:
            return unit, None
        if v in self.ambiguous:
            return None, f"“{village}”在多个街道（乡镇）下都有，请填写“乡镇（街道）”"
        return None, f"“{village}”不是本辖区内的村（社区）"
