"""The renovation's steps after the application: 审核 (approve with conditions, or refuse
with a reason), 延期, 申请验收, deductions from the deposit and the refund (押金退还).

Who may: the desk takes applications, extension requests and refunds; the manager approves
(a supervisor may approve only scope that leaves the structure alone: 拆改墙体 / 承重 need the
manager, never a supervisor), decides extensions and deductions. Each step moves the status
only from the status it saw (a second tap, or another user first, is refused).
"""
from datetime import timedelta

from ..errors import DomainError, NotAllowed
from ..labels import issue_label
from .applications import log, yuan
from .models import (
    AWAITING,
    CLOSED,
    FAILED,
    FINISHED,
    OPEN_STATES,
    PENDING,
    REFUSED,
    UNDER_WAY,
    WORKING,
    Deduction,
    Extension,
    Renovation,
    RenovationSettings,
    Violation,
)

DESK = ("desk", "supervisor", "manager")
APPROVERS = ("manager", "supervisor")
INSPECTORS = ("supervisor", "engineer", "manager")
VIEWERS = ("desk", "supervisor", "engineer", "manager", "gate")
PERMIT = "renovation_permit"  # the label kind of a permit's QR code


def _move(renovation, before, after, **fields):
    """Set the status from one of `before` to `after` (and `fields`), only if it is still as
    seen; DomainError otherwise."""
    if renovation.status not in before:
        raise DomainError(f"装修当前为“{renovation.state}”，不能办理这一步。")
    changed = (Renovation.update(status=after, **fields)
               .where(Renovation.id == renovation.id, Renovation.status == renovation.status)
               .execute())
    if not changed:
        raise DomainError("装修状态已被他人更新，请刷新后再试。")
    renovation.status = after
    for name, value in fields.items():
        setattr(renovation, name, value)


def _lock(renovation):
    """Hold the renovation's row until this transaction ends and read it again as committed
    (into `renovation` too): two steps on one renovation's money or dates then run one after
    the other. PostgreSQL: the no-op UPDATE locks the row (a second transaction waits here,
    then sees what the first committed); SQLite's transactions begin IMMEDIATE (one writer).
    Without it two managers' deductions could each pass the deposit cap, a double tap on
    扣款 met the unique violation as a 500, and a deduction could land after the refund."""
    Renovation.update(status=Renovation.status).where(Renovation.id == renovation.id).execute()
    renovation.__data__.update(Renovation.get_by_id(renovation.id).__data__)
    return renovation


def may_approve(user, renovation):
    """The manager always; a supervisor only when no scope item touches the structure."""
    if user.has_role("manager"):
        return True
    return user.has_role("supervisor") and not renovation.structural


def approve(renovation, by, now, conditions=""):
    """审核通过 → 施工中: conditions recorded, the permit's QR label issued, the first 装修巡查
    due `inspect_every_days` after the later of today and the planned start (estate dates).
    Raises NotAllowed for a user who may not approve it (structural scope: manager only)."""
    if not may_approve(by, renovation):
        raise NotAllowed("涉及拆改墙体或承重结构的装修，须由物业经理审批。")
    estate = renovation.estate
    every = RenovationSettings.of(estate).inspect_every_days
    first = max(estate.today(now), renovation.planned_start) + timedelta(days=every)
    _move(renovation, (PENDING,), WORKING, decided_by=by, decided_at=now,
          conditions=conditions, next_inspection=first)
    issue_label(estate, PERMIT, renovation.id)
    from .inspections import checklist_for  # made here, so scanning the permit (a GET) reads
    for kind in ("巡查", "验收"):
        checklist_for(estate, kind, by)
    log(renovation, "审核通过", by, now, f"审批条件：{conditions}" if conditions else "")
    return renovation


def refuse(renovation, by, now, reason):
    """审核驳回 → 已驳回 (the unit is free for a new application). DomainError without reason."""
    if not may_approve(by, renovation):
        raise NotAllowed("涉及拆改墙体或承重结构的装修，须由物业经理审批。")
    if not reason:
        raise DomainError("请填写驳回理由。", "reason")
    _move(renovation, (PENDING,), REFUSED, decided_by=by, decided_at=now, refusal=reason,
          open_unit=None, closed_at=now)
    log(renovation, "审核驳回", by, now, reason)
    return renovation


