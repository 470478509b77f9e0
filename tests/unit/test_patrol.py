"""Patrol rules at explicit instants: windows across midnight, round states, every flag,
idempotent replays, closing rounds and alerting once, the day and month reports.

The days are those of the estate's current month (derived from the test's `now`, so the
clock check moves them: February, December …); every instant is passed explicitly."""
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from tests.factories import patrol as make
from wyapp.db import db
from wyapp.errors import DomainError
from wyapp.models import Estate, Notification, User
from wyapp.offline import parse_device_time
from wyapp.patrol import reports, rounds, scanning, schedules, setup
from wyapp.patrol.models import Checkpoint, Incident, Round, Route, RouteStop, Scan, Schedule
from wyapp.patrol.scanning import ScanRequest

pytestmark = pytest.mark.clock
MONTH = {}  # the estate's current month: {"first": date}, set by `ctx`


def day_of(day):
    """The local date `day` of the month under test."""
    return MONTH["first"].replace(day=day)


def local(day, hh, mm=0, ss=0):
    """The estate's wall time on day `day` of the month under test, as naive UTC."""
    return MONTH["estate"].utc(datetime.combine(day_of(day), datetime.min.time()).replace(
        hour=hh, minute=mm, second=ss))


@pytest.fixture
def ctx(app, now):
    with app.app_context(), db.connection_context():
        estate = Estate.get(name="示范花园")
        MONTH.update(first=estate.today(now).replace(day=1), estate=estate)
        yield app


def build_world():
    """Three checkpoints on an ordered route, walked every 2 h from 22:00 to 02:00."""
    estate = Estate.get(name="示范花园")
    points = [make.checkpoint(estate, f"测试点{i}", at=(31.0, 121.0) if i == 1 else None)
              for i in (1, 2, 3)]
    route = make.route(estate, points, "测试路线", enforce_order=True, min_seconds=60)
    schedule = make.schedule(route, interval=("22:00", "02:00", 120), window=60,
                             valid_from=local(1, 0), name="测试夜巡")
    return SimpleNamespace(estate=estate, points=points, route=route, schedule=schedule,
                           guard=User.get(username="guard"))


@pytest.fixture
def world(ctx):
    return build_world()


def scan(w, point, at, key=None, **request):
    return make.scan(w.estate, point, at, user=w.guard,
                     key=key or f"key-{point.id}-{at:%d%H%M%S}", **request)


def test_interval_windows_cross_midnight_in_shanghai(world):
    found = schedules.windows(world.schedule, world.estate, local(10, 12), local(11, 12))
    assert found == [(local(10, 22), local(10, 23)), (local(11, 0), local(11, 1))]
    assert found[1][0] == datetime.combine(day_of(10), datetime.min.time()).replace(
        hour=16)  # 00:00 Shanghai is 16:00 UTC the day before


def test_fixed_times_and_weekdays(world):
    world.schedule.every_minutes, world.schedule.start_times = None, "08:00, 23:30"
    world.schedule.weekdays = "6"  # Saturdays only
    saturday = next(d for d in range(9, 16) if day_of(d).isoweekday() == 6)
    found = schedules.windows(world.schedule, world.estate, local(9, 0), local(16, 0))
    assert found == [(local(saturday, 8), local(saturday, 9)),
                     (local(saturday, 23, 30), local(saturday + 1, 0, 30))]


def test_all_day_span_and_valid_from(world):
    world.schedule.span_start = world.schedule.span_end = "00:00"
    world.schedule.every_minutes = 360
    world.schedule.valid_from = local(10, 7)
    starts = [s for s, _ in schedules.windows(world.schedule, world.estate, local(10, 0),
                                               local(11, 0))]
    assert starts == [local(10, 12), local(10, 18)]  # 00:00 and 06:00 are before valid_from


def test_parse_times_refuses_nonsense():
    assert [t.strftime("%H:%M") for t in schedules.parse_times("20:00，8:05 20:00")] == \
        ["08:05", "20:00"]
    for bad in ("", "25:00", "8点", "12:60"):
        with pytest.raises(DomainError) as refused:
            schedules.parse_times(bad)
        assert refused.value.field == "start_times"


