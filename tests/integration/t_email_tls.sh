#!/bin/sh
# E-mail to a submission-style server (aiosmtpd, tests/peers/smtp_tls_auth.py)
# that insists on STARTTLS and SMTP AUTH: sent under TLS and authenticated;
# a wrong password, an untrusted certificate, a certificate for another
# name and a server without STARTTLS are the provider's trouble with the
# reason (nothing sent in clear, no recipient blamed); the password never
# reaches the logs.
. "$(dirname "$0")/lib.sh"
fresh_schemas
server_cert smtp IP:127.0.0.1,DNS:localhost
server_cert other DNS:mail.example.cn
printf 'S3cret-Subm1ssion\n' >"$work/smtp.password"
printf 'wrong-password\n' >"$work/wrong.password"
tls_conf() {  # tls_conf PORT [PROVIDER LINES]
	write_conf "
[channels]
email = mail

$(smtp_section mail "$1")
${2:-}

[dispatch]
receipt_wait = 0
backoff_min = 1"
}
st() { sqlg "SELECT state FROM messages WHERE contact_id = $1"; }
err_of() { sqlg "SELECT last_error FROM messages WHERE contact_id = $1"; }
mailer() {  # mailer N: a customer T<N> with one e-mail contact N and a bill
	customer "T$1"; contact "$1" "T$1" email "t$1@example.com"; bill "T$1-1" "T$1" 88.00 2026-10-01
}
kept() { ls "$work/mail-$1" | grep -c '\.eml$'; }
# refused N DAY REASON PORT KEPT WHAT: the night of DAY plans message N,
# which is not sent (the server on PORT still keeps KEPT messages) and not
# blamed on the recipient, with REASON in its error.
refused() {
	mailer "$1"
	fgok run --date "$2" --now "$2 10:00"
	case "$(st "$1")" in queued | retry) ;; *) fail "$6: state $(st "$1"), not waiting to be sent again" ;; esac
	eq "0" "$(sqlg "SELECT COUNT(*) FROM contact_blocks WHERE contact_id = $1")" "$6: the address is not blamed"
	has "$(err_of "$1")" "$3" "$6: the reason"
	eq "$5" "$(kept "$4")" "$6: nothing more reached the server"
}

start_smtp_peer 19201 --cert "$work/smtp.pem" --key "$work/smtp.key" --user feegate --password-file "$work/smtp.password"
good="starttls = required
ca_file = $work/ca.pem
username = feegate"

# Under TLS, authenticated, as the server saw it.
tls_conf 19201 "$good
password_file = $work/smtp.password"
mailer 1
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "accepted" "$(st 1)" "accepted by the submission server"
eq "1" "$(kept 19201)" "one message kept"
has "$(head -1 "$work/mail-19201/1.eml")" "tls=yes auth=feegate from=noreply@example.cn to=t1@example.com" \
   "sent under STARTTLS, after AUTH as feegate"
has "$(cat "$work/mail-19201/1.eml")" "Content-Type: multipart/alternative;" "the whole message arrived"
eq "ok feegate" "$(cat "$work/mail-19201/auth.log")" "one AUTH, accepted"

# A wrong password: the server refuses the sender, not the recipient.
tls_conf 19201 "$good
password_file = $work/wrong.password"
refused 2 2026-10-03 "MAIL FROM: 530" 19201 1 "wrong password"
has "$(tail -1 "$work/mail-19201/auth.log")" "refused feegate" "the server saw the wrong password"
for f in "$work/last.out" "$work/last.err"; do
	hasnt "$(cat "$f")" "S3cret-Subm1ssion" "no password in $(basename "$f")"
	hasnt "$(cat "$f")" "wrong-password" "no wrong password in $(basename "$f")"
done
eq "0" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%S3cret%' OR detail LIKE '%wrong-password%'")" \
   "no password in the audit trail"
# The password corrected: the same message goes.
tls_conf 19201 "$good
password_file = $work/smtp.password"
fgok dispatch --now "2026-10-03 11:00"
eq "accepted" "$(st 2)" "sent once the password is right"
has "$(head -1 "$work/mail-19201/2.eml")" "tls=yes auth=feegate" "under TLS, authenticated"

# Without ca_file the private CA is not trusted: nothing is sent.
tls_conf 19201 "starttls = required
username = feegate
password_file = $work/smtp.password"
refused 3 2026-10-04 "certificate is not trusted" 19201 2 "untrusted certificate"

# A trusted certificate for another name.
start_smtp_peer 19202 --cert "$work/other.pem" --key "$work/other.key"
tls_conf 19202 "starttls = required
ca_file = $work/ca.pem"
refused 4 2026-10-05 "certificate is for mail.example.cn, not 127.0.0.1" 19202 0 "certificate for another name"

# A server without STARTTLS: required refuses it, yes sends in clear.
start_smtp_peer 19203
tls_conf 19203 "starttls = required"
refused 5 2026-10-06 "does not offer STARTTLS" 19203 0 "no STARTTLS"
tls_conf 19203 "starttls = yes"
fgok dispatch --now "2026-10-06 11:00"
eq "accepted" "$(st 5)" "starttls = yes: sent without TLS where none is offered"
has "$(head -1 "$work/mail-19203/1.eml")" "tls=no auth=-" "in clear, as configured"

done_ok
