#!/bin/sh
# Installs the Debian packages wyapp needs, or prints the exact command when not root.
#   scripts/system-deps.sh run   fonts (CJK; Symbola for emoji) and HarfBuzz subsetting for the PDFs
#   scripts/system-deps.sh test  the above, plus Chromium for browser tests and pdftoppm
set -eu
packages="fonts-noto-cjk fonts-symbola libharfbuzz-subset0"
if [ "${1:-run}" = "test" ]; then
    packages="$packages chromium poppler-utils"
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "system-deps: not a Debian/Ubuntu system; install a CJK font, HarfBuzz subset and Chromium yourself." >&2
    exit 0
fi
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "system-deps: installing$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
else
    echo "system-deps: missing Debian packages:$missing" >&2
    echo "system-deps: run:  sudo apt-get update && sudo apt-get install -y$missing" >&2
fi