def test_round_states_from_the_clock(world):
    def state(now):
        view = rounds.rounds_between(world.estate, local(10, 21), local(10, 23, 59))[0]
        return view.status(now), view.done, view.total
    assert state(local(10, 21)) == ("待巡", 0, 3)
    assert state(local(10, 22, 10)) == ("待巡", 0, 3)
    scan(world, world.points[0], local(10, 22, 5))
    assert state(local(10, 22, 10)) == ("进行中", 1, 3)
    assert state(local(10, 23, 0)) == ("部分完成", 1, 3)
    scan(world, world.points[1], local(10, 22, 12))
    scan(world, world.points[2], local(10, 22, 20))
    assert state(local(10, 22, 30)) == ("已完成", 3, 3)
    late = rounds.rounds_between(world.estate, local(11, 0), local(11, 1))[0]
    assert late.status(local(11, 2)) == "漏巡"


def test_guard_home_lists_current_and_next_rounds(world):
    scan(world, world.points[0], local(10, 22, 5))
    current, later = rounds.guard_rounds(world.estate, world.guard, local(10, 22, 30))
    assert [(v.starts_at, v.done, v.total) for v in current] == [(local(10, 22), 1, 3)]
    assert [c.name for c in current[0].remaining] == ["测试点2", "测试点3"]
    assert later[0].starts_at == local(11, 0)


def test_named_guards_only(world):
    other = User.get(username="gate")
    world.schedule.any_guard = False
    world.schedule.save()
    assert rounds.guard_rounds(world.estate, other, local(10, 22, 30)) == ([], [])


def test_clean_scan_has_no_flags(world):
    record, view, created = scan(world, world.points[0], local(10, 22, 5),
                                 latitude=31.0001, longitude=121.0001, accuracy=8)
    assert created and record.flags == "" and record.round.starts_at == local(10, 22)
    assert record.distance_m < 20 and record.accuracy_m == 8
    assert view.done == 1


def test_scan_between_rounds_is_off_round_and_leaves_the_ended_round(world):
    """Issue 17: a scan when no window is open is 计划外 (no round); the ended round keeps
    what it had, and no later scan changes it."""
    for i, minute in enumerate((5, 10, 15)):
        scan(world, world.points[i], local(10, 22, minute))
    record, view, _ = scan(world, world.points[0], local(10, 23, 20))
    assert record.flag_list == ["计划外"] and record.round is None and view is None
    ended = rounds.rounds_between(world.estate, local(10, 22), local(10, 23))[0]
    assert (ended.done, ended.total, len(ended.scans)) == (3, 3, 3)
    assert ended.status(local(10, 23, 30)) == "已完成"
    nothing, _, _ = scan(world, world.points[0], local(1, 18))  # no round at all near
    assert nothing.round is None and nothing.flag_list == ["计划外"]
    upcoming = scanning.next_round(world.estate, world.points[0], world.guard,
                                   local(10, 23, 20))
    assert upcoming.starts_at == local(11, 0)
    report = reports.day_report(world.estate, day_of(10), local(11, 12))
    assert [s.id for s in report["off_round"]] == [record.id]


def test_early_scan_counts_for_the_round_flagged(world):
    record, view, _ = scan(world, world.points[0], local(10, 21, 52))  # 8 min before 22:00
    assert record.flag_list == ["提前"] and record.round.starts_at == local(10, 22)
    assert view.done == 1
    before = scan(world, world.points[1], local(10, 21, 45))[0]  # 15 min before: no round
    assert before.flag_list == ["计划外"]
    setup.save_early_minutes(world.estate, 20)  # the estate's setting, read at once
    record, _, _ = scan(world, world.points[0], local(10, 23, 45))  # 15 min before 00:00
    assert "提前" in record.flag_list and record.round.starts_at == local(11, 0)
    assert setup.early_minutes(world.estate) == 20


def test_out_of_order_scan(world):
    record, _, _ = scan(world, world.points[1], local(10, 22, 5))
    assert record.flag_list == ["顺序错误"]
    world.route.enforce_order = False
    world.route.save()
    record, _, _ = scan(world, world.points[2], local(10, 22, 30))
    assert "顺序错误" not in record.flag_list


def test_too_fast_scan(world):
    scan(world, world.points[0], local(10, 22, 5, 0))
    record, _, _ = scan(world, world.points[1], local(10, 22, 5, 30))
    assert record.flag_list == ["过快"]
    record, _, _ = scan(world, world.points[2], local(10, 22, 7, 0))
    assert record.flag_list == []


