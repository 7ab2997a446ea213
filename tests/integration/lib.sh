# lib.sh: helpers for integration tests, sourced by each t_*.sh.
#
# Each test gets its own billing and gateway schemas on the private MariaDB
# (scripts/db.sh), a config file, and these helpers:
#   sqlb "SQL"            run SQL in the billing schema (tab-separated, no header)
#   sqlg "SQL"            run SQL in the gateway schema
#   fg ARGS...            run feegate (the ASan+UBSan build) with the test's config
#   customer ACCT [hold] [grid] [name]
#   contact ID ACCT CHANNEL ADDRESS [priority] [consent]
#   bill ID ACCT AMOUNT DUE_DATE [paid] [status]
#   night DATE            run one night; fails the test if feegate fails
#   eq EXPECTED ACTUAL WHAT   assert equal
#   has HAYSTACK NEEDLE WHAT  assert substring
#   hasnt HAYSTACK NEEDLE WHAT
# A test ends with `done_ok`; the first failed assertion exits non-zero.
set -eu
# One locale whoever runs the tests, and the plainest: nothing may depend on
# a UTF-8 locale being set (the mariadb client took latin1 from a bare one).
export LC_ALL=C

top=$(cd "$(dirname "$0")/../.." && pwd)
name=$(basename "$0" .sh)
# Peers (the simulator, smtp-sink, Kannel, ...) are started, watched and
# stopped through scripts/peers.sh: one that stops is named, with the end
# of its log, by the next step that checks (fgok, night, a wait, fail).
. "$top/scripts/peers.sh"
: "${FEEGATE_BIN:=$top/bin/feegate-san}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
sock=$("$top/scripts/db.sh" start | sed -n 's/^FEEGATE_DB_SOCKET=//p')
# Fault scenarios (scripts/faults/NAME.sh) get schemas of their own: the
# `receipts` scenario must not share t_receipts' while `make test` runs.
case "$name" in
t_*) prefix=it_${name#t_} ;;
p_*) prefix=pkg_${name#p_} ;;
s_*) prefix=scale_${name#s_} ;;
*) prefix=fault_$name ;;
esac
bschema="${prefix}_bill"
gschema="${prefix}_gw"
work="$top/var/test/$name"
conf="$work/feegate.ini"
rm -rf "$work"
mkdir -p "$work"

