/*
 * batches.c: a row a claimed batch (batches.h). Each is written once with
 * the batch's marking, counted by the recorder and the receipts a
 * statement a transaction, and read only by lease recovery and `run`'s
 * count of receipts awaited; the settled ones are dropped by recovery.
 */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "queue/batches.h"

int
batches_open(struct db *db, const char *channel, const char *provider,
	     const char *now, long lease, const unsigned long long *message_ids,
	     size_t k, unsigned long long *id, struct fg_err *err)
{
	struct sbuf ids;
	size_t i;
	int rc;

	sbuf_init(&ids);
	for (i = 0; i < k; i++)
		sbuf_addf(&ids, i ? ",%llu" : "%llu", message_ids[i]);
	rc = db_exec(db,
		     "INSERT INTO message_batches (channel, provider,"
		     " submitted_at, lease_expires_at, unanswered, message_ids)"
		     " VALUES (?, ?, ?, DATE_ADD(?, INTERVAL ? SECOND), ?, ?)",
		     DB_ARGS(DB_STR(channel), DB_STR(provider), DB_STR(now),
			     DB_STR(now), DB_INT(lease), DB_INT(k),
			     DB_STR(ids.s)),
		     NULL, err);
	sbuf_free(&ids);
	if (rc != 0)
		return -1;
	return db_query_ull(db, "SELECT LAST_INSERT_ID()", DB_NOARGS, id, err);
}

void
batches_note(struct batch_counts *b, unsigned long long batch_id, int answered,
	     int awaited)
{
	size_t i;

	if (batch_id == 0) /* never marked: no batch */
		return;
	for (i = 0; i < b->n; i++)
		if (b->id[i] == batch_id)
			break;
	if (i == b->n) {
		if (b->n == b->cap) {
			b->cap = b->cap ? 2 * b->cap : 8;
			b->id = xrealloc(b->id, b->cap * sizeof(*b->id));
			b->answered = xrealloc(b->answered,
					       b->cap * sizeof(*b->answered));
			b->awaited = xrealloc(b->awaited,
					      b->cap * sizeof(*b->awaited));
		}
		b->id[i] = batch_id;
		b->answered[i] = b->awaited[i] = 0;
		b->n++;
	}
	b->answered[i] += answered;
	b->awaited[i] += awaited;
}

/* " CASE batch_id WHEN ? THEN ? ... END" for the batches' v. */
static void
case_by_batch(struct sbuf *sql, struct db_param *p, size_t *np,
	      const struct batch_counts *b, const int *v)
{
	size_t i;

	sbuf_adds(sql, " CASE batch_id");
	for (i = 0; i < b->n; i++) {
		sbuf_adds(sql, " WHEN ? THEN ?");
		p[(*np)++] = DB_ID(b->id[i]);
		p[(*np)++] = DB_INT(v[i]);
	}
	sbuf_adds(sql, " END");
}

int
batches_write(struct db *db, struct batch_counts *b, struct fg_err *err)
{
	struct db_param *p;
	struct sbuf sql;
	size_t np = 0, i;
	int rc;

	if (b->n == 0)
		return 0;
	p = xcalloc(5 * b->n, sizeof(*p));
	sbuf_init(&sql);
	sbuf_adds(&sql, "UPDATE message_batches SET unanswered = unanswered -");
	case_by_batch(&sql, p, &np, b, b->answered);
	sbuf_adds(&sql, ", awaited = awaited +");
	case_by_batch(&sql, p, &np, b, b->awaited);
	sbuf_adds(&sql, " WHERE batch_id IN (");
	db_placeholders(&sql, b->n);
	for (i = 0; i < b->n; i++)
		p[np++] = DB_ID(b->id[i]);
	sbuf_adds(&sql, ")");
	rc = db_exec(db, sql.s, p, np, NULL, err);
	sbuf_free(&sql);
	free(p);
	b->n = 0;
	return rc;
}

void
batches_counts_free(struct batch_counts *b)
{
	free(b->id);
	free(b->answered);
	free(b->awaited);
	memset(b, 0, sizeof(*b));
}

/* Batches in doubt read at once. */
#define DOUBT_PAGE 1000

struct doubt {
	unsigned long long *id;
	char **ids;
	size_t n, cap;
};

