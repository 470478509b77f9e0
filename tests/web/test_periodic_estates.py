"""The periodic jobs over many estates (issue 23): each job asks about every estate at once
and works only for those with something to do, so these tests put the work in an estate that
is not the first, often in another time zone, beside estates with nothing to do, and check
that exactly that work is done, once (a second pass does nothing).

Every instant is given to the jobs (naive UTC), and the estates' creation dates are set where
they count, so the tests hold at any machine clock.
"""
from datetime import date, datetime, timedelta

from tests import factories
from tests.factories import dashboard as dash
from tests.factories import gate as gate_make
from tests.factories import inspection as inspection_make
from tests.factories import patrol as patrol_make
from tests.factories import renovation as renovation_make
from wyapp.alerts.digest import queue_digests
from wyapp.alerts.models import Delivery, Robot
from wyapp.dashboard import weekly
from wyapp.dashboard.models import DailyRollup, WeeklyReport
from wyapp.dashboard.rollup import BACKFILL_DAYS, SETTLE, refresh
from wyapp.gate import privacy
from wyapp.gate.models import GateSettings, PurgeRun, Visit
from wyapp.inspection import plans
from wyapp.inspection.models import OverdueAlert
from wyapp.models import Estate, Notification
from wyapp.patrol import rounds
from wyapp.patrol.models import Round
from wyapp.renovation import inspections as renovation_inspections
from wyapp.renovation.models import Renovation
from wyapp.staff.evaluations import draft_due, draft_month
from wyapp.staff.models import Evaluation


def _home():
    return Estate.get(Estate.name == "示范花园")


def _idle_estates(n=3, created_at=None):
    """Estates with nothing for any job to do (no staff, no records), created at
    `created_at` (naive UTC; default the clock's now)."""
    made = [factories.estate(f"空闲小区{i}", buildings=1) for i in range(n)]
    if created_at is not None:
        Estate.update(created_at=created_at).where(
            Estate.id.in_([e.id for e in made])).execute()
    return made


def test_purge_blanks_each_estate_by_its_own_retention(in_db):
    """示范花园 keeps visits 30 days, 乙小区 the default 180: a 40-day-old visit is purged in
    the first only, a 200-day-old one in the second; idle estates are left alone."""
    at = datetime(2026, 3, 10, 2, 0)
    with in_db():
        home = _home()
        GateSettings.create(estate=home, retention_days=30)
        _idle_estates()
        far = factories.estate("乙小区", buildings=1, timezone="America/New_York")
        home_old = gate_make.visit(home, at=at - timedelta(days=40), name="甲访客")
        far_recent = gate_make.visit(far, at=at - timedelta(days=40), name="乙近访客")
        far_old = gate_make.visit(far, at=at - timedelta(days=200), name="乙老访客")
        result = privacy.purge_personal_data(at)
        assert set(result) == {"示范花园", "乙小区"}
        assert result["乙小区"]["visits"] == 1 and result["示范花园"]["visits"] == 1
        names = {v.id: v.name for v in Visit.select()}
        assert names == {home_old.id: "", far_recent.id: "乙近访客", far_old.id: ""}
        assert PurgeRun.select().count() == 2
        assert privacy.purge_personal_data(at) == {}


def test_patrol_closes_the_round_of_a_later_estate_in_its_own_zone(in_db):
    """示范花园's 08:00 round (Shanghai) is closed at 02:00 UTC; 乙小区's 10:00 round (Berlin)
    ends at 10:00 UTC and is closed, missed, by the pass at 12:00, and alerted once."""
    with in_db():
        home = _home()
        far = factories.estate("乙小区", buildings=1, timezone="Europe/Berlin")
        _idle_estates()
        supervisor = factories.user("乙主管", roles=("supervisor",), estates=[far])
        for estate, name in ((home, "甲路线"), (far, "乙路线")):
            route = patrol_make.route(estate, [patrol_make.checkpoint(estate)], name)
            starts = "08:00" if estate == home else "10:00"
            patrol_make.schedule(route, times=starts, window=60,
                                 valid_from=patrol_make.local(estate, date(2026, 3, 10)))
        day = timedelta(days=1)
        assert rounds.close_expired_rounds(datetime(2026, 3, 10, 2, 0), day) == \
            {"closed": 1, "alerted": 1}
        assert rounds.close_expired_rounds(datetime(2026, 3, 10, 12, 0), day) == \
            {"closed": 1, "alerted": 1}
        closed = {r.estate_id: (r.starts_at, r.status) for r in Round.select()}
        assert closed == {home.id: (datetime(2026, 3, 10, 0, 0), "漏巡"),
                          far.id: (datetime(2026, 3, 10, 9, 0), "漏巡")}
        told = Notification.select().where(Notification.user == supervisor)
        assert [n.title for n in told] == ["漏巡：乙路线 03-10 10:00"]
        assert rounds.close_expired_rounds(datetime(2026, 3, 10, 12, 5), day) == \
            {"closed": 0, "alerted": 0}


