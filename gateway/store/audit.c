/*
 * audit.c: see audit.h.
 */
#include "store/audit.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/dates.h"
#include "base/log.h"
#include "base/mask.h"

#define AUDIT_BATCH      1000 /* rows per bulk insert */
#define AUDIT_STAGE_PAGE 2000 /* staged rows read at a time */
static void
digest_field(EVP_MD_CTX *md, const char *v)
{
	char pre[24];
	size_t n, k;

	if (v == NULL) {
		EVP_DigestUpdate(md, "-\n", 2);
		return;
	}
	n = strlen(v);
	k = u64_to_dec(n, pre);
	pre[k++] = ':';
	EVP_DigestUpdate(md, pre, k);
	EVP_DigestUpdate(md, v, n);
	EVP_DigestUpdate(md, "\n", 1);
}

/* SHA-256 fetched once and one context per thread: OpenSSL 3 looks the
 * algorithm up under a lock on every EVP_sha256() initialisation, which
 * costs more than hashing an audit row. */
struct digest {
	EVP_MD *sha256;
	EVP_MD_CTX *ctx;
};

static pthread_key_t digest_key;
static pthread_once_t digest_once = PTHREAD_ONCE_INIT;

static void
digest_free(void *p)
{
	struct digest *dg = p;

	EVP_MD_CTX_free(dg->ctx);
	EVP_MD_free(dg->sha256);
	free(dg);
}

static void
digest_key_make(void)
{
	if (pthread_key_create(&digest_key, digest_free) != 0)
		fatalx("audit: pthread_key_create failed");
}

static EVP_MD_CTX *
digest_ctx(void)
{
	struct digest *dg;

	pthread_once(&digest_once, digest_key_make);
	dg = pthread_getspecific(digest_key);
	if (dg == NULL) {
		dg = xcalloc(1, sizeof(*dg));
		dg->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
		dg->ctx = EVP_MD_CTX_new();
		if (dg->sha256 == NULL || dg->ctx == NULL)
			fatalx("audit: SHA-256 is not available");
		pthread_setspecific(digest_key, dg);
	}
	if (EVP_DigestInit_ex2(dg->ctx, dg->sha256, NULL) != 1)
		fatalx("audit: EVP_DigestInit_ex2 failed");
	return dg->ctx;
}

void
audit_hash(const char *prev_hash, const struct audit_row *r,
	   char out[AUDIT_HASH_LEN])
{
	unsigned char md_value[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *md = digest_ctx();

	EVP_DigestUpdate(md, "feegate-audit-1\n", 16);
	digest_field(md, prev_hash);
	digest_field(md, r->seq);
	digest_field(md, r->business_date);
	digest_field(md, r->at);
	digest_field(md, r->actor);
	digest_field(md, r->event);
	digest_field(md, r->account_no);
	digest_field(md, r->case_id);
	digest_field(md, r->notice_id);
	digest_field(md, r->message_id);
	digest_field(md, r->task_id);
	digest_field(md, r->detail);
	EVP_DigestFinal_ex(md, md_value, &md_len);
	hex_encode(md_value, md_len < 32 ? md_len : 32, out);
}

struct audit_writer {
	struct db *db;
	char *actor;
	char date[DATE_LEN];
	int has_date;
	unsigned long long seq;
	char hash[AUDIT_HASH_LEN];
	struct db_bulk *bulk;
	unsigned long long rows;
};

struct head_ctx {
	struct audit_writer *w;
	int found;
};

static int
head_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct head_ctx *h = arg;

	(void)err;
	h->found = 1;
	h->w->seq = strtoull(row->val[0], NULL, 10);
	str_copy(h->w->hash, row->val[1], sizeof(h->w->hash));
	return 1;
}

struct audit_writer *
audit_open(struct db *db, const char *actor, const char *business_date,
	   struct fg_err *err)
{
	struct audit_writer *w = xcalloc(1, sizeof(*w));
	struct head_ctx h = {w, 0};

