"""A campaign plugin written only from docs/plugins.md, installed in tests/test_example_plugin.py
through the ``duban`` entry-point group (a dist-info folder written at test time, no pip)."""
