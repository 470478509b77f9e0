#!/bin/sh
# The date- and time-sensitive tests (pytest marker `clock`) at the instants that catch a
# wrong clock, each under a machine TZ that is not UTC (the estate's zone is Asia/Shanghai):
#   2026-12-31T15:30Z  23:30 on the estate's last evening of the year (UTC date = local date)
#   2027-02-28T16:30Z  00:30 on 1 March in the estate, still 28 February in UTC
# (Also tried by hand: 2026-06-30T20:00Z, 2026-04-30T15:59Z; pass more with
#  WYAPP_TEST_NOW=… TZ=… .venv/bin/pytest -m clock.)
# The main run (make test) is at an ordinary working morning. SQLite only: the same code
# paths on PostgreSQL ran in the main run. Usage: scripts/clock-check.sh [pytest args]
set -eu
cd "$(dirname "$0")/.."
for spec in "2026-12-31T15:30:00+00:00 America/New_York" \
            "2027-02-28T16:30:00+00:00 Pacific/Auckland"; do
  set -- $spec "$@"
  instant=$1 zone=$2
  shift 2
  echo "clock check: WYAPP_TEST_NOW=$instant TZ=$zone"
  WYAPP_TEST_NOW=$instant TZ=$zone WYAPP_TEST_POSTGRES_URL= \
    .venv/bin/pytest -n 2 -q -m clock tests/unit tests/web "$@"
done
