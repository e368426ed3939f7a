"""The plugin manager: one per app, kept in app.extensions["duban"].

Campaign plugins register through the ``duban`` entry-point group, so any installed package can
add one. DUBAN_PLUGINS chooses which entry points load (None: all; [] none, for tests that
register their own).
"""
from __future__ import annotations

import logging
from importlib.metadata import entry_points

import pluggy

from . import hookspecs

log = logging.getLogger(__name__)


def make_plugin_manager(names: list[str] | None = None, extra: list | None = None,
                        trace: bool = False) -> pluggy.PluginManager:
    """Return a plugin manager with the hookspecs, the chosen entry points and any extra modules."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for ep in entry_points(group=hookspecs.PROJECT):
        if names is None or ep.name in names:
            pm.register(ep.load(), name=ep.name)
    missing = set(names or ()) - {name for name, _ in pm.list_name_plugin()}
    if missing:
        raise RuntimeError(f"DUBAN_PLUGINS names plugins that are not installed: {sorted(missing)}")
    for module in extra or ():
        pm.register(module)
    pm.check_pending()
    if trace:
        pm.trace.root.setwriter(log.info)
        pm.enable_tracing()
    return pm
