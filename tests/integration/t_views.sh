#!/bin/sh
# The billing contract as views over a billing system of another shape
# (sql/billing/views-example.sql: its own names, gbk, codes, amounts in fen,
# a status table, mobiles without +86): the ladder to the collection task,
# an outage notice, a payment, a phone search, a notice through the API,
# and rows the views make that feegate must refuse.
. "$(dirname "$0")/lib.sh"
BILLING_SQL=$top/sql/billing/views-example.sql
fresh_schemas
start_sim 19870 "-d 10"
printf 'api-T0ken-views\n' >"$work/api.token"
chmod 600 "$work/api.token"
send_conf 19875 "
[api]
token_file = $work/api.token"

fgok billing check
for v in billing_customers billing_contacts billing_bills billing_outages billing_outage_accounts; do
	has "$(cat "$work/last.out")" "$v: view" "$v is a view"
done
has "$(cat "$work/last.out")" "  amount_due    decimal, 4 decimals                  ok" "fen / 100: four decimals, taken"
has "$(cat "$work/last.out")" "  bill_id       bigint                               ok" "a numeric bill id"
# The reads' plans through the views: cis_invoice's index on acct_code
# serves a lookup by billing_bills.account_no, and its columns make the
# view's bills without reading the invoices' rows.
has "$(cat "$work/last.out")" "  bills of one account (settling; before every message)  ok, ~1 row
" "a plan through a view"
hasnt "$(cat "$work/last.out")" "each read from the table" "the invoices' indexes answer alone"
# Without SHOW VIEW, MariaDB shows no plan of a view: said, not an error.
sqlb "REVOKE SHOW VIEW ON \`$bschema\`.* FROM 'feegate_it'@'localhost'"
fgok billing check
has "$(cat "$work/last.out")" "  bills of one account (settling; before every message)  ?, a view over tables this account may not read" \
    "no plan without SHOW VIEW"
has "$(cat "$work/last.out")" "no problems: a night can run" "and still no problem"

sqlb "INSERT INTO cis_account (acct_code, holder_name, lang, cust_class, grid_code, hold_flag) VALUES
      ('V1', '张伟', 'ZH', 1, 'G9', 'N'), ('V2', 'Li Na', 'EN', 2, 'G9', 'N'),
      ('V3', '王芳', 'ZH', 1, 'G9', 'Y'), ('V4', '赵强', 'XX', 7, 'G9', 'N')"
sqlb "INSERT INTO cis_contact (contact_no, acct_code, medium, contact_val, rank_no, agreed) VALUES
      (1, 'V1', 'MOBILE', '13800000001', 1, 1), (2, 'V2', 'EMAIL', 'li.na@example.com', 1, 1),
      (3, 'V2', 'MOBILE', '13800000002', 2, 1), (4, 'V3', 'MOBILE', '13800000003', 1, 1),
      (5, 'V4', 'FAX', '057187654321', 1, 1), (6, 'V4', 'MOBILE', '13800000004', 2, 1)"
# 12,345 fen is 123.45 yuan; V1 owes two bills; 'v1' is another account.
sqlb "INSERT INTO cis_invoice (invoice_no, acct_code, bill_month, due_fen, paid_fen, due_on, status_cd) VALUES
      (9001, 'V1', 202609, 12345, 0, '2026-10-01', 10), (9002, 'V1', 202608, 1000, 500, '2026-09-01', 10),
      (9003, 'V2', 202609, 8800, 0, '2026-10-01', 10), (9004, 'V3', 202609, 5000, 0, '2026-10-01', 10),
      (9005, 'V4', 202609, 5000, 0, '2026-10-01', 10), (9006, 'v1', 202609, 7700, 0, '2026-10-01', 10),
      (9007, 'V2', 202607, 9900, 9900, '2026-08-01', 20)"
sqlb "INSERT INTO cis_status VALUES (99, 'OPEN')"
sqlb "INSERT INTO cis_invoice VALUES (9008, 'V4', 202608, 100, 0, '2026-09-01', 99)"
sqlb "INSERT INTO cis_outage VALUES ('P1', 'P', '西湖区文三路', '2026-10-05 08:00', '2026-10-05 17:00', '线路检修', 0)"
sqlb "INSERT INTO cis_outage_acct VALUES ('P1', 'V1'), ('P1', 'V2')"

fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "V1 128.45
V2 88.00" "$(sqlg "SELECT account_no, balance_at_open FROM dunning_cases ORDER BY account_no")" \
   "cases in yuan from fen; V3 on hold; V4's unknown status pauses it"
has "$(sqlg "SELECT body FROM message_texts JOIN messages USING (message_id) WHERE contact_id = 1 AND notice_id IN (SELECT notice_id FROM notices WHERE kind = 'dunning')")" \
    "尊敬的张伟客户：您的户号****电费¥128.45" "notice 1 as sent: the gbk name, the amount"
eq "2" "$(sim_count +8613800000001)" "V1's notice and outage notice, to +86 and the mobile"
has "$(sqlg "SELECT body FROM message_texts JOIN messages USING (message_id) WHERE contact_id = 1 AND notice_id IN (SELECT notice_id FROM notices WHERE kind = 'outage_notice')")" \
    "西湖区文三路将计划检修停电" "the outage notice with its area"
eq "3 3" "$(sqlg "SELECT GROUP_CONCAT(contact_id SEPARATOR ' ') FROM messages WHERE account_no = 'V2'")" \
   "V2 on its mobile (its e-mail comes first, but only SMS is configured)"
eq "bill 9008 [V4] unknown status
customer V4 [V4] unknown segment
customer v1 [v1] overdue bills for an account not in billing_customers" \
   "$(sqlg "SELECT source, row_key, CONCAT('[', account_no, ']'), reason FROM input_errors ORDER BY source, row_key")" \
   "what the views could not say (a status code, a class code, v1's bill): recorded, with the account"
fgok log V4
has "$(cat "$work/last.out")" "DUNNING PAUSED" "V4 paused by its bill of unknown status"
fgok log 13800000001
has "$(cat "$work/last.out")" "张伟" "found by phone through the view"

# A payment on billing's side before the next notice: the case closes.
sqlb "UPDATE cis_invoice SET paid_fen = due_fen, status_cd = 20 WHERE acct_code = 'V2'"
for d in 2026-10-09 2026-10-16 2026-10-23; do fgok run --date $d --now "$d 10:00"; done
eq "closed/1" "$(sqlg "SELECT CONCAT(state, '/', step) FROM dunning_cases WHERE account_no = 'V2'")" "V2 paid: closed"
eq "escalated/3 1:failed,0:delivered,2:failed,3:failed task:open" "$(state V1)" "V1: the ladder to the task"
eq "G9 128.45" "$(sqlg "SELECT grid_id, amount_due FROM collection_tasks WHERE account_no = 'V1'")" "the task"

serve_api "2026-10-23 11:00" 19875 api-T0ken-views
api_post '{"account_no": "V1", "kind": "payment_received", "data": {"amount": "128.45"}, "idempotency_key": "v1"}'
eq "202" "$code" "the API takes a notice for V1: $(cat "$work/resp")"
payment_delivered "张伟" "the name from the view"
kill -TERM "$serve"
wait "$serve" || fail "serve's exit status"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
