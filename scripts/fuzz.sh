#!/usr/bin/env bash
# fuzz.sh — `make fuzz`: every fuzz target for KIRJE_FUZZTIME (default 30s) each. Seeds live in
# each package's testdata/fuzz; new failing inputs are written there for a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
time=${KIRJE_FUZZTIME:-30s}
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
		echo "== $pkg $target"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$time" "$pkg"
	done
done