static int
doubt_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct doubt *d = arg;

	(void)err;
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->id = xrealloc(d->id, d->cap * sizeof(*d->id));
		d->ids = xrealloc(d->ids, d->cap * sizeof(*d->ids));
	}
	d->id[d->n] = strtoull(row->val[0], NULL, 10);
	d->ids[d->n++] = xstrdup(row->val[1] ? row->val[1] : "");
	return 0;
}

/* One batch's messages still `submitting`: back to `retry`, marked. */
static int
batch_back(struct db *db, unsigned long long batch_id, const char *ids,
	   const char *now, const char *marker, unsigned long long *n,
	   struct fg_err *err)
{
	struct db_param *p;
	size_t k = 1, i;
	const char *s;
	unsigned long long back = 0;
	int rc;

	for (s = ids; *s != '\0'; s++)
		k += *s == ',';
	p = xcalloc(3 + db_in_pad(k), sizeof(*p));
	p[0] = DB_STR(marker);
	p[1] = DB_STR(now);
	p[2] = DB_ID(batch_id);
	for (i = 0, s = ids; i < k; i++) {
		p[3 + i] = DB_ID(strtoull(s, NULL, 10));
		s = strchr(s, ',');
		s = s != NULL ? s + 1 : "";
	}
	rc = db_exec_in(db,
			"UPDATE messages SET state = 'retry', lease_owner = ?,"
			" lease_expires_at = NULL, next_attempt_at = ?,"
			" last_error = 'in doubt: sent, no answer and no"
			" receipt' WHERE state = 'submitting' AND batch_id = ?"
			" AND message_id IN (",
			p, 3, k, &back, err);
	free(p);
	if (rc != 0)
		return -1;
	*n += back;
	return db_exec(db,
		       "UPDATE message_batches SET unanswered = 0"
		       " WHERE batch_id = ?",
		       DB_ARGS(DB_ID(batch_id)), NULL, err);
}

int
batches_in_doubt(struct db *db, const char *now, long lease, const char *marker,
		 unsigned long long *n, struct fg_err *err)
{
	struct doubt d = {0};
	size_t i;
	int rc;

	*n = 0;
	/* A page at a time, until one comes back short: each batch put back
	 * has nothing unanswered, so the next page starts past it. */
	do {
		d.n = 0;
		rc = db_query(
			db, DB_BUFFERED,
			"SELECT batch_id, message_ids FROM message_batches"
			" WHERE unanswered > 0 AND lease_expires_at"
			"  < DATE_SUB(?, INTERVAL ? SECOND)"
			" ORDER BY batch_id LIMIT ?",
			DB_ARGS(DB_STR(now), DB_INT(lease), DB_INT(DOUBT_PAGE)),
			doubt_cb, &d, err);
		for (i = 0; rc == 0 && i < d.n; i++)
			rc = batch_back(db, d.id[i], d.ids[i], now, marker, n,
					err);
		for (i = 0; i < d.n; i++)
			free(d.ids[i]);
	} while (rc == 0 && d.n == DOUBT_PAGE);
	free(d.ids);
	free(d.id);
	return rc;
}

int
batches_awaiting(struct db *db, const char *const *providers, size_t np,
		 const char *since, unsigned long long *n, struct fg_err *err)
{
	struct db_param *p;
	struct sbuf sql;
	size_t i;
	int rc;

	*n = 0;
	if (np == 0)
		return 0;
	p = xcalloc(np + 1, sizeof(*p));
	p[0] = DB_STR(since);
	sbuf_init(&sql);
	sbuf_adds(&sql, "SELECT COALESCE(SUM(GREATEST(unanswered, 0)"
			" + GREATEST(awaited, 0)), 0) FROM message_batches"
			" WHERE submitted_at >= ? AND provider IN (");
	db_placeholders(&sql, np);
	for (i = 0; i < np; i++)
		p[1 + i] = DB_STR(providers[i]);
	sbuf_adds(&sql, ")");
	rc = db_query_ull(db, sql.s, p, np + 1, n, err);
	sbuf_free(&sql);
	free(p);
	return rc;
}

int
batches_prune(struct db *db, const char *now, struct fg_err *err)
{
	return db_exec(db,
		       "DELETE FROM message_batches WHERE unanswered <= 0"
		       " AND (awaited <= 0"
		       "  OR submitted_at < DATE_SUB(?, INTERVAL 1 DAY))",
		       DB_ARGS(DB_STR(now)), NULL, err);
}
