#!/bin/sh
# bench-send.sh CHANNEL [N] [CONCURRENCY]: how fast one channel sends.
#
# Generates N customers (default 20000) with the demo generator into
# bench_billing, plans the first night (2026-10-01) with only CHANNEL
# configured, so every overdue account with a consented contact on that
# channel gets one message, then times `feegate dispatch` sending them:
#   sms    to the provider simulator (generic API, receipts after 10 ms)
#   email  to Postfix's smtp-sink (workers x per_session sessions)
#   push   to the simulator's FCM API (a service-account JWT exchanged for
#          an access token, then messages:send; HTTP/1.1 keep-alive)
#   voice  to the simulator's Twilio-compatible Calls API (rate lifted to
#          100,000 calls/s: this measures feegate, not a provider's 1 call/s)
# and prints messages, seconds, messages/s, the peer's own count,
# feegate's peak resident memory, each process's CPU and the database's
# work a message (db_work, bench-lib.sh: rows changed, pages read and
# written, redo bytes), which the machine's hour does not move. Everything
# it starts it stops, by PID.
# FEEGATE_BENCH_PROVIDER adds lines to the sms provider's section (e.g.
# "batch = 100": the generic API's batch form).
# FEEGATE_BENCH_WRAP runs the dispatcher under a profiler, e.g.
#   FEEGATE_BENCH_WRAP="perf record -g -o var/bench/perf.data --"
# (the figures then include the profiler's cost).
# Uses the private MariaDB (scripts/db.sh); schemas bench_billing and
# bench_feegate are dropped and recreated.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
channel=${1:-}
n=${2:-20000}
conc=${3:-32}
case "$channel" in
sms | email | push | voice) ;;
*) echo "usage: scripts/bench-send.sh sms|email|push|voice [N] [CONCURRENCY]" >&2; exit 2 ;;
esac
case "$n$conc" in *[!0-9]* | '') echo "bench-send.sh: N and CONCURRENCY are numbers" >&2; exit 2 ;; esac
. scripts/bench-lib.sh # builds, starts the database: $sock
port=${FEEGATE_BENCH_PORT:-18930}
rport=$((port + 1))
dir=var/bench/send-$channel
conf=$dir/feegate.ini
rm -rf "$dir"
mkdir -p "$dir"

. scripts/peers.sh
peer_fail() { echo "bench-send.sh: $*" >&2; exit 1; }
trap peers_stop EXIT
sim="the simulator on 127.0.0.1:$port" # (the peer's name)
case "$channel" in
sms)
	peer_start "$sim" "$dir/peer.log" bin/feegate-sim -p "$port" -o "$dir/peer.tsv" ${FEEGATE_BENCH_SIM:--d 10}
	provider="[provider:peer]
type = http
url = http://127.0.0.1:$port/v1/sms
concurrency = $conc
${FEEGATE_BENCH_PROVIDER:-}"
	;;
push)
	scripts/fcm-account.sh "$dir/fcm-key.pem" "http://127.0.0.1:$port/token" >"$dir/fcm.json"
	peer_start "$sim" "$dir/peer.log" bin/feegate-sim -p "$port" -o "$dir/peer.tsv" -k "$dir/fcm-key.pub.pem"
	provider="[provider:peer]
type = fcm
project_id = sgcc-hz-app
service_account_file = $top/$dir/fcm.json
api_url = http://127.0.0.1:$port
concurrency = $conc"
	;;
voice)
	(umask 077 && openssl rand -hex 16 >"$dir/twilio.token")
	peer_start "$sim" "$dir/peer.log" bin/feegate-sim -p "$port" -o "$dir/peer.tsv" -d 10 -t "$(cat "$dir/twilio.token")"
	provider="[provider:peer]
type = twilio
account_sid = AC0123456789
auth_token_file = $top/$dir/twilio.token
from = +8657195598
api_url = http://127.0.0.1:$port
rate = 100000
concurrency = $conc"
	;;
email)
	[ -x /usr/sbin/smtp-sink ] || { echo "bench-send.sh: smtp-sink missing (scripts/bootstrap.sh)" >&2; exit 1; }
	# -c: counters (sessions, messages) on stdout; no dump, only counts.
	sim="smtp-sink on 127.0.0.1:$port"
	peer_start "$sim" "$dir/peer.log" /usr/sbin/smtp-sink $(sink_user) -c "127.0.0.1:$port" 256
	w=$(( (conc + 19) / 20 ))
	provider="[provider:peer]
type = smtp
host = 127.0.0.1
port = $port
from = 国网杭州供电公司 <noreply@example.cn>
workers = $w
per_session = 20"
	;;
