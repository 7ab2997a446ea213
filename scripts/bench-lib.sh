# bench-lib.sh: what the benchmarks share. Sourced from the checkout's
# top: builds what is missing and starts the private MariaDB
# (scripts/db.sh; FEEGATE_VAR and FEEGATE_DB_CNF as it reads them), its
# socket in $sock, its PID in $dbpid.

# Killed by a signal (Ctrl-C, or the reader of its output gone: `| head`),
# a benchmark still runs its EXIT trap and stops what it started.
trap 'exit 130' INT TERM HUP PIPE

make -s all
# The feegate under test: this checkout's, or another build's
# (FEEGATE_BENCH_BIN, set by bench-ab.sh); everything else a benchmark
# runs (generator, simulator, peers) is this checkout's.
feegate=${FEEGATE_BENCH_BIN:-bin/feegate}
sock=$(scripts/db.sh start | sed -n 's/^FEEGATE_DB_SOCKET=//p')
[ -n "$sock" ] || { echo "$0: no database (scripts/db.sh start)" >&2; exit 1; }
# The server's PID, for its CPU time: beside its socket, wherever
# FEEGATE_VAR puts them.
dbpid=$(cat "$(dirname "$sock")/mysqld.pid" 2>/dev/null || echo 0)

sql() { mariadb --no-defaults --default-character-set=utf8mb4 --socket="$sock" -uroot "$@"; }
# CPU seconds (user + system) process $1 has used so far, from /proc.
cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Peak resident memory of process $1 so far, in MB.
hwm() { awk '/^VmHWM:/ { print int($2 / 1024) }' "/proc/$1/status"; }
# The bytes process $1 has read from storage so far.
rbytes() { awk '/^read_bytes:/ { print $2 }' "/proc/$1/io"; }
# The rows the server has read so far, in all (Handler_read_*): the
# difference over a piece of work is the rows it read.
handler_reads() {
	sql -N -e "SELECT SUM(variable_value) FROM information_schema.global_status
		WHERE variable_name LIKE 'HANDLER\_READ\_%'"
}
# db_work: the server's work counters so far, on one line: Handler_update
# and Handler_write (rows a statement changed or inserted, internal
# temporary tables included), InnoDB's page reads and writes in the buffer
# pool (Innodb_buffer_pool_read_requests, _write_requests; a row lookup
# reads a page for each level of its index) and the redo log's bytes
# (Innodb_lsn_current). Unlike CPU seconds, they do not move with the
# machine's hour: two builds doing the same work read alike.
db_work() {
	sql -N -e "SELECT GROUP_CONCAT(variable_value ORDER BY variable_name SEPARATOR ' ')
		FROM information_schema.global_status WHERE variable_name IN
		('HANDLER_UPDATE', 'HANDLER_WRITE', 'INNODB_BUFFER_POOL_READ_REQUESTS',
		 'INNODB_BUFFER_POOL_WRITE_REQUESTS', 'INNODB_LSN_CURRENT')"
}
# db_work_per N BEFORE AFTER: db_work's difference per N (messages) as
# key=value: db_rows_updated, db_rows_written, db_pages_read,
# db_pages_written, db_redo_bytes.
db_work_per() {
	awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN {
		split(a, x, " "); split(b, y, " "); if (n < 1) n = 1
		printf "db_rows_updated=%.2f db_rows_written=%.2f db_pages_read=%.1f db_pages_written=%.1f db_redo_bytes=%.0f",
			(y[1] - x[1]) / n, (y[2] - x[2]) / n, (y[3] - x[3]) / n,
			(y[4] - x[4]) / n, (y[5] - x[5]) / n }'
}
# bench_settle: wait (at most 600 s) for InnoDB's background work, as a
# day between two nights would: the old row versions a night or a sending
# left purged (history list) and the buffer pool's dirty pages written,
# so that a timed night is not measured against them (planned right after
# night 1's sending, the province's night 2 took 243.7 s on 2026-12-05
# against 204-213 s warm). Prints the seconds it waited. The pages are
# written at innodb_io_capacity_max meanwhile: at the server's 200 a
# second, the 19,000 dirty pages 1M customers' generating leaves took
# over three minutes.
bench_settle() {
	pct=$(sql -N -e "SELECT @@innodb_max_dirty_pages_pct")
	io=$(sql -N -e "SELECT @@innodb_io_capacity")
	sql -e "SET GLOBAL innodb_max_dirty_pages_pct = 0,
		innodb_io_capacity = @@innodb_io_capacity_max"
	i=0
	while [ "$i" -lt 600 ]; do
		h=$(sql -N -e "SHOW GLOBAL STATUS LIKE 'Innodb_history_list_length'" | cut -f2)
		d=$(sql -N -e "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'" | cut -f2)
		[ "$h" -lt 1000 ] && [ "$d" -le 500 ] && break
		sleep 1
		i=$((i + 1))
	done
	sql -e "SET GLOBAL innodb_max_dirty_pages_pct = $pct, innodb_io_capacity = $io"
	echo "$i"
}