	w->db = db;
	w->actor = xstrdup(actor);
	if (business_date != NULL) {
		str_copy(w->date, business_date, sizeof(w->date));
		w->has_date = 1;
	}
	if (db_query(db, DB_STREAM,
		     "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
		     DB_NOARGS, head_cb, &h, err) != 0)
		goto fail;
	if (!h.found) {
		err_set(err, "audit: audit_head is empty (run `feegate db "
			     "migrate`)");
		goto fail;
	}
	w->bulk = db_bulk_new(db,
			      "INSERT INTO audit_log (seq, business_date, at, "
			      "actor, event, account_no, case_id, notice_id, "
			      "message_id, task_id, detail, hash) VALUES "
			      "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			      "isssssiiiiss", AUDIT_BATCH, err);
	if (w->bulk == NULL)
		goto fail;
	return w;
fail:
	free(w->actor);
	free(w);
	return NULL;
}

static const char *
id_text(unsigned long long id, char *buf)
{
	if (id == 0)
		return NULL;
	u64_to_dec(id, buf);
	return buf;
}

static void
bulk_text(struct db_bulk *b, unsigned int col, const char *s)
{
	if (s == NULL)
		db_bulk_null(b, col);
	else
		db_bulk_str(b, col, s);
}

static void
bulk_id(struct db_bulk *b, unsigned int col, unsigned long long id)
{
	if (id == 0)
		db_bulk_null(b, col);
	else
		db_bulk_int(b, col, (long long)id);
}

int
audit_append(struct audit_writer *w, const char *event, const char *account_no,
	     unsigned long long case_id, unsigned long long notice_id,
	     unsigned long long message_id, unsigned long long task_id,
	     const char *detail, struct fg_err *err)
{
	char seq[24], at[TIME_LEN], hash[AUDIT_HASH_LEN];
	char cid[24], nid[24], mid[24], tid[24];
	struct audit_row r;

	u64_to_dec(w->seq + 1, seq);
	time_now_utc(at);
	r.seq = seq;
	r.business_date = w->has_date ? w->date : NULL;
	r.at = at;
	r.actor = w->actor;
	r.event = event;
	r.account_no = account_no;
	r.case_id = id_text(case_id, cid);
	r.notice_id = id_text(notice_id, nid);
	r.message_id = id_text(message_id, mid);
	r.task_id = id_text(task_id, tid);
	r.detail = detail != NULL ? detail : "{}";
	audit_hash(w->hash, &r, hash);

	db_bulk_int(w->bulk, 0, (long long)(w->seq + 1));
	bulk_text(w->bulk, 1, r.business_date);
	db_bulk_str(w->bulk, 2, at);
	db_bulk_str(w->bulk, 3, w->actor);
	db_bulk_str(w->bulk, 4, event);
	bulk_text(w->bulk, 5, account_no);
	bulk_id(w->bulk, 6, case_id);
	bulk_id(w->bulk, 7, notice_id);
	bulk_id(w->bulk, 8, message_id);
	bulk_id(w->bulk, 9, task_id);
	db_bulk_str(w->bulk, 10, r.detail);
	db_bulk_str(w->bulk, 11, hash);
	w->seq++;
	memcpy(w->hash, hash, sizeof(hash));
	w->rows++;
	return db_bulk_row(w->bulk, err);
}

void
audit_abort(struct audit_writer *w)
{
	db_bulk_free(w->bulk);
	free(w->actor);
	free(w);
}

int
audit_close(struct audit_writer *w, unsigned long long *rows,
	    struct fg_err *err)
{
	int rc = -1;

