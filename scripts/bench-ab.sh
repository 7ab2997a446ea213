#!/bin/sh
# bench-ab.sh REV SCRIPT [ARG...]: a benchmark run with REV's feegate and
# with this checkout's, interleaved, on one machine in one hour.
#
# Builds REV's feegate from `git archive REV` under var/ab/COMMIT (kept,
# and built once), then runs scripts/SCRIPT ARG... (any benchmark that
# sources bench-lib.sh: bench-send.sh, bench-plan.sh, ...) FEEGATE_AB_ROUNDS
# times (default 3) with each feegate, in the order this, REV, REV, this,
# this, REV, ...: an hour that slows or speeds up weighs on both alike.
# Only the feegate under test differs (FEEGATE_BENCH_BIN): the script,
# the generator, the simulator, the peers and the data kept between runs
# are this checkout's, so that the comparison is of feegate and not of a
# simulator that changed too. Each run's output goes to
# var/bench/ab/RUN-SIDE.txt and is printed, then both sides' figures
# side by side (each numeric key=value of the runs' key=value lines).
# REV's feegate must read the configuration this checkout's scripts write.
# Ctrl-C stops it and the benchmark it runs (its process group).
#
#   scripts/bench-ab.sh ba05099 bench-send.sh sms 1000000 512
#   FEEGATE_AB_ROUNDS=2 scripts/bench-ab.sh HEAD~1 bench-plan.sh 1000000
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ $# -ge 2 ] || { echo "usage: scripts/bench-ab.sh REV SCRIPT [ARG...]" >&2; exit 2; }
rev=$1
script=$2
shift 2
[ -f "scripts/$script" ] || { echo "bench-ab.sh: no scripts/$script" >&2; exit 2; }
grep -q 'bench-lib.sh' "scripts/$script" ||
	{ echo "bench-ab.sh: scripts/$script does not run feegate through bench-lib.sh" >&2; exit 2; }
rounds=${FEEGATE_AB_ROUNDS:-3}
case "$rounds" in *[!0-9]* | '' | 0) echo "bench-ab.sh: FEEGATE_AB_ROUNDS is a number above 0" >&2; exit 2 ;; esac
commit=$(git rev-parse --verify --quiet "$rev^{commit}") ||
	{ echo "bench-ab.sh: $rev is not a commit here" >&2; exit 2; }
here=$(git rev-parse --short HEAD)
[ -z "$(git status --porcelain --untracked-files=no)" ] || here="$here+"
short=$(git rev-parse --short "$commit")

# REV's source and build, kept: the same commit builds the same binary.
src=var/ab/$commit
if [ ! -x "$src/bin/feegate" ]; then
	echo "== building $short's feegate in $src" >&2
	rm -rf "$src"
	mkdir -p "$src"
	git archive "$commit" | tar -x -C "$src"
	make -s -C "$src" bin/feegate >"$src.build.log" 2>&1 ||
		{ tail -20 "$src.build.log" >&2; echo "bench-ab.sh: $short does not build" >&2; exit 1; }
fi
# This checkout's feegate as it is now, kept aside: the benchmark's own
# `make` must not swap it for an edit made while the runs go on.
make -s all
out=var/bench/ab
rm -rf "$out"
mkdir -p "$out"
cp bin/feegate "$out/feegate"
i=0
pair=0
while [ "$pair" -lt "$rounds" ]; do
	# pairs alternate: (this, REV), (REV, this), ...
	if [ $((pair % 2)) -eq 0 ]; then order="this rev"; else order="rev this"; fi
	for side in $order; do
		i=$((i + 1))
		if [ "$side" = this ]; then label=$here bin=$out/feegate; else label=$short bin=$src/bin/feegate; fi
		echo "== run $i: $label, scripts/$script $*" >&2
		# numbered to sort in run order past nine runs
		f=$out/$(printf '%03d' "$i")-$side.txt
		FEEGATE_BENCH_BIN=$bin "scripts/$script" "$@" >"$f" ||
			{ echo "bench-ab.sh: run $i ($label) failed" >&2; exit 1; }
		sed 's/^/   /' "$f" >&2
	done
	pair=$((pair + 1))
done

# Side by side: every numeric key=value of the runs' lines, named by the
# line's first word ("channel=sms", "night=2026-10-08"), its values in
# run order for each side (the side from the file's name).
echo
printf '%-40s %-36s %s\n' "scripts/$script $*" "$here (this checkout)" "$short"
awk '/^[a-z_]+=/ {
	side = FILENAME ~ /-this[.]txt$/ ? "this" : "rev"
	for (k = 1; k <= NF; k++)
		if ($k ~ /^[a-z_]+=[0-9.]+$/) {
			split($k, kv, "=")
			key = $1 " " kv[1]
			if (!(key in seen)) { seen[key] = 1; keys[++n] = key }
			v[side, key] = ((side, key) in v) ? v[side, key] ", " kv[2] : kv[2]
		}
}
END { for (k = 1; k <= n; k++) printf "%-40s %-36s %s\n", keys[k], v["this", keys[k]], v["rev", keys[k]] }' "$out"/*-*.txt