# bench_probe: the machine's hour in two figures, printed beside each
# run's as "probe_s=CPU probe_rt_s=WALL", the server otherwise idle:
# - probe_s: the server's CPU seconds for one statement of ten million
#   SHA-256 sums (0.99-1.05 in an even hour on 2026-12-04, 1.47-1.66 in
#   the slow hour of 2026-12-05 06:42);
# - probe_rt_s: the seconds for 20,000 one-row queries in turn over the
#   socket, a client waiting on each: the system calls and wake-ups the
#   dispatcher, the simulator and their HTTP live in, which one long
#   statement does not see (on 2026-12-05 the dispatcher and the
#   simulator took two to three times their CPU of the day before while
#   probe_s read even).
bench_probe() {
	p0=$(cpu "$dbpid")
	sql -e "SELECT BENCHMARK(10000000, SHA2('feegate', 256))" >/dev/null
	p1=$(cpu "$dbpid")
	t0=$(date +%s.%N)
	yes 'SELECT 1;' | head -n 20000 | sql -N >/dev/null
	awk -v a="$p0" -v b="$p1" -v t="$t0" -v u="$(date +%s.%N)" \
		'BEGIN { printf "probe_s=%.2f probe_rt_s=%.2f", b - a, u - t }'
}

# ps_raw: the prepared statements MariaDB holds now (started with
# FEEGATE_DB_PERFSCHEMA=ON, see scripts/db.sh), one line each: the
# connection's thread, the statement's instance, executions, picoseconds,
# rows affected, rows examined, the statement's start.
ps_raw() {
	sql -N -e "SELECT OWNER_THREAD_ID, OBJECT_INSTANCE_BEGIN, COUNT_EXECUTE,
		SUM_TIMER_EXECUTE, SUM_ROWS_AFFECTED, SUM_ROWS_EXAMINED,
		REPLACE(REPLACE(LEFT(SQL_TEXT, 160), '\n', ' '), '\t', ' ')
		FROM performance_schema.prepared_statements_instances"
}
# ps_sum: ps_raw's lines summed by statement (each connection prepares
# its own), the costliest first: executions, seconds, µs each, rows
# affected, rows examined, the statement's start.
ps_sum() {
	awk -F'\t' '{ c[$7] += $3; t[$7] += $4; a[$7] += $5; e[$7] += $6 }
		END { for (k in c) printf "%d\t%.3f\t%.1f\t%d\t%d\t%s\n", c[k], t[k] / 1e12,
			t[k] / (c[k] > 0 ? c[k] : 1) / 1e6, a[k], e[k], k }' |
		sort -t "$(printf '\t')" -k2,2 -rn
}
ps_statements() { ps_raw | ps_sum; }
# ps_watch FILE: ps_statements into FILE every 0.3 s while the caller
# runs, in the background (its PID in $ps_pid, for ps_unwatch). A
# statement's figures go when its client closes it, and the dispatcher's
# connections close one by one as it stops: each statement is kept at the
# last figures seen (FILE.raw, by thread and instance), so FILE has every
# connection's.
ps_watch() {
	: >"$1.raw"
	while kill -0 $$ 2>/dev/null; do
		if ps_raw >"$1.snap" 2>/dev/null && [ -s "$1.snap" ]; then
			awk -F'\t' '{ row[$1 FS $2] = $0 } END { for (k in row) print row[k] }' \
				"$1.raw" "$1.snap" >"$1.new" && mv "$1.new" "$1.raw"
			ps_sum <"$1.raw" >"$1"
		fi
		sleep 0.3
	done &
	ps_pid=$!
}
ps_unwatch() { kill "$ps_pid" 2>/dev/null; wait "$ps_pid" 2>/dev/null || true; }

