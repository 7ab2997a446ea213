/*
 * views.c: see views.h.
 */
#include "store/views.h"

int
views_create(struct db *db, struct fg_err *err)
{
	return db_exec(
		db,
		"CREATE OR REPLACE VIEW notice_log AS"
		" SELECT m.message_id, m.notice_id, n.case_id,"
		" m.account_no, n.kind, n.seq, m.channel,"
		" " MASKED_ADDRESS(
			"m.") " AS address_masked,"
			      " m.state, m.attempts, m.created_on, m.created_at,"
			      " m.updated_at, m.provider, m.provider_ref, m.last_error"
			      " FROM messages m"
			      " JOIN notices n ON n.notice_id = m.notice_id",
		DB_NOARGS, NULL, err);
}
