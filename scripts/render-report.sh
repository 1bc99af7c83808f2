#!/bin/sh
# Screenshots an HTML report with headless Debian chromium (no network, throwaway profile).
# Usage: scripts/render-report.sh <report.html> <out.png> [width,height]
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 <report.html> <out.png> [width,height]" >&2
  exit 2
fi
html=$1
png=$2
size=${3:-1400,2400}
if [ ! -f "$html" ]; then
  echo "$0: $html: no such file" >&2
  exit 1
fi
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "$0: chromium not found (apt-get install -y chromium)" >&2
  exit 1
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
abs_html=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
abs_png=$(cd "$(dirname "$png")" && pwd)/$(basename "$png")
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --hide-scrollbars --user-data-dir="$profile" \
  --screenshot="$abs_png" --window-size="$size" "file://$abs_html" >/dev/null 2>&1
if [ ! -s "$abs_png" ]; then
  echo "$0: chromium wrote no screenshot" >&2
  exit 1
fi
echo "$abs_png"