# The client's character set is said, never taken from the user's locale
# (under LANG=C or none it is latin1, and Chinese text would be stored
# double-encoded).
mysql_cli() { mariadb --no-defaults --default-character-set=utf8mb4 --socket="$sock" -uroot --batch --skip-column-names "$@"; }
# A query that fails inside $(...) cannot stop the test by itself: it is
# written down, and the next assertion (or done_ok) fails on it.
sql_in() {
	if ! out=$(mysql_cli "$1" -e "$2" 2>&1); then
		printf '%s\n%s\n' "$2" "$out" >>"$work/sql-errors"
		echo "FAIL $name: query failed: $2: $out" >&2
		return 1
	fi
	[ -z "$out" ] || printf '%s\n' "$out" | tr "\t" " "
}
sqlb() { sql_in "$bschema" "$1"; }
# owing_sms N PREFIX: N customers in billing, PREFIX1 to PREFIXN, each
# with one consented SMS contact (+86139 and the number, 8 digits; its
# contact_id the number) and one open bill of 50.00 due 2026-10-01.
owing_sms() {
	sqlb "INSERT INTO billing_customers (account_no, name, grid_id)
	      SELECT CONCAT('$2', seq), CONCAT('客户', seq), 'G1' FROM seq_1_to_$1"
	sqlb "INSERT INTO billing_contacts (contact_id, account_no, channel, address, priority, consent)
	      SELECT seq, CONCAT('$2', seq), 'sms', CONCAT('+86139', LPAD(seq, 8, '0')), 1, 1 FROM seq_1_to_$1"
	sqlb "INSERT INTO billing_bills (bill_id, account_no, period, amount_due, amount_paid, due_date, status)
	      SELECT CONCAT('$2', seq, '-1'), CONCAT('$2', seq), '2026-09', 50.00, 0, '2026-10-01', 'open' FROM seq_1_to_$1"
}
sqlg() { sql_in "$gschema" "$1"; }
sql_ok() { [ ! -s "$work/sql-errors" ] || fail "a query failed: $(cat "$work/sql-errors")"; }
# The rows the server has read so far, in all (Handler_read_*): the
# difference over a command is the rows it read (the tests run one at a
# time on the server).
handler_reads() { sqlg "SELECT SUM(variable_value) FROM information_schema.global_status
	WHERE variable_name LIKE 'HANDLER\\_READ\\_%'"; }

# feegate runs as feegate_it, with only the grants of sql/grants.sql;
# schemas are made and migrated by root (admin.ini), as in production.
APP_PASSWORD=it-app-Passw0rd
write_conf() {
	cat >"$conf" <<CONF
[database]
socket = $sock
user = feegate_it
password = $APP_PASSWORD
gateway_schema = $gschema
billing_schema = $bschema
lock_timeout = 60
$*
CONF
}
fg_admin() {
	printf '[database]\nsocket = %s\nuser = root\ngateway_schema = %s\nbilling_schema = %s\n' \
		"$sock" "$gschema" "$bschema" >"$work/admin.ini"
	"$FEEGATE_BIN" -c "$work/admin.ini" "$@"
}

# fresh_schemas [extra config lines]: empty billing and gateway schemas,
# and the application account's grants on them.
# BILLING_CHARSET="CHARSET COLLATION" makes the billing schema in that
# character set and collation and the contract's tables without one of
# their own (they take the schema's, as a utility's tables often do);
# GATEWAY_CHARSET likewise makes the gateway schema before db migrate;
# BILLING_SQL=FILE makes billing's objects with FILE instead of
# sql/billing/contract.sql (sql/billing/views-example.sql).
fresh_schemas() {
	mysql_cli -e "DROP DATABASE IF EXISTS \`$gschema\`; DROP DATABASE IF EXISTS \`$bschema\`"
	if [ -n "${BILLING_SQL:-}" ]; then
		mysql_cli -e "CREATE DATABASE \`$bschema\`"
		mysql_cli "$bschema" <"$BILLING_SQL"
	elif [ -n "${BILLING_CHARSET:-}" ]; then
		set -- ${BILLING_CHARSET} "$@"
		mysql_cli -e "CREATE DATABASE \`$bschema\` CHARACTER SET $1 COLLATE $2"
		shift 2
		sed 's/ DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;/;/' "$top/sql/billing/contract.sql" |
			mysql_cli "$bschema"
	else
		mysql_cli -e "CREATE DATABASE \`$bschema\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
		mysql_cli "$bschema" <"$top/sql/billing/contract.sql"
	fi
	if [ -n "${GATEWAY_CHARSET:-}" ]; then
		set -- ${GATEWAY_CHARSET} "$@"
		mysql_cli -e "CREATE DATABASE \`$gschema\` CHARACTER SET $1 COLLATE $2"
		shift 2
	fi
	fg_admin db migrate >/dev/null
	mysql_cli -e "CREATE USER IF NOT EXISTS 'feegate_it'@'localhost' IDENTIFIED BY '$APP_PASSWORD';
		SET @gw = '$gschema', @bill = '$bschema', @account = '''feegate_it''@''localhost''';
		SOURCE $top/sql/grants.sql" || fail "grants"
	write_conf "$@"
}

fg() { "$FEEGATE_BIN" -c "$conf" "$@"; }

# replay_configs: every configuration in tests/data/hostile/config/ (the
# socket filled in) is refused by `feegate run` with exit status 2 and the
# message in EXPECT, naming the file (and line where there is one); prints
# how many were replayed.
replay_configs() {
	d=$top/tests/data/hostile/config
	mkdir -p "$work/config"
	n=0
	while IFS="$(printf '\t')" read -r f want; do
		case "$f" in '#'* | '') continue ;; esac
		sed "s|@SOCK@|$sock|" "$d/$f" >"$work/config/$f"
		rc=0
		out=$("$FEEGATE_BIN" -c "$work/config/$f" run --date 2026-10-02 2>&1) || rc=$?
		[ "$rc" -eq 2 ] || fail "config $f: exit status $rc, not 2: $out"
		has "$out" "$want" "config $f"
		case "$out" in *Sanitizer*) fail "config $f: sanitizer report: $out" ;; esac
		n=$((n + 1))
	done <"$d/EXPECT"
	[ "$n" -eq "$(ls "$d"/*.ini | wc -l)" ] || fail "tests/data/hostile/config: a file without a line in EXPECT"
	echo "$n"
}

