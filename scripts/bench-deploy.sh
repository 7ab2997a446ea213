#!/bin/sh
# bench-deploy.sh [N]: a night as a utility runs it. Every channel the
# product has is configured (SMS by the generic API in batches, e-mail to
# Postfix's smtp-sink, voice calls by the Twilio-compatible API, app pushes
# by FCM HTTP v1; all but e-mail to the provider simulator, 20 ms a
# request, receipts 10 ms after acceptance), N customers (default 100000)
# from the demo's generator with its mix of contacts, the first night
# (2026-10-01) planned, then `feegate serve` sends it. A third of the way
# through, billing records a temporary outage of the first FEEGATE_BENCH_OUTAGE
# accounts (default N/5, at most 50,000): serve's outage pass (every 5 s)
# queues their urgent notices on top of the night's dunning.
#
# Prints one line: customers, the plan's seconds, for each channel
# `CHANNEL=SENT@RATE` (the night's messages accepted or delivered, over the
# seconds from serve's start to the channel's last attempt in the audit
# trail), `urgent=SENT@RATE` (first urgent attempt to the last),
# urgent_first_s and urgent_last_s (seconds from the outage's insertion),
# `overall=SENT@RATE`, `receipts=N@RATE`, serve's peak resident memory,
# and CPU microseconds per message of serve, MariaDB and the simulator.
#
#   FEEGATE_BENCH_QUEUE=all|sms|email|push|voice   what the night queues:
#       all (default) picks each customer's channel in the order
#       push, e-mail, voice, SMS (so every channel carries a share); one
#       channel plans the night with only that channel configured
#   FEEGATE_BENCH_CONFIGURE=all|queued   channels configured while
#       sending: all four (default) or only the queued one
#   FEEGATE_BENCH_SLOW=CHANNEL:S   that channel's provider answers in S
#       seconds (e-mail: smtp-sink waits S seconds before answering DATA;
#       the others: a second simulator with S seconds of latency); its
#       messages are left unsent at the end and the line is about the
#       other channels: does a slow provider hold the others back?
#   FEEGATE_BENCH_OUTAGE=K   accounts in the mid-night outage (0: none)
#   FEEGATE_BENCH_PS=1   serve's statements from performance_schema
#       into $dir/statements.tsv (MariaDB with FEEGATE_DB_PERFSCHEMA=ON)
#
# Keeps bench_billing between runs while N stays the same; drops and
# recreates bench_feegate. Everything it starts it stops, by PID.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
n=${1:-100000}
queue=${FEEGATE_BENCH_QUEUE:-all}
configure=${FEEGATE_BENCH_CONFIGURE:-all}
slow=${FEEGATE_BENCH_SLOW:-}
slow_ch=${slow%%:*}
slow_s=${slow#*:}
[ -n "$slow" ] || slow_s=0
outage=${FEEGATE_BENCH_OUTAGE:-$((n / 5 > 50000 ? 50000 : n / 5))}
port=${FEEGATE_BENCH_PORT:-18960} # the simulator; +1 receipts, +2 smtp-sink, +3 the slow one
dir=${FEEGATE_BENCH_OUT:-var/bench/deploy}
timeout=${FEEGATE_BENCH_TIMEOUT:-1800}
case "$queue" in all | sms | email | push | voice) ;; *) echo "bench-deploy.sh: FEEGATE_BENCH_QUEUE: all, sms, email, push or voice" >&2; exit 2 ;; esac
case "$configure" in all | queued) ;; *) echo "bench-deploy.sh: FEEGATE_BENCH_CONFIGURE: all or queued" >&2; exit 2 ;; esac
case "$slow_ch" in '' | sms | email | push | voice) ;; *) echo "bench-deploy.sh: FEEGATE_BENCH_SLOW: CHANNEL:SECONDS" >&2; exit 2 ;; esac
case "$n$outage$slow_s" in *[!0-9]* | '') echo "usage: scripts/bench-deploy.sh [N] (numbers)" >&2; exit 2 ;; esac
[ "$queue" != all ] || [ "$configure" = all ] || { echo "bench-deploy.sh: a mixed queue needs every channel" >&2; exit 2; }
. scripts/bench-lib.sh # builds, starts the database: $sock
rport=$((port + 1))
sport=$((port + 2))
rm -rf "$dir"
mkdir -p "$dir"
. scripts/peers.sh
peer_fail() { echo "bench-deploy.sh: $*" >&2; exit 1; }
# The outage goes with the run: other benchmarks plan on the same billing.
outage_drop() {
	sql bench_billing -e "DELETE FROM billing_outage_accounts WHERE outage_id = 'BENCH-T1';
		DELETE FROM billing_outages WHERE outage_id = 'BENCH-T1'" 2>/dev/null || true
}
trap 'peers_stop; outage_drop' EXIT
[ -x /usr/sbin/smtp-sink ] || peer_fail "smtp-sink missing (scripts/bootstrap.sh)"

(umask 077 && openssl rand -hex 16 >"$dir/twilio.token")
scripts/fcm-account.sh "$dir/fcm-key.pem" "http://127.0.0.1:$port/token" >"$dir/fcm.json"

