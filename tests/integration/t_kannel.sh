#!/bin/sh
# SMS through a real Kannel 1.4.5 (bearerbox, smsbox and its fake SMSC, all
# on 127.0.0.1): Chinese text as UCS-2, delivery reports back through the
# dlr-url; Kannel down means the provider is in trouble, not the messages.
. "$(dirname "$0")/lib.sh"
BB=/usr/sbin/bearerbox
SB=/usr/sbin/smsbox
FAKE=/usr/lib/kannel/test/fakesmsc
[ -x $BB ] && [ -x $SB ] && [ -x $FAKE ] || fail "Kannel is not installed (scripts/bootstrap.sh installs kannel and kannel-extras)"
fresh_schemas
k="$work/kannel"
mkdir -p "$k"
# Kannel does not reuse a port still in TIME_WAIT: every start gets fresh
# ports (four from $1).
kannel_conf() {
	kp=$1
	"$top/tests/peers/kannel-conf.sh" "$kp" "$k" feegate kannelpw >"$k/kannel.conf"
}
printf 'kannelpw\n' >"$k/password"
chmod 600 "$k/password"

start_kannel() {
	kannel_conf "$1"
	peer_start "Kannel's bearerbox" "$k/bb.out" $BB "$k/kannel.conf"
	peer_http "Kannel's bearerbox" "http://127.0.0.1:$kp/status?password=statuspw"
	peer_start "Kannel's fake SMSC" "$k/fake.out" $FAKE -H 127.0.0.1 -r $((kp + 2)) -m 0 '100 200 text nop'
	sleep 0.3
	peer_start "Kannel's smsbox" "$k/sb.out" $SB "$k/kannel.conf"
	peer_http "Kannel's smsbox" "http://127.0.0.1:$((kp + 3))/cgi-bin/sendsms"
}
stop_kannel() {
	for p in "Kannel's smsbox" "Kannel's fake SMSC" "Kannel's bearerbox"; do peer_stop "$p"; done
}

kannel_feegate_conf() {
write_conf "
[channels]
sms = kannel

[provider:kannel]
type = kannel
url = http://127.0.0.1:$(($1 + 3))/cgi-bin/sendsms
username = feegate
password_file = $k/password
from = 95598
rate = 50

[receipts]
port = 18525
public_url = http://127.0.0.1:18525

[dispatch]
receipt_wait = 15"
}

base=$((14000 + ($$ % 50) * 20))
kannel_feegate_conf $base
for i in 1 2 3 4; do
	customer "K$i" 0 G1 "王$i"
	contact "$i" "K$i" sms "+861390000000$i"
	bill "K$i-1" "K$i" 88.00 2026-10-01
done
start_kannel $base
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "4" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered' AND provider = 'kannel'")" \
   "four messages delivered, with Kannel's delivery reports"
has "$(cat "$k/smsbox.log")" "to:<8613900000001> msg:<【国网杭州供电公司】尊敬的王1客户" "Chinese text reached Kannel intact"
eq "4" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE event = 'receipt' AND detail LIKE '%\"code\":\"dlr 1\"%'")" "receipts audited"
hasnt "$(cat "$work/last.err")" "kannelpw" "the password is never logged"

# Kannel down: the provider's trouble; no message uses up an attempt.
stop_kannel
customer K9; contact 9 K9 sms +8613900000009; bill K9-1 K9 88.00 2026-10-08
fgok run --date 2026-10-09 --now "2026-10-09 10:00"
eq "retry 0" "$(sqlg "SELECT state, attempts FROM messages WHERE contact_id = 9")" "refused connection: requeued, attempt kept"
start_kannel $((base + 10))
kannel_feegate_conf $((base + 10))
fgok dispatch --now "2026-10-09 10:05"
eq "delivered" "$(sqlg "SELECT state FROM messages WHERE contact_id = 9")" "sent once Kannel is back"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
