#!/bin/sh
# An unknown or misconfigured adapter is refused at start-up, with the
# file and line, exit status 2, before the night plans anything and
# before any request leaves; the secret it could not use is not echoed.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19230
printf 'sekr1t-Tok3n\n' >"$work/token"
customer 3300000071; contact 1 3300000071 sms +8613800000071
bill B71 3300000071 80.00 2026-10-01
base="
[receipts]
port = 19225
public_url = http://127.0.0.1:19225"

# refused WHAT EXPECT CONFIG: run and dispatch both exit 2 naming EXPECT.
refused() {
	write_conf "$3$base"
	exits_2 "$1" "$2" run --date 2026-10-02 --now "2026-10-02 10:00"
	exits_2 "$1" "$2" dispatch
}
exits_2() {  # exits_2 WHAT EXPECT ARGS...
	what=$1 expect=$2
	shift 2
	rc=0
	fg "$@" >"$work/out" 2>"$work/err" || rc=$?
	eq "2" "$rc" "$what: exit status of $1"
	has "$(cat "$work/err")" "$expect" "$what: the message of $1"
	hasnt "$(cat "$work/err")" "sekr1t" "$what: no secret echoed"
	grep -q Sanitizer "$work/err" && fail "sanitizer report: $(cat "$work/err")"
	return 0
}

refused "unknown type" "feegate.ini:13: [provider:p] type: no sms adapter of type 'acme' (sms types: http, kannel, twilio)" "
[channels]
sms = p

[provider:p]
type = acme
url = http://127.0.0.1:$sim_port/v1/sms"

refused "an e-mail adapter on the SMS channel" "[provider:p] type: no sms adapter of type 'smtp'" "
[channels]
sms = p

[provider:p]
type = smtp
host = 127.0.0.1"

refused "a key the adapter does not know" "feegate.ini:15: [provider:p] colour: unknown key for type http" "
[channels]
sms = p

[provider:p]
type = http
url = http://127.0.0.1:$sim_port/v1/sms
colour = red"

refused "a required key missing" "[provider:p]: account_sid and auth_token_file are needed" "
[channels]
voice = p

[provider:p]
type = twilio
from = +8657195598"

refused "a bad value" "[provider:p] from: the calling number, as + and digits, is needed" "
[channels]
voice = p

[provider:p]
type = twilio
account_sid = AC1
auth_token_file = $work/token
from = 95598"

refused "no section for the channel's provider" "[channels] sms = nowhere: no [provider:nowhere] section" "
[channels]
sms = nowhere"

refused "one section for two channels" "[channels] sms and voice both name [provider:tw]" "
[channels]
sms = tw
voice = tw

[provider:tw]
type = twilio
account_sid = AC1
auth_token_file = $work/token
from = +8657195598"

refused "a secret file that is not there" "[provider:p] token_file: cannot use $work/missing: No such file or directory" "
[channels]
sms = p

[provider:p]
type = http
url = http://127.0.0.1:$sim_port/v1/sms
token_file = $work/missing"

refused "CA certificates that cannot be read" "feegate.ini:16: [provider:m] ca_file: cannot read CA certificates from $work/no-ca.pem" "
[channels]
email = m

[provider:m]
type = smtp
host = 127.0.0.1
starttls = required
ca_file = $work/no-ca.pem
from = noreply@example.cn"

eq "0" "$(sqlg "SELECT COUNT(*) FROM dunning_cases")" "no night was planned"
eq "0" "$(sim_stat received)" "no request reached the provider"
done_ok
