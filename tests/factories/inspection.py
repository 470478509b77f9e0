"""Inspection records for tests: equipment, checklists, plans, sheets, meters, duty shifts.

Each factory runs inside the app with a connection (`in_db`) and returns the row it made.
The ledger, checklists and plans the demo has are the defaults (a test asks for
`plan_for(estate, "DT-01")` and gets 1号楼1号电梯 with 电梯日检表, 每日), so the tests read
like the office's own equipment without building the whole demo.
"""
from contextlib import suppress
from datetime import datetime
from decimal import Decimal

from wyapp.db import utcnow
from wyapp.errors import DomainError
from wyapp.inspection import demo as inspection_demo
from wyapp.inspection.checklists import create_checklist
from wyapp.inspection.meters import record_reading
from wyapp.inspection.models import (
    Checklist,
    ChecklistItem,
    DutyEvent,
    DutyShift,
    Equipment,
    Meter,
    Plan,
    PlanEngineer,
)
from wyapp.inspection.sheets import save_answer, sheet_rows, start_sheet, submit_sheet
from wyapp.models import User

LEDGER = {row[0]: row for row in inspection_demo.EQUIPMENT}
DEMO_PLANS = {code: (checklist, frequency) for code, checklist, frequency
              in inspection_demo.PLANS}
PAST = datetime(2000, 1, 1)  # a plan made long ago: every recent slot of it counts


def staff(username):
    """An account of the office (factories.office()): engineer, supervisor, manager …"""
    return User.get(User.username == username)


def equipment(estate, code="DT-01", name=None, category=None, **fields):
    """A piece of equipment of `estate`; a code of the demo's ledger (PD-01, SB-01, DT-01 …)
    takes its name, category and location, unless given. Returns the existing one when the
    code is taken already."""
    found = Equipment.get_or_none(estate=estate, code=code)
    if found is not None:
        return found
    _, demo_name, demo_category, location, model, maker, contractor, phone = \
        LEDGER.get(code, (code, code, "其他", "", "", "", "", ""))
    values = {"location": location, "model": model, "maker": maker,
              "contractor": contractor, "contractor_phone": phone, **fields}
    return Equipment.create(estate=estate, code=code, name=name or demo_name,
                            category=category or demo_category, **values)


def checklist(estate, name="电梯日检表", items=None, category=None, by=None):
    """A checklist of `estate` with version 1 holding `items`: (label, kind, unit, min, max,
    choices) tuples or plain labels (正常/异常 items); by default the demo's checklist of that
    name (配电房日检表, 水泵房日检表, 电梯日检表, 消防设施日检表). Abnormal choices follow the
    demo's. Returns the existing checklist when the name is taken."""
    found = Checklist.get_or_none(estate=estate, name=name)
    if found is not None:
        return found
    demo_category, demo_items = inspection_demo.CHECKLISTS.get(name, ("其他", []))
    items = demo_items if items is None else items
    made = create_checklist(estate, by or staff("supervisor"), name,
                            demo_category if category is None else category)
    version = made.current_version()
    for position, spec in enumerate(items, start=1):
        if isinstance(spec, str):
            spec = (spec, "pass_fail", "", None, None, "")
        label, kind, unit, low, high, choices = spec
        ChecklistItem.create(
            version=version, key=f"t{made.id:06d}{position:03d}", position=position, kind=kind,
            label=label, unit=unit, min_value=Decimal(low) if low else None,
            max_value=Decimal(high) if high else None, choices=choices,
            abnormal_choices=inspection_demo.ABNORMAL_CHOICES.get(label, ""),
            required=kind not in ("text", "photo"))
    return made


def plan(estate, equipment, checklist, frequency="每日", engineers=(), created_at=PAST,
         active=True):
    """A plan: `checklist` on `equipment` `frequency` (每班/每日/每周/每月), assigned to
    `engineers` (none: any engineer), made at `created_at` (naive UTC; long ago by default,
    so every slot of it is due)."""
    made = Plan.create(estate=estate, equipment=equipment, checklist=checklist,
                       frequency=frequency, created_at=created_at, active=active)
    for engineer in engineers:
        PlanEngineer.create(plan=made, user=engineer)
    return made


def plan_for(estate, code="DT-01", frequency=None, engineers=None, **fields):
    """The demo's plan of equipment `code` (its checklist and frequency, unless given),
    assigned to the office's engineer by default."""
    checklist_name, demo_frequency = DEMO_PLANS.get(code, ("电梯日检表", "每日"))
    engineers = [staff("engineer")] if engineers is None else engineers
    return plan(estate, equipment(estate, code), checklist(estate, checklist_name),
                frequency or demo_frequency, engineers, **fields)


def fill(sheet, values=None, notes=None):
    """Answer every item of a draft: `values` {label: value}; the rest 正常, numbers at their
    lower bound (or upper), choices their first option; photo and text items left empty.
    `notes` {label: note}. Invalid values are kept as typed (save_answer keeps them)."""
    values, notes = values or {}, notes or {}
    for item, _ in sheet_rows(sheet):
        value = values.get(item.label)
        if value is None:
            if item.kind == "pass_fail":
                value = "正常"
            elif item.kind == "number":
                value = str(item.min_value if item.min_value is not None else item.max_value)
            elif item.kind == "choice":
                value = item.choice_list[0]
        if value is None and item.label not in notes:
            continue
        with suppress(DomainError):
            save_answer(sheet, item, value, notes.get(item.label))
    return sheet


def sheet(plan, period, shift="", by=None, values=None, notes=None, submit_at=None):
    """The sheet of `plan`'s slot (`period` a local date) started by `by` (the engineer),
    filled with fill(values, notes); submitted at `submit_at` (naive UTC) when given."""
    by = by or staff("engineer")
    made = fill(start_sheet(plan, period, shift, by), values, notes)
    if submit_at is not None:
        return submit_sheet(made, by, now=submit_at)
    return made


def meter(estate, name="配电房总电表", kind="电", multiplier=1, unit=None, readings=(),
          **fields):
    """A meter of `estate` (public unless `unit`), with `readings`: (month's first day,
    value) pairs recorded in order by the engineer (flagged ones noted as checked)."""
    made = Meter.create(estate=estate, name=name, kind=kind, unit=unit,
                        multiplier=Decimal(multiplier), **fields)
    for month, value in readings:
        record_reading(made, month, Decimal(value), staff("engineer"), note="已核对")
    return made


def duty_shift(estate, engineer=None, started_at=None, ended_at=None, events=(), **fields):
    """A duty shift of `engineer` from `started_at` (naive UTC; default the clock), handed
    over at `ended_at` when given, with `events` [(naive UTC, text)]."""
    engineer = engineer or staff("engineer")
    shift = DutyShift.create(estate=estate, engineer=engineer,
                             started_at=started_at or utcnow(), ended_at=ended_at, **fields)
    for at, text in events:
        DutyEvent.create(shift=shift, happened_at=at, text=text, recorded_by=engineer)
    return shift
