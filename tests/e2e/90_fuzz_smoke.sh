#!/bin/sh
# A short libFuzzer run of every fuzz target (clang, ASan+UBSan), from the
# committed corpus, into a scratch corpus: a smoke test that the targets
# build and that a few seconds of mutation find nothing.  Long runs are
# `make fuzz` and then build/fuzz/fuzz/<target> by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
secs=${MCPGATE_FUZZ_SECONDS:-8}
n=0
if ! command -v clang >/dev/null 2>&1; then
	echo "not ok 1 - clang is not installed (scripts/deps.sh test installs it)"
	exit 1
fi
if ! make --no-print-directory fuzz >/tmp/mcpgate-fuzz-build.$$ 2>&1; then
	echo "not ok 1 - make fuzz"
	sed 's/^/#   /' /tmp/mcpgate-fuzz-build.$$ | tail -20
	rm -f /tmp/mcpgate-fuzz-build.$$
	exit 1
fi
rm -f /tmp/mcpgate-fuzz-build.$$
for f in build/fuzz/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f" | sed 's/^fuzz_//')
	work=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-fuzz.XXXXXX")
	n=$((n + 1))
	if "$f" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$work/" "$work" "tests/fuzz/corpus/$name" \
	    >"$work/log" 2>&1; then
		echo "ok $n - fuzz $name for ${secs}s: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/log" | sed 's/.*: //') runs, no crash"
	else
		echo "not ok $n - fuzz $name found a problem (artifacts: $work)"
		grep -E 'ERROR|SUMMARY|Test unit written' "$work/log" | head -10 | sed 's/^/#   /'
		continue
	fi
	rm -rf "$work"
done
echo "1..$n"
