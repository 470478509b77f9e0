#!/bin/sh
# The restore drill: prove a backup restores and matches the files, without touching the
# live database. Run it monthly (and after every change to the set-up), on any app host.
#
#   deploy/restore-drill.sh [DUMP]      DUMP defaults to the newest in WYAPP_BACKUP_DIR
#
# 1. checks the dump's SHA-256 (written by backup.sh);
# 2. restores it into a new scratch database wyapp_drill_<time> on the same server
#    (WYAPP_DRILL_ADMIN_URL: a URL of a role allowed to CREATE DATABASE; default: the
#    server of WYAPP_DATABASE_URL, database postgres);
# 3. runs `wyapp archive verify` against the scratch database: every archived file is
#    read back from the bucket (read-only) and checked against the restored index and its
#    hash chain;
# 4. prints the rows of the main tables and how long the restore took, then drops the
#    scratch database (WYAPP_DRILL_KEEP=1 keeps it for a look).
# Exit 0 only when all of that passed.
set -eu
dir="${WYAPP_BACKUP_DIR:-/var/backups/wyapp}"
wyapp="${WYAPP_BIN:-/opt/wyapp/venv/bin/wyapp}"
dump="${1:-$(ls -1t "$dir"/wyapp-*.dump 2>/dev/null | head -n 1)}"
[ -n "$dump" ] && [ -f "$dump" ] || { echo "restore-drill: no dump found in $dir" >&2; exit 2; }
if [ -f "$dump.sha256" ]; then
    (cd "$(dirname "$dump")" && sha256sum --check --status "$(basename "$dump").sha256") \
        || { echo "restore-drill: $dump does not match its .sha256" >&2; exit 1; }
fi

live="${WYAPP_DATABASE_URL:?WYAPP_DATABASE_URL is not set}"
server="${live%%\?*}"          # without ?options
server="${server%/*}"          # without /dbname
admin="${WYAPP_DRILL_ADMIN_URL:-$server/postgres}"
name="wyapp_drill_$(date -u +%Y%m%d%H%M%S)"
scratch="$server/$name"
started=$(date +%s)

cleanup() {
    if [ "${WYAPP_DRILL_KEEP:-0}" != 1 ]; then
        psql --quiet --dbname="$admin" -c "DROP DATABASE IF EXISTS $name" >/dev/null || true
    fi
}
trap cleanup EXIT

psql --quiet --dbname="$admin" -c "CREATE DATABASE $name" >/dev/null
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$scratch" "$dump"
restored=$(date +%s)

echo "restore-drill: restored $(basename "$dump") into $name in $((restored - started)) s"
for table in estate '"user"' document photo notification; do
    rows=$(psql --quiet --tuples-only --no-align --dbname="$scratch" \
        -c "SELECT count(*) FROM $table" 2>/dev/null || echo "-")
    echo "  $table: $rows"
done
WYAPP_DATABASE_URL="$scratch" "$wyapp" archive verify
echo "restore-drill: passed in $(( $(date +%s) - started )) s"