def test_overdue_sheets_of_an_estate_in_another_zone(in_db):
    """At 02:00 UTC on 10 March it is 10:00 in Shanghai but 22:00 on the 9th in New York:
    乙小区's daily slots of the 6th to the 8th are overdue (the 9th runs until its midnight),
    each alerted once; 示范花园's plan, made a minute ago, has nothing overdue."""
    at = datetime(2026, 3, 10, 2, 0)
    with in_db():
        home = _home()
        inspection_make.plan_for(home, "DT-01", created_at=at - timedelta(minutes=1))
        _idle_estates()
        far = factories.estate("乙小区", buildings=1, timezone="America/New_York")
        factories.user("乙主管", roles=("supervisor",), estates=[far])
        far_plan = inspection_make.plan_for(far, "SB-01", frequency="每日")
        assert plans.raise_overdue_alerts(at) > 0
        assert {(a.plan_id, a.period) for a in OverdueAlert.select()} == \
            {(far_plan.id, date(2026, 3, d)) for d in (6, 7, 8)}
        assert plans.raise_overdue_alerts(at) == 0
        assert plans.raise_overdue_alerts(at + timedelta(hours=3)) > 0  # the 9th, now over
        assert OverdueAlert.select().count() == 4


def test_evaluations_of_an_estate_whose_month_ended_on_its_own_clock(in_db):
    """At 00:30 UTC on 1 July Shanghai is in July (June's evaluations, made already) but New
    York is still on 30 June: 乙小区's month to draft is May, and it is drafted once."""
    at = datetime(2026, 7, 1, 0, 30)
    with in_db():
        home = _home()
        draft_month(home, date(2026, 6, 1), at)
        _idle_estates()
        far = factories.estate("乙小区", buildings=1, timezone="America/New_York")
        factories.user("乙保安", roles=("guard",), estates=[far])
        assert draft_due(at) == {"乙小区": 1}
        assert [e.month for e in Evaluation.select().where(Evaluation.estate == far)] == \
            ["2026-05"]
        assert draft_due(at) == {}
        assert draft_due(datetime(2026, 7, 1, 5, 0)) == {"乙小区": 1}  # New York's June ended
        assert draft_due(datetime(2026, 7, 1, 5, 0)) == {}


def test_weekly_reports_of_an_estate_whose_week_ended_on_its_own_clock(in_db):
    """Monday 15 June 02:00 UTC: Shanghai's last week began on the 8th (its report is made),
    Los Angeles is still on Sunday the 14th, so 乙小区's last week began on the 1st; an estate
    made this week has no last week."""
    at = datetime(2026, 6, 15, 2, 0)
    with in_db():
        home = dash.aged(_home(), at)
        dash.weekly_report(home, at)
        _idle_estates(created_at=at)  # no report for a week before they existed
        far = dash.aged(factories.estate("乙小区", buildings=1,
                                         timezone="America/Los_Angeles"), at)
        assert weekly.draft_due(at) == 1
        weeks = {(r.estate_id, r.week) for r in WeeklyReport.select()}
        assert weeks == {(home.id, date(2026, 6, 8)), (far.id, date(2026, 6, 1))}
        assert weekly.draft_due(at) == 0


