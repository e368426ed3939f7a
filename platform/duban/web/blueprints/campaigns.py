"""Placeholder being written in this session."""
from flask import Blueprint

bp = Blueprint("campaigns", __name__)


@bp.route("/campaigns")
def index():
    return ""
