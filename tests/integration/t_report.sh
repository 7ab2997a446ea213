#!/bin/sh
# The report of a range of dates (`feegate report --from --to`, the staff
# pages' report) reads the rows of those dates, not every row ever
# planned (migration 023's indexes), and says the same as when it read
# them all: four nights of the ladder, then the report of each night and
# of a day between nights, through the indexes and with the indexes made
# invisible to MariaDB.
. "$(dirname "$0")/lib.sh"

fresh_schemas
{ echo "SET @n = 2000, @seed = 't_report', @start = '2026-10-01', @on_time = 0.5;"
  cat "$top/sql/demo/generate.sql"; } | mysql_cli "$bschema"
nights="2026-10-01 2026-10-08 2026-10-15 2026-10-22"
for d in $nights; do night $d; done

# indexes NOT|"": migration 023's indexes seen by MariaDB or not.
indexes() {
	sqlg "ALTER TABLE notices ALTER INDEX notices_sent $1 IGNORED;
	      ALTER TABLE messages ALTER INDEX messages_created $1 IGNORED;
	      ALTER TABLE dunning_cases ALTER INDEX cases_opened $1 IGNORED;
	      ALTER TABLE collection_tasks ALTER INDEX tasks_created $1 IGNORED;
	      ALTER TABLE input_errors ALTER INDEX input_errors_first $1 IGNORED;
	      ALTER TABLE notice_outages ALTER INDEX notice_outages_sent $1 IGNORED"
}
# report FROM TO: the report as JSON into $work/report.json; the rows it
# read in $read.
report() {
	r0=$(handler_reads)
	fg report --from "$1" --to "$2" --json >"$work/report.json" 2>"$work/report.err" ||
		fail "report $1 $2: $(cat "$work/report.err")"
	read=$(( $(handler_reads) - r0 ))
}

history=$(sqlg "SELECT (SELECT COUNT(*) FROM notices) + (SELECT COUNT(*) FROM messages)")
# compare FROM TO: the report of FROM to TO with the indexes ignored and
# used, the same both ways; the rows each read in $all and $read.
compare() {
	indexes ""
	report "$1" "$2"
	cp "$work/report.json" "$work/report-all.json"
	all=$read
	indexes NOT
	report "$1" "$2"
	eq "$(cat "$work/report-all.json")" "$(cat "$work/report.json")" "$1 to $2: the same report through the indexes"
	echo "     $1 to $2: rows read $read, $all with the indexes ignored (the history: $history notices and messages)"
	[ "$all" -ge "$history" ] || fail "$1 to $2: without the indexes the report should read every notice and message"
}
# Between two nights: nothing of the history is read. (What is active
# now, the open cases, is read whatever the range.)
compare 2026-10-10 2026-10-12
[ $((all - read)) -ge "$history" ] ||
	fail "a range of no nights read $read rows, $all without the indexes: the history should be spared"
# A night, and two: fewer rows than the history (for the messages of a
# quarter of the history MariaDB may rightly scan the table).
compare 2026-10-22 2026-10-22
[ "$read" -lt "$all" ] || fail "the last night's report read $read rows, as many as without the indexes ($all)"
compare 2026-10-01 2026-10-01
compare 2026-10-08 2026-10-15
has "$(cat "$work/report.json")" '"channels"' "the report lists the channels"
done_ok
