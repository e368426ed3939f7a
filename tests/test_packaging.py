"""The layout keeps `platform` the standard library's, and plugins register through entry points."""
from __future__ import annotations

import subprocess
import sys
import sysconfig
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import duban

ROOT = Path(__file__).resolve().parents[1]


def test_platform_is_the_stdlib_module():
    import platform

    assert platform.system()  # the stdlib function, not a folder of ours
    assert Path(platform.__file__).resolve().parent == Path(sysconfig.get_paths()["stdlib"]).resolve()


def test_stdlib_platform_wins_from_the_repo_root():
    """Run from the checkout (the repo root first on sys.path): platform and uuid still work."""
    code = "import platform, uuid; platform.system(); uuid.uuid4(); print(platform.__file__)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert not Path(out.stdout.strip()).resolve().is_relative_to(ROOT)


def test_no_package_marker_in_the_plain_folders():
    assert not (ROOT / "platform" / "__init__.py").exists()
    assert not (ROOT / "plugins" / "__init__.py").exists()


def test_core_package_lives_in_platform():
    assert Path(duban.__file__).resolve().parent == ROOT / "platform" / "duban"


def test_entry_point_group_has_the_first_plugin():
    eps = {ep.name: ep for ep in entry_points(group="duban")}
    assert "loubao_loujiu" in eps
    plugin = eps["loubao_loujiu"].load()
    assert callable(getattr(plugin, "register_campaign_types"))


def test_entry_point_plugin_loads_into_a_manager():
    from duban.plugins import make_plugin_manager

    pm = make_plugin_manager(["loubao_loujiu"])
    keys = [t.key for types in pm.hook.register_campaign_types(app=None) for t in types or ()]
    assert "loubao_loujiu" in keys


def test_pyproject_declares_layout_and_data():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["requires-python"] == ">=3.11"
    assert meta["project"]["entry-points"]["duban"]["loubao_loujiu"].startswith("loubao_loujiu.")
    assert meta["tool"]["setuptools"]["packages"]["find"]["where"] == ["platform", "plugins"]
    data = meta["tool"]["setuptools"]["package-data"]["*"]
    assert "*.yaml" in data and any(p.startswith("migrations/") for p in data)
    assert (ROOT / "platform" / "duban" / "migrations" / "env.py").is_file()


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_section = readme.split("\n## ", 2)[1]
    commands = [line.strip() for line in first_section.splitlines() if line.strip().startswith("make ")]
    assert commands == ["make run", "make test"]


def test_ci_script_is_strict():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in script and "make test" in script
    assert "postgresql+psycopg://" in script and "redis://127.0.0.1:6379/0" in script
