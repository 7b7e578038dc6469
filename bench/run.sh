#!/usr/bin/env bash
# The benchmark in one command; options are bench/run.py's (--help).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python bench/run.py "$@"
