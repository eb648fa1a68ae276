"""The blueprint every distribution view module registers its routes on."""

from flask import Blueprint

bp = Blueprint("distributions", __name__)
