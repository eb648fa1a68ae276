"""Location and province administration views."""

from flask import Blueprint

bp = Blueprint("locations", __name__)