# bench_db_conf: the [database] section on the bench schemas, on stdout.
# FEEGATE_NIGHT_CONNECTIONS: the connections a night plans on (unset:
# feegate's default, 2, and no key a build older than it would refuse,
# for bench-ab.sh).
bench_db_conf() {
	cat <<CONF
[database]
socket = $sock
user = root
gateway_schema = bench_feegate
billing_schema = bench_billing
${FEEGATE_NIGHT_CONNECTIONS:+night_connections = $FEEGATE_NIGHT_CONNECTIONS}
CONF
}

# bench_conf FILE CHANNEL PROVIDER-SECTION RECEIPT_PORT RECEIPT_WAIT: a
# config on the bench schemas with one channel, served by [provider:peer].
# FEEGATE_BENCH_DISPATCH: more [dispatch] lines (experiments), e.g.
# "batch = 400".
bench_conf() {
	cat >"$1" <<CONF
$(bench_db_conf)

[channels]
$2 = peer

$3

[receipts]
port = $4
public_url = http://127.0.0.1:$4

[dispatch]
receipt_wait = $5
${FEEGATE_BENCH_DISPATCH:-}
CONF
}

# bench_busy CHANNELS: 0 once nothing on CHANNELS (a list of quoted
# names, as SQL's IN takes them) is due or in flight in bench_feegate,
# and no SMS or call waits for its receipt; 1 or 2 before. The first
# probe goes through messages_waiting and stops at its first row (a
# COUNT(*) of what was left read every message's row: 0.64 s each at 1M,
# half of MariaDB's CPU at five a second); the second reads the batches
# in flight (migration 026), a row a batch.
bench_busy() {
	sql -N bench_feegate -e "SELECT
		EXISTS (SELECT 1 FROM messages WHERE priority IN (0, 1) AND channel IN ($1)
		 AND queue_state IN ('queued', 'retry'))
		+ EXISTS (SELECT 1 FROM message_batches WHERE channel IN ($1)
		   AND (unanswered > 0 OR (channel IN ('sms', 'voice') AND awaited > 0)))"
}

# bench_serve CONF NOW URL: `serve` with CONF at NOW in the background
# (its PID in $serve; serve.out and serve.err beside CONF), stopped when
# the benchmark exits, once URL answers 200 (at most 30 s).
bench_serve() {
	$feegate -c "$1" serve --now "$2" >"$(dirname "$1")/serve.out" 2>"$(dirname "$1")/serve.err" &
	serve=$!
	trap 'kill "$serve" 2>/dev/null || true; wait "$serve" 2>/dev/null || true' EXIT
	i=0
	until [ "$(curl -s -o /dev/null -w '%{http_code}' "$3")" = 200 ]; do
		i=$((i + 1))
		[ $i -lt 300 ] ||
			{ echo "$0: serve did not answer $3: $(tail -3 "$(dirname "$1")/serve.err")" >&2; exit 1; }
		sleep 0.1
	done
}

