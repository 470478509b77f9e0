"""Renovation records for tests: an application taken by the desk and, when asked, moved on
through the flow by the same domain calls the pages make. Run inside `in_db`."""
from datetime import timedelta

from tests.factories.service import home, staff
from wyapp.db import utcnow
from wyapp.gate.validators import id_check_digit
from wyapp.models import Unit
from wyapp.renovation import flow, inspections
from wyapp.renovation.applications import apply
from wyapp.renovation.models import Renovation


def id_number(first17="44030519800101123"):
    """A valid 18-digit ID number (GB 11643 check digit) from its first 17 digits."""
    return first17 + id_check_digit(first17)


def application(estate=None, unit="1-101", *, now=None, **fields):
    """An application (待审核) taken by the desk at `now` for `unit`: 水电改造 and 防水, 30
    days from tomorrow (estate dates), two workers; any apply() keyword overrides."""
    estate = estate or home()
    now = now or utcnow()
    start = estate.today(now) + timedelta(days=1)
    args = {"owner_name": "陈业主", "owner_phone": "13800001111", "company": "美居装饰",
            "company_person": "周经理", "company_phone": "13700002222",
            "licence_no": "91440300MA5D000001", "planned_start": start,
            "planned_end": start + timedelta(days=30), "scope": ["水电改造", "防水"],
            "scope_text": "卫生间翻新",
            "workers": f"张师傅 13911110001 {id_number()}\n李师傅 13911110002"}
    args.update(fields)
    return apply(estate, Unit.find(estate, unit), staff("desk"), now, **args)


def approved(estate=None, unit="1-101", *, now=None, **fields):
    """An application approved by the manager (施工中, permit issued)."""
    renovation = application(estate, unit, now=now, **fields)
    return flow.approve(renovation, staff("manager"), now or utcnow(), "18:00 前清运垃圾")


def answers(estate, kind, bad=None):
    """Checklist answers: every item 合格, except {label: note} in `bad`."""
    _, items = inspections.checklist_items(estate, kind, staff("supervisor"))
    bad = bad or {}
    return {i.key: (False, bad[i.label]) if i.label in bad else (True, "") for i in items}


def reload(renovation):
    return Renovation.get_by_id(renovation.id)
