#!/bin/sh
# check-secrets.sh SOCKET BILLING GATEWAY [-s SECRET_FILE]... FILE...
#
# Whether feegate's outputs give away what they must not: any full contact
# address from BILLING.billing_contacts (phone numbers, e-mail addresses,
# push tokens), or any secret (each line of 12 characters or more of each
# SECRET_FILE: passwords, API and auth tokens, the lines of a private key),
# in the FILEs or in GATEWAY.audit_log's details. Prints, for each finding,
# the file and what kind of value it holds (never the value) and exits 1;
# prints "clean: ..." and exits 0 otherwise. Reads the database as root
# over SOCKET (the private MariaDB of scripts/db.sh).
set -eu
[ $# -ge 3 ] || { echo "usage: check-secrets.sh SOCKET BILLING GATEWAY [-s SECRET_FILE]... FILE..." >&2; exit 2; }
sock=$1 bill=$2 gw=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sql() { mariadb --no-defaults --default-character-set=utf8mb4 --socket="$sock" -uroot --batch --skip-column-names "$@"; }
sql "$bill" -e "SELECT DISTINCT address FROM billing_contacts WHERE LENGTH(address) >= 8" >"$tmp/addresses" 2>/dev/null || : >"$tmp/addresses"
: >"$tmp/secrets"
while [ $# -gt 0 ] && [ "$1" = "-s" ]; do
	[ -f "$2" ] || { echo "check-secrets.sh: no secret file $2" >&2; exit 2; }
	sed 's/^[[:space:]]*//; s/[[:space:]]*$//' "$2" | grep -v -e '^-----' | awk 'length($0) >= 12' >>"$tmp/secrets" || true
	shift 2
done
sql "$gw" -e "SELECT detail FROM audit_log" >"$tmp/audit-details" 2>/dev/null || : >"$tmp/audit-details"
found=0
n=0
for f in "$@" "$tmp/audit-details"; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	what=$f
	[ "$f" != "$tmp/audit-details" ] || what="the audit details ($gw.audit_log)"
	if [ -s "$tmp/addresses" ] && grep -F -q -f "$tmp/addresses" "$f"; then
		echo "check-secrets: $what: $(grep -F -c -f "$tmp/addresses" "$f") lines with a full contact address"
		found=1
	fi
	if [ -s "$tmp/secrets" ] && grep -F -q -f "$tmp/secrets" "$f"; then
		echo "check-secrets: $what: $(grep -F -c -f "$tmp/secrets" "$f") lines with a secret"
		found=1
	fi
done
[ "$found" -eq 0 ] || exit 1
echo "clean: $(wc -l <"$tmp/addresses" | tr -d ' ') addresses and $(wc -l <"$tmp/secrets" | tr -d ' ') secret lines looked for in $n files"
