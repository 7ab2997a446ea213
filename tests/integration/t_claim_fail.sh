#!/bin/sh
# A lane whose claims the database refuses (a privilege revoked while serve
# runs: the grants are checked at start-up, t_audit) tries again with
# waits doubling up to 5 s, not at every tick with a warning each time;
# its message stays due, and goes once the privilege is back.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19890 "-d 10"
send_conf 19891 "
$(serve_sections 19891 | sed -n '/^\[schedule\]/,$p')

$(api_sections)"
customer 3300009501 0 G1 "褚明"; contact 1 3300009501 sms +8613800009501
api_client billing notices:write
serve_api "2026-10-02 10:00" 19891 "$token"

mysql_cli -e "REVOKE INSERT ON \`$gschema\`.message_texts FROM 'feegate_it'@'localhost'"
api_post '{"account_no": "3300009501", "kind": "repair_progress", "data": {"ticket": "T1", "status": "ok"}, "idempotency_key": "k1"}'
case "$code" in 20?) ;; *) fail "notice: $code $(cat "$work/resp")" ;; esac
sleep 3
tries=$(grep -c "dispatch: marking 1 messages: .*INSERT command denied" "$work/feegate.log")
[ "$tries" -ge 2 ] || fail "the refused mark was not tried again ($tries)"
# At every tick (20 ms) it would be about 150 in 3 s.
[ "$tries" -le 12 ] || fail "tried $tries times in 3 s: no back-off"
eq "0 queued" "$(sim_count +8613800009501) $(sqlg "SELECT state FROM messages")" "nothing sent, the message still due"
mysql_cli -e "GRANT INSERT ON \`$gschema\`.message_texts TO 'feegate_it'@'localhost'"
i=0
until [ "$(sqlg "SELECT state FROM messages")" = delivered ]; do
	peers_alive
	i=$((i + 1)); [ $i -lt 100 ] || fail "not delivered after the grant: $(sqlg "SELECT state FROM messages")"; sleep 0.1
done
eq "1" "$(sim_count +8613800009501)" "sent once"
has "$(sqlg "SELECT body FROM message_texts")" "T1" "its text kept"
done_ok
