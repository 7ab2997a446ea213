#!/bin/sh
# The audit trail shortened without losing its proof: `audit checkpoint
# --before D` (an administrator's; feegate's account may not) archives the
# rows before D to a compressed file, records the checkpoint in the table
# and in the chain, and removes them; `audit verify` starts from the
# latest checkpoint, `audit verify --archive FILE` checks a file against
# its checkpoint and the chain after it. A row changed, removed or
# reordered in an archive, a row removed from the table, or a checkpoint
# row altered: each is found.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19370 "-d 10"
send_conf 19371
for i in 1 2 3 4; do
	customer "K$i"; contact "$i" "K$i" sms "+861380000700$i"; bill "K$i-1" "K$i" 50.00 2026-10-01
done
for d in 2026-10-02 2026-10-09 2026-10-16; do fgok run --date $d --now "$d 10:00"; done
total=$(sqlg "SELECT COUNT(*) FROM audit_log")
early=$(sqlg "SELECT COUNT(*) FROM audit_log WHERE business_date < '2026-10-09'")
[ "$early" -gt 0 ] || fail "no rows before 2026-10-09 to archive"

rc=0
fg audit checkpoint --before 2026-10-09 --archive "$work/x.jsonl.gz" >"$work/out" 2>"$work/err" || rc=$?
eq "1" "$rc" "feegate's own account may not cut the trail"
has "$(cat "$work/err")" "run it as an administrator" "and is told who may"
[ ! -e "$work/x.jsonl.gz" ] || fail "an archive was written anyway"

fg_admin audit checkpoint --before 2026-10-09 --archive "$work/a1.jsonl.gz" >"$work/out" 2>"$work/err" ||
	fail "checkpoint: $(cat "$work/err")"
has "$(cat "$work/out")" "audit: checkpoint at seq $early " "the cut at the last row before 2026-10-09"
eq "0" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE seq <= $early")" "the archived rows are gone"
eq "$((early + 1))" "$(gzip -dc "$work/a1.jsonl.gz" | wc -l | tr -d ' ')" "the archive: a header and each row"
eq "$(sha256sum "$work/a1.jsonl.gz" | cut -d' ' -f1)" "$(sqlg "SELECT archive_sha256 FROM audit_checkpoints")" "its SHA-256 recorded"
has "$(sqlg "SELECT detail FROM audit_log WHERE event = 'audit_checkpoint'")" "\"seq\":$early" "and in the chain"
fgok audit verify
has "$(cat "$work/last.out")" "chain intact: $((total - early + 1)) rows" "verify starts from the checkpoint"
fgok audit verify --archive "$work/a1.jsonl.gz"
has "$(cat "$work/last.out")" "archive $work/a1.jsonl.gz intact: $early rows" "the archive checks out"

# Again with the same date: nothing to do. A second checkpoint follows on.
fg_admin audit checkpoint --before 2026-10-09 --archive "$work/a0.jsonl.gz" >"$work/out" 2>&1 || fail "again: $(cat "$work/out")"
has "$(cat "$work/out")" "no rows before 2026-10-09" "nothing more to archive"
fg_admin audit checkpoint --before 2026-10-16 --archive "$work/a2.jsonl.gz" >"$work/out" 2>"$work/err" ||
	fail "second checkpoint: $(cat "$work/err")"
fgok audit verify --archive "$work/a1.jsonl.gz"
fgok audit verify --archive "$work/a2.jsonl.gz"
fgok audit verify
# The daily check after a checkpoint: from the head the last check
# reached, past the checkpoint.
fgok audit verify --since-last
has "$(cat "$work/last.out")" "chain intact: 0 rows after seq $(sqlg "SELECT MAX(seq) FROM audit_log")" \
    "--since-last after checkpoints"

# Tampering. verify ARCHIVE EXPECT WHAT: verify --archive fails, saying so.
verify_fails() {
	rc=0
	fg audit verify ${1:+--archive "$1"} >"$work/out" 2>&1 || rc=$?
	eq "1" "$rc" "$3: verify fails"
	has "$(cat "$work/out")" "$2" "$3: and says where"
}
first=$(gzip -dc "$work/a1.jsonl.gz" | sed -n 2p | sed 's/^{"seq":"\([0-9]*\)".*/\1/')
gzip -dc "$work/a1.jsonl.gz" | sed '3s/"actor":"[a-z]*"/"actor":"nobody"/' | gzip >"$work/changed.jsonl.gz"
verify_fails "$work/changed.jsonl.gz" "chain broken at seq $((first + 1)): row changed" "a row changed in the archive"
gzip -dc "$work/a1.jsonl.gz" | sed '4d' | gzip >"$work/removed.jsonl.gz"
verify_fails "$work/removed.jsonl.gz" "chain broken at seq $((first + 2)): row $((first + 2)) removed" "a row removed from the archive"
gzip -dc "$work/a1.jsonl.gz" | awk 'NR == 3 { held = $0; next } { print } NR == 4 { print held }' | gzip >"$work/reordered.jsonl.gz"
verify_fails "$work/reordered.jsonl.gz" "chain broken at seq $((first + 1))" "two rows swapped in the archive"
# The file re-compressed with the same rows is another file: its SHA-256.
gzip -dc "$work/a1.jsonl.gz" | gzip -9 >"$work/recompressed.jsonl.gz"
verify_fails "$work/recompressed.jsonl.gz" "changed: its SHA-256 is not the checkpoint's" "the same rows in another file"
# The checkpoint row altered: found against its record in the chain.
latest=$(sqlg "SELECT MAX(seq) FROM audit_checkpoints")
saved=$(sqlg "SELECT hash FROM audit_checkpoints WHERE seq = $latest")
mysql_cli "$gschema" -e "UPDATE audit_checkpoints SET hash = REPEAT('a', 64) WHERE seq = $latest"
verify_fails "" "checkpoint at seq $latest differs from its record in the chain (altered)" "a checkpoint row altered"
mysql_cli "$gschema" -e "UPDATE audit_checkpoints SET hash = '$saved' WHERE seq = $latest"
fgok audit verify
# A row removed from the table after the checkpoint.
gone=$(sqlg "SELECT MIN(seq) + 2 FROM audit_log")
mysql_cli "$gschema" -e "DELETE FROM audit_log WHERE seq = $gone"
verify_fails "" "chain broken at seq $gone: row $gone removed" "a row removed from the table"
done_ok
