"""Placeholder being written in this session."""
from flask import Blueprint

bp = Blueprint("reports", __name__)
