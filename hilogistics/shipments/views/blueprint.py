"""The blueprint every shipment view module registers its routes on."""

from flask import Blueprint

bp = Blueprint("shipments", __name__)
