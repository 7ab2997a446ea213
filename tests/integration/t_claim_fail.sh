#!/bin/sh
# A lane whose claims the database refuses (a privilege revoked while serve
# runs: the grants are checked at start-up, t_audit) tries again with
# waits doubling up to 5 s, not at every tick with a warning each time;
# its message stays due, and goes once the privilege is back. A one-shot
# `dispatch` whose claims are refused ten times in a row (here a
# trigger on message_texts: the grants are all there) ends with exit
# status 1 and the reason, masked, its message still due for the next run.
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
# A second notice while a trigger refuses every new text, quoting the
# customer's number as a server's own text may quote a value (a duplicate
# key, a proxy): the reason is logged, the number masked (done_ok's
# no_full_addresses); serve stopped.
mysql_cli "$gschema" <<SQL
DELIMITER //
CREATE TRIGGER t_refuse BEFORE INSERT ON message_texts FOR EACH ROW
BEGIN
	DECLARE why VARCHAR(128);
	IF NEW.message_id > $(sqlg "SELECT MAX(message_id) FROM message_texts") THEN
		SELECT CONCAT('t_refuse: no text for ', address) INTO why
		FROM messages WHERE message_id = NEW.message_id;
		SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = why;
	END IF;
END//
SQL
api_post '{"account_no": "3300009501", "kind": "repair_progress", "data": {"ticket": "T2", "status": "ok"}, "idempotency_key": "k2"}'
case "$code" in 20?) ;; *) fail "notice 2: $code $(cat "$work/resp")" ;; esac
kill "$serve"; wait "$serve" 2>/dev/null || true
t0=$(date +%s)
rc=0; timeout 60 "$FEEGATE_BIN" -c "$conf" dispatch --now "2026-10-02 10:05" >"$work/last.out" 2>"$work/last.err" || rc=$?
eq "1" "$rc" "dispatch: exit status 1 (124: still trying after 60 s)"
has "$(cat "$work/last.err")" "sms: 10 claims in a row refused, the last: " "dispatch: says why"
has "$(cat "$work/last.err")" "t_refuse: no text for " "dispatch: the database's reason"
[ $(( $(date +%s) - t0 )) -le 40 ] || fail "dispatch took $(( $(date +%s) - t0 )) s to give up"
eq "1 queued" "$(sim_count +8613800009501) $(sqlg "SELECT state FROM messages ORDER BY message_id DESC LIMIT 1")" "dispatch: nothing more sent, the message still due"
mysql_cli "$gschema" -e "DROP TRIGGER t_refuse"
fgok dispatch --now "2026-10-02 10:06"
eq "2" "$(sim_count +8613800009501)" "the next dispatch sends it"
done_ok
