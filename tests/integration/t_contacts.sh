#!/bin/sh
# Who a notice goes to: the first consented contact with a valid address by
# priority; malformed contacts are recorded and skipped; no consent means
# no message; a contact that failed permanently at the same address is
# passed over; a notice that reaches nobody is recorded as unreachable and
# still counts toward the three. Delivered notices are counted on the task.
. "$(dirname "$0")/lib.sh"
fresh_schemas

customer F1
contact 1 F1 sms +8613800000031 1 0          # first choice, but no consent
contact 2 F1 email 'li.na@@example' 2 1       # consented, malformed
contact 3 F1 voice +8657188880000 3 1        # consented, valid: this one
contact 4 F1 sms +8613800000032 4 1          # later choice
bill F1-1 F1 60.00 2026-10-01

customer U1                                   # no contacts at all
bill U1-1 U1 60.00 2026-10-01
customer U2                                   # only contacts without consent
contact 5 U2 sms +8613800000033 1 0
contact 6 U2 email u2@example.com 2 0
bill U2-1 U2 60.00 2026-10-01

customer V1                                   # reached; two notices delivered
contact 7 V1 sms +8613800000034
bill V1-1 V1 60.00 2026-10-01

customer W1                                   # every kind of malformed contact
contact 10 W1 sms 13800000035 1 1            # no +86
contact 11 W1 sms +8612345 2 1               # too short
contact 12 W1 sms +861380000003X 3 1
contact 13 W1 sms +8623800000035 4 1         # +86 but not a mobile
contact 14 W1 fax +8613800000035 5 1         # unknown channel
contact 15 W1 push 'tok en' 6 1
contact 16 W1 email 'a@b' 7 1
contact 17 W1 push 'fcm:abcdefghijklmnopqrstuvwxyz012345' 8 1   # valid
bill W1-1 W1 60.00 2026-10-01

# Contacts that failed permanently before (as the dispatcher records them):
# skipped by dunning and outage notices alike while billing has the same
# address; an address billing has changed, if only in letter case, is
# tried again (byte for byte, whatever billing's collation).
customer K1
contact 20 K1 sms +8613800000040 1 1         # blocked at this address
contact 21 K1 sms +8613800000041 2 1         # this one
customer K2
contact 22 K2 email Ann.Lee@example.cn 1 1   # blocked as ann.lee@...: this one
bill K1-1 K1 60.00 2026-10-01
bill K2-1 K2 60.00 2026-10-01
sqlg "INSERT INTO contact_blocks (contact_id, channel, address, reason, since) VALUES
      (20, 'sms', '+8613800000040', 'invalid_number', '2026-09-20 10:00'),
      (22, 'email', 'ann.lee@example.cn', '550 no such user', '2026-09-20 10:00')"
sqlb "INSERT INTO billing_outages (outage_id, kind, area, starts_at, ends_at, reason)
      VALUES ('O1', 'planned', '西湖区文三路', '2026-10-05 08:00', '2026-10-05 17:00', '线路检修')"
sqlb "INSERT INTO billing_outage_accounts VALUES ('O1', 'K1'), ('O1', 'K2')"
fgok billing check --date 2026-10-02
has "$(cat "$work/last.out")" "failed permanently before" "billing check: the blocked contact among the refused rows"

night 2026-10-02
eq "K1 dunning 21|K1 outage_notice 21|K2 dunning 22|K2 outage_notice 22" \
   "$(sqlg "SELECT GROUP_CONCAT(CONCAT_WS(' ', n.account_no, n.kind, m.contact_id) ORDER BY n.account_no, n.kind SEPARATOR '|')
            FROM messages m JOIN notices n USING (notice_id) WHERE n.account_no IN ('K1', 'K2')")" \
   "a blocked contact is passed over by dunning and outage notices; a changed address is not blocked"
eq "20:failed permanently before" \
   "$(sqlg "SELECT GROUP_CONCAT(row_key, ':', reason) FROM input_errors WHERE account_no IN ('K1', 'K2')")" \
   "the blocked contact reported, once"
eq "3 voice" "$(sqlg "SELECT m.contact_id, m.channel FROM messages m JOIN notices n USING (notice_id) WHERE n.account_no = 'F1'")" \
   "first consented, valid contact by priority"
eq "malformed e-mail address" "$(sqlg "SELECT reason FROM input_errors WHERE source = 'contact' AND row_key = '2'")" "malformed contact recorded"
eq "0" "$(sqlg "SELECT COUNT(*) FROM messages WHERE contact_id IN (1, 5, 6)")" "no message without consent"
eq "open/1 1:failed" "$(state U1)" "no contact: notice unreachable (failed at once)"
eq "1 1" "$(sqlg "SELECT unreachable, COUNT(*) FROM notices WHERE account_no = 'U2' GROUP BY unreachable")" "only unconsented contacts: unreachable"
eq "17" "$(sqlg "SELECT m.contact_id FROM messages m JOIN notices n USING (notice_id) WHERE n.account_no = 'W1'")" "falls through to the one valid contact"
eq "phone number not in E.164 form|phone number not in E.164 form|phone number not in E.164 form|not a mainland China mobile number|unknown channel|malformed push token|malformed e-mail address" \
   "$(sqlg "SELECT GROUP_CONCAT(reason ORDER BY CAST(row_key AS UNSIGNED) SEPARATOR '|') FROM input_errors WHERE account_no = 'W1'")" \
   "each malformed contact with its reason"
eq "7" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE account_no = 'W1' AND event = 'input_rejected'")" "each refusal audited once"
out=$(fg log W1)
has "$out" "contact 13: not a mainland China mobile number" "refused contacts in feegate log"

# The unreachable notice still steps after 7 days and counts toward three.
# V1's first two notices are delivered (as the dispatcher will record).
sqlg "UPDATE messages m JOIN notices n USING (notice_id) SET m.state = 'delivered' WHERE n.account_no = 'V1'"
night 2026-10-09
eq "open/2 1:failed,2:failed" "$(state U1)" "unreachable notice 2 a week later"
sqlg "UPDATE messages m JOIN notices n USING (notice_id) SET m.state = 'delivered' WHERE n.account_no = 'V1' AND n.seq = 2"
night 2026-10-16
eq "open/3 1:failed,2:failed,3:failed" "$(state U1)" "unreachable notice 3"
night 2026-10-22
eq "0" "$(sqlg "SELECT COUNT(*) FROM collection_tasks WHERE account_no = 'U1'")" "an unreachable third notice still waits step_days"
night 2026-10-23
eq "3 0" "$(sqlg "SELECT notices_failed, notices_delivered FROM collection_tasks WHERE account_no = 'U1'")" "task after three unreachable notices"
eq "3 2" "$(sqlg "SELECT notices_failed, notices_delivered FROM collection_tasks WHERE account_no = 'V1'")" "task counts the delivered notices"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
