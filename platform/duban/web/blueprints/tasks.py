"""Placeholder being written in this session."""
from flask import Blueprint

bp = Blueprint("tasks", __name__)


@bp.route("/tasks")
def mine():
    return ""
