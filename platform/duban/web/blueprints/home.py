"""Placeholder being written in this session."""
from flask import Blueprint

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    return ""
