#!/bin/sh
# fuzz.sh SECONDS TARGET...: run each libFuzzer target for SECONDS on a
# working copy of its seed corpus (tests/fuzz/corpus/NAME), then print one
# line per target: runs, corpus size, result. A crash leaves its input in
# build/fuzz/ (crash-*) and fails the run.
set -eu
seconds=$1
shift
status=0
printf '%-16s %10s %8s %s\n' target runs corpus result
for t in "$@"; do
	name=${t##*/fuzz_}
	work=build/fuzz/corpus-$name
	mkdir -p "$work"
	cp -n tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null || true
	log=build/fuzz/$name.log
	if "$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/ "$work" >"$log" 2>&1; then
		result=ok
	else
		result="FAILED (see $log)"
		status=1
	fi
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
	printf '%-16s %10s %8s %s\n' "$name" "${runs:-?}" "$(ls "$work" | wc -l | tr -d ' ')" "$result"
done
exit $status