# sms_accounts N [PREFIX]: accounts PREFIX1..PREFIXN, each with one SMS
# contact (contact_id n) and one bill of 50.00 due 2026-10-01.
sms_accounts() {
	p=${2:-K}
	sqlb "INSERT INTO billing_customers (account_no, name, grid_id)
	      SELECT CONCAT('$p', seq), CONCAT('客户', seq), 'G1' FROM seq_1_to_$1"
	sqlb "INSERT INTO billing_contacts (contact_id, account_no, channel, address)
	      SELECT seq, CONCAT('$p', seq), 'sms', CONCAT('+86138', LPAD(seq, 8, '0')) FROM seq_1_to_$1"
	sqlb "INSERT INTO billing_bills (bill_id, account_no, period, amount_due, due_date)
	      SELECT CONCAT('B', seq), CONCAT('$p', seq), '2026-09', 50.00, '2026-10-01' FROM seq_1_to_$1"
}

q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }

customer() {
	sqlb "INSERT INTO billing_customers (account_no, name, grid_id, dunning_hold)
	      VALUES ($(q "$1"), $(q "${4:-客户$1}"), $(q "${3:-G1}"), ${2:-0})"
}
contact() {
	sqlb "INSERT INTO billing_contacts (contact_id, account_no, channel, address, priority, consent)
	      VALUES ($1, $(q "$2"), $(q "$3"), $(q "$4"), ${5:-1}, ${6:-1})"
}
bill() {
	sqlb "INSERT INTO billing_bills (bill_id, account_no, period, amount_due, amount_paid, due_date, status)
	      VALUES ($(q "$1"), $(q "$2"), '2026-09', $3, ${5:-0}, $(q "$4"), $(q "${6:-open}"))"
}
# for_range FIRST END FUNC: FUNC i for FIRST <= i < END.
for_range() {
	_i=$1
	while [ "$_i" -lt "$2" ]; do
		"$3" "$_i"
		_i=$((_i + 1))
	done
}
pay() { sqlb "UPDATE billing_bills SET amount_paid = amount_due, status = 'paid' WHERE bill_id = $(q "$1")"; }

# night DATE [NOW]: `feegate run` for DATE. A night whose SMS or calls
# must go passes NOW ("YYYY-MM-DD HH:MM"): without it the dispatcher reads
# the machine's clock, and the calling window (08:00-21:00 in [dunning]
# timezone, Asia/Shanghai) holds them back for eleven hours of the day.
night() {
	if ! fg run --date "$1" ${2:+--now "$2"} >"$work/night-$1.out" 2>"$work/night-$1.err"; then
		echo "FAIL $name: night $1 failed:" >&2
		cat "$work/night-$1.err" >&2
		exit 1
	fi
	# Sanitizer reports go to stderr even when the exit code is 0.
	if grep -q "Sanitizer" "$work/night-$1.err"; then
		echo "FAIL $name: sanitizer report in night $1:" >&2
		cat "$work/night-$1.err" >&2
		exit 1
	fi
	peers_alive
}

# fail MSG: the test fails; a peer that has stopped, or a database that
# does not answer, is named first: it is most likely why.
fail() {
	_why=""
	peers_check || _why="$peers_problem; then: "
	_db=$("$top/scripts/db.sh" status 2>&1) || _why="$_why$_db; then: "
	fail_now "$_why$*"
}
fail_now() { echo "FAIL $name: $*" >&2; exit 1; }
# (a failed wait or check of peers.sh names the peer already)
peer_fail() { fail_now "$@"; }
eq() { sql_ok; [ "$1" = "$2" ] || fail "$3: expected [$1], got [$2]"; }
has() { sql_ok; case "$1" in *"$2"*) ;; *) fail "$3: [$2] not in output:
$1" ;; esac; }
hasnt() { sql_ok; case "$1" in *"$2"*) fail "$3: [$2] should not be in output:
$1" ;; *) ;; esac; }

