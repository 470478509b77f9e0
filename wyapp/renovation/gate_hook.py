"""What the gate sees of renovations: the workers' list of a unit under renovation, and a
warning (never a block) for a person registered for it who is not on the list or who comes
outside the allowed work hours. Read by the gate visitor form through one htmx include
(templates/renovation/_gate_hook.html)."""
from ..errors import DomainError
from ..inputs import normalize_phone
from ..models import Unit
from .applications import hours_text, work_allowed
from .models import UNDER_WAY, Renovation, RenovationSettings, Worker

WORK_PURPOSE = "装修施工"


def under_way(estate, unit_text):
    """The renovation under way (施工中 / 待验收 / 验收未通过) at the unit typed, or None
    (also for text that names no unit: the gate form says that itself)."""
    try:
        unit = Unit.find(estate, unit_text)
    except DomainError:
        return None
    if unit is None:
        return None
    return (Renovation.select().where(Renovation.estate == estate, Renovation.unit == unit,
                                      Renovation.status.in_(UNDER_WAY)).first())


def on_list(renovation, name="", phone=""):
    """The Worker of the list matching the name or the phone (normalised), or None."""
    phone = normalize_phone(phone)
    for worker in renovation.workers.order_by(Worker.id):
        if (name and worker.name == name.strip()) or (phone and worker.phone == phone):
            return worker
    return None


def gate_warnings(estate, now, unit_text, name="", phone="", purpose=""):
    """(renovation or None, [Chinese warnings]) for a visitor being registered at the gate:
    a 装修施工 visitor for a unit under renovation who is not on its workers' list, or any
    work visitor on a day outside the permit's dates (planned start to the extended end
    date), outside the allowed hours (estate time) or on a listed public holiday.
    Warnings mark, they never block: the guard decides."""
    renovation = under_way(estate, unit_text)
    if renovation is None:
        return None, []
    warnings = []
    if purpose == WORK_PURPOSE and (name or phone) and on_list(renovation, name, phone) is None:
        warnings.append(f"{name or phone} 不在 {renovation.unit.label} 的装修工人名单上"
                        "（不阻止登记，请核实）。")
    today = estate.today(now)
    if purpose == WORK_PURPOSE and not renovation.planned_start <= today <= renovation.end_date:
        warnings.append(f"今天不在 {renovation.unit.label} 的施工日期内"
                        f"（{renovation.planned_start:%Y-%m-%d} 至 "
                        f"{renovation.end_date:%Y-%m-%d}）。")
    settings = RenovationSettings.of(estate)
    if purpose == WORK_PURPOSE and not work_allowed(settings, estate.local(now)):
        warnings.append(f"现在不是允许的装修施工时间（{hours_text(settings)}，公共假日不施工）。")
    return renovation, warnings
