#!/bin/sh
# The date- and time-sensitive tests (pytest marker `clock`) at the instants that catch a
# wrong clock, each under a machine TZ that is not UTC (the estate's zone is Asia/Shanghai):
#   2026-12-31T15:30Z  23:30 on the estate's last evening of the year (UTC date = local date)
#   2027-02-28T16:30Z  00:30 on 1 March in the estate, still 28 February in UTC
#   2026-06-30T20:00Z  04:00 local, a night shift's last hours, UTC still the day before
#   2026-04-30T15:59Z  23:59 on the estate's last evening of a month
# The main run (make test) is at an ordinary working morning. SQLite only: the same code
# paths on PostgreSQL ran in the main run. Usage: scripts/clock-check.sh [pytest args]
set -eu
cd "$(dirname "$0")/.."
for spec in "2026-12-31T15:30:00+00:00 America/New_York" \
            "2027-02-28T16:30:00+00:00 Pacific/Auckland" \
            "2026-06-30T20:00:00+00:00 Europe/Berlin" \
            "2026-04-30T15:59:00+00:00 America/Los_Angeles"; do
  set -- $spec "$@"
  instant=$1 zone=$2
  shift 2
  echo "clock check: WYAPP_TEST_NOW=$instant TZ=$zone"
  WYAPP_TEST_NOW=$instant TZ=$zone WYAPP_TEST_POSTGRES_URL= \
    .venv/bin/pytest -n 2 -q -m clock tests/unit tests/web "$@"
done
