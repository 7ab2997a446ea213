#!/bin/sh
# demo.sh: the whole story on sample data. Starts the private MariaDB,
# creates a billing schema with a few thousand customers and a gateway
# schema, then replays 45 nights with payments posted between nights, and
# prints what happened. Run by `make demo` (which installs and builds
# first). Re-running starts the demo afresh.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
customers=${FEEGATE_DEMO_CUSTOMERS:-3000}
start=2026-10-01
nights=45
feegate=bin/feegate
conf=var/demo.ini
gw=feegate_demo
bill=billing_demo

simport=${FEEGATE_DEMO_SIM_PORT:-18030}
rport=${FEEGATE_DEMO_RECEIPT_PORT:-18025}
smtpport=${FEEGATE_DEMO_SMTP_PORT:-18026}
webport=${FEEGATE_DEMO_WEB_PORT:-18080}

# Every step is checked: a step that fails, or a peer that stops, ends the
# tour at once with what went wrong, and the exit status is not 0.
die() {
	echo "demo.sh: $*" >&2
	exit 1
}
. scripts/peers.sh
peer_fail() { die "$@"; }
finish() {
	rc=$?
	peers_stop
	[ $rc -eq 0 ] || echo "demo.sh: the tour did not run to the end (exit status $rc); see var/demo/" >&2
	exit $rc
}
trap finish EXIT

[ -x $feegate ] || die "build first (make)"
sock=$(scripts/db.sh start | sed -n 's/^FEEGATE_DB_SOCKET=//p')
[ -n "$sock" ] || die "no database"
# utf8mb4 said, never taken from the locale (latin1 under LANG=C or none).
sql() { mariadb --no-defaults --default-character-set=utf8mb4 --socket="$sock" -uroot "$@"; }

rm -rf var/demo
mkdir -p var/demo/mail
cat >$conf <<CONF
; written by scripts/demo.sh
[database]
socket = $sock
user = root
gateway_schema = $gw
billing_schema = $bill

[dunning]
grace_days = 0
step_days = 7
notices = 3
min_amount = 1.00

; Each channel goes to a real peer started below: SMS, voice calls and app
; pushes to the provider simulator (tests/sim: a generic SMS API, a
; Twilio-compatible Calls API with signed status callbacks, FCM HTTP v1
; with its OAuth2 token endpoint), e-mail to Postfix's smtp-sink. Cheapest
; first: the app, then e-mail, then SMS, then a call.
channel_order = push,email,sms,voice

[outage]
restored = yes

[costs]
sms = 0.045
email = 0.001
voice = 0.12
push = 0

[channels]
sms = sim
email = mail
voice = calls
push = app

[provider:sim]
type = http
url = http://127.0.0.1:$simport/v1/sms
rate = 500
concurrency = 16

[provider:mail]
type = smtp
host = 127.0.0.1
port = $smtpport
from = 国网杭州供电公司 <noreply@example.cn>
reply_to = service@example.cn
list_unsubscribe = <mailto:unsubscribe@example.cn>
workers = 2

[provider:calls]
type = twilio
account_sid = AC0123456789
auth_token_file = $top/var/demo/twilio.token
from = +8657195598
api_url = http://127.0.0.1:$simport
rate = 5

[provider:app]
type = fcm
project_id = sgcc-hz-app
service_account_file = $top/var/demo/fcm.json
api_url = http://127.0.0.1:$simport

[receipts]
port = $rport
public_url = http://127.0.0.1:$rport

[dispatch]
receipt_wait = 20

; The call centre's pages, when you start \`feegate serve\` on this file.
[web]
port = $webport
CONF

echo "== sample billing data: $customers customers, 3 monthly bills each"
sql -e "DROP DATABASE IF EXISTS $gw; DROP DATABASE IF EXISTS $bill;
        CREATE DATABASE $bill CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
sql $bill <sql/billing/contract.sql
{
	echo "SET @n = $customers, @seed = 'feegate-demo', @start = '$start', @on_time = 0.55;"
	cat sql/demo/generate.sql sql/demo/hostile.sql sql/demo/outages.sql
} | sql $bill
$feegate -c $conf db migrate

