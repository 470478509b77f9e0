"""The edges of 计划外 and 提前 (issue 17): a scan exactly N minutes before a window opens
and exactly at its close, between rounds of two routes, a scan synced from the offline queue
after its round was closed, and an estate across a daylight-saving change."""
from datetime import date, datetime, timedelta

import pytest

from tests.factories import patrol as make
from tests.unit.test_patrol import build_world, ctx, day_of, local, scan  # noqa: F401
from wyapp.models import Estate, User
from wyapp.patrol import reports, rounds

pytestmark = pytest.mark.clock


@pytest.fixture
def world(ctx):  # noqa: F811 - the fixture imported above
    return build_world()


def test_the_early_minutes_and_the_close_are_exact(world):
    assert scan(world, world.points[0], local(10, 21, 50))[0].flag_list == ["提前"]
    assert scan(world, world.points[1], local(10, 21, 49, 59))[0].flag_list == ["计划外"]
    last_second = scan(world, world.points[1], local(10, 22, 59, 59))[0]
    assert last_second.round.starts_at == local(10, 22)
    at_close = scan(world, world.points[2], local(10, 23, 0))[0]
    assert at_close.flag_list == ["计划外"] and at_close.round is None


def test_between_rounds_of_two_routes_the_open_one_counts(world):
    other = make.route(world.estate, [world.points[0]], "外围路线")
    make.schedule(other, times="23:30", window=30, valid_from=local(1, 0), name="外围")
    between = scan(world, world.points[0], local(10, 23, 10))[0]
    assert between.flag_list == ["计划外"]
    early = scan(world, world.points[0], local(10, 23, 25))[0]
    assert early.flag_list == ["提前"] and early.round.schedule.route == other


def test_a_scan_synced_after_its_round_was_closed_leaves_the_round(world):
    """The phone queued a 22:30 scan and sent it at 23:40, after the round had been closed
    as 部分完成 1/3 and the supervisors alerted: the scan is kept as 计划外 (离线补传, at its
    22:30), and the round still reads 1/3 with both unscanned points missed."""
    scan(world, world.points[0], local(10, 22, 5))
    rounds.close_expired_rounds(local(10, 23, 30), timedelta(hours=6))
    late, view, _ = scan(world, world.points[1], local(10, 23, 40),
                         device_at=local(10, 22, 30), queued=True)
    assert view is None and late.round is None
    assert late.flag_list == ["计划外", "离线补传"] and late.scanned_at == local(10, 22, 30)
    report = reports.day_report(world.estate, day_of(10), local(11, 12))
    ended = next(r for r in report["rounds"] if r["view"].starts_at == local(10, 22))
    assert (ended["done"], ended["total"], ended["status"]) == (1, 3, "部分完成")
    assert [c.name for c in ended["missed"]] == ["测试点2", "测试点3"]
    assert [s.id for s in ended["scans"]] == [ended["view"].scans[0].id]
    assert [s.id for s in report["off_round"]] == [late.id]
    # a queued scan whose round is still open when it arrives counts as before
    sent_in_time = scan(world, world.points[0], local(11, 0, 40), device_at=local(11, 0, 10),
                        queued=True)[0]
    assert sent_in_time.round.starts_at == local(11, 0)


def test_an_estate_across_the_daylight_saving_change(ctx):  # noqa: F811
    """Europe/Berlin: 29 March 2026 has 23 hours (02:00 skipped), 25 October 25 (02:00 twice);
    hourly windows in wall time, each taken once, scans between them 计划外, reports whole."""
    estate = Estate.get(name="示范花园")
    estate.timezone = "Europe/Berlin"
    estate.save()
    estate = Estate.get_by_id(estate.id)
    point = make.checkpoint(estate, "柏林岗")
    route = make.route(estate, [point], "夜间")
    make.schedule(route, interval=("00:00", "06:00", 60), window=50,
                  valid_from=datetime(2026, 3, 1), name="夜")
    guard = User.get(username="guard")
    for day, hours, starts in (
            (date(2026, 3, 29), 23, ["00:00", "01:00", "03:00", "04:00", "05:00"]),
            (date(2026, 10, 25), 25, ["00:00", "01:00", "02:00", "03:00", "04:00", "05:00"])):
        start, end = estate.day_bounds(day)
        assert end - start == timedelta(hours=hours)
        views = rounds.rounds_between(estate, start, end)
        assert [f"{estate.local(v.starts_at):%H:%M}" for v in views] == starts
        for view in views:
            record = make.scan(estate, point, view.starts_at + timedelta(minutes=5),
                               user=guard)[0]
            assert record.round.starts_at == view.starts_at and record.flags == ""
        off = make.scan(estate, point, views[-1].ends_at + timedelta(minutes=1), user=guard)[0]
        assert off.flag_list == ["计划外"]
        rounds.close_expired_rounds(end + timedelta(hours=1), timedelta(days=2))
        report = reports.day_report(estate, day, end + timedelta(hours=1))
        assert report["completion"] == 100 and [s.id for s in report["off_round"]] == [off.id]


def test_back_to_back_rounds_an_early_scan_counts_for_the_next(world):
    """Windows of 60 minutes every 60 minutes: at 08:55 the 08:00 round is still open, but
    its point was scanned at 08:10 — the guard has started the 09:00 round early, and the
    scan counts for it (提前), not as a 重复 of the round already done."""
    route = make.route(world.estate, [world.points[0]], "连续路线")
    make.schedule(route, interval=("08:00", "12:00", 60), window=60, valid_from=local(1, 0),
                  name="连续")
    first = scan(world, world.points[0], local(10, 8, 10))[0]
    assert first.round.starts_at == local(10, 8) and first.flags == ""
    early = scan(world, world.points[0], local(10, 8, 55))[0]
    assert early.flag_list == ["提前"] and early.round.starts_at == local(10, 9)
    again = scan(world, world.points[0], local(10, 8, 57))[0]  # a third tap: 重复 now
    assert "重复" in again.flag_list
    assert again.round.starts_at in (local(10, 8), local(10, 9))
    views = rounds.rounds_between(world.estate, local(10, 8), local(10, 10))
    assert [(v.done, v.total) for v in views if v.route.name == "连续路线"] == [(1, 1), (1, 1)]
