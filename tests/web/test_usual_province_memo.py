"""The usual province of the plate picker, kept per worker (issue 23): the registration form
asks for it on every GET and POST, so only plates added since the last ask are read; plates
blanked or edited show once the memo is read whole again (plates.REREAD_SECONDS)."""
from bench.plans import recording
from tests.factories import gate as gf
from tests.factories import service as sf
from wyapp.db import db, utcnow
from wyapp.gate import plates
from wyapp.gate.models import VehicleEntry, Visit
from wyapp.gate.plates import usual_province


def test_only_new_plates_are_read_and_each_counts_once(in_db):
    with in_db():
        estate = sf.home()
        for plate in ("京A11111", "京A22222", "粤B33333"):
            gf.vehicle(estate, plate)
        assert usual_province(estate) == "京"
        with recording(db.obj) as seen:
            assert usual_province(estate) == "京"  # asked again: nothing new, same answer
        assert len(seen) == 2 and all('"id" >' in sql for sql, _ in seen)
        for plate in ("粤B44444", "粤B55555"):
            gf.vehicle(estate, plate)
        gf.visit(estate, plate="苏E12345")
        assert usual_province(estate) == "粤"  # 粤 3, 京 2, 苏 1: added ones counted once


def test_the_newest_plates_only_and_a_blanked_plate_after_the_reread(in_db, monkeypatch):
    monkeypatch.setattr(plates, "RECENT", 3)
    clock = [1000.0]
    monkeypatch.setattr(plates, "_clock", lambda: clock[0])
    with in_db():
        estate = sf.home()
        for plate in ("京A11111", "京A22222", "京A33333"):
            gf.vehicle(estate, plate)
        assert usual_province(estate) == "京"
        gf.vehicle(estate, "粤B11111")
        gf.vehicle(estate, "粤B22222")
        assert usual_province(estate) == "粤"  # the newest 3: 京 粤 粤
        for plate in ("沪C11111", "沪C22222", "沪C33333", "沪C44444"):
            gf.visit(estate, plate=plate)  # more new plates than RECENT: read whole
        assert usual_province(estate) == "沪"  # visitors 沪 ×3 (and their cars)
        for model in (Visit, VehicleEntry):  # as the purge blanks them (the cars left)
            model.update(plate="", time_out=utcnow()).where(
                model.plate.startswith("沪")).execute()
        assert usual_province(estate) == "沪"  # not seen until the reread
        clock[0] += plates.REREAD_SECONDS + 1
        assert usual_province(estate) == "粤"