# bench_idle FILE RECEIPT_PORT: bench_billing with the contract's tables
# (kept when there), and a config at FILE whose one provider is an idle
# e-mail relay (port 9: nothing answers, nothing is sent).
bench_idle() {
	sql -e "CREATE DATABASE IF NOT EXISTS bench_billing CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
	[ "$(sql -N -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'bench_billing'
		AND table_name = 'billing_customers'")" = 1 ] || sql bench_billing <sql/billing/contract.sql
	bench_conf "$1" email "[provider:peer]
type = smtp
host = 127.0.0.1
port = 9
from = noreply@example.cn" "$2" 0
}

# bench_gen N: N generated customers (the demo's generator, 70% paying on
# time) in a new bench_billing; the gateway schema goes with the old data.
bench_gen() {
	sql -e "DROP DATABASE IF EXISTS bench_feegate; DROP DATABASE IF EXISTS bench_billing;
	        CREATE DATABASE bench_billing CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
	sql bench_billing <sql/billing/contract.sql
	{ echo "SET @n = $1, @seed = 'bench', @start = '2026-10-01', @on_time = 0.70;"
	  cat sql/demo/generate.sql; } | sql bench_billing
}

# bench_indexes: billing_bills' and billing_contacts' indexes as
# sql/billing/contract.sql makes them, in data kept from before they
# changed (2026-12-04: the bills' hold the columns the night and the
# sending read; 2026-12-05: the contacts' too, and the contacts' by
# address). At 10M customers: 2-3 minutes for the bills; the contacts' 4 s
# at 1M.
bench_indexes() {
	for idx_table in bills contacts; do
		idx_want=$(sed -n "s/^  KEY \(${idx_table}_[a-z_]*\) (\(.*\)),*\$/\1 \2/p" sql/billing/contract.sql | tr -d ' ' | sort)
		idx_names=$(sed -n "s/^  KEY \(${idx_table}_[a-z_]*\) .*/'\1'/p" sql/billing/contract.sql | paste -sd,)
		idx_have=$(sql -N -e "SELECT index_name, GROUP_CONCAT(column_name,
			IF(sub_part IS NULL, '', CONCAT('(', sub_part, ')')) ORDER BY seq_in_index SEPARATOR ',')
			FROM information_schema.statistics WHERE table_schema = 'bench_billing'
			AND table_name = 'billing_$idx_table' AND index_name IN ($idx_names) GROUP BY index_name" |
			tr -d ' \t' | sort)
		[ "$idx_want" != "$idx_have" ] || continue
		echo "== billing_$idx_table: the indexes of contract.sql" >&2
		sql bench_billing -e "ALTER TABLE billing_$idx_table $(sed -n "s/^  KEY \(${idx_table}_[a-z_]*\) \((.*)\),*\$/DROP INDEX IF EXISTS \1, ADD INDEX \1 \2,/p" sql/billing/contract.sql | sed '$ s/,$//')"
	done
}

# bench_data N: N generated customers in bench_billing's own tables, kept
# while N stays the same (generated otherwise, the seconds it took on
# stderr; bench-plan.sh's views are not kept), and no gateway schema: the
# caller migrates its own.
bench_data() {
	have=0
	[ "$(sql -N -e "SELECT table_type FROM information_schema.tables
		WHERE table_schema = 'bench_billing' AND table_name = 'billing_customers'")" != "BASE TABLE" ] ||
		have=$(sql -N -e "SELECT COUNT(*) FROM bench_billing.billing_customers")
	if [ "$have" != "$1" ]; then
		echo "== generating $1 customers" >&2
		t=$(date +%s)
		bench_gen "$1"
		sql bench_billing -e "ANALYZE TABLE billing_customers, billing_contacts, billing_bills" >/dev/null
		echo "== generated in $(( $(date +%s) - t )) s" >&2
	fi
	bench_indexes
	sql -e "DROP DATABASE IF EXISTS bench_feegate"
}