	if (db_bulk_flush(w->bulk, err) != 0)
		goto out;
	if (w->rows > 0 &&
	    db_exec(w->db,
		    "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1",
		    DB_ARGS(DB_INT(w->seq), DB_STR(w->hash)), NULL, err) != 0)
		goto out;
	if (rows != NULL)
		*rows += w->rows;
	rc = 0;
out:
	audit_abort(w);
	return rc;
}

/*
 * The stage. Its columns after task_id are the detail keys a set-based step
 * may fill; NULL columns are left out of the detail.
 */
int
audit_stage_begin(struct db *db, struct fg_err *err)
{
	return db_exec(
		db,
		"CREATE TEMPORARY TABLE IF NOT EXISTS audit_stage ("
		" ord BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
		" event VARCHAR(32) NOT NULL,"
		" account_no VARCHAR(32) NULL,"
		" case_id BIGINT UNSIGNED NULL,"
		" notice_id BIGINT UNSIGNED NULL,"
		" message_id BIGINT UNSIGNED NULL,"
		" task_id BIGINT UNSIGNED NULL,"
		" seq INT NULL,"
		" reason VARCHAR(128) NULL,"
		" amount DECIMAL(16,2) NULL,"
		" channel VARCHAR(16) NULL,"
		" contact_id BIGINT NULL,"
		" address VARCHAR(320) NULL,"
		" grid_id VARCHAR(32) NULL,"
		" notices_failed INT NULL,"
		" notices_delivered INT NULL,"
		" delivered INT NULL,"
		" source VARCHAR(16) NULL,"
		" row_key VARCHAR(64) NULL,"
		" kind VARCHAR(32) NULL,"
		" outage_id VARCHAR(32) NULL,"
		" version INT NULL,"
		" status VARCHAR(16) NULL,"
		" area VARCHAR(128) NULL,"
		" starts_at VARCHAR(16) NULL,"
		" ends_at VARCHAR(16) NULL,"
		" late_notice INT NULL,"
		" `case_opened.amount` DECIMAL(16,2) NULL,"
		" `notice_failed.notice_id` BIGINT UNSIGNED NULL,"
		" `notice_failed.seq` INT NULL,"
		" `notice_failed.amount` DECIMAL(16,2) NULL,"
		" `notice_failed.delivered` INT NULL,"
		" `message_queued.channel` VARCHAR(16) NULL,"
		" `message_queued.contact_id` BIGINT NULL,"
		" `message_queued.address` VARCHAR(320) NULL)",
		DB_NOARGS, NULL, err);
}

#define STAGE_FIXED 7 /* ord, event, account_no, case/notice/message/task */

struct stage_ctx {
	struct audit_writer *w;
	unsigned long long last;
	size_t n;
};

static unsigned long long
id_of(const char *v)
{
	return v != NULL ? strtoull(v, NULL, 10) : 0;
}

/* The channel a staged address belongs to: the column "channel" beside
 * it, in the same object (for "x.address", "x.channel"). */
static const char *
stage_channel(const struct db_row *row, const char *address)
{
	size_t pre = strlen(address) - strlen("address");
	unsigned int i;

	for (i = STAGE_FIXED; i < row->ncols; i++)
		if (strncmp(row->name[i], address, pre) == 0 &&
		    strcmp(row->name[i] + pre, "channel") == 0)
			return row->val[i] != NULL ? row->val[i] : "";
	return "";
}

/* The detail object of one staged row, as compact JSON. A column named
 * "event.key" goes into a member object "event" (an event the row carries,
 * see audit.h); NULL columns are left out, and so is an object that would
 * be empty. */
static char *
stage_detail(const struct db_row *row)
{
	json_t *obj = json_object();
	unsigned int i;
	char *out, *clean;

	for (i = STAGE_FIXED; i < row->ncols; i++) {
		const char *v = row->val[i], *name = row->name[i];
		const char *dot = strchr(name, '.'), *key = name;
		json_t *j, *into = obj;

		if (v == NULL)
			continue;
		if (row->is_int[i]) {
			j = json_integer(strtoll(v, NULL, 10));
		} else if (strcmp(dot ? dot + 1 : name, "address") == 0) {
			char *m = mask_address(stage_channel(row, name), v);
			clean = utf8_clean(m, strlen(m), 1);
			j = json_string(clean);
			free(clean);
			free(m);
		} else {
			clean = utf8_clean(v, row->len[i], 1);
			j = json_string(clean);
			free(clean);
		}
		if (dot != NULL) {
			char member[64];

			snprintf(member, sizeof(member), "%.*s",
				 (int)(dot - name), name);
			into = json_object_get(obj, member);
			if (into == NULL) {
				into = json_object();
				json_object_set_new(obj, member, into);
			}
			key = dot + 1;
		}
		json_object_set_new(into, key, j);
	}
	out = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (out == NULL)
		fatalx("audit: json_dumps failed");
	return out;
}

static int
stage_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct stage_ctx *s = arg;
	char *detail;
	int rc;

	s->last = strtoull(row->val[0], NULL, 10);
	s->n++;
	detail = stage_detail(row);
	rc = audit_append(s->w, row->val[1], row->val[2], id_of(row->val[3]),
			  id_of(row->val[4]), id_of(row->val[5]),
			  id_of(row->val[6]), detail, err);
	free(detail);
	return rc;
}

