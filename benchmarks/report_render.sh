#!/bin/sh
# Render a report.html in headless Chromium (Debian package `chromium`) to a PNG, to look at it.
# usage: benchmarks/report_render.sh REPORT.html OUT.png [WIDTH] [HEIGHT]
set -eu
html=$(realpath "$1")
out=$(realpath -m "$2")
width=${3:-1200}
height=${4:-3000}
command -v chromium >/dev/null || { echo "chromium not installed: apt-get install -y chromium" >&2; exit 2; }
# --no-sandbox: root in a container has no user namespaces; the page is our own local file
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --allow-file-access-from-files \
  --window-size="$width,$height" --screenshot="$out" "file://$html" >/dev/null 2>&1
test -s "$out" && echo "$out"