def test_outside_geofence(world):
    record, _, _ = scan(world, world.points[0], local(10, 22, 5), latitude=31.01,
                        longitude=121.0, accuracy=30)
    assert record.flag_list == ["超出范围"] and record.distance_m > 1000
    no_fix, _, _ = scan(world, world.points[1], local(10, 22, 10))
    assert "超出范围" not in no_fix.flag_list  # no GPS in the basement: nothing to judge


def test_queued_scan_with_a_wrong_clock_keeps_its_round_by_corrected_time(world):
    """A phone 70 min slow: its 22:05 says 20:55; the skew measured at sync puts it back."""
    record, view, _ = scan(world, world.points[0], local(10, 23, 30),
                           device_at=local(10, 20, 55), queued=True,
                           clock_skew=timedelta(minutes=70))
    assert record.scanned_at == local(10, 22, 5) and record.device_at == local(10, 20, 55)
    assert view.starts_at == local(10, 22)
    assert record.flag_list == ["离线补传", "时钟偏差"]
    fine, _, _ = scan(world, world.points[1], local(10, 22, 20), key="fine-key-1",
                      device_at=local(10, 22, 10), queued=True, clock_skew=timedelta(seconds=40))
    assert fine.flag_list == ["离线补传"] and fine.scanned_at == local(10, 22, 10)


def test_duplicate_in_one_round(world):
    scan(world, world.points[0], local(10, 22, 5))
    record, view, created = scan(world, world.points[0], local(10, 22, 9))
    assert created and record.flag_list == ["重复"] and view.done == 1


def test_device_time_and_offline_flag(world):
    record, _, _ = scan(world, world.points[0], local(10, 22, 40),
                        device_at=local(10, 22, 5))
    assert record.scanned_at == local(10, 22, 5) and record.server_at == local(10, 22, 40)
    assert record.flag_list == ["离线补传"]
    ahead, _, _ = scan(world, world.points[1], local(10, 22, 40), key="ahead-key-1",
                       device_at=local(10, 23, 40))  # a phone clock an hour fast
    assert ahead.scanned_at == local(10, 22, 40)


def test_idempotent_replay_returns_the_same_scan(world):
    first, _, created = scan(world, world.points[0], local(10, 22, 5), key="client-123456")
    again, view, created_again = scan(world, world.points[0], local(10, 22, 6),
                                      key="client-123456")
    assert created and not created_again and again.id == first.id
    assert Scan.select().count() == 1 and view.done == 1
    with pytest.raises(DomainError, match="已被使用"):
        scanning.record_scan(world.estate, world.points[0], User.get(username="supervisor"),
                             ScanRequest("client-123456"), local(10, 22, 7))
    with pytest.raises(DomainError, match="打卡编号无效"):
        scan(world, world.points[0], local(10, 22, 7), key="<script>")


def test_inactive_checkpoint_records_nothing(world):
    world.points[0].active = False
    world.points[0].save()
    with pytest.raises(DomainError, match="已停用"):
        scan(world, world.points[0], local(10, 22, 5))
    assert Scan.select().count() == 0


def test_close_rounds_alerts_once(world):
    scan(world, world.points[0], local(10, 22, 5))
    now = local(11, 3)
    six_hours = timedelta(hours=6)
    first = rounds.close_expired_rounds(now, six_hours)
    assert first == {"closed": 2, "alerted": 2}  # 22:00 partial, 00:00 missed
    assert rounds.close_expired_rounds(now, six_hours) == {"closed": 0, "alerted": 0}
    assert rounds.close_expired_rounds(now + timedelta(minutes=5), six_hours)["alerted"] == 0
    rows = {r.starts_at: r for r in Round.select()}
    assert (rows[local(10, 22)].status, rows[local(10, 22)].done) == ("部分完成", 1)
    assert rows[local(11, 0)].status == "漏巡"
    titles = [n.title for n in Notification.select().where(
        Notification.user == User.get(username="supervisor"))]
    assert sorted(titles) == [f"漏巡：测试路线 {day_of(11):%m}-11 00:00",
                              f"部分完成：测试路线 {day_of(10):%m}-10 22:00"]
    assert Notification.select().where(Notification.kind == "patrol_missed").count() == 4


def test_closed_state_is_kept_when_the_route_changes(world):
    scan(world, world.points[0], local(10, 22, 5))
    rounds.close_expired_rounds(local(10, 23, 30), timedelta(hours=2))
    RouteStop.delete().where(RouteStop.checkpoint == world.points[2]).execute()
    view = rounds.rounds_between(world.estate, local(10, 22), local(10, 23))[0]
    assert (view.status(local(12, 0)), view.done, view.total) == ("部分完成", 1, 3)


