"""The renovation under real concurrency: two managers deducting at once, a deduction racing
the refund, two workers running the overdue alerts at once — each in its own thread,
connection and transaction, the first one held open until the second has started. The
deductions never exceed the deposit, one violation is deducted once (the second a Chinese
refusal, not an IntegrityError), the refund recorded is the deposit minus every deduction
kept, each alert is raised once; and an extension left pending past acceptance is not
approved. SQLite transactions begin IMMEDIATE (one writer); PostgreSQL's are kept apart by
the renovation's own row (flow._lock) or a conditional UPDATE."""
import threading
import time
from decimal import Decimal

import pytest

from tests.factories import renovation as make
from tests.factories.service import staff
from wyapp.db import db
from wyapp.errors import DomainError
from wyapp.models import Estate
from wyapp.renovation import flow, inspections
from wyapp.renovation.models import Deduction, Renovation, Violation

pytestmark = pytest.mark.clock


def _violations(now, bad):
    estate = Estate.get()
    renovation = make.approved(estate, "1-101", now=now)
    inspections.record(renovation, "巡查", staff("engineer"), now,
                       make.answers(estate, "巡查", bad), estate.today(now))
    return renovation.id, [v.id for v in renovation.violations.order_by(Violation.id)]


def _held_then(app, first, second):
    """Run `first` in a transaction held open until `second` (another thread, its own
    connection and transaction) has had a second to start; each returns "ok" or the
    DomainError's message (anything else propagates)."""
    results, started = {}, threading.Event()

    def run(name, call, hold):
        with app.app_context(), db.connection_context():
            try:
                with db.atomic():
                    call()
                    if hold:
                        started.wait(10)
                        time.sleep(1)
                results[name] = "ok"
            except DomainError as error:
                results[name] = error.message
            except Exception as error:  # noqa: BLE001 — the test reports what escaped
                results[name] = repr(error)

    one = threading.Thread(target=run, args=("first", first, True))
    one.start()
    time.sleep(0.3)
    two = threading.Thread(target=lambda: (started.set(), run("second", second, False)))
    two.start()
    one.join(20)
    two.join(20)
    return results


def _deduct(violation_id, amount):
    def call():
        violation = Violation.get_by_id(violation_id)
        flow.deduct(violation, staff("manager"), violation.renovation.applied_at,
                    Decimal(amount), "")
    return call


def test_one_violation_deducted_twice_at_once_is_one_deduction(app, in_db, now):
    with in_db():
        _, (violation,) = _violations(now, {"消防": "堵塞通道"})
    results = _held_then(app, _deduct(violation, "100"), _deduct(violation, "100"))
    assert results["first"] == "ok"
    assert results["second"] == "这项违规已经扣过款。", results
    with in_db():
        assert Deduction.select().count() == 1


def test_two_deductions_at_once_never_exceed_the_deposit(app, in_db, now):
    with in_db():
        _, (one, two) = _violations(now, {"消防": "堵塞通道", "垃圾清运": "楼道堆放"})
    results = _held_then(app, _deduct(one, "2000"), _deduct(two, "2000"))
    assert results["first"] == "ok"
    assert results["second"].startswith("扣款合计不能超过押金"), results
    with in_db():
        assert sum(d.amount for d in Deduction.select()) == Decimal("2000.00")


def test_a_deduction_racing_the_refund_is_in_the_refund_or_refused(app, in_db, now):
    with in_db():
        renovation_id, (violation,) = _violations(now, {"消防": "堵塞通道"})
        Violation.update(status="整改完成").execute()
        Renovation.update(status="已完工").where(Renovation.id == renovation_id).execute()

    def refund():
        flow.refund(Renovation.get_by_id(renovation_id), staff("desk"), now)
    results = _held_then(app, refund, _deduct(violation, "150.50"))
    assert results["first"] == "ok"
    assert results["second"] == "这个装修已退押金，不能再扣款。", results
    with in_db():
        renovation = Renovation.get_by_id(renovation_id)
        kept = sum((d.amount for d in Deduction.select()), Decimal("0"))
        assert renovation.refund_amount == renovation.deposit - kept


def test_an_extension_of_a_finished_renovation_cannot_be_approved(in_db, now):
    """A request left pending while the work was accepted: approving it would move the end
    date of a finished (or closed) renovation; it can still be refused."""
    from datetime import timedelta

    from wyapp.renovation.models import Extension
    with in_db():
        renovation = make.approved(Estate.get(), "1-101", now=now)
        extension = flow.request_extension(renovation, staff("desk"), now,
                                           renovation.end_date + timedelta(days=5), "材料未到")
        end = renovation.end_date
        Renovation.update(status="已完工").where(Renovation.id == renovation.id).execute()
        with pytest.raises(DomainError, match="不能再延期"):
            flow.decide_extension(Extension.get_by_id(extension.id), staff("manager"), now, True)
        assert Renovation.get_by_id(renovation.id).end_date == end
        flow.decide_extension(Extension.get_by_id(extension.id), staff("manager"), now, False)
        assert Extension.get_by_id(extension.id).status == "已驳回"


def test_two_ticks_at_once_raise_each_overdue_alert_once(app, in_db, now):
    """Two workers run the periodic job at the same moment (the first one's transaction still
    open when the second reads): one 装修巡查逾期 and one 装修整改逾期, not two of each."""
    from datetime import timedelta

    from wyapp.models import Notification
    with in_db():
        renovation_id, _ = _violations(now, {"消防": "堵塞通道"})
        yesterday = Estate.get().today(now) - timedelta(days=1)
        Renovation.update(next_inspection=yesterday).where(
            Renovation.id == renovation_id).execute()
        Violation.update(deadline=yesterday).execute()
    later = now + timedelta(minutes=1)
    results = _held_then(app, lambda: inspections.alert_overdue(later),
                         lambda: inspections.alert_overdue(later))
    assert results == {"first": "ok", "second": "ok"}, results
    with in_db():
        kinds = [n.kind for n in Notification.select().where(
            Notification.kind.startswith("renovation_"))]
        inspectors = len({n.user_id for n in Notification.select()})
        assert kinds.count("renovation_inspection_overdue") == inspectors
        assert kinds.count("renovation_rectify_overdue") == inspectors
