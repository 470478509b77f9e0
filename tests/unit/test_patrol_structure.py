"""The cached patrol set-up: reused while nothing changed, reloaded after any write to it,
however it is made, and after a write by another worker (seen through the version row)."""
from datetime import timedelta

import pytest

from tests.factories import patrol as make
from wyapp.db import db
from wyapp.patrol import rounds
from wyapp.patrol.models import Checkpoint, PatrolStructure, RouteStop, Schedule, ScheduleGuard

from .test_patrol import build_world, ctx, local  # noqa: F401  (ctx is a fixture)

pytestmark = pytest.mark.clock  # days of the estate's current month (test_patrol.local)


def names(w, user=None):
    views = rounds.rounds_between(w.estate, local(10, 22), local(10, 23), user)
    return [[c.name for c in v.checkpoints] for v in views]


def test_setup_is_cached_until_a_write_bumps_its_version(ctx):  # noqa: F811
    w = build_world()
    first = rounds.structure(w.estate)
    assert rounds.structure(w.estate) is first  # nothing changed: no reload
    assert names(w) == [["测试点1", "测试点2", "测试点3"]]

    w.points[1].name = "改名点"
    w.points[1].save()
    assert names(w) == [["测试点1", "改名点", "测试点3"]]
    Checkpoint.update(active=False).where(Checkpoint.id == w.points[0].id).execute()
    assert names(w) == [["改名点", "测试点3"]]
    RouteStop.delete().where(RouteStop.checkpoint == w.points[2]).execute()
    assert names(w) == [["改名点"]]
    RouteStop.get(RouteStop.checkpoint == w.points[1]).delete_instance()
    assert names(w) == [[]]
    RouteStop.insert_many([{"route": w.route, "checkpoint": w.points[2], "position": 9}]).execute()
    assert names(w) == [["测试点3"]]


def test_named_guards_and_schedule_changes_are_seen(ctx):  # noqa: F811
    w = build_world()
    assert len(names(w, w.guard)) == 1
    Schedule.update(any_guard=False).where(Schedule.id == w.schedule.id).execute()
    assert names(w, w.guard) == []
    ScheduleGuard.create(schedule=w.schedule, user=w.guard)
    assert len(names(w, w.guard)) == 1
    w.schedule.active = False
    w.schedule.save()
    assert names(w) == []


def test_a_change_by_another_worker_is_seen_through_the_version(ctx):  # noqa: F811
    """Another process writes the set-up and bumps the version: this worker reloads."""
    w = build_world()
    assert names(w) == [["测试点1", "测试点2", "测试点3"]]
    with db.atomic():  # what another worker's write leaves in the database
        db.execute_sql('UPDATE "checkpoint" SET "name" = ? WHERE "id" = ?'.replace(
            "?", db.obj.param), ("别处改的", w.points[0].id))
        db.execute_sql('UPDATE "patrol_structure" SET "version" = "version" + 1')
    assert names(w) == [["别处改的", "测试点2", "测试点3"]]
    assert PatrolStructure.get().version >= 1
    # a scan right after still counts for the round, with the fresh set-up
    scan, view, created = make.scan(w.estate, w.points[0], local(10, 22) + timedelta(minutes=5),
                                    user=w.guard, key="key-struct-1")
    assert created and view.checkpoints[0].name == "别处改的"