# notice_states ACCT: "seq:state,..." of the account's notices in order, as
# `feegate log --json` shows them (a notice's sent and delivered are read
# from its messages, not kept in its row).
notice_states() {
	[ "$(sqlg "SELECT COUNT(*) FROM notices WHERE account_no = $(q "$1")")" != 0 ] || return 0
	fgok log "$1" --json
	/usr/bin/python3 -c '
import json, sys
found = []
def walk(v):
    if isinstance(v, dict):
        if "notice_id" in v and "state" in v:
            found.append(v)
        for x in v.values():
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
walk(json.load(open(sys.argv[1])))
found.sort(key=lambda n: int(n["notice_id"]))
# an outage notice has no step: 0, as in its row
print(",".join("%s:%s" % (n.get("seq", 0), n["state"]) for n in found))' "$work/last.out"
}

# audit_events ACCT [FIELD]: the account's audit events in order as
# `feegate log --json` lists them (a row may carry events of its own, see
# gateway/store/audit.h), comma-joined: each one's FIELD (default event); with
# FIELD "detail", each one's detail as compact JSON, one a line.
audit_events() {
	fgok log "$1" --json
	/usr/bin/python3 -c '
import json, sys
events = json.load(open(sys.argv[1]))["audit"]
field = sys.argv[2]
if field == "detail":
    for e in events:
        print(json.dumps(e["detail"], ensure_ascii=False, separators=(",", ":")))
else:
    print(",".join(str(e[field]) for e in events))' "$work/last.out" "${2:-event}"
}

# state ACCT: "case_state/step notice_states... task_state" for one account,
# a compact picture of where its ladder stands.
state() {
	printf '%s\n' "$(sqlg "SELECT GROUP_CONCAT(CONCAT(state, '/', step) ORDER BY case_id) FROM dunning_cases WHERE account_no = $(q "$1")")" \
		"$(notice_states "$1")" \
		"$(sqlg "SELECT GROUP_CONCAT(CONCAT('task:', state) ORDER BY task_id) FROM collection_tasks WHERE account_no = $(q "$1")")" |
		grep -v '^\(NULL\)\?$' | paste -sd' ' -
}

# snapshot: every gateway row that a re-run must not change.
snapshot() {
	# By what the rows are (account, date, step), not by their ids: a
	# night planned on several connections numbers its rows in whichever
	# order the connections' inserts came.
	sqlg "SELECT 'c', account_no, opened_on, state, IFNULL(close_reason,''), step, IFNULL(closed_on,'') FROM dunning_cases ORDER BY account_no, opened_on;
	      SELECT 'n', n.account_no, n.kind, IFNULL(n.outage_id,''), IFNULL(n.outage_version,''), IFNULL(k.opened_on,''), n.seq, n.sent_on, n.state, n.unreachable, IFNULL(n.failed_on,'') FROM notices n LEFT JOIN dunning_cases k ON k.case_id = n.case_id ORDER BY 2, 3, 4, 5, 6, 7;
	      SELECT 'm', n.account_no, n.kind, IFNULL(n.outage_id,''), IFNULL(n.outage_version,''), IFNULL(k.opened_on,''), n.seq, m.channel, m.contact_id, m.state FROM messages m JOIN notices n ON n.notice_id = m.notice_id LEFT JOIN dunning_cases k ON k.case_id = n.case_id ORDER BY 2, 3, 4, 5, 6, 7, 8, 9;
	      SELECT 't', k.account_no, k.opened_on, t.grid_id, t.amount_due, t.notices_failed, t.notices_delivered, t.state FROM collection_tasks t JOIN dunning_cases k ON k.case_id = t.case_id ORDER BY 2, 3;
	      SELECT 'e', source, row_key, reason, first_seen_on FROM input_errors ORDER BY source, row_key, reason;
	      SELECT 'a', COUNT(*) FROM audit_log"
}

# Processes of feegate's own that a test runs in the background (serve, a
# dispatcher it kills): stopped, by PID, when the test exits, as are the
# peers.
bg_pids=""
# exit_hooks: functions a test adds to, run when it exits (a peer that
# needs more than a PID to stop).
exit_hooks=""
cleanup() {
	for _h in $exit_hooks; do "$_h" || true; done
	exit_hooks=""
	peers_stop
	[ -z "$bg_pids" ] || peer_kill $bg_pids
	bg_pids=""
}
trap cleanup EXIT

