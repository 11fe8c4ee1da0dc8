from flask import Blueprint

bp = Blueprint("organizations", __name__)
