#!/bin/sh
# /healthz and /readyz on serve's receipt server, without a token: alive
# while the process is; ready while the database answers, billing's
# contract is usable and serve is not draining; each answer says why.
# They never wait for the database (a thread of their own keeps the
# state), nor for the count of the queue due, however long that takes;
# a slow count is spaced by its own time.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 18760 "-d 20 -l 3000"
send_conf 18765 "
[schedule]
nightly_at = 23:00

[metrics]
listen = 127.0.0.1
port = 18766"
customer H1; contact 1 H1 sms +8613800007601; bill H1-1 H1 60.00 2026-09-20
url=http://127.0.0.1:18765
# Every statement logged from serve's first session (each session takes
# long_query_time when it connects): the queue's counts are counted.
slow_on
"$FEEGATE_BIN" -c "$conf" serve --now "2026-10-01 09:45" >"$work/serve.out" 2>"$work/serve.err" &
serve=$!
bg_pids="$bg_pids $serve"
peer_http "serve's receipt server" "$url/healthz"
probe() { curl -s -o "$work/probe.json" -w '%{http_code}' "$url/$1"; }
# until_ready CODE WHAT: /readyz answers CODE within 15 s.
until_ready() {
	i=0
	until [ "$(probe readyz)" = "$1" ]; do
		i=$((i + 1)); [ $i -lt 150 ] || fail "$2: /readyz still $(cat "$work/probe.json")"; sleep 0.1
	done
}
eq "200" "$(probe healthz)" "/healthz: alive"
eq '{"status":"alive"}' "$(cat "$work/probe.json")" "/healthz says so"
until_ready 200 "ready once the database answered"
eq '{"ready":true,"database":"ok","billing":"ok","draining":false}' "$(cat "$work/probe.json")" "/readyz's answer"

# The database refuses feegate's account: not ready, and why; then back.
mysql_cli -e "ALTER USER 'feegate_it'@'localhost' ACCOUNT LOCK"
for id in $(mysql_cli -e "SELECT id FROM information_schema.processlist WHERE user = 'feegate_it'"); do
	mysql_cli -e "KILL CONNECTION $id" 2>/dev/null || true
done
until_ready 503 "the database gone"
has "$(cat "$work/probe.json")" '"ready":false' "not ready"
hasnt "$(cat "$work/probe.json")" '"database":"ok"' "the database named"
eq "200" "$(probe healthz)" "still alive meanwhile"
mysql_cli -e "ALTER USER 'feegate_it'@'localhost' ACCOUNT UNLOCK"
until_ready 200 "the database back"
# The scrape's connection, idle, was killed with the others: the first
# scrape since finds it gone and reads on a new one, not a 503.
eq 200 "$(curl -s -o "$work/metrics.txt" -w '%{http_code}' http://127.0.0.1:18766/metrics)" \
	"the first scrape after its connection was killed: $(cat "$work/metrics.txt")"

# Billing's contract broken under it: not ready, naming the column.
sqlb "ALTER TABLE billing_customers DROP COLUMN segment"
until_ready 503 "billing's contract broken"
has "$(cat "$work/probe.json")" '"billing":"billing_customers.segment: no such column"' "the column named"
sqlb "ALTER TABLE billing_customers ADD COLUMN segment VARCHAR(16) NULL"
until_ready 200 "the contract mended"

# The queue's count held up, as a province's queue on a busy server
# holds it up for seconds: the test's own session locks the messages
# table until the count has waited 7 s. Readiness goes on meanwhile (the
# pings have a connection of their own); the next count comes no sooner
# than 20 times that wait, and a scrape meanwhile shows the count made,
# without counting again.
mysql_cli "$gschema" -e "LOCK TABLES messages WRITE; SELECT SLEEP(120)" >"$work/locker.out" 2>&1 &
bg_pids="$bg_pids $!"
# waiting: 1 while the queue's count waits for the table's lock.
waiting() { sqlg "SELECT COUNT(*) FROM information_schema.processlist
	WHERE info LIKE '%never_tried%' AND state LIKE 'Waiting for table%'"; }
i=0
until [ "$(waiting)" = 1 ]; do
	i=$((i + 1)); [ $i -lt 150 ] || fail "the queue's count never waited for the lock: $(cat "$work/locker.out")"; sleep 0.1
done
i=0
while [ $i -lt 70 ]; do
	eq 200 "$(probe readyz)" "ready while the count waits ($((i / 10)) s): $(cat "$work/probe.json")"
	i=$((i + 1)); sleep 0.1
done
eq 1 "$(waiting)" "the count still waiting"
counted() { slow_rows 'AS never_tried' | cut -d' ' -f1; }
before=$(counted)
mysql_cli -e "KILL $(sqlg "SELECT id FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(120)%'")"
i=0
until [ "$(counted)" -gt "$before" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the held count never ended"; sleep 0.1
done
counts=$(counted)
sleep 12
curl -s "http://127.0.0.1:18766/metrics" >"$work/metrics.txt"
has "$(cat "$work/metrics.txt")" 'feegate_queue_depth{channel="sms"} 0' "the scrape shows the count"
eq "$counts" "$(counted)" "no count for 12 s after one of 7 s, the scrape's none"
[ "$counts" -ge 3 ] || fail "only $counts counts of the queue logged: $slow"
slow_off

# Draining: SIGTERM while a request is in flight (the provider answers
# in 3 s): no longer ready, still answering.
fgok plan --date 2026-10-01
i=0
until [ "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'submitting'")" = 1 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "no message in flight"; sleep 0.1
done
kill -TERM "$serve"
until_ready 503 "draining"
has "$(cat "$work/probe.json")" '"draining":true' "draining said"
wait "$serve" || fail "serve did not exit 0 on SIGTERM"
grep -q Sanitizer "$work/serve.err" && fail "sanitizer report: $(cat "$work/serve.err")"
done_ok
