#!/bin/sh
# Nightly backup of what lives in PostgreSQL (deploy/systemd/wyapp-backup.timer).
#
# Files are NOT copied here: with WYAPP_STORAGE_URL they live in the bucket, protected by
# its versioning (every overwrite or delete keeps the older version) and, for the archive,
# object lock. Without WYAPP_STORAGE_URL (one machine) the data directory's files are
# archived beside the dump.
#
# Environment (the same /etc/wyapp/wyapp.env): WYAPP_DATABASE_URL (postgresql://…),
# WYAPP_BACKUP_DIR (default /var/backups/wyapp), WYAPP_BACKUP_KEEP_DAYS (default 30),
# WYAPP_STORAGE_URL, WYAPP_DATA_DIR.
set -eu
dir="${WYAPP_BACKUP_DIR:-/var/backups/wyapp}"
keep="${WYAPP_BACKUP_KEEP_DAYS:-30}"
case "${WYAPP_DATABASE_URL:-}" in
    postgresql://*|postgres://*) ;;
    *) echo "backup.sh: WYAPP_DATABASE_URL must be a postgresql:// URL" >&2; exit 2 ;;
esac
mkdir -p "$dir"
umask 077
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
dump="$dir/wyapp-$stamp.dump"

# custom format: compressed, restorable table by table; a consistent snapshot while the
# app runs (pg_dump reads in one repeatable-read transaction)
pg_dump --format=custom --no-owner --no-privileges --dbname="$WYAPP_DATABASE_URL" \
    --file="$dump.partial"
mv "$dump.partial" "$dump"
sha256sum "$dump" > "$dump.sha256"

if [ -z "${WYAPP_STORAGE_URL:-}" ] && [ -n "${WYAPP_DATA_DIR:-}" ]; then
    files="$dir/wyapp-files-$stamp.tar.gz"
    (cd "$WYAPP_DATA_DIR" && tar --create --gzip --file="$files.partial" \
        --ignore-failed-read photos archive exports labels 2>/dev/null || true)
    mv "$files.partial" "$files"
fi

find "$dir" -maxdepth 1 -name 'wyapp-*' -mtime +"$keep" -delete
echo "backup.sh: $dump ($(du -h "$dump" | cut -f1))"
