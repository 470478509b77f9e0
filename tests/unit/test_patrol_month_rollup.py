"""The month report's per-guard figures from PatrolDay rows (month_rollup.py, issue 23): the
same figures as counted from the scans, a round scanned on two days counted once, a scan
synced late for a past day counted once the job has run, and the rows the job keeps.

Days are those of the estate's current month (tests/unit/test_patrol.py's helpers); every
instant is passed explicitly."""
from datetime import timedelta

import pytest

from tests.factories import patrol as make
from tests.unit.test_patrol import build_world, ctx, day_of, local, scan  # noqa: F401
from wyapp.models import User
from wyapp.patrol import month_rollup, reports
from wyapp.patrol.models import PatrolDay, PatrolDayMark, Scan

pytestmark = pytest.mark.clock


def figures(report):
    return ([(g["user"].username, g["scans"], g["flagged"], g["rounds"])
             for g in report["guards"]], report["flagged_count"],
            [s.id for s in report["flagged"]])


def month(world, now, user=None):
    first = day_of(1)
    return reports.month_report(world.estate, first.year, first.month, now, user)


def from_scans(world):
    """The month's figures counted from the scans alone (no rows): what the page showed
    before the rows existed."""
    start, end = world.estate.month_bounds(day_of(1).year, day_of(1).month)
    counted = month_rollup.count_scans(world.estate, start, end)
    return sorted((User.get_by_id(uid).username, n, flagged, len(rounds))
                  for uid, (n, flagged, rounds) in counted.items())


@pytest.fixture
def walked(ctx):  # noqa: F811 — the fixture of test_patrol
    """The night route walked on days 9 and 10 by the guard (out of order on the 10th: a
    flag), and a 23:30 round of a second route scanned by the supervisor on both sides of
    midnight (one round, two days)."""
    w = build_world()
    for day in (9, 10):
        for minute, point in zip((5, 7, 9), w.points if day == 9 else w.points[::-1],
                                 strict=True):
            scan(w, point, local(day, 22, minute))
    late = make.checkpoint(w.estate, "夜间点")
    other = make.checkpoint(w.estate, "夜间点2")
    route = make.route(w.estate, [late, other], "跨夜路线", enforce_order=False, min_seconds=0)
    make.schedule(route, times="23:30", window=60, valid_from=local(1, 0), name="跨夜")
    w.supervisor = User.get(username="supervisor")
    make.scan(w.estate, late, local(8, 23, 40), user=w.supervisor, key="night-key-0001")
    make.scan(w.estate, other, local(9, 0, 10), user=w.supervisor, key="night-key-0002")
    return w


def test_rows_give_the_figures_the_scans_give(walked):
    now = local(11, 3)
    before = figures(month(walked, now))
    assert PatrolDay.select().count() == 0  # no rows yet: counted from the scans
    assert sorted(before[0]) == from_scans(walked)
    assert ("supervisor", 2, 0, 1) in before[0]  # the round across midnight counts once
    assert month_rollup.refresh(now) >= 10  # days 1..10 (and last month's)
    assert PatrolDay.select().where(PatrolDay.day == day_of(10)).count() == 1
    assert figures(month(walked, now)) == before
    guard = User.get(username="guard")
    mine = figures(month(walked, now, guard))
    assert mine[0] == [g for g in before[0] if g[0] == "guard"]
    assert month_rollup.refresh(now) == 0  # nothing new: nothing recomputed


def test_a_scan_synced_late_for_a_past_day_counts_once_the_job_ran(walked):
    now = local(11, 3)
    month_rollup.refresh(now)
    before = dict((g[0], g) for g in figures(month(walked, now))[0])
    # the guard's phone was offline on the 10th: the scan reaches the server on the 11th
    make.scan(walked.estate, walked.points[0], local(10, 23, 59), user=walked.guard,
              key="late-key-00001", now=local(11, 9), device_at=local(10, 23, 59), queued=True)
    assert Scan.get(Scan.client_id == "late-key-00001").scanned_at == local(10, 23, 59)
    then = local(11, 9, 1)
    assert month_rollup.refresh(then) >= 1  # the 10th again
    after = figures(month(walked, then))
    assert sorted(after[0]) == from_scans(walked)
    PatrolDay.delete().execute()  # counted again from the scans alone: the same
    assert figures(month(walked, then)) == after
    guard = dict((g[0], g) for g in after[0])["guard"]
    assert (guard[1], guard[2]) == (before["guard"][1] + 1, before["guard"][2] + 1)


def test_the_watermark_reads_each_scan_twice_then_moves_on(walked):
    """One pass behind (PostgreSQL hands out ids before commit): a scan is read by the pass
    after it landed and by the one after that, then no more."""
    month_rollup.refresh(local(11, 3))
    top = Scan.select().order_by(Scan.id.desc()).first().id
    marks = {m.name: m.last_id for m in PatrolDayMark.select()}
    assert marks == {"scan": top, "scan~": top}
    make.scan(walked.estate, walked.points[1], local(10, 22, 30), user=walked.guard,
              key="late-key-00002", now=local(11, 4), device_at=local(10, 22, 30), queued=True)
    assert month_rollup.refresh(local(11, 4)) == 1
    assert month_rollup.refresh(local(11, 5)) == 1  # read once more: one pass behind
    assert month_rollup.refresh(local(11, 6)) == 0


def test_a_row_of_other_bounds_is_not_used(walked):
    """A row counted before the estate's time zone changed does not match the day's bounds
    any more: the day is counted from the scans."""
    now = local(11, 3)
    before = figures(month(walked, now))
    month_rollup.refresh(now)
    row = PatrolDay.get(PatrolDay.day == day_of(10))
    (PatrolDay.update(starts_at=row.starts_at + timedelta(hours=1), guards="{}")
     .where(PatrolDay.id == row.id).execute())
    assert figures(month(walked, now)) == before


def test_a_late_scan_of_an_old_month_deletes_that_days_row(walked):
    """Rows of days before last month are not recomputed for a late scan (a bulk import of
    years of scans recomputes nothing): the row goes, and the report counts that day from
    the scans."""
    now = local(11, 3)
    old_day = day_of(1) - timedelta(days=70)
    month_rollup.recompute(walked.estate, old_day, now)
    month_rollup.refresh(now)
    at = walked.estate.day_start(old_day) + timedelta(hours=3)
    Scan.create(estate=walked.estate, checkpoint=walked.points[0], user=walked.guard,
                client_id="imported-00001", scanned_at=at, server_at=now)
    month_rollup.refresh(local(11, 4))
    assert not PatrolDay.select().where(PatrolDay.day == old_day).exists()
    report = reports.month_report(walked.estate, old_day.year, old_day.month, local(11, 4))
    assert [(g["user"].username, g["scans"]) for g in report["guards"]] == [("guard", 1)]


def test_an_older_database_gets_the_patrol_day_tables(make_app, any_db_url):
    """0009 adds PatrolDay and PatrolDayMark to a database made before them."""
    from wyapp.cli import migration_groups
    from wyapp.db import SchemaMigration, db, migrate

    app = make_app(database_url=any_db_url, with_demo=False)
    with app.app_context(), db.connection_context():
        db.drop_tables([PatrolDay, PatrolDayMark])
        SchemaMigration.delete().where(
            SchemaMigration.name == "patrol:0009_patrol_days").execute()
        assert migrate(migration_groups()) == ["patrol:0009_patrol_days"]
        assert PatrolDay.select().count() == 0 and PatrolDayMark.select().count() == 0
