"""The desk's unit picker: the estate's units that match what has been typed so far."""
from ..models import Building, Unit

BUILDING_KINDS = ("号楼", "栋", "幢", "座")


def unit_matches(estate, text, limit=8):
    """Up to `limit` Units of `estate` that `text` (typed so far, in any of the ways
    Unit.find reads: 1-10, 1号楼10, 3栋5 …) may be heading for, by building name then
    number; [] for empty text. A building alone (1号楼, or a bare 1) lists that building's
    units and the units whose number starts so."""
    building, number = Unit.split_label(text)
    if building is None and number is None:
        return []
    query = (Unit.select(Unit, Building).join(Building).where(Unit.estate == estate)
             .order_by(Building.name, Unit.number).limit(limit))
    if building:
        names = [building, *(f"{building}{kind}" for kind in BUILDING_KINDS)]
        return list(query.where(Building.name.in_(names), Unit.number.startswith(number)))
    return list(query.where(Building.name.startswith(number) | Unit.number.startswith(number)))
