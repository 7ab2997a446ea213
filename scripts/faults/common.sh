# common.sh: sourced by each fault scenario after tests/integration/lib.sh.
# Scenarios run the optimized binary unless FEEGATE_BIN says otherwise,
# against the private MariaDB and the provider simulator, on loopback, and
# append one row to $FAULT_RESULTS:
#   fault <TAB> runs <TAB> messages <TAB> lost <TAB> duplicated <TAB> result
# lost: messages not in a final state (delivered, accepted, failed_permanent,
# expired, cancelled), plus messages recorded as delivered or accepted that
# the provider never received. duplicated: messages the provider took (and
# would have sent) more than once; the simulator's generic API, like a
# platform following docs/providers.md, answers a repeated Idempotency-Key as
# before without taking the message again (counted as a replay).
: "${FAULT_RESULTS:=$top/var/faults/results.tsv}"

# The business date of today in the utility's time zone, and a calling
# window of the whole day: faults run on the wall clock, not on --now.
today=$(TZ=Asia/Shanghai date +%F)
allday="[dunning]
calling_window = 00:00-24:00"

# scenario PORT N PREFIX "CONFIG LINES": the simulator on PORT (options
# $sim_opts: 20 ms latency, receipts 20 ms later), fresh schemas, N accounts
# with one overdue bill and an SMS contact each (account numbers PREFIX...),
# and the gateway's SMS provider on the simulator with receipts on PORT+1,
# RATE messages/s, CONCURRENCY requests at once (32), TIMEOUT if set, a
# whole-day calling window and the CONFIG LINES ([dispatch] keys).
sim_opts="-d 20 -l 20"
scenario() {
	start_sim "$1" "$sim_opts"
	fresh_schemas
	sms_accounts "$2" "$3"
	CONCURRENCY=${CONCURRENCY:-32} send_conf $(($1 + 1)) "$4
$allday"
}

# A scenario's own checks: note what failed, and the row says FAIL.
problems=""
problem() { problems="$problems; $*"; echo "     problem: $*" >&2; }

# bounded_dispatch SECONDS [ARGS]: feegate dispatch, killed if it runs
# longer than SECONDS.
bounded_dispatch() {
	limit=$1
	shift
	timeout -s KILL "$limit" "$FEEGATE_BIN" -c "$conf" dispatch "$@" >>"$work/dispatch.out" 2>>"$work/dispatch.err" || true
}

# serve_start / serve_stop: the daemon, as in production (a dispatcher that
# stays up through pauses and backoff, where `dispatch` would return);
# stopped with SIGTERM, then SIGKILL after 30 s.
serve_start() {
	"$FEEGATE_BIN" -c "$conf" serve >>"$work/serve.out" 2>>"$work/serve.err" &
	serve_pid=$!
	bg_pids="$bg_pids $serve_pid"
}
serve_stop() {
	kill -TERM "$serve_pid" 2>/dev/null || true
	i=0
	while kill -0 "$serve_pid" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$serve_pid" 2>/dev/null || true
	wait "$serve_pid" 2>/dev/null || true
}
# until_done SECONDS: wait until every message is final, at most SECONDS.
until_done() {
	t0=$(date +%s)
	while [ "$(unfinished)" -gt 0 ] && [ $(( $(date +%s) - t0 )) -lt "$1" ]; do sleep 2; done
}

# until_receipts SECONDS: wait until no message awaits its receipt (none
# is `accepted`), at most SECONDS; a dispatcher must be listening.
until_receipts() {
	ur0=$(date +%s)
	while [ "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'accepted'")" -gt 0 ] &&
		[ $(( $(date +%s) - ur0 )) -lt "$1" ]; do sleep 2; done
}

# unfinished: messages not in a final state.
unfinished() {
	sqlg "SELECT COUNT(*) FROM messages WHERE state NOT IN
	      ('delivered', 'accepted', 'failed_permanent', 'expired', 'cancelled')"
}

# tally FAULT RUNS: count, check the audit chain, append the row.
tally() {
	stuck=$(unfinished)
	sqlg "SELECT message_id FROM messages WHERE state IN ('delivered', 'accepted')" | sort -u >"$work/db-sent"
	cut -f2 "$work/sim.tsv" | sort -u >"$work/sim-ids"
	phantom=$(comm -23 "$work/db-sent" "$work/sim-ids" | wc -l | tr -d ' ')
	lost=$((stuck + phantom))
	dup=$(sim_stat duplicates)
	msgs=$(sqlg "SELECT COUNT(*) FROM messages")
	states=$(sqlg "SELECT GROUP_CONCAT(CONCAT(state, '=', n) ORDER BY state SEPARATOR ' ')
	               FROM (SELECT state, COUNT(*) n FROM messages GROUP BY state) x")
	case "$(fg audit verify 2>&1)" in *"chain intact"*) ;; *) problem "audit verify does not pass" ;; esac
	peers_check || problem "$peers_problem"
	[ "$lost" -eq 0 ] || problem "$lost lost ($stuck unfinished, $phantom never received)"
	[ "${dup:-x}" = 0 ] || problem "${dup:-?} sent twice"
	if [ -z "$problems" ]; then result=ok; else result="FAIL${problems}"; fi
	echo "     $1: $states; provider received $(sim_stat received), unique $(sim_stat unique), replays $(sim_stat replays)"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$msgs" "$lost" "${dup:-?}" "$result" >>"$FAULT_RESULTS"
	[ -z "$problems" ]
}
