"""Checklists (检查表) and their versions: a version a sheet has used is never edited; the
first change after that copies it to a new version, so old sheets keep what they were
filled against."""
import uuid

from ..db import db
from ..errors import DomainError
from .models import ITEM_KINDS, Checklist, ChecklistItem, ChecklistVersion


def create_checklist(estate, user, name, category="", equipment=None):
    """A new checklist of `estate` with an empty version 1 made by `user`; returns it."""
    with db.atomic():
        checklist = Checklist.create(estate=estate, name=name, category=category,
                                     equipment=equipment)
        ChecklistVersion.create(checklist=checklist, number=1, created_by=user)
    return checklist


def editable_version(checklist, user):
    """The version to change: the current one while no sheet used it, else a fresh copy."""
    current = checklist.current_version()
    if not current.is_used():
        return current
    fresh = ChecklistVersion.create(checklist=checklist, number=current.number + 1,
                                    created_by=user)
    for item in current.ordered_items():
        data = {f.name: getattr(item, f.name) for f in ChecklistItem._meta.sorted_fields
                if f.name not in ("id", "version")}
        ChecklistItem.create(version=fresh, **data)
    return fresh


def _item_in(version, key):
    item = version.items.where(ChecklistItem.key == key).first()
    if item is None:
        raise DomainError("检查项不存在。")
    return item


def check_item_values(values):
    """An item's settings (kind, label, unit, min_value/max_value Decimals or None, choices
    and abnormal_choices one per line, required) checked and cleaned; returns the dict.

    Raises DomainError naming the field at fault."""
    kind = values.get("kind")
    if kind not in ITEM_KINDS:
        raise DomainError("请选择检查项类型。", "kind")
    low, high = values.get("min_value"), values.get("max_value")
    if kind == "number":
        if low is not None and high is not None and low > high:
            raise DomainError("下限不能大于上限。", "max_value")
    else:
        values["min_value"] = values["max_value"] = None
    if kind == "choice":
        choices = [c.strip() for c in values.get("choices", "").splitlines() if c.strip()]
        abnormal = [c.strip() for c in values.get("abnormal_choices", "").splitlines()
                    if c.strip()]
        if len(choices) < 2:
            raise DomainError("选项类至少填写两个选项，每行一个。", "choices")
        if not set(abnormal) <= set(choices):
            raise DomainError("异常选项必须是上面选项中的一个。", "abnormal_choices")
        values["choices"], values["abnormal_choices"] = "\n".join(choices), "\n".join(abnormal)
    else:
        values["choices"] = values["abnormal_choices"] = ""
    return values


def add_item(checklist, user, **values):
    """Append an item (see check_item_values) to the editable version; returns the item."""
    values = check_item_values(values)
    with db.atomic():
        version = editable_version(checklist, user)
        last = version.items.order_by(ChecklistItem.position.desc()).first()
        return ChecklistItem.create(version=version, key=uuid.uuid4().hex,
                                    position=(last.position + 1) if last else 1, **values)


def update_item(checklist, user, key, **values):
    """Change the item `key` of the editable version; returns it. DomainError when absent."""
    values = check_item_values(values)
    with db.atomic():
        item = _item_in(editable_version(checklist, user), key)
        for name, value in values.items():
            setattr(item, name, value)
        item.save()
        return item


def remove_item(checklist, user, key):
    """Remove the item `key` from the editable version. DomainError when absent."""
    with db.atomic():
        _item_in(editable_version(checklist, user), key).delete_instance()


def move_item(checklist, user, key, step):
    """Swap an item with its neighbour above (step −1) or below (step +1)."""
    with db.atomic():
        version = editable_version(checklist, user)
        items = list(version.ordered_items())
        index = next((i for i, it in enumerate(items) if it.key == key), None)
        if index is None:
            raise DomainError("检查项不存在。")
        other = index + step
        if 0 <= other < len(items):
            items[index], items[other] = items[other], items[index]
        for position, item in enumerate(items, start=1):
            if item.position != position:
                item.position = position
                item.save()