# hold SCHEMA LOCKS SQL: a transaction of the test's own (SQL, beginning
# with its BEGIN) keeps what it locked until end_holder, or until the
# test exits; waits until it holds LOCKS rows (locked or written), and
# leaves its thread's id in $holder.
holder=""
hold() {
	mysql_cli "$1" -e "$3; SELECT SLEEP(120); ROLLBACK" >"$work/holder.out" 2>&1 &
	bg_pids="$bg_pids $!"
	holder=""
	_i=0
	while [ -z "$holder" ] && [ $_i -lt 100 ]; do
		holder=$(sqlg "SELECT t.trx_mysql_thread_id FROM information_schema.innodb_trx t
			JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id
			WHERE p.info LIKE 'SELECT SLEEP(120)%'
			 AND t.trx_rows_locked + t.trx_rows_modified >= $2")
		[ -n "$holder" ] || sleep 0.1
		_i=$((_i + 1))
	done
	[ -n "$holder" ] || fail "the held transaction took no locks: $(cat "$work/holder.out")"
	case " $exit_hooks " in *" end_holder "*) ;; *) exit_hooks="$exit_hooks end_holder" ;; esac
}
end_holder() {
	[ -z "$holder" ] || mysql_cli -e "KILL $holder" 2>/dev/null || true
	holder=""
}
# The server's slow log with every statement in it, for the rows a
# statement examined: slow_on writes it to $slow from now on; slow_off
# stops it (so does the test's exit, a failure too); slow_rows TEXT
# prints "RUNS ROWS": how many logged statements hold TEXT, and the rows
# they examined, summed. Each entry says the index and data pages the
# statement touched too (Pages_accessed: log_slow_verbosity 'engine').
slow_on() {
	slow=$work/slow.log
	exit_hooks="$exit_hooks slow_off"
	sqlg "SET GLOBAL slow_query_log_file = '$slow', GLOBAL long_query_time = 0,
	      GLOBAL log_slow_verbosity = 'engine', GLOBAL slow_query_log = ON"
}
slow_off() { sqlg "SET GLOBAL slow_query_log = OFF, GLOBAL log_slow_verbosity = ''"; }
slow_rows() {
	awk -v text="$1" '/Rows_examined:/ { for (i = 1; i < NF; i++) if ($i == "Rows_examined:") r = $(i + 1) }
		index($0, text) { s += r; n++ } END { print n + 0, s + 0 }' "$slow"
}
# wait_listening PORT WHAT: until something accepts TCP on 127.0.0.1:PORT
# (a peer that stops meanwhile fails the test at once, named).
wait_listening() { peer_port "$2" "$1"; }
# The provider simulator: start_sim PORT [OPTIONS], stopped (by PID) when
# the test exits; records what it received in $work/sim.tsv.
start_sim() {
	sim_port=$1
	: >"$work/sim.tsv"
	peer_start "the simulator on 127.0.0.1:$sim_port" "$work/sim.log" \
		"$top/bin/feegate-sim" -p "$sim_port" -o "$work/sim.tsv" ${2:-}
	peer_http "the simulator on 127.0.0.1:$sim_port" "http://127.0.0.1:$sim_port/_stats"
}
# start_sink PORT [options]: Postfix's smtp-sink on 127.0.0.1:PORT, every
# message it takes dumped into $work/mail/PORT.*, its counters in
# $work/sink-PORT.log. It runs as the user running the test (sink_user),
# so it can write wherever the test can.
start_sink() {
	[ -x /usr/sbin/smtp-sink ] || fail "smtp-sink is not installed (scripts/bootstrap.sh installs postfix)"
	port=$1
	shift
	mkdir -p "$work/mail"
	peer_start "smtp-sink on 127.0.0.1:$port" "$work/sink-$port.log" \
		/usr/sbin/smtp-sink $(sink_user) -c "$@" -d "$work/mail/$port.%H%M%S." "127.0.0.1:$port" 64
	peer_port "smtp-sink on 127.0.0.1:$port" "$port"
}
# start_smtp_peer PORT [options]: the aiosmtpd relay (tests/peers/
# smtp_tls_auth.py, options as it documents) on 127.0.0.1:PORT, keeping
# what it takes in $work/mail-PORT.
start_smtp_peer() {
	/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
		fail "python3-aiosmtpd is not installed (scripts/bootstrap.sh installs it)"
	port=$1
	shift
	mkdir -p "$work/mail-$port"
	peer_start "the SMTP peer on 127.0.0.1:$port" "$work/peer-$port.log" \
		/usr/bin/python3 "$top/tests/peers/smtp_tls_auth.py" "$port" "$work/mail-$port" "$@"
	wait_listening "$port" "the SMTP peer on 127.0.0.1:$port"
}
# part_of FILE TYPE: the decoded text/plain or text/html part of a message
# smtp-sink dumped.
part_of() {
	awk -v t="$2" '
		$0 ~ "^Content-Type: text/" t { inpart = 1; next }
		inpart && /^\r?$/ && !body { body = 1; next }
		inpart && body && /^--/ { exit }
		inpart && body { sub(/\r$/, ""); print }' "$1" | base64 -d
}
# For FCM: an RSA key pair $work/key.pem, $work/key.pub.pem (the simulator
# checks JWTs with -k $work/key.pub.pem) and, once the simulator runs, a
# service-account key file as Google issues them: service_account FILE [PEM].
fcm_keys() { "$top/scripts/fcm-account.sh" "$work/key.pem" x >/dev/null; }
service_account() {
	"$top/scripts/fcm-account.sh" "${2:-$work/key.pem}" "http://127.0.0.1:$sim_port/token" >"$1"
}
# A private CA ($work/ca.pem) and a server certificate signed by it:
# server_cert NAME SAN makes $work/NAME.key and $work/NAME.pem for SAN
# (for example "IP:127.0.0.1,DNS:localhost").
server_cert() {
	if [ ! -f "$work/ca.pem" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" -days 2 \
			-subj "/CN=feegate test CA" 2>/dev/null
	fi
	openssl req -newkey rsa:2048 -nodes -keyout "$work/$1.key" -out "$work/$1.csr" -subj "/CN=feegate test server" 2>/dev/null
	printf 'subjectAltName=%s\n' "$2" >"$work/$1.cnf"
	openssl x509 -req -in "$work/$1.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
		-out "$work/$1.pem" -days 2 -extfile "$work/$1.cnf" 2>/dev/null
}
# Provider sections pointing at the simulator: fcm_section NAME KEYFILE
# [API_URL], twilio_section NAME FROM (auth token in $work/token),
# smtp_section NAME PORT, sms_section NAME.
fcm_section() {
	printf '[provider:%s]\ntype = fcm\nproject_id = sgcc-hz-app\nservice_account_file = %s\napi_url = %s\n' \
		"$1" "$2" "${3:-http://127.0.0.1:$sim_port}"
}
twilio_section() {
	printf '[provider:%s]\ntype = twilio\naccount_sid = AC0123456789\nauth_token_file = %s\nfrom = %s\napi_url = http://127.0.0.1:%s\n' \
		"$1" "$work/token" "$2" "$sim_port"
}
smtp_section() {  # smtp_section NAME PORT: a relay on 127.0.0.1
	printf '[provider:%s]\ntype = smtp\nhost = 127.0.0.1\nport = %s\nfrom = 国网杭州供电公司 <noreply@example.cn>\n' "$1" "$2"
}
sms_section() {
	printf '[provider:%s]\ntype = http\nurl = http://127.0.0.1:%s/v1/sms\n' "$1" "$sim_port"
}
sim_control() { curl -sf -X POST -d "$1" "http://127.0.0.1:$sim_port/_control" >/dev/null || fail "sim control"; }
sim_stat() { curl -sf "http://127.0.0.1:$sim_port/_stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
# Lines the simulator recorded for a phone number.
sim_count() { awk -F'\t' -v to="$1" '$3 == to' "$work/sim.tsv" | wc -l | tr -d ' '; }

# serve_start CONF NOW NAME: `serve` with CONF in the background, its
# output in $work/NAME.out and NAME.err, its PID in $serve_pid (stopped
# when the test exits).
serve_start() {
	# (the binary itself, not the fg function: $! must be feegate's PID)
	"$FEEGATE_BIN" -c "$1" serve --now "$2" >"$work/$3.out" 2>"$work/$3.err" &
	serve_pid=$!
	bg_pids="$bg_pids $serve_pid"
}

# serve_accepted N NOW: `serve` in the background, keeping the receipt
# server up (its PID in $serve, stopped when the test exits), until N
# messages are accepted.
serve_accepted() {
	serve_start "$conf" "$2" serve
	serve=$serve_pid
	i=0
	until [ "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'accepted'")" = "$1" ]; do
		peers_alive
		i=$((i + 1)); [ $i -lt 100 ] || fail "messages not accepted"; sleep 0.1
	done
}

# serve_api NOW PORT TOKEN: `serve` in the background (PID in $serve,
# stopped when the test exits) until its notice API answers on PORT;
# api_post BODY: POST a notice with TOKEN, the status in $code and the
# answer in $work/resp; payment_delivered BODY_TEXT WHAT: until the one
# payment_received message is delivered, and it says BODY_TEXT.
serve_api() {
	serve_start "$conf" "$1" serve
	serve=$serve_pid
	api_port=$2 api_token=$3
	wait_listening "$api_port" "the API of serve"
}
api_post() {
	code=$(curl -s -o "$work/resp" -w '%{http_code}' -X POST -H "Authorization: Bearer $api_token" \
		--data-binary "$1" "http://127.0.0.1:$api_port/api/v1/notices")
}
payment_delivered() {
	i=0
	until [ "$(sqlg "SELECT COUNT(*) FROM messages m JOIN notices n USING (notice_id)
	                 WHERE n.kind = 'payment_received' AND m.state = 'delivered'")" = 1 ]; do
		peers_alive
		i=$((i + 1)); [ $i -lt 100 ] || fail "$2: the API's notice was not delivered"; sleep 0.1
	done
	has "$(sqlg "SELECT body FROM message_texts JOIN messages m USING (message_id) JOIN notices n USING (notice_id) WHERE n.kind = 'payment_received'")" \
	    "$1" "$2: the API's notice as sent"
}

# Config for sending to the simulator: receipts on $1, simulator on $sim_port.
send_conf() {
	rport=$1
	shift
	write_conf "
[channels]
sms = sim

[provider:sim]
type = http
url = http://127.0.0.1:$sim_port/v1/sms
rate = ${RATE:-500}
concurrency = ${CONCURRENCY:-8}${TIMEOUT:+
timeout = $TIMEOUT}${BATCH:+
batch = $BATCH}

[receipts]
port = $rport
public_url = http://127.0.0.1:$rport

[dispatch]
$(send_default receipt_wait 10 "$*")
$(send_default backoff_min 1 "$*")
$(send_default backoff_max 4 "$*")
$*"
}
# send_default KEY VALUE EXTRA: "KEY = VALUE" unless EXTRA sets KEY (a key
# given twice is an error).
send_default() {
	case "$3" in
	*"$1 ="*) ;;
	*) echo "$1 = $2" ;;
	esac
}

