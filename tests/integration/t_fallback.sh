#!/bin/sh
# One notice across all the channels it needs: the app token is dead
# (UNREGISTERED), the SMS comes back undelivered, the call is answered.
# The notice is delivered once, by voice; e-mail, the customer's last
# choice, is never used; the call-centre timeline shows the whole way.
. "$(dirname "$0")/lib.sh"
fresh_schemas
fcm_keys
start_sim 19030 "-d 20 -t f4llback -k $work/key.pub.pem"
printf 'f4llback\n' >"$work/token"
service_account "$work/fcm.json"
write_conf "
[channels]
push = fcm
sms = sim
voice = call
email = mail

$(fcm_section fcm "$work/fcm.json")

$(sms_section sim)

$(twilio_section call +8657195598)

[provider:mail]
type = smtp
host = 127.0.0.1
port = 19039
from = noreply@example.cn

[receipts]
port = 19025
public_url = http://127.0.0.1:19025

[dispatch]
receipt_wait = 10"
customer 3300000051 0 G1 "王芳"
contact 1 3300000051 push fcm:deadF00000000000000001 1
contact 2 3300000051 sms +8613800000052 2
contact 3 3300000051 voice +8657100000053 3
contact 4 3300000051 email wang.fang@example.com 4
bill B51 3300000051 321.00 2026-10-01
sim_control '{"unregistered_prefix": "deadF", "undeliverable_prefix": "+8613800000052"}'
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "push failed_permanent|sms failed_permanent|voice delivered" \
   "$(sqlg "SELECT GROUP_CONCAT(CONCAT(channel, ' ', state) ORDER BY message_id SEPARATOR '|') FROM messages")" \
   "push dead, then SMS undelivered, then the call answered"
eq "1:delivered" "$(notice_states 3300000051)" "the notice is delivered, once"
eq "1 1 1" "$(sim_stat rejected) $(sim_count +8613800000052) $(sim_count +8657100000053)" \
   "each channel tried once (the push refused, the SMS and the call taken)"
eq "0" "$(sqlg "SELECT COUNT(*) FROM messages WHERE channel = 'email'")" "e-mail, last by priority, not needed"
eq "UNREGISTERED Requested entity was not found.|absent_subscriber" \
   "$(sqlg "SELECT GROUP_CONCAT(reason ORDER BY contact_id SEPARATOR '|') FROM contact_blocks")" \
   "the dead token and the undeliverable number are blocked"
fgok log 3300000051
tl=$(cat "$work/last.out")
has "$tl" "push  fcm:de***  failed_permanent" "timeline: the push"
has "$tl" "sms   +86138****0052  failed_permanent" "timeline: the SMS"
has "$tl" "voice +86571****0053  delivered" "timeline: the call"
hasnt "$tl" "8613800000052" "the timeline masks numbers"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
