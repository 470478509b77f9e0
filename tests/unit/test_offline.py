"""A phone's clock is data: parse_device_time never raises and reads insane clocks as none."""
from datetime import datetime

import pytest

from wyapp.offline import parse_device_time


@pytest.mark.parametrize(("sent", "read"), [
    ("2026-06-15T10:00:00+08:00", datetime(2026, 6, 15, 2, 0)),
    ("1781488800000", datetime(2026, 6, 15, 2, 0)),  # epoch ms, as the page sends it
    ("0001-01-01T00:00:00+14:00", None),  # year 1 in a zone east of UTC: before datetime.min
    ("9999-12-31T23:59:59-12:00", None),  # after datetime.max in UTC
    ("1970-01-01T00:00:00Z", None), ("2999-01-01T00:00:00Z", None),
    ("99999999999999999999", None), ("²", None), ("２０２６-06-15T10:00:00Z", None),
    ("2026-06-15T10:00:00", None),  # no zone: not trusted
    ("", None), (None, None),
])
def test_device_time(sent, read):
    assert parse_device_time(sent) == read