def _settled_rows(estate, now, skip=()):
    """A settled rollup row for each of the estate's last BACKFILL_DAYS ended days but
    `skip`; returns those days."""
    today = estate.today(now)
    days = [today - timedelta(days=n) for n in range(1, BACKFILL_DAYS + 1)]
    DailyRollup.insert_many([{"estate": estate, "day": d,
                              "computed_at": estate.day_bounds(d)[1] + SETTLE}
                             for d in days if d not in skip]).execute()
    return days


def test_rollup_finds_the_missing_and_unsettled_days_of_a_later_estate(in_db):
    """示范花园's days are all in order; 乙小区 (Los Angeles) lacks one day and has yesterday
    computed before it settled (07:00 UTC Monday, before Los Angeles' noon): exactly those
    two days are computed, and the next pass has nothing to do."""
    at = datetime(2026, 6, 15, 2, 0)
    with in_db():
        home = dash.aged(_home(), at)
        _settled_rows(home, at)
        _idle_estates(created_at=at)  # no ended day of their own yet
        far = dash.aged(factories.estate("乙小区", buildings=1,
                                         timezone="America/Los_Angeles"), at)
        yesterday = far.today(at) - timedelta(days=1)
        missing = yesterday - timedelta(days=9)
        _settled_rows(far, at, skip={missing, yesterday})
        DailyRollup.create(estate=far, day=yesterday, computed_at=far.day_bounds(yesterday)[1])
        before = {(r.estate_id, r.day): r.computed_at for r in DailyRollup.select()}
        assert refresh(at) == 2
        after = {(r.estate_id, r.day): r.computed_at for r in DailyRollup.select()}
        assert {key for key in after if after[key] != before.get(key)} == \
            {(far.id, missing), (far.id, yesterday)}
        assert refresh(at + timedelta(minutes=1)) == 0


def test_renovation_overdue_by_the_date_of_an_estate_a_day_ahead(in_db):
    """Kiritimati (UTC+14): at 10:00 UTC on 15 June its date is already the 16th, so an
    inspection due on the 15th is overdue there (and only there)."""
    at = datetime(2026, 6, 15, 10, 0)
    with in_db():
        ahead = factories.estate("乙小区", buildings=1, timezone="Pacific/Kiritimati")
        factories.user("乙主管", roles=("supervisor",), estates=[ahead])
        for estate in (_home(), ahead):
            made = renovation_make.approved(estate, now=at - timedelta(days=3))
            Renovation.update(next_inspection=date(2026, 6, 15)).where(
                Renovation.id == made.id).execute()
        assert renovation_inspections.alert_overdue(at) == 1
        alerted = Renovation.select().where(Renovation.inspection_alerted_on.is_null(False))
        assert [r.estate_id for r in alerted] == [ahead.id]
        assert renovation_inspections.alert_overdue(at) == 0


def test_digests_of_robots_in_estates_of_other_zones(in_db):
    """At 01:30 UTC on 15 June: 示范花园's robot (Shanghai, 09:30) has queued its digest of
    the 14th already; 乙小区's (Tokyo, 10:30) is due, for its own 14th; 丙小区's (Berlin,
    03:30) waits for its 08:00."""
    at = datetime(2026, 6, 15, 1, 30)
    with in_db():
        home = _home()
        robots = {}
        for estate in (home, factories.estate("乙小区", buildings=1, timezone="Asia/Tokyo"),
                       factories.estate("丙小区", buildings=1, timezone="Europe/Berlin")):
            robots[estate.name] = Robot.create(
                estate=estate, name="值班群", kind="wecom", webhook="http://127.0.0.1:9/x",
                kinds="digest", digest_hour=8)
        Delivery.create(robot=robots["示范花园"], purpose="digest", period="digest:2026-06-14",
                        payload="{}", next_attempt_at=at, created_at=at)
        assert queue_digests(at) == 1
        queued = {(d.robot_id, d.period) for d in Delivery.select()}
        assert queued == {(robots["示范花园"].id, "digest:2026-06-14"),
                          (robots["乙小区"].id, "digest:2026-06-14")}
        assert queue_digests(at) == 0
        assert queue_digests(datetime(2026, 6, 15, 6, 0)) == 1  # 08:00 in Berlin
