#!/usr/bin/env bash
# Renders pages of the built manual with headless Chromium (Debian `chromium`), to look at them as
# a reader would. Not part of CI. Usage:
#   scripts/doc_screenshots.sh [html_dir] [out_dir] [page.html ...]
# Defaults: build/docs/html, /tmp/recur_doc_shots, the landing page, the recurrent zoo guide and
# the nn::LSTM class page. Each page gives <out_dir>/<page>.png at 1280x1600.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
html=${1:-$root/build/docs/html}
out=${2:-/tmp/recur_doc_shots}
shift $(( $# > 2 ? 2 : $# ))
pages=("$@")
[ ${#pages[@]} -gt 0 ] || pages=(index.html recurrent_zoo.html classrecur_1_1nn_1_1LSTM.html)
command -v chromium >/dev/null || { echo "needs Debian's chromium: apt-get install chromium" >&2; exit 1; }
html=$(cd "$html" && pwd)   # file:// needs an absolute path
mkdir -p "$out"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
for page in "${pages[@]}"; do
  [ -f "$html/$page" ] || { echo "no $html/$page" >&2; exit 1; }
  # A private profile so that no other Chromium's state is touched; the budget lets MathJax finish.
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$profile" --virtual-time-budget=10000 \
    --window-size=1280,1600 --screenshot="$out/${page%.html}.png" "file://$html/$page" \
    >/dev/null 2>&1 || { echo "chromium failed on $page" >&2; exit 1; }
  [ -s "$out/${page%.html}.png" ] || { echo "no screenshot of $page" >&2; exit 1; }
  echo "$out/${page%.html}.png"
done
