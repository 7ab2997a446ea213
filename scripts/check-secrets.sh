#!/bin/sh
# check-secrets.sh SOCKET BILLING GATEWAY [-s SECRET_FILE]... FILE...
#
# Whether feegate's outputs give away what they must not: any full contact
# address from BILLING.billing_contacts (phone numbers, e-mail addresses,
# push tokens) in any form a provider or relay may quote it (any letter
# case; a phone number's last 10 digits, or 8 of a shorter one, however
# written: without '+' or the country code, with a trunk 0, digits grouped
# by spaces, '-', '.', '/' or parentheses, fullwidth digits; an e-mail
# address's local part of 3 characters or more as a word), or any secret (each line of 12 characters or more of each
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
# A phone number's core: its last 10 digits (8 of a shorter one), looked
# for in the text with its digits normalized (below); an e-mail address's
# local part, looked for as a word.
awk '/^[+][0-9]+$/ { n = length($0) - 1; k = n >= 11 ? 10 : 8; if (n >= k) print substr($0, length($0) - k + 1) }' \
	"$tmp/addresses" >"$tmp/phone-cores"
sed -n 's/^\([A-Za-z0-9._%+-]\{3,\}\)@.*/\1/p' "$tmp/addresses" >"$tmp/locals"
# The lines of FILE with a local part of LOCALS standing alone (not among
# other characters a local part may hold: "hn08" is not in "HN08-e"), any
# case; prints how many, exits 1 when none.
cat >"$tmp/locals.pl" <<'PL'
open(my $l, '<', $ARGV[0]) or die;
chomp(my @l = <$l>);
my $re = join('|', map { quotemeta } @l);
my $atext = qr{[A-Za-z0-9.!#\$%&'*+/=?^_`{|}~-]};
my $n = 0;
open(my $f, '<', $ARGV[1]) or die;
while (<$f>) { $n++ if /(?<!$atext)(?:$re)(?!$atext)/i; }
print "$n\n" if $n;
exit($n ? 0 : 1);
PL
# Digits as a reader sees them: fullwidth made ASCII, and the separators
# that may stand between digit groups dropped.
digits_normalized() {
	perl -pe 's/\xef\xbc([\x90-\x99])/chr(ord($1) - 0x60)/ge;
		1 while s/([0-9])(?:[ .\/()-]|\xe3\x80\x80|\xef\xbc[\x88\x89\x8d\x8e\x8f]){1,2}(?=[0-9])/$1/g' "$1"
}
sql "$gw" -e "SELECT detail FROM audit_log" >"$tmp/audit-details" 2>/dev/null || : >"$tmp/audit-details"
found=0
n=0
for f in "$@" "$tmp/audit-details"; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	what=$f
	[ "$f" != "$tmp/audit-details" ] || what="the audit details ($gw.audit_log)"
	if [ -s "$tmp/addresses" ] && grep -i -F -q -f "$tmp/addresses" "$f"; then
		echo "check-secrets: $what: $(grep -i -F -c -f "$tmp/addresses" "$f") lines with a full contact address"
		found=1
	fi
	if [ -s "$tmp/phone-cores" ]; then
		digits_normalized "$f" >"$tmp/norm"
		if grep -F -q -f "$tmp/phone-cores" "$tmp/norm"; then
			echo "check-secrets: $what: $(grep -F -c -f "$tmp/phone-cores" "$tmp/norm") lines with a phone number in another form"
			found=1
		fi
	fi
	if [ -s "$tmp/locals" ] && c=$(perl "$tmp/locals.pl" "$tmp/locals" "$f"); then
		echo "check-secrets: $what: $c lines with an e-mail address's local part"
		found=1
	fi
	if [ -s "$tmp/secrets" ] && grep -F -q -f "$tmp/secrets" "$f"; then
		echo "check-secrets: $what: $(grep -F -c -f "$tmp/secrets" "$f") lines with a secret"
		found=1
	fi
done
[ "$found" -eq 0 ] || exit 1
echo "clean: $(wc -l <"$tmp/addresses" | tr -d ' ') addresses and $(wc -l <"$tmp/secrets" | tr -d ' ') secret lines looked for in $n files"
