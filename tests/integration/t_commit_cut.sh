#!/bin/sh
# The connection to the database breaks during COMMIT, when the client
# cannot tell whether the server committed (tests/peers/commit_cut.py, a
# proxy that cuts every few COMMITs: after the server made it, or before
# it reached the server). The gateway connects again, finds the
# transaction's commit mark or not, and goes on or runs the transaction
# again: no message is stranded `submitting`, none is sent twice, each has
# one attempt row. This once failed t_dbrestart now and then: a claim whose
# COMMIT was cut stayed `submitting`, unsent, until its lease ran out.
. "$(dirname "$0")/lib.sh"
N=400
proxy_port=18462
cut_run() { # MODE SIM_PORT WHAT_THE_LOG_SAYS
	start_sim "$2" "-d 20"
	fresh_schemas
	sms_accounts $N C
	RATE=1000 CONCURRENCY=16 send_conf 18461 "receipt_wait = 10"
	fgok plan --date 2026-10-02
	: >"$work/cuts.$1"
	peer_start "the COMMIT-cutting proxy on 127.0.0.1:$proxy_port" "$work/proxy.log" \
		python3 "$top/tests/peers/commit_cut.py" $proxy_port "$sock" "$1" 4 6 "$work/cuts.$1"
	peer_wait "the COMMIT-cutting proxy on 127.0.0.1:$proxy_port" "$proxy_port" \
		mariadb --no-defaults -h 127.0.0.1 -P $proxy_port -ufeegate_it -p"$APP_PASSWORD" -e "SELECT 1" >/dev/null 2>&1
	: >"$work/cuts.$1" # (the probe's session made no COMMIT; start clean)
	sed "s|^socket = .*|host = 127.0.0.1\nport = $proxy_port|" "$conf" >"$work/cut.ini"
	rc=0
	timeout -s KILL 120 "$FEEGATE_BIN" -c "$work/cut.ini" dispatch --now "2026-10-02 10:00" >"$work/$1.out" 2>"$work/$1.err" || rc=$?
	grep -q Sanitizer "$work/$1.err" && fail "$1: sanitizer report: $(cat "$work/$1.err")"
	eq 0 "$rc" "$1: the dispatch ends well ($(tail -2 "$work/$1.err"))"
	cuts=$(wc -l <"$work/cuts.$1" | tr -d ' ')
	[ "$cuts" -ge 3 ] || fail "$1: only $cuts COMMITs cut"
	has "$(cat "$work/$1.err")" "$3" "$1: the gateway found out"
	echo "     $1: $cuts COMMITs cut; \"$3\" $(grep -c "$3" "$work/$1.err") times"
	eq "$N" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")" "$1: every message delivered ($(sqlg "SELECT GROUP_CONCAT(CONCAT(state, '=', n)) FROM (SELECT state, COUNT(*) n FROM messages GROUP BY state) x"))"
	eq "$N" "$(sim_stat unique)" "$1: the provider received every message"
	eq "0" "$(sim_stat duplicates)" "$1: none twice"
	eq "$N" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE event = 'message_attempt'")" "$1: one attempt row each"
	has "$(fg audit verify)" "chain intact" "$1: audit chain"
	cleanup
}
cut_run after 18463 "the transaction had been committed"
cut_run before 18464 "the transaction was not committed"

# Marks are looked for seconds after they are written; a dispatcher
# deletes those older than a day and leaves the others.
recent=$(sqlg "SELECT COUNT(*) FROM commit_marks")
[ "$recent" -gt 0 ] || fail "no commit marks were written"
sqlg "INSERT INTO commit_marks (mark, made_at) VALUES
      (REPEAT('a', 32), UTC_TIMESTAMP() - INTERVAL 25 HOUR),
      (REPEAT('b', 32), UTC_TIMESTAMP() - INTERVAL 30 DAY)" >/dev/null
fgok dispatch --now "2026-10-02 10:05"
eq 0 "$(sqlg "SELECT COUNT(*) FROM commit_marks WHERE made_at < UTC_TIMESTAMP() - INTERVAL 1 DAY")" "marks older than a day deleted"
[ "$(sqlg "SELECT COUNT(*) FROM commit_marks")" -ge "$recent" ] || fail "recent commit marks deleted"
done_ok
