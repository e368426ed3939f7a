"""Draft a campaign template from a bureau's own plan document (工作方案).

Local extraction only (no network, no model): readers.py gets the text out of .txt/.docx/PDF,
text.py splits it into paragraphs and sentences, structure.py finds the numbered outline, and
meta/phases/deadlines/tasks/screening/ledgers each read one part; draft.py puts them together.
editor.py and validate.py carry a draft through the review form; services.py saves the reviewed
draft as a tenant-owned template (models.py), which the built-in plugin tenant_templates serves
as a campaign type; scoring.py measures the extractor. The JSON shape is in docs/template-draft.md.
"""
from .draft import as_json, build
from .readers import PlanError, read


def draft_from_file(filename: str, data: bytes) -> dict:
    """Read an uploaded plan and draft a template from it. Raises PlanError (Chinese message)."""
    return build(read(filename, data))


__all__ = ["PlanError", "as_json", "build", "draft_from_file", "read"]
