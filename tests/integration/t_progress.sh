#!/bin/sh
# `feegate run` on a terminal says what it is doing: each step with its
# time and counts, a line on the sending rewritten every second (sent of
# the total due, rate, time left), then the summary; the info lines that
# would scroll past go only to a [log] file. In a pipe (or under
# systemd) only the summary, as before.
. "$(dirname "$0")/lib.sh"
fresh_schemas
sms_accounts 30
start_sim 19480
# 20 SMS a second: 30 take over a second, so at least one line on the way.
RATE=20 send_conf 19481

# script(1) gives the night a pseudo-terminal for its output.
script -qec "$FEEGATE_BIN -c $conf run --date 2026-10-02 --now '2026-10-02 10:00'" "$work/typescript" >/dev/null ||
	fail "run on a terminal: $(tail -5 "$work/typescript")"
out=$(tr '\r' '\n' <"$work/typescript")
grep -q Sanitizer "$work/typescript" && fail "sanitizer report: $out"
has "$out" "feegate: billing read" "the billing step"
has "$out" "s  30 cases opened, 30 notices, 30 messages queued" "the planning step with its counts"
printf '%s\n' "$out" | grep -Eq "^feegate: sending [0-9]+ of 30 \([0-9]+%\) in [0-9]+ s, [0-9]+/s, about [0-9]+ s left" ||
	fail "no progress line while sending: $out"
has "$out" "feegate: sent 30 of 30 (100%)" "the sending's last line"
has "$out" "feegate: escalated" "the escalation step"
has "$out" "summary: date=2026-10-02" "the summary"
hasnt "$out" " info " "no info lines on the terminal"
hasnt "$out" "+8613800000001" "no number on the terminal"

# In a pipe: the summary only, the info lines on stderr as before.
fresh_schemas
sms_accounts 3
RATE=500 send_conf 19481
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
has "$(cat "$work/last.out")" "summary: date=2026-10-02" "the summary in a pipe"
hasnt "$(cat "$work/last.err")" "feegate: planned" "no steps in a pipe"
hasnt "$(cat "$work/last.err")" "feegate: sent" "no progress in a pipe"
has "$(cat "$work/last.err")" "dispatch: in " "the info lines as before"
done_ok