# pport CHANNEL: the simulator that channel's provider is
pport() { if [ "$1" = "$slow_ch" ]; then echo $((port + 3)); else echo "$port"; fi; }
# conf FILE CHANNELS...: the configuration with those channels.
conf() {
	f=$1
	shift
	order=""
	[ "$queue" != all ] || order="channel_order = push,email,voice,sms"
	{
		bench_db_conf
		echo
		printf '[dunning]\n%s\n\n[schedule]\nnightly_at = 23:59\n\n[outage]\ncheck_every = 5\n\n' "$order"
		printf '[receipts]\nport = %s\npublic_url = http://127.0.0.1:%s\n\n[channels]\n' "$rport" "$rport"
		for c in "$@"; do printf '%s = %s\n' "$c" "$c"; done
		for c in "$@"; do
			case $c in
			sms) printf '\n[provider:sms]\ntype = http\nurl = http://127.0.0.1:%s/v1/sms\nbatch = 100\nconcurrency = 512\n' "$(pport sms)" ;;
			email) printf '\n[provider:email]\ntype = smtp\nhost = 127.0.0.1\nport = %s\nfrom = 国网杭州供电公司 <noreply@example.cn>\nworkers = 4\nper_session = 20\n' "$sport" ;;
			# The rate lifted: this measures feegate, not a carrier's
			# calls a second.
			voice) printf '\n[provider:voice]\ntype = twilio\naccount_sid = AC0123456789\nauth_token_file = %s\nfrom = +8657195598\napi_url = http://127.0.0.1:%s\nrate = 100000\nconcurrency = 64\n' "$top/$dir/twilio.token" "$(pport voice)" ;;
			push) printf '\n[provider:push]\ntype = fcm\nproject_id = sgcc-hz-app\nservice_account_file = %s\napi_url = http://127.0.0.1:%s\nconcurrency = 64\n' "$top/$dir/fcm.json" "$(pport push)" ;;
			esac
		done
	} >"$f"
}
all="sms email voice push"
if [ "$queue" = all ]; then plan_ch=$all; else plan_ch=$queue; fi
if [ "$configure" = all ]; then send_ch=$all; else send_ch=$queue; fi
conf "$dir/plan.ini" $plan_ch
conf "$dir/serve.ini" $send_ch

bench_data "$n"
outage_drop
$feegate -c "$dir/plan.ini" db migrate >/dev/null
/usr/bin/time -f '%e %M' -o "$dir/plan.time" $feegate -c "$dir/plan.ini" plan --date 2026-10-01 >/dev/null
queued=$(sql -N bench_feegate -e "SELECT COUNT(*) FROM messages WHERE state = 'queued'")
echo "== $queued messages queued ($queue); sending with $send_ch configured" >&2

: >"$dir/sim.tsv"
peer_start "the simulator on 127.0.0.1:$port" "$dir/sim.log" bin/feegate-sim -p "$port" -o "$dir/sim.tsv" \
	-l 20 -d 10 -r 32 -t "$(cat "$dir/twilio.token")" -k "$dir/fcm-key.pub.pem"
simpid=$peer_pid
peer_http "the simulator on 127.0.0.1:$port" "http://127.0.0.1:$port/_stats"
w=""
case "$slow_ch" in
email) w="-w $slow_s" ;;
sms | push | voice)
	peer_start "the slow simulator on 127.0.0.1:$((port + 3))" "$dir/slow.log" bin/feegate-sim -p $((port + 3)) \
		-o "$dir/slow.tsv" -l $((slow_s * 1000)) -d 10 -r 32 -t "$(cat "$dir/twilio.token")" -k "$dir/fcm-key.pub.pem"
	peer_http "the slow simulator on 127.0.0.1:$((port + 3))" "http://127.0.0.1:$((port + 3))/_stats"
	;;
esac
peer_start "smtp-sink on 127.0.0.1:$sport" "$dir/sink.log" /usr/sbin/smtp-sink $(sink_user) $w -c "127.0.0.1:$sport" 256
sinkpid=$peer_pid
peer_port "smtp-sink on 127.0.0.1:$sport" "$sport"