int
audit_stage_flush(struct db *db, const char *actor, const char *business_date,
		  unsigned long long *rows, struct fg_err *err)
{
	struct stage_ctx s = {0};
	char any[8];
	int found;

	/* Nothing staged: no head lock (and no contention with anyone). */
	if (db_query_value(db, "SELECT 1 FROM audit_stage LIMIT 1", DB_NOARGS,
			   any, sizeof(any), &found, err) != 0)
		return -1;
	if (!found)
		return db_exec(db, "DROP TEMPORARY TABLE IF EXISTS audit_stage",
			       DB_NOARGS, NULL, err);
	s.w = audit_open(db, actor, business_date, err);
	if (s.w == NULL)
		return -1;
	do {
		s.n = 0;
		if (db_query(db, DB_BUFFERED,
			     "SELECT * FROM audit_stage WHERE ord > ? "
			     "ORDER BY ord LIMIT 2000",
			     DB_ARGS(DB_INT(s.last)), stage_cb, &s, err) != 0) {
			audit_abort(s.w);
			return -1;
		}
	} while (s.n == AUDIT_STAGE_PAGE);
	if (audit_close(s.w, rows, err) != 0)
		return -1;
	return db_exec(db, "DROP TEMPORARY TABLE IF EXISTS audit_stage",
		       DB_NOARGS, NULL, err);
}

int
audit_chain_next(struct audit_chain *c, const struct audit_row *r,
		 const char *stored_hash, struct fg_err *err)
{
	char hash[AUDIT_HASH_LEN];
	unsigned long long seq = strtoull(r->seq, NULL, 10);

	if (seq != c->seq + 1) {
		if (seq == c->seq + 2)
			err_set(err,
				"audit: chain broken at seq %llu: row %llu "
				"removed",
				c->seq + 1, c->seq + 1);
		else if (seq > c->seq)
			err_set(err,
				"audit: chain broken at seq %llu: rows "
				"%llu-%llu removed",
				c->seq + 1, c->seq + 1, seq - 1);
		else
			err_set(err,
				"audit: chain broken at seq %llu: row %llu "
				"out of order",
				c->seq + 1, seq);
		return 1;
	}
	audit_hash(c->hash, r, hash);
	if (stored_hash == NULL || strcmp(hash, stored_hash) != 0) {
		err_set(err,
			"audit: chain broken at seq %llu: row changed or "
			"inserted out of order (hash does not match)",
			seq);
		return 1;
	}
	c->seq = seq;
	memcpy(c->hash, hash, sizeof(hash));
	return 0;
}

struct verify_ctx {
	struct audit_chain c;
	int broken;
	struct fg_err *report;
};

static int
verify_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct verify_ctx *v = arg;
	struct audit_row r;

	(void)err;
	r.seq = row->val[0];
	r.business_date = row->val[1];
	r.at = row->val[2];
	r.actor = row->val[3];
	r.event = row->val[4];
	r.account_no = row->val[5];
	r.case_id = row->val[6];
	r.notice_id = row->val[7];
	r.message_id = row->val[8];
	r.task_id = row->val[9];
	r.detail = row->val[10];
	if (audit_chain_next(&v->c, &r, row->val[11], v->report) != 0) {
		v->broken = 1;
		return 1;
	}
	return 0;
}

/* 0 when no row is past head_seq but those appended since; 1 with err
 * naming the first row past the head that no append accounts for; -1
 * unread. The last row first, then the head again: an appender commits
 * both together, so a head read after the row is at it or beyond. */
static int
past_head(struct db *db, unsigned long long head_seq, struct fg_err *err)
{
	unsigned long long last = 0, now = 0;

	if (db_query_ull(db, "SELECT MAX(seq) FROM audit_log", DB_NOARGS, &last,
			 err) != 0)
		return -1;
	if (last <= head_seq)
		return 0;
	if (db_query_ull(db, "SELECT seq FROM audit_head WHERE id = 1",
			 DB_NOARGS, &now, err) != 0)
		return -1;
	if (now >= last)
		return 0;
	err_set(err,
		"audit: chain broken at seq %llu: rows %llu-%llu after the "
		"head (%llu)",
		now + 1, now + 1, last, now);
	return 1;
}

