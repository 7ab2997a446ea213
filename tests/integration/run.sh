#!/bin/sh
# run.sh [t_name...]: run the integration tests (all t_*.sh by default)
# against the private MariaDB; print one line per test and a total.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
# Build what the tests run (the ASan+UBSan binary), so that a test never
# passes or fails on a stale one.
make -s -C "$dir/../.." bin/feegate bin/feegate-san bin/feegate-sim >/dev/null || exit 1
cd "$dir"
if [ $# -eq 0 ]; then set -- t_*.sh; fi
pass=0
failed=""
for t in "$@"; do
	t=${t%.sh}.sh
	start=$(date +%s)
	if sh "./$t"; then
		pass=$((pass + 1))
	else
		failed="$failed ${t%.sh}"
	fi
	echo "     (${t%.sh}: $(( $(date +%s) - start )) s)"
done
if [ -n "$failed" ]; then
	echo "integration: $pass passed, failed:$failed"
	exit 1
fi
echo "integration: all $pass passed"
