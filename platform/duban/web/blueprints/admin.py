"""Placeholder being written in this session."""
from flask import Blueprint

bp = Blueprint("admin", __name__)


@bp.route("/admin/units")
def units():
    return ""
