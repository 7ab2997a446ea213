#!/bin/sh
# SIGHUP and rotated credentials: a new FCM service-account key, a new
# SMTP password and a new Twilio auth token (its requests and the
# signature of its status callbacks), each written over its file while
# serve runs, are used after `systemctl reload feegate` (the provider
# accepting only the new ones by then); the secrets never reach the log.
. "$(dirname "$0")/lib.sh"
fresh_schemas
fcm_keys
start_sim 19495 "-d 10 -k $work/key.pub.pem -t Old-Tw1lio"
printf 'Old-Tw1lio\n' >"$work/token"
service_account "$work/fcm.json"
server_cert smtp IP:127.0.0.1,DNS:localhost
# The relay reads its password file at each AUTH; feegate its own.
printf 'Old-Subm1ssion\n' >"$work/peer.password"
printf 'Old-Subm1ssion\n' >"$work/smtp.password"
start_smtp_peer 19497 --cert "$work/smtp.pem" --key "$work/smtp.key" --user feegate --password-file "$work/peer.password"
write_conf "
[channels]
push = fcm
email = mail
sms = tw

$(fcm_section fcm "$work/fcm.json")

$(twilio_section tw +8610690000)

$(smtp_section mail 19497)
starttls = required
ca_file = $work/ca.pem
username = feegate
password_file = $work/smtp.password

$(serve_sections 19496)

$(api_sections)"
customer 3300009501 0 G1 "冯涛"; contact 1 3300009501 push tokK0000000000000001
customer 3300009502 0 G1 "王芳"; contact 2 3300009502 email k2@example.com
customer 3300009503 0 G1 "李娜"; contact 3 3300009503 sms +8613800009503
api_client billing notices:write
billing=$token

serve_api "2026-10-02 10:00" 19496 "$billing"
api="http://127.0.0.1:19496"
pushes() { awk -F'\t' '$3 == "tokK0000000000000001"' "$work/sim.tsv" | wc -l | tr -d ' '; }
mails() { ls "$work/mail-19497" | grep -c '\.eml$' || true; }
# SMS through Twilio delivered: the request's basic auth and the status
# callback's signature both made with the token in effect.
texts() { sqlg "SELECT COUNT(*) FROM messages WHERE channel = 'sms' AND state = 'delivered'"; }
# round N: a repair notice to each customer through the API; until the
# push reached the simulator and the e-mail the relay, N of each.
round() {
	for a in 3300009501 3300009502 3300009503; do
		api_call "$billing" POST /api/v1/notices "{\"account_no\": \"$a\", \"kind\": \"repair_progress\",
			\"data\": {\"ticket\": \"T$1\", \"status\": \"ok\"}, \"idempotency_key\": \"$a-$1\"}"
		case "$code" in 20?) ;; *) fail "round $1, $a: $code $(cat "$work/resp")" ;; esac
	done
	i=0
	until [ "$(pushes)" -ge "$1" ] && [ "$(mails)" -ge "$1" ] && [ "$(texts)" -ge "$1" ]; do
		peers_alive
		i=$((i + 1)); [ $i -lt 150 ] || fail "round $1: $(pushes) pushes, $(mails) mails, $(texts) SMS delivered"
		sleep 0.1
	done
}
round 1
eq "ok feegate" "$(cat "$work/mail-19497/auth.log")" "the relay took the first password"

# Both rotated: the provider and the relay take only the new ones now.
"$top/scripts/fcm-account.sh" "$work/key2.pem" x >/dev/null
service_account "$work/fcm.json" "$work/key2.pem"
sim_control "{\"fcm_key\": \"$work/key2.pub.pem\", \"revoke_tokens\": true}"
printf 'New-Subm1ssion\n' >"$work/peer.password"
printf 'New-Subm1ssion\n' >"$work/smtp.password"
printf 'New-Tw1lio\n' >"$work/token"
sim_control '{"twilio_token": "New-Tw1lio"}'
kill -HUP "$serve"
i=0
until grep -q "reload: .* read again" "$work/feegate.log"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "no reload: $(tail -5 "$work/feegate.log")"; sleep 0.1
done
has "$(cat "$work/feegate.log")" "reload: provider=fcm: credentials read again" "the key file read again"
has "$(cat "$work/feegate.log")" "reload: provider=mail: credentials read again" "the password file read again"
has "$(cat "$work/feegate.log")" "reload: provider=tw: credentials read again" "the auth token file read again"
round 2
eq "ok feegate" "$(tail -1 "$work/mail-19497/auth.log")" "the relay took the new password"
eq "0" "$(grep -c refused "$work/mail-19497/auth.log" || true)" "never the old one after the reload"
eq "2" "$(sim_stat tokens)" "a second access token, with the new key"
for f in "$work/feegate.log" "$work/serve.err"; do
	hasnt "$(cat "$f")" "New-Subm1ssion" "no password in $(basename "$f")"
	hasnt "$(cat "$f")" "New-Tw1lio" "no auth token in $(basename "$f")"
	hasnt "$(cat "$f")" "PRIVATE KEY" "no key in $(basename "$f")"
done
kill -TERM "$serve"
wait "$serve" || fail "serve did not exit 0"
grep -q Sanitizer "$work/serve.err" && fail "sanitizer report: $(cat "$work/serve.err")"
done_ok