esac
peer=$peer_pid
peer_port "$sim" "$port"
bench_conf "$conf" "$channel" "$provider" "$rport" 0

bench_data "$n"
$feegate -c "$conf" db migrate >/dev/null
# FEEGATE_BENCH_SQL: statements run on the gateway schema before the night
# (experiments: what an index or a table costs).
[ -z "${FEEGATE_BENCH_SQL:-}" ] || sql bench_feegate -e "$FEEGATE_BENCH_SQL"
$feegate -c "$conf" plan --date 2026-10-01 >/dev/null
# FEEGATE_BENCH_IDLE_EMAIL=1: an e-mail provider configured beside the
# channel, with nothing to send (as a deployment has): what idle channels'
# claims cost the busy one.
if [ -n "${FEEGATE_BENCH_IDLE_EMAIL:-}" ] && [ "$channel" != email ]; then
	sed -i 's/^\[channels\]$/[channels]\nemail = idle/' "$conf"
	printf '\n[provider:idle]\ntype = smtp\nhost = 127.0.0.1\nport = 9\nfrom = noreply@example.cn\n' >>"$conf"
fi
queued=$(sql -N bench_feegate -e "SELECT COUNT(*) FROM messages WHERE state = 'queued'")
echo "== $queued $channel messages queued; sending" >&2

probe=$(bench_probe)
db0=$(cpu "$dbpid")
peer0=$(cpu "$peer")
# FEEGATE_BENCH_DBPERF=FILE: perf record the database server meanwhile.
dbperf=""
if [ -n "${FEEGATE_BENCH_DBPERF:-}" ]; then
	perf record -F 999 -g -p "$dbpid" -o "$FEEGATE_BENCH_DBPERF" >/dev/null 2>&1 &
	dbperf=$!
fi
[ -z "${FEEGATE_BENCH_STATUS:-}" ] || sql -N <"$FEEGATE_BENCH_STATUS" >"$dir/status0.txt"
work0=$(db_work)
# FEEGATE_BENCH_PS=1: the dispatcher's prepared statements, their
# executions and time (MariaDB started with FEEGATE_DB_PERFSCHEMA=ON, see
# scripts/db.sh), polled while it runs into $dir/statements.tsv: every
# connection's, summed by statement (ps_watch, bench-lib.sh).
[ -z "${FEEGATE_BENCH_PS:-}" ] || ps_watch "$dir/statements.tsv"
/usr/bin/time -f '%e %M %U %S' -o "$dir/time.txt" ${FEEGATE_BENCH_WRAP:-} \
	$feegate -c "$conf" dispatch --now "2026-10-01 10:00" >"$dir/dispatch.txt" 2>"$dir/dispatch.err"
read -r secs kb fu fs <"$dir/time.txt"
peers_alive
[ -z "$dbperf" ] || { kill -INT "$dbperf"; wait "$dbperf" || true; }
[ -z "${FEEGATE_BENCH_PS:-}" ] || ps_unwatch
[ -z "${FEEGATE_BENCH_STATUS:-}" ] || sql -N <"$FEEGATE_BENCH_STATUS" >"$dir/status1.txt"
work=$(db_work_per "$queued" "$work0" "$(db_work)")
cpu_db=$(awk -v a="$db0" -v b="$(cpu "$dbpid")" 'BEGIN { printf "%.1f", b - a }')
cpu_peer=$(awk -v a="$peer0" -v b="$(cpu "$peer")" 'BEGIN { printf "%.1f", b - a }')
sent=$(sql -N bench_feegate -e "SELECT COUNT(*) FROM messages WHERE state IN ('accepted', 'delivered')")
left=$(sql -N bench_feegate -e "SELECT COUNT(*) FROM messages WHERE state NOT IN ('accepted', 'delivered')")
case "$channel" in
sms | voice) got=$(wc -l <"$dir/peer.tsv" | tr -d ' ') ;;
push) got="$(wc -l <"$dir/peer.tsv" | tr -d ' ') received, access tokens issued: $(curl -sf "http://127.0.0.1:$port/_stats" |
	sed -n 's/.*"tokens":\([0-9]*\).*/\1/p')" ;;
email) got=$(peer_log_end "$dir/peer.log") ;;
esac
echo "channel=$channel customers=$n concurrency=$conc sent=$sent not_sent=$left seconds=$secs" \
	"per_second=$(awk -v m="$sent" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? m / s : 0) }')" \
	"peak_rss_mb=$((kb / 1024)) cpu_feegate=$(awk -v u="$fu" -v s="$fs" 'BEGIN { printf "%.1f", u + s }')" \
	"cpu_mariadb=$cpu_db cpu_peer=$cpu_peer $probe $work peer=\"$got\""