echo "== peers: the provider simulator on 127.0.0.1:$simport, smtp-sink on 127.0.0.1:$smtpport"
# Credentials for the simulator only: a Twilio auth token and an FCM
# service-account key (the simulator checks the JWT with its public half).
(umask 077 && openssl rand -hex 16 >var/demo/twilio.token)
scripts/fcm-account.sh var/demo/fcm-key.pem "http://127.0.0.1:$simport/token" >var/demo/fcm.json
: >var/demo/sim.tsv
sim="the simulator on 127.0.0.1:$simport (FEEGATE_DEMO_SIM_PORT)"
peer_start "$sim" var/demo/sim.log \
	bin/feegate-sim -p "$simport" -o var/demo/sim.tsv -d 20 -t "$(cat var/demo/twilio.token)" \
	-k var/demo/fcm-key.pub.pem
peer_http "$sim" "http://127.0.0.1:$simport/_stats"
# smtp-sink keeps each e-mail as a file under var/demo/mail/ (as a
# mailbox would) and counts sessions and messages; it runs as the user
# running the demo (sink_user), so it can write there.
[ -x /usr/sbin/smtp-sink ] || die "smtp-sink is not installed (scripts/bootstrap.sh installs postfix)"
sink="smtp-sink on 127.0.0.1:$smtpport (FEEGATE_DEMO_SMTP_PORT)"
peer_start "$sink" var/demo/smtp-sink.log \
	/usr/sbin/smtp-sink $(sink_user) -c -d "$top/var/demo/mail/%H%M%S." "127.0.0.1:$smtpport" 64
peer_port "$sink" "$smtpport"
# Mobiles starting +86177 do not exist (the provider says so at once),
# handsets of +86199 never get the SMS (a failed receipt comes later), app
# tokens starting 0 were uninstalled: feegate blocks those contacts, falls
# back to the next channel, and reports them for correction.
curl -sf -X POST -d '{"invalid_prefix": "+86177", "undeliverable_prefix": "+86199", "unregistered_prefix": "0"}' \
	"http://127.0.0.1:$simport/_control" >/dev/null || die "the simulator refused its settings"

echo "== $nights nights from $start (payments posted between nights; sending at 10:00)"
printf '%-10s %6s %5s %5s %5s %6s %6s %5s %7s %6s %5s %5s %5s %5s %7s\n' \
	date opened "#1" "#2" "#3" failed closed tasks refused outage sms email voice push cost
i=0
while [ $i -lt $nights ]; do
	d=$(date -u -d "$start + $i day" +%F)
	{ echo "SET @d = '$d', @start = '$start';"; sed "s/GW\./\`$gw\`./g" sql/demo/pay.sql
	  cat sql/demo/outage-changes.sql; } | sql $bill
	$feegate -c $conf run --date "$d" --now "$d 10:00" >var/demo/night-$d.txt 2>>var/demo/feegate.log ||
		die "the night of $d failed; var/demo/feegate.log ends: $(peer_log_end var/demo/feegate.log)"
	awk -v d="$d" '/^summary:|^dispatch:|^outages:/ {
		p = $1 == "outages:" ? "o_" : ""
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[p kv[1]] = kv[2] } }
		END { split(v["notices"], n, ",")
		o = v["o_notice"] + v["o_reminder"] + v["o_rescheduled"] + v["o_cancelled"] + v["o_restored"]
		printf "%-10s %6s %5s %5s %5s %6s %6s %5s %7s %6s %5s %5s %5s %5s %7s\n", d, v["opened"], n[1], n[2], n[3],
			v["failed"], v["closed"], v["tasks"], v["refused"], o (v["o_late"] ? "*" : ""), v["sms"], v["email"],
			v["voice"], v["push"], v["cost"] }' var/demo/night-$d.txt | tee -a var/demo/nights.txt
	peers_alive
	i=$((i + 1))
done
awk '{ for (k = 10; k <= 14; k++) t[k] += $k; c += $15 }
	END { printf "%-10s %47s %6d %5d %5d %5d %5d %7.2f  (yuan, [costs])\n", "total", "", t[10], t[11], t[12], t[13], t[14], c }' \
	var/demo/nights.txt
echo "(outage: outage notices planned that night, reminders and changes included; * some went late)"