int
audit_verify_from(struct db *db, const struct audit_chain *from,
		  unsigned long long *rows, struct fg_err *err)
{
	struct verify_ctx v = {.c = *from, .report = err};
	char head[96], *sp;
	unsigned long long head_seq;
	int found;

	/* The head first, then the rows up to it: an appender commits its
	 * rows and the head together, so every row up to the head read is
	 * there, and rows appended while the walk goes on (a night, the
	 * API's notices) are the next check's. Read the other way round,
	 * the head could be past the rows the walk had seen: a chain
	 * reported cut at its end while it was only growing. */
	*rows = 0;
	if (db_query_value(db,
			   "SELECT CONCAT(seq, ' ', hash) FROM audit_head "
			   "WHERE id = 1",
			   DB_NOARGS, head, sizeof(head), &found, err) != 0)
		return -1;
	sp = strchr(head, ' ');
	if (!found || sp == NULL) {
		err_set(err, "audit: chain head is missing");
		return 1;
	}
	*sp++ = '\0';
	head_seq = strtoull(head, NULL, 10);
	if (db_query(db, DB_STREAM,
		     "SELECT " AUDIT_ROW_COLUMNS " FROM audit_log"
		     " WHERE seq > ? AND seq <= ? ORDER BY seq",
		     DB_ARGS(DB_ID(from->seq), DB_ID(head_seq)), verify_cb, &v,
		     err) != 0)
		return -1;
	*rows = v.c.seq - from->seq;
	if (v.broken)
		return 1;
	if (head_seq > v.c.seq) {
		err_set(err,
			"audit: chain broken at seq %llu: rows %llu-%llu "
			"removed from the end (head is %llu)",
			v.c.seq + 1, v.c.seq + 1, head_seq, head_seq);
		return 1;
	}
	if (strcmp(sp, v.c.hash) != 0) {
		err_set(err,
			"audit: chain broken at seq %llu: the head's hash does "
			"not match the chain",
			head_seq);
		return 1;
	}
	/* A row past the head is an append committed since (the head read
	 * again is at it or beyond) or a row put after the chain's end. */
	if ((found = past_head(db, head_seq, err)) != 0)
		return found;
	str_copy(err->msg, v.c.hash, sizeof(err->msg));
	return 0;
}

struct batch_row {
	char *event, *account_no, *detail;
	unsigned long long case_id, notice_id, message_id, task_id;
};

struct audit_batch {
	struct batch_row *r;
	size_t n, cap;
};

struct audit_batch *
audit_batch_new(void)
{
	return xcalloc(1, sizeof(struct audit_batch));
}

void
audit_batch_add(struct audit_batch *b, const char *event,
		const char *account_no, unsigned long long case_id,
		unsigned long long notice_id, unsigned long long message_id,
		unsigned long long task_id, const char *detail)
{
	struct batch_row *r;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->r = xrealloc(b->r, b->cap * sizeof(*b->r));
	}
	r = &b->r[b->n++];
	r->event = xstrdup(event);
	r->account_no = account_no ? xstrdup(account_no) : NULL;
	r->detail = detail ? xstrdup(detail) : NULL;
	r->case_id = case_id;
	r->notice_id = notice_id;
	r->message_id = message_id;
	r->task_id = task_id;
}

int
audit_batch_write(struct db *db, struct audit_batch *b, const char *actor,
		  const char *business_date, struct fg_err *err)
{
	struct audit_writer *w;
	size_t i;

	if (b->n == 0)
		return 0;
	w = audit_open(db, actor, business_date, err);
	if (w == NULL)
		return -1;
	for (i = 0; i < b->n; i++) {
		struct batch_row *r = &b->r[i];

		if (audit_append(w, r->event, r->account_no, r->case_id,
				 r->notice_id, r->message_id, r->task_id,
				 r->detail, err) != 0) {
			audit_abort(w);
			return -1;
		}
	}
	return audit_close(w, NULL, err);
}

void
audit_batch_free(struct audit_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++) {
		free(b->r[i].event);
		free(b->r[i].account_no);
		free(b->r[i].detail);
	}
	free(b->r);
	free(b);
}
