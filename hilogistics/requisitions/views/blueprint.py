"""The blueprint every requisition view module registers its routes on."""

from flask import Blueprint

bp = Blueprint("requisitions", __name__)
