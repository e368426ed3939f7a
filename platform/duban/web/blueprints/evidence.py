"""Placeholder being written in this session."""
from flask import Blueprint

bp = Blueprint("evidence", __name__)
