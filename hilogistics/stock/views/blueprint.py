"""The stock blueprint object, shared by the modules that add its routes."""

from flask import Blueprint

bp = Blueprint("stock", __name__)