echo
echo "what the peers received:"
sim_stats=$(curl -sf "http://127.0.0.1:$simport/_stats") || die "the simulator does not answer"
got_sms=$(awk -F'\t' '$3 ~ /^\+861/' var/demo/sim.tsv | wc -l | tr -d ' ')
got_voice=$(awk -F'\t' '$3 ~ /^\+86[2-9]/' var/demo/sim.tsv | wc -l | tr -d ' ')
got_push=$(awk -F'\t' '$3 !~ /^\+/' var/demo/sim.tsv | wc -l | tr -d ' ')
got_email=$(find var/demo/mail -type f | wc -l | tr -d ' ')
printf '  simulator   %s SMS, %s calls, %s pushes (%s)\n' "$got_sms" "$got_voice" "$got_push" "$sim_stats"
printf '  smtp-sink   %s e-mails, kept in var/demo/mail/ (%s)\n' "$got_email" "$(peer_log_end var/demo/smtp-sink.log)"
# The tour ran only if every channel carried messages and each peer
# received exactly what the nights say feegate sent it.
set -- $(awk '{ for (k = 11; k <= 14; k++) t[k] += $k } END { print t[11], t[12], t[13], t[14] }' var/demo/nights.txt)
for c in "sms $1 $got_sms simulator" "email $2 $got_email smtp-sink" "voice $3 $got_voice simulator" \
	"push $4 $got_push simulator"; do
	set -- $c
	[ "$2" -gt 0 ] || die "no $1 message was sent in $nights nights"
	[ "$2" -eq "$3" ] || die "feegate sent $2 $1 messages, the $4 received $3"
done
$feegate -c $conf report | tee var/demo/report.txt
echo
$feegate -c $conf audit verify || die "audit verify does not pass"

echo
echo "== privacy: no full number, e-mail address, push token or credential in feegate's outputs"
scripts/check-secrets.sh "$sock" $bill $gw -s var/demo/twilio.token -s var/demo/fcm-key.pem \
	var/demo/feegate.log var/demo/night-*.txt var/demo/report.txt || die "a full address or a secret in feegate's outputs"

esc=$(sql -N $gw -e "SELECT account_no FROM collection_tasks WHERE state = 'open' ORDER BY task_id LIMIT 1")
paid2=$(sql -N $gw -e "SELECT account_no FROM dunning_cases WHERE close_reason = 'paid' AND step = 2 ORDER BY case_id LIMIT 1")
across=$(sql -N $gw -e "SELECT m.account_no FROM messages m
                         JOIN messages v ON v.notice_id = m.notice_id AND v.channel = 'voice' AND v.state = 'delivered'
                         WHERE m.state = 'failed_permanent' ORDER BY m.message_id LIMIT 1")
mail=$(find var/demo/mail -type f | sort | head -1)
moved=$(sql -N $gw -e "SELECT account_no FROM notices WHERE kind = 'outage_rescheduled' ORDER BY notice_id LIMIT 1")
refused=$(sql -N $gw -e "SELECT account_no FROM input_errors WHERE source = 'bill' AND account_no IS NOT NULL ORDER BY error_id LIMIT 1")
cat <<EOT

== look at one customer, as the call centre would:
  $feegate -c $conf log $esc            # three notices failed, task raised
  $feegate -c $conf log $paid2            # paid after notice 2
  $feegate -c $conf log $refused            # a bill refused as bad input
  $feegate -c $conf log $across            # one notice across channels, the call answered
  $feegate -c $conf log $moved            # an outage notice, its new times, reminder, power back
  $feegate -c $conf log $esc --json     # the same as JSON
  $feegate -c $conf tasks --state open   # the collectors' work list
  $feegate -c $conf template render dunning_2 sms --account $esc --date 2026-10-09
  less $mail     # an e-mail as smtp-sink received it

== the call centre's pages:
  printf '%s\\n' 'demo-password-1' | $feegate -c $conf staff add demo --role supervisor
  $feegate -c $conf serve       # then open http://127.0.0.1:$webport/ (Ctrl-C stops it)
Nightly outputs and the daemon's log are in var/demo/; what the simulator
received (SMS, calls' TwiML, pushes) is var/demo/sim.tsv. The database
stays up (scripts/db.sh stop).
EOT
