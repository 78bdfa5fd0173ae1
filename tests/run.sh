#!/bin/sh
# tests/run.sh [--unit-only] ASAN_BUILD DEFAULT_BUILD
#
# Runs every test and counts TAP lines ("ok" / "not ok").  A test program that
# exits non-zero without printing a "not ok" line (a crash, a sanitizer report)
# counts as one more failure.  Ends with "N passed, N failed".
set -u
unit_only=0
if [ "${1:-}" = "--unit-only" ]; then unit_only=1; shift; fi
ASAN=${1:-build/asan}
DEFAULT=${2:-build/default}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
out=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-tests.XXXXXX")
passed=0
failed=0
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export MCPGATE_TEST_ASAN="$top/$ASAN" MCPGATE_TEST_BUILD="$top/$DEFAULT"
export MCPGATE_SHARED="${MCPGATE_SHARED:-$top/../shared}"

run_one() {	# name command...
	name=$1; shift
	log="$out/$(echo "$name" | tr '/ ' '__').log"
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	secs=$(( $(date +%s) - start ))
	if [ "$f" -gt 0 ]; then
		printf '%-40s %4d passed, %d FAILED (%ss)\n' "$name" "$p" "$f" "$secs"
		grep -E '^not ok|^#' "$log" | head -40 | sed 's/^/    /'
		tail -n 15 "$log" | grep -vE '^(ok|not ok|#)' | sed 's/^/    | /'
	else
		printf '%-40s %4d passed (%ss)\n' "$name" "$p" "$secs"
	fi
}

for t in "$ASAN"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done

for t in "$ASAN"/tests/analyzer_test_*; do
	[ -x "$t" ] || continue
	run_one "analyzer/$(basename "$t" | sed 's/^analyzer_//')" "$t"
done

for t in "$ASAN"/tests/replay_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t" | sed 's/^replay_//')
	run_one "fuzz-replay/$name" "$t" "tests/fuzz/corpus/$name" \
	    "tests/fuzz/crashes/$name"
done

for t in tests/static/*.sh; do
	[ -f "$t" ] || continue
	run_one "static/$(basename "$t" .sh)" sh "$t"
done

if [ "$unit_only" -eq 0 ]; then
	for t in tests/e2e/[0-9]*.sh; do
		[ -f "$t" ] || continue
		run_one "e2e/$(basename "$t" .sh)" sh "$t"
	done
fi
echo "logs: $out"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