def test_a_complete_round_raises_no_alert(world):
    for minute, point in zip((5, 7, 9), world.points, strict=True):
        scan(world, point, local(10, 22, minute))
    result = rounds.close_expired_rounds(local(10, 23, 30), timedelta(hours=2))
    assert result == {"closed": 1, "alerted": 0}
    assert Round.get(Round.starts_at == local(10, 22)).status == "已完成"


def test_day_report(world):
    scan(world, world.points[0], local(10, 22, 5))
    scan(world, world.points[2], local(10, 22, 5, 30))  # out of order, too fast
    report = reports.day_report(world.estate, day_of(10), local(11, 3))
    # the 00:00 round of the 10th (from the span that began on the 9th) and the 22:00 one
    assert [r["status"] for r in report["rounds"]] == ["漏巡", "部分完成"]
    assert [c.name for c in report["rounds"][1]["missed"]] == ["测试点2"]
    assert report["rounds"][1]["scans"][1].flag_list == ["顺序错误", "过快"]
    assert report["completion"] == 33 and report["flagged"] == 1
    assert [(g["user"].username, g["scans"], g["flagged"]) for g in report["guards"]] == \
        [("guard", 2, 1)]
    next_day = reports.day_report(world.estate, day_of(11), local(11, 3))
    assert next_day["missed_rounds"] == 1 and next_day["completion"] == 0
    mine = reports.day_report(world.estate, day_of(10), local(11, 3),
                               user=User.get(username="supervisor"))
    assert mine["scans"] == [] and mine["guards"] == []


def test_month_report(world):
    for minute, point in zip((5, 7, 9), world.points, strict=True):
        scan(world, point, local(10, 22, minute))
    first = MONTH["first"]
    report = reports.month_report(world.estate, first.year, first.month, local(11, 3))
    # windows since valid_from (the 1st, 00:00): 22:00 on days 1..10, 00:00 on days 1..11
    assert report["rounds"] == 21 and len(report["missed"]) == 20
    assert report["routes"][0]["route"].name == "测试路线"
    assert report["routes"][0]["completion"] == 5  # 3 of 63 checkpoints
    assert report["guards"][0]["scans"] == 3 and report["flagged"] == []


def test_month_report_the_same_once_its_rounds_are_closed(world):
    """Closed rounds are summed in SQL from their stored state, open ones counted from their
    scans (issue 23): closing the month's rounds changes none of the report's figures."""
    from wyapp.patrol.rounds import close_expired_rounds

    scan(world, world.points[0], local(3, 22, 5))  # a 部分完成 round among the 漏巡
    for minute, point in zip((5, 7, 9), world.points, strict=True):
        scan(world, point, local(10, 22, minute))
    first, now = MONTH["first"], local(11, 3)

    def seen():
        report = reports.month_report(world.estate, first.year, first.month, now)
        return (report["rounds"], report["completion"],
                [(r["route"].name, r["rounds"], r["done"], r["total"], r["missed"], r["partial"],
                  r["completion"]) for r in report["routes"]],
                [(v.starts_at, v.schedule.id, v.status(now)) for v in report["missed"]])
    before = seen()
    assert before[0] == 21 and before[2][0][4:6] == (19, 1)
    close_expired_rounds(now, lookback=timedelta(days=40), alert=False)
    assert Round.select().where(Round.closed_at.is_null(False)).count() == 21
    assert seen() == before


def test_device_time_parsing():
    assert parse_device_time("2026-03-10T14:05:00.000Z") == datetime(2026, 3, 10, 14, 5)
    assert parse_device_time("2026-03-10T22:05:00+08:00") == datetime(2026, 3, 10, 14, 5)
    assert parse_device_time("1773151500000") == datetime(2026, 3, 10, 14, 5)
    for junk in ("", "yesterday", "2026-03-10T22:05:00", "9" * 40, "\x00"):
        assert parse_device_time(junk) is None
    assert scanning.parse_coordinate("31.5", 90) == 31.5
    for junk in ("", "91", "nan", "inf", "abc"):
        assert scanning.parse_coordinate(junk, 90) is None


