"""Placeholder being written in this session."""
from flask import Blueprint

bp = Blueprint("lists", __name__)
