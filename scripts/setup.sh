#!/usr/bin/env bash
# Create .venv and install the pinned dependencies. Safe to re-run: it does nothing when
# the installed set already matches requirements*.txt.
#   torch==2.13.0 goes first and alone: it is a local CPU wheel, and any other torch spec
#   (or a package whose torch range 2.13.0 does not satisfy) would pull gigabytes of CUDA.
#   The project is installed editable (pyproject.toml) for its spaCy factory entry points.
#   --eval also installs the peers the eval commands measure against (requirements-eval.txt,
#   and pkuseg, which builds only with numpy and Cython present and no build isolation).
set -euo pipefail
cd "$(dirname "$0")/.."
with_eval=${1:-}

python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python=$candidate; break
    fi
  done
fi
[ -n "$python" ] || { echo "setup: Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2; exit 1; }

# Debian's Chromium and CJK fonts render the HTML report in the browser test (CI runs as root).
missing=""
command -v chromium >/dev/null 2>&1 || missing="chromium"
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$missing fonts-noto-cjk"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) >/dev/null 2>&1 \
      || echo "setup: could not install$missing; the browser test may be skipped" >&2
  else
    echo "setup: missing$missing (apt-get install$missing); the browser test may be skipped" >&2
  fi
fi

stamp=.venv/.installed
want=$(cat pyproject.toml requirements.txt $([ "$with_eval" = --eval ] && echo requirements-eval.txt) | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check torch==2.13.0
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
# The project itself, editable and without dependencies: registers our spaCy factories.
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
if [ "$with_eval" = --eval ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements-eval.txt Cython==3.1.4
  .venv/bin/pip install --quiet --disable-pip-version-check --no-build-isolation pkuseg==0.0.25
fi
echo "$want" > "$stamp"
echo "setup: .venv ready ($(.venv/bin/python --version))"