def request_extension(renovation, by, now, new_end, reason):
    """延期申请 (desk): a later end date and why; the manager decides. DomainError."""
    _lock(renovation)  # one pending request, even when two desks send theirs at once
    if renovation.status not in UNDER_WAY:
        raise DomainError("只有施工中的装修可以申请延期。")
    if new_end is None or new_end <= renovation.end_date:
        raise DomainError(f"新的完工日期要晚于 {renovation.end_date:%Y-%m-%d}。", "new_end")
    if not reason:
        raise DomainError("请填写延期原因。", "reason")
    if renovation.extensions.where(Extension.status == "待审批").exists():
        raise DomainError("已有一个待审批的延期申请。", "new_end")
    extension = Extension.create(renovation=renovation, new_end=new_end, reason=reason,
                                 requested_by=by, requested_at=now)
    log(renovation, "延期申请", by, now, f"延至 {new_end:%Y-%m-%d}：{reason}")
    return extension


def decide_extension(extension, by, now, approved):
    """The manager approves (the end date moves) or refuses a pending extension; approving
    needs the work still under way (a request left pending past acceptance is refused)."""
    if not by.has_role("manager"):
        raise NotAllowed("延期由物业经理审批。")
    renovation = _lock(extension.renovation)
    if approved and renovation.status not in UNDER_WAY:
        raise DomainError(f"装修当前为“{renovation.state}”，不能再延期；可以驳回这个申请。")
    changed = (Extension.update(status="已批准" if approved else "已驳回", decided_by=by,
                                decided_at=now)
               .where(Extension.id == extension.id, Extension.status == "待审批").execute())
    if not changed:
        raise DomainError("这个延期申请已经处理过了。")
    if approved:
        Renovation.update(end_date=extension.new_end).where(
            Renovation.id == renovation.id).execute()
        renovation.end_date = extension.new_end
    log(renovation, "延期批准" if approved else "延期驳回", by, now,
        f"完工日期 {extension.new_end:%Y-%m-%d}" if approved else "")
    return extension


def request_acceptance(renovation, by, now, note=""):
    """申请验收: the owner reports the work done (施工中 / 验收未通过 → 待验收)."""
    _move(renovation, (WORKING, FAILED), AWAITING)
    log(renovation, "申请验收", by, now, note)
    return renovation


def deduct(violation, by, now, amount, reason=""):
    """A deduction from the deposit for one violation (manager; one per violation). The
    deductions together may not exceed the deposit. `amount`: Decimal yuan > 0."""
    if not by.has_role("manager"):
        raise NotAllowed("押金扣款由物业经理决定。")
    renovation = _lock(violation.renovation)
    if renovation.status not in OPEN_STATES or renovation.refunded_at:
        raise DomainError("这个装修已退押金，不能再扣款。")
    amount = yuan(amount)
    if amount <= 0:
        raise DomainError("扣款金额要大于 0。", "amount")
    if Deduction.select().where(Deduction.violation == violation).exists():
        raise DomainError("这项违规已经扣过款。", "amount")
    if deducted(renovation) + amount > renovation.deposit:
        raise DomainError(f"扣款合计不能超过押金 {yuan(renovation.deposit)} 元。", "amount")
    row = Deduction.create(renovation=renovation, violation=violation, amount=amount,
                           reason=reason, decided_by=by, at=now)
    log(renovation, "押金扣款", by, now, f"{violation.item}：扣 {amount} 元" +
        (f"（{reason}）" if reason else ""))
    return row


def deducted(renovation):
    """The sum of the renovation's deductions (Decimal yuan, 2 decimals)."""
    return yuan(sum((d.amount for d in renovation.deductions), start=0))


def refund_due(renovation):
    """What is refunded: the deposit minus every deduction (Decimal, 2 decimals)."""
    return yuan(renovation.deposit) - deducted(renovation)


def refund(renovation, by, now):
    """押金退还 (desk): after acceptance, the deposit minus deductions is paid back and
    recorded (amount, when, by whom); the renovation closes and the unit is free again."""
    if not by.has_role(*DESK):
        raise NotAllowed("押金退还由客服前台办理。")
    _lock(renovation)  # the deductions read below are all there will be
    open_rectifications = renovation.violations.where(Violation.status == "待整改").count()
    if open_rectifications:
        raise DomainError(f"还有 {open_rectifications} 项违规未整改完成，不能退押金。")
    amount = refund_due(renovation)
    _move(renovation, (FINISHED,), CLOSED, refund_amount=amount, refunded_at=now,
          refunded_by=by, closed_at=now, open_unit=None)
    log(renovation, "押金退还", by, now,
        f"押金 {yuan(renovation.deposit)} 元，扣款 {deducted(renovation)} 元，退还 {amount} 元")
    return renovation