# Sections of a serve under test: serve_sections PORT, the receipt
# server (and the API) on 127.0.0.1:PORT and no nightly pass while it runs
# (nightly_at 23:59); api_sections, clients from $work/api-tokens and
# the log in $work/feegate.log. api_client NAME SCOPES: a token for a new
# client, in $token.
serve_sections() {
	printf '[receipts]\nport = %s\npublic_url = http://127.0.0.1:%s\n\n[schedule]\nnightly_at = 23:59\n' "$1" "$1"
}
api_sections() {
	printf '[api]\ntokens_file = %s/api-tokens\n\n[log]\nfile = %s/feegate.log\n' "$work" "$work"
}
api_client() {
	fgok token add "$1" --scope "$2"
	token=$(cat "$work/last.out")
}

# Kannel 1.4.5 on 127.0.0.1 (bearerbox, its fake SMSC, smsbox), its
# configuration from tests/peers/kannel-conf.sh: kannel_conf DIR PORT
# PASSWORD writes DIR/kannel.conf (sendsms user "feegate"; ports PORT to
# PORT+3, $kp); kannel_up DIR starts all three, kannel_smsbox DIR smsbox
# alone; kannel_down stops them. Kannel does not reuse a port still in
# TIME_WAIT: a start after a stop takes fresh ports.
kannel_conf() {
	for _b in /usr/sbin/bearerbox /usr/sbin/smsbox /usr/lib/kannel/test/fakesmsc; do
		[ -x $_b ] || fail_now "Kannel is not installed (scripts/bootstrap.sh installs kannel and kannel-extras)"
	done
	kp=$2
	"$top/tests/peers/kannel-conf.sh" "$kp" "$1" feegate "$3" >"$1/kannel.conf"
}
kannel_smsbox() {
	peer_start "Kannel's smsbox" "$1/sb.out" /usr/sbin/smsbox "$1/kannel.conf"
	peer_http "Kannel's smsbox" "http://127.0.0.1:$((kp + 3))/cgi-bin/sendsms"
}
kannel_up() {
	peer_start "Kannel's bearerbox" "$1/bb.out" /usr/sbin/bearerbox "$1/kannel.conf"
	peer_http "Kannel's bearerbox" "http://127.0.0.1:$kp/status?password=statuspw"
	peer_start "Kannel's fake SMSC" "$1/fake.out" /usr/lib/kannel/test/fakesmsc \
		-H 127.0.0.1 -r $((kp + 2)) -m 0 '100 200 text nop'
	sleep 0.3
	kannel_smsbox "$1"
}
kannel_down() {
	for _p in "Kannel's smsbox" "Kannel's fake SMSC" "Kannel's bearerbox"; do peer_stop "$_p"; done
}

