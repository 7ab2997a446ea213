#!/bin/sh
# bench-plan.sh [N...]: time one night's planning at scale.
#
# For each N (default: 100000 1000000), generate N customers with the demo
# generator (about 28% owing money on the first night), then time with
# /usr/bin/time:
#   night 1 (2026-10-01): every overdue account opens a case and gets notice 1
#                         (three runs from an empty gateway schema: median, range)
#   night 2 (2026-10-08): a week later, notice 1 fails and notice 2 goes out
#                         for every case still unpaid; next month's bills open
#                         new cases
# and print each night's seconds, MariaDB's CPU seconds and the feegate
# process's peak resident memory (a line of key=value each, as it ends),
# then a table of the medians ("db CPU": MariaDB's). Before each timed
# night the server settles (bench_settle, bench-lib.sh: its dirty pages
# written, its purge done), so that a night is not measured against the
# write-back of the data just generated.
# FEEGATE_BENCH_VIEWS=1: the same data, read through the example views of
# sql/billing/views-example.sql (gbk tables of another shape: codes, fen,
# a status table) instead of the contract's own tables.
# FEEGATE_NIGHT_CONNECTIONS: the connections a night plans on (unset:
# feegate's default, 2).
# FEEGATE_BENCH_SENT=1: night 1's messages marked delivered before night 2,
# as `feegate dispatch` with receipts leaves them (the province's shape:
# night 2 fails delivered notices, instead of cancelling unsent messages).
# Uses the private MariaDB (scripts/db.sh); bench_feegate is dropped and
# recreated, bench_billing kept while it holds N customers.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ $# -gt 0 ] || set -- 100000 1000000
. scripts/bench-lib.sh # builds, starts the database: $sock
conf=var/bench.ini
mkdir -p var/bench
{
	bench_db_conf
	[ -z "${FEEGATE_BENCH_STATEMENTS:-}" ] || printf '\n[log]\nlevel = debug\n'
} >$conf

# timed NAME DATE: run one night, append "seconds kb cpu summary" to
# var/bench/NAME (cpu: MariaDB's CPU seconds during the night)
# FEEGATE_BENCH_STATEMENTS=1: the night's statements from feegate's debug
# log (db.c times each one; a query's time includes what its rows' callback
# did, such as the audit rows' bulk inserts, also listed alone as "bulk"),
# summed by their first words, the costliest first, to
# var/bench/statements-NAME-RUN.tsv: seconds, count, rows, statement.
timed() {
	bench_settle >/dev/null
	probe=$(bench_probe)
	db0=$(cpu "$dbpid")
	/usr/bin/time -f '%e %M' -o var/bench/time.txt \
		$feegate -c $conf run --date "$2" >var/bench/night.txt 2>var/bench/night.err ||
		{ tail -20 var/bench/night.err >&2; exit 1; }
	[ -z "${FEEGATE_BENCH_STATEMENTS:-}" ] ||
		sed -n 's/.* db: \([a-z]*\): \([0-9.]*\) s, \([0-9]*\) rows*:* *\(.*\)/\2\t\3\t\1 \4/p' var/bench/night.err |
		awk -F'\t' '{ t[$3] += $1; c[$3]++; r[$3] += $2 }
			END { for (k in t) printf "%.2f\t%d\t%d\t%s\n", t[k], c[k], r[k], k }' |
		sort -rn >"var/bench/statements-$1-$(cat "var/bench/$1" 2>/dev/null | wc -l).tsv"
	read -r secs kb <var/bench/time.txt
	dbs=$(awk -v a="$db0" -v b="$(cpu "$dbpid")" 'BEGIN { printf "%.1f", b - a }')
	echo "$secs $kb $dbs $(grep '^summary:' var/bench/night.txt) $probe" >>"var/bench/$1"
	echo "night=$2 seconds=$secs peak_rss_mb=$((kb / 1024)) cpu_mariadb=$dbs $probe"
}

field() { echo "$1" | sed -n "s/.* $2=\([0-9,]*\).*/\1/p"; }

