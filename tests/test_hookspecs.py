"""The plugin contract: every hook is documented and exercised; a code-only plugin works."""
import inspect
import re
import types
from pathlib import Path

import pytest

from duban import create_app, hookimpl, hookspecs
from duban.campaigns.registry import DefinitionError, definition
from duban.campaigns.types import (
    CampaignType, DeadlineRule, ListColumn, MonthDay, Phase, TaskTemplate,
)

DOCS = (Path(__file__).resolve().parents[1] / "docs" / "plugins.md").read_text(encoding="utf-8")
HOOKS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
         if hasattr(fn, "duban_spec")]


def test_hook_list_is_not_empty():
    assert "register_campaign_types" in HOOKS and "list_columns" in HOOKS


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_documented_with_its_signature(name):
    params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
    assert f"`{name}({params})`" in DOCS, f"docs/plugins.md lacks a section for {name}({params})"


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_test(name):
    here = Path(__file__).resolve().parent
    found = any(re.search(rf"def test_hook_{name}\b", p.read_text(encoding="utf-8")) for p in here.rglob("test_*.py"))
    assert found, f"no test_hook_{name}"


_n = iter(range(10**6))


def _code_plugin(key="code_only", **overrides):
    """A plugin written in code (no YAML), as docs/plugins.md describes."""
    mod = types.ModuleType(f"plugin_{key}_{next(_n)}")
    mine = lambda t: t == key  # noqa: E731
    calls = mod.calls = []

    @hookimpl
    def register_campaign_types(app):
        return [CampaignType(key=key, name="代码插件", source_document="测试方案")]

    @hookimpl
    def campaign_phases(campaign_type):
        return overrides.get("phases", [Phase("p1", "第一阶段", MonthDay(3, 1), MonthDay(3, 31))]) if mine(campaign_type) else None

    @hookimpl
    def task_templates(campaign_type):
        return overrides.get("tasks", [TaskTemplate("t1", "上报", "p1", "township", DeadlineRule("phase_end"))]) \
            if mine(campaign_type) else None

    @hookimpl
    def list_columns(campaign_type, list_kind):
        return [ListColumn("description", "描述")] if mine(campaign_type) else None

    @hookimpl
    def campaign_published(campaign, actor):
        calls.append(("published", campaign.id))

    for name, fn in list(locals().items()):
        if callable(fn) and hasattr(fn, "duban_impl"):
            setattr(mod, name, fn)
    return mod


def test_a_code_only_plugin_assembles(app):
    plugin = _code_plugin()
    other = create_app({**app.config, "DUBAN_PLUGINS": [], "DUBAN_EXTRA_PLUGINS": [plugin]})
    with other.app_context():
        d = definition("code_only")
    assert [p.name for p in d.phases] == ["第一阶段"] and d.tasks[0].level == "township"


def test_inconsistent_plugin_refuses_to_start(app):
    bad = _code_plugin("bad", tasks=[TaskTemplate("t1", "上报", "nope", "township", DeadlineRule("phase_end"))])
    with pytest.raises(DefinitionError, match="unknown phase nope"):
        create_app({**app.config, "DUBAN_PLUGINS": [], "DUBAN_EXTRA_PLUGINS": [bad]})


def test_duplicate_type_key_refuses_to_start(app):
    with pytest.raises(DefinitionError, match="registered twice"):
        create_app({**app.config, "DUBAN_PLUGINS": [], "DUBAN_EXTRA_PLUGINS": [_code_plugin("dup"), _code_plugin("dup")]})


def test_unknown_plugin_name_is_an_error(app):
    with pytest.raises(RuntimeError, match="not installed"):
        create_app({**app.config, "DUBAN_PLUGINS": ["no_such_plugin"]})