def test_scans_and_closing_together(world):
    w = world
    first, _, _ = scan(w, w.points[0], local(10, 22, 5), key="same-key-000")
    again, _, created = scan(w, w.points[0], local(10, 22, 6), key="same-key-000")
    assert again.id == first.id and not created and Scan.select().count() == 1
    hours = timedelta(hours=6)
    assert rounds.close_expired_rounds(local(11, 3), hours)["alerted"] == 2
    assert rounds.close_expired_rounds(local(11, 3), hours)["alerted"] == 0
    report = reports.day_report(w.estate, day_of(10), local(11, 3))
    assert [r["status"] for r in report["rounds"]] == ["漏巡", "部分完成"]


def test_an_older_database_gets_the_lean_scan_indexes(make_app, any_db_url):
    """0004 drops the six scan indexes of earlier releases for the two a new database has."""
    from peewee import SqliteDatabase
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator
    from playhouse.migrate import migrate as run_steps

    from wyapp.cli import migration_groups
    from wyapp.db import SchemaMigration, migrate
    from wyapp.patrol.models import SCAN_INDEXES_BEFORE_0004

    app = make_app(database_url=any_db_url, with_demo=False)
    with app.app_context(), db.connection_context():
        def indexes():  # PostgreSQL lists the primary key's too
            return {(i.name, tuple(i.columns)) for i in db.get_indexes("scan")
                    if not i.name.endswith("_pkey")}

        new = indexes()
        assert {columns for _, columns in new} == {
            ("client_id",), ("estate_id", "scanned_at", "user_id", "round_id", "flags"),
            ("round_id", "checkpoint_id", "scanned_at")}
        migrator = (SqliteMigrator if isinstance(db.obj, SqliteDatabase) else PostgresqlMigrator)(
            db.obj)
        old_columns = {"scan_estate_id": ("estate_id",), "scan_checkpoint_id": ("checkpoint_id",),
                       "scan_user_id": ("user_id",), "scan_round_id": ("round_id",),
                       "scan_scanned_at": ("scanned_at",),
                       "scan_round_id_checkpoint_id_scanned_at_flags":
                           ("round_id", "checkpoint_id", "scanned_at", "flags")}
        assert set(old_columns) == set(SCAN_INDEXES_BEFORE_0004)
        run_steps(migrator.drop_index("scan", "scan_estate_id_scanned_at"),
                  migrator.drop_index("scan", "scan_round_id_checkpoint_id_scanned_at"),
                  *[migrator.add_index("scan", columns) for columns in old_columns.values()])
        SchemaMigration.delete().where(SchemaMigration.name.in_(
            ["patrol:0004_lean_scan_indexes", "patrol:0008_scan_figures_index"])).execute()
        assert migrate(migration_groups()) == ["patrol:0004_lean_scan_indexes",
                                               "patrol:0008_scan_figures_index"]
        assert indexes() == new


def test_an_older_database_gets_the_patrol_settings_table(make_app, any_db_url):
    """0005 adds PatrolSettings (提前 minutes) to a database made before it."""
    from wyapp.cli import migration_groups
    from wyapp.db import SchemaMigration, migrate
    from wyapp.patrol.models import PatrolSettings

    app = make_app(database_url=any_db_url, with_demo=False)
    with app.app_context(), db.connection_context():
        db.drop_tables([PatrolSettings])
        SchemaMigration.delete().where(
            SchemaMigration.name == "patrol:0005_patrol_settings").execute()
        assert migrate(migration_groups()) == ["patrol:0005_patrol_settings"]
        estate = Estate.create(name="迁移小区")
        setup.save_early_minutes(estate, 5)
        assert setup.early_minutes(estate) == 5


def test_demo_is_idempotent_and_has_history(make_app, database_url):
    """The demo's history is made as of the test's `now`: at any hour it has one missed
    round and both a 顺序错误 and a 过快 scan."""
    from wyapp import demo

    app = make_app(database_url=database_url, with_demo=True)
    with app.app_context(), db.connection_context():
        _demo_is_idempotent_and_has_history(app, demo)


def _demo_is_idempotent_and_has_history(ctx, demo):
    counts = [m.select().count() for m in (Checkpoint, Route, Schedule, Round, Scan, Incident)]
    assert counts[0] == 12 and counts[1] == 2 and counts[4] > 100
    assert Round.select().where(Round.status == "漏巡").count() == 1
    flags = {f for scan in Scan.select().where(Scan.flags != "") for f in scan.flag_list}
    assert {"顺序错误", "过快"} <= flags  # whatever the hour the demo was made at
    demo.create(ctx.extensions["wyapp.features"])
    assert [m.select().count() for m in (Checkpoint, Route, Schedule, Round, Scan,
                                         Incident)] == counts
