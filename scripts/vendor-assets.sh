#!/bin/sh
# Copies pinned front-end packages (package.json / package-lock.json) into static/vendor/.
# Third-party files are fetched from the npm registry here, never committed.
set -eu
cd "$(dirname "$0")/.."
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
mkdir -p static/vendor
cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
cp node_modules/idb-keyval/dist/umd.js static/vendor/idb-keyval.js
cp node_modules/barcode-detector/dist/iife/polyfill.js static/vendor/barcode-detector.js
cp node_modules/zxing-wasm/dist/reader/zxing_reader.wasm static/vendor/zxing_reader.wasm
