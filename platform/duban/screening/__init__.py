"""Household screening (摸排): department data in, the 摸排对象清单 out, visits recorded against it.

sources — the kinds of data a bureau imports and their fields; importer — reading, validating and
upserting a file; spec/rules — the campaign type's matching rules and running them; visits and
photos — the visit ledger with its photo evidence; rollup — the progress form's figures from it.
"""