report() {  # report N NIGHT FILE
	sort -n "$3" >"$3.sorted"
	runs=$(wc -l <"$3.sorted")
	min=$(head -1 "$3.sorted" | cut -d' ' -f1)
	max=$(tail -1 "$3.sorted" | cut -d' ' -f1)
	med=$(sed -n "$(( (runs + 1) / 2 ))p" "$3.sorted" | cut -d' ' -f1)
	mb=$(sort -k2 -n "$3" | tail -1 | cut -d' ' -f2)
	dbs=$(cut -d' ' -f3 "$3" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
	line=$(head -1 "$3")
	notices=$(field "$line" notices)
	printf '%-9s %-11s %4s %8s %15s %7s %7s %8s %8s %8s %10s\n' "$1" "$2" "$runs" "$med" "$min-$max" \
		"$dbs" "$((mb / 1024))" "$(field "$line" opened)" "$(echo "$notices" | cut -d, -f1)" \
		"$(echo "$notices" | cut -d, -f2)" "$(field "$line" audit)"
}

# to_views: the generated contract tables' rows into the example's own
# tables (codes, fen, mobiles without +86), and the views in their place.
to_views() {
	sql bench_billing -e "
	RENAME TABLE billing_customers TO gen_customers, billing_contacts TO gen_contacts,
	             billing_bills TO gen_bills, billing_outages TO gen_outages,
	             billing_outage_accounts TO gen_outage_accounts;
	SOURCE sql/billing/views-example.sql;
	INSERT INTO cis_account (acct_code, holder_name, lang, cust_class, grid_code, hold_flag)
	  SELECT account_no, name, IF(locale = 'en', 'EN', 'ZH'),
	         FIELD(segment, 'residential', 'commercial', 'large'), grid_id, IF(dunning_hold, 'Y', 'N')
	  FROM gen_customers;
	INSERT INTO cis_contact (contact_no, acct_code, medium, contact_val, rank_no, agreed)
	  SELECT contact_id, account_no, ELT(FIELD(channel, 'sms', 'email', 'voice', 'push'), 'MOBILE', 'EMAIL', 'VOICE', 'APP'),
	         IF(channel IN ('sms', 'voice') AND address LIKE '+86%', SUBSTR(address, 4), address), priority, consent
	  FROM gen_contacts;
	INSERT INTO cis_invoice (invoice_no, acct_code, bill_month, due_fen, paid_fen, due_on, status_cd)
	  SELECT CAST(CONCAT(SUBSTR(account_no, 3), REPLACE(period, '-', '')) AS UNSIGNED), account_no,
	         REPLACE(period, '-', ''), ROUND(amount_due * 100), ROUND(amount_paid * 100), due_date,
	         10 * FIELD(status, 'open', 'paid', 'cancelled', 'disputed')
	  FROM gen_bills;
	DROP TABLE gen_customers, gen_contacts, gen_bills, gen_outages, gen_outage_accounts;
	ANALYZE TABLE cis_account, cis_contact, cis_invoice, cis_status" >/dev/null
}

rm -f var/bench/n1-* var/bench/n2-* var/bench/statements-n[12]-*
for n in "$@"; do
	case "$n" in *[!0-9]*|'') echo "bench-plan.sh: N must be a number: $n" >&2; exit 2 ;; esac
	if [ -n "${FEEGATE_BENCH_VIEWS:-}" ]; then
		echo "== N=$n: generating billing data" >&2
		bench_gen "$n"
		echo "   moving it under the example views (sql/billing/views-example.sql)" >&2
		to_views
	else
		bench_data "$n"
	fi
	for r in 1 2 3; do
		sql -e "DROP DATABASE IF EXISTS bench_feegate"
		$feegate -c $conf db migrate >/dev/null 2>var/bench/migrate.err ||
			{ cat var/bench/migrate.err >&2; exit 1; }
		timed "n1-$n" 2026-10-01
	done
	[ -z "${FEEGATE_BENCH_SENT:-}" ] ||
		sql bench_feegate -e "UPDATE messages SET state = 'delivered', final_at = UTC_TIMESTAMP()"
	timed "n2-$n" 2026-10-08
done

echo
printf '%-9s %-11s %4s %8s %15s %7s %7s %8s %8s %8s %10s\n' customers night runs median range "db CPU" "RSS MB" opened "notice#1" "notice#2" "audit rows"
for n in "$@"; do
	report "$n" 2026-10-01 "var/bench/n1-$n"
	report "$n" 2026-10-08 "var/bench/n2-$n"
done
