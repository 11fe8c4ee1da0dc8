"""The network's shape: public aggregates, as charts and a schematic map drawn on the server."""

from __future__ import annotations

from flask import abort, render_template
from flask_babel import gettext as _

from app.i18n import current_locale
from app.services import directory, network_shape, places, translations
from app.solidarity import bp

TILE = 64  # the map's tile, in SVG units
GAP = 4


def _governorate_names(locale: str) -> dict[str, str]:
    names = {place.key: place.name(locale) for place in places.PLACES if place.key in network_shape.TILES}
    names[network_shape.ELSEWHERE] = _("Elsewhere in Iraq or not stated")
    return names


def _render(shape: network_shape.Shape, **context):
    locale = current_locale()
    columns = 1 + max(column for column, _row in network_shape.TILES.values())
    rows = 1 + max(row for _column, row in network_shape.TILES.values())
    return render_template(
        "solidarity/shape.html",
        shape=shape,
        governorate_names=_governorate_names(locale),
        tiles=network_shape.TILES,
        tile=TILE,
        gap=GAP,
        map_width=columns * (TILE + GAP),
        map_height=rows * (TILE + GAP),
        threshold=network_shape.THRESHOLD,
        **context,
    )


@bp.get("/shape")
def shape():
    return _render(network_shape.network_shape(), campaign=None, text=None)


@bp.get("/shape/<slug>")
def campaign_shape(slug: str):
    campaign = directory.get_campaign(slug)
    if campaign is None:
        abort(404)
    return _render(
        network_shape.network_shape(campaign),
        campaign=campaign,
        text=translations.localized_campaign(campaign, current_locale()),
    )