# api_call TOKEN METHOD PATH [BODY]: a request to $api (the test sets it,
# http://127.0.0.1:PORT), JSON, with TOKEN as bearer unless empty; the
# status in $code, the answer in $work/resp.
api_call() {
	code=$(curl -s -o "$work/resp" -w '%{http_code}' -X "$2" ${1:+-H "Authorization: Bearer $1"} \
		-H 'Content-Type: application/json' ${4:+--data-binary "$4"} "$api$3")
}

# Run feegate expecting success and no sanitizer report.
# run_rc EXPECTED_RC WHAT ARGS...: run ARGS, stdout and stderr in $out.
run_rc() {
	want=$1; what=$2; shift 2
	set +e
	out=$("$@" 2>&1); rc=$?
	set -e
	eq "$want" "$rc" "$what: exit status"
}
fgok() {
	if ! fg "$@" >"$work/last.out" 2>"$work/last.err"; then
		echo "FAIL $name: feegate $* failed:" >&2; tail -20 "$work/last.err" >&2; exit 1
	fi
	if grep -q Sanitizer "$work/last.err"; then
		echo "FAIL $name: sanitizer report in feegate $*:" >&2; cat "$work/last.err" >&2; exit 1
	fi
	peers_alive
}

# Whatever a test did, feegate's own outputs (its log, stdout and stderr
# of every command, pages a test kept as $work/page-*, the audit trail,
# messages.last_error and contact_blocks.reason) never hold a full address
# from billing, in any form: every phone number, e-mail address and push
# token is masked.
# (The simulator's and peers' records are the providers' side: not
# checked.)
# No full contact address, nor the database password, in what feegate wrote
# (scripts/check-secrets.sh; peers' own logs are not feegate's output).
no_full_addresses() {
	mysql_cli "$bschema" -e "SELECT 1 FROM billing_contacts LIMIT 0" 2>/dev/null || return 0
	printf '%s\n' "$APP_PASSWORD" >"$work/db-password"
	# The gateway's text columns that hold what providers said.
	mysql_cli "$gschema" -e "SELECT last_error FROM messages WHERE last_error IS NOT NULL;
		SELECT reason FROM contact_blocks" >"$work/db-texts" 2>/dev/null || : >"$work/db-texts"
	set --
	for f in "$work"/last.out "$work"/last.err "$work"/*.err "$work"/feegate.log "$work"/night-*.out "$work"/serve.out \
		"$work"/db-texts "$work"/page-*; do
		[ -f "$f" ] || continue
		case "$f" in */sim.err | */peer-*.log | */chrome*) continue ;; esac
		set -- "$@" "$f"
	done
	"$top/scripts/check-secrets.sh" "$sock" "$bschema" "$gschema" -s "$work/db-password" "$@" >"$work/check-secrets" 2>&1 ||
		fail "$(cat "$work/check-secrets")"
}
done_ok() { sql_ok; peers_alive; no_full_addresses; echo "ok   $name"; }