db0=$(cpu "$dbpid")
sim0=$(cpu "$simpid")
t0=$(date +%s.%N)
peer_start "feegate serve" "$dir/serve.log" $feegate -c "$dir/serve.ini" serve --now "2026-10-01 10:00"
serve=$peer_pid
# The channels whose end is waited for: all but a slow provider's.
wait_ch=$(for c in $send_ch; do [ "$c" = "$slow_ch" ] || printf "'%s'\n" "$c"; done | paste -sd, -)
tout=""
third=$(((queued + 2) / 3))
i=0
# The polls stop at the first row (or at a third of the night: the
# messages sent first are the first in the table; bench_busy).
while :; do
	peers_alive
	if [ -z "$tout" ] && [ "$outage" -gt 0 ] && [ "$(sql -N bench_feegate -e "SELECT COUNT(*) FROM (SELECT 1
		FROM messages WHERE priority IN (0, 1) AND state IN ('accepted', 'delivered') LIMIT $third) x")" -ge "$third" ]; then
		# A temporary outage, seen by the next outage pass.
		sql bench_billing -e "INSERT INTO billing_outages (outage_id, kind, area, starts_at, ends_at, reason, status)
			VALUES ('BENCH-T1', 'temporary', '上城区', '2026-10-01 14:00', '2026-10-01 18:00', '线路抢修', 'scheduled');
			INSERT INTO billing_outage_accounts (outage_id, account_no)
			SELECT 'BENCH-T1', account_no FROM billing_customers ORDER BY grid_id, account_no LIMIT $outage"
		tout=$(date +%s.%N)
	fi
	# Done: nothing due or in flight on the channels waited for, every
	# receipt a provider sends is in, and the outage's notices queued.
	left=$(( $(bench_busy "$wait_ch") + $(sql -N bench_feegate -e "SELECT
		IF($outage > 0 AND NOT EXISTS (SELECT 1 FROM messages WHERE priority = 1), 1, 0)") ))
	if [ "$left" -eq 0 ] && { [ "$outage" -eq 0 ] || [ -n "$tout" ]; }; then break; fi
	i=$((i + 1))
	[ $i -lt $((timeout * 4)) ] || peer_fail "not done in $timeout s; see $dir/serve.log"
	sleep 0.25
done
t1=$(date +%s.%N)
# FEEGATE_BENCH_PS=1 (MariaDB started with FEEGATE_DB_PERFSCHEMA=ON, see
# scripts/db.sh): serve's prepared statements (cached while it runs), their
# executions and time, the costliest first, into $dir/statements.tsv.
[ -z "${FEEGATE_BENCH_PS:-}" ] || ps_statements >"$dir/statements.tsv"
mb=$(hwm "$serve")
fcpu=$(cpu "$serve")
db1=$(cpu "$dbpid")
sim1=$(cpu "$simpid")
peer_stop "$serve"
peer_stop "$sinkpid"
peer_stop "$simpid"
read -r ps pkb <"$dir/plan.time"

# Per channel and priority, from the trail's real clock: sent, and the
# first and last attempt in seconds from serve's start (the night's) or
# from the outage's insertion (the urgent ones).
sql -N bench_feegate -e "
SELECT m.channel, m.priority, COUNT(*),
  TIMESTAMPDIFF(MICROSECOND, FROM_UNIXTIME(IF(m.priority = 1, ${tout:-$t0}, $t0)), MIN(a.at)) / 1e6,
  TIMESTAMPDIFF(MICROSECOND, FROM_UNIXTIME(IF(m.priority = 1, ${tout:-$t0}, $t0)), MAX(a.at)) / 1e6,
  TIMESTAMPDIFF(MICROSECOND, FROM_UNIXTIME($t0), MAX(a.at)) / 1e6
FROM messages m JOIN audit_log a ON a.message_id = m.message_id AND a.event = 'message_attempt'
WHERE m.state IN ('accepted', 'delivered') GROUP BY m.channel, m.priority" >"$dir/sent.tsv"
sql -N bench_feegate -e "SELECT COUNT(*), COALESCE(TIMESTAMPDIFF(MICROSECOND, FROM_UNIXTIME($t0), MAX(at)) / 1e6, 0)
	FROM audit_log WHERE event = 'receipt'" >"$dir/receipts.tsv"
# CHANNEL=SENT@RATE: the night's messages of the channel, from serve's
# start to the channel's last one; urgent=SENT@RATE from the first urgent
# attempt to the last (urgent_first_s after the insertion: the outage
# pass's wait); overall: every message from the start to the last.
awk -v plan="$ps" -v n="$n" -v mb="$mb" -v f="$fcpu" -v d0="$db0" -v d1="$db1" -v s0="$sim0" -v s1="$sim1" \
	-v all="$all" -v rc="$(cat "$dir/receipts.tsv")" '
	BEGIN { uf = -1 }
	$2 == 0 { k[$1] += $3; if ($5 > s[$1]) s[$1] = $5 }
	$2 == 1 { u += $3; if (uf < 0 || $4 < uf) uf = $4; if ($5 > ul) ul = $5 }
	{ tot += $3; if ($6 > last) last = $6 }
	END {
		printf "customers=%d plan_s=%s", n, plan
		c = split(all, ch, " ")
		for (i = 1; i <= c; i++)
			printf " %s=%d@%.0f", ch[i], k[ch[i]], (s[ch[i]] > 0 ? k[ch[i]] / s[ch[i]] : 0)
		printf " urgent=%d@%.0f urgent_first_s=%.1f urgent_last_s=%.1f", u, (ul > uf && u > 0 ? u / (ul - uf) : 0), uf, ul
		printf " overall=%d@%.0f", tot, (last > 0 ? tot / last : 0)
		split(rc, r, "[ \t]")
		printf " receipts=%d@%.0f peak_rss_mb=%d", r[1], (r[2] > 0 ? r[1] / r[2] : 0), mb
		printf " cpu_us_per_message: feegate=%.0f mariadb=%.0f sim=%.0f\n", f * 1e6 / tot, (d1 - d0) * 1e6 / tot, (s1 - s0) * 1e6 / tot
	}' "$dir/sent.tsv"
