/*
 * audit_archive.c: see audit_archive.h.
 */
#include "store/audit_archive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "base/dates.h"
#include "base/util.h"

#define ARCHIVE_FORMAT "feegate-audit-archive/1"
#define DELETE_BATCH   "5000" /* rows a transaction */

/* An archived row's keys, in audit_row's order, the hash last. */
static const char *const keys[] = {
	"seq",        "business_date", "at",      "actor",
	"event",      "account_no",    "case_id", "notice_id",
	"message_id", "task_id",       "detail",  "hash",
};
#define NKEYS 12

static void
row_fields(struct audit_row *r, const char *const v[NKEYS])
{
	r->seq = v[0];
	r->business_date = v[1];
	r->at = v[2];
	r->actor = v[3];
	r->event = v[4];
	r->account_no = v[5];
	r->case_id = v[6];
	r->notice_id = v[7];
	r->message_id = v[8];
	r->task_id = v[9];
	r->detail = v[10];
}

static int
file_sha256(const char *path, char out[AUDIT_HASH_LEN], struct fg_err *err)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		err_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		EVP_DigestUpdate(ctx, buf, n);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	fclose(f);
	hex_encode(md, mdlen, out);
	return 0;
}

static int
cp_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct audit_checkpoint *c = arg;

	(void)err;
	c->seq = strtoull(row->val[0], NULL, 10);
	c->from_seq = strtoull(row->val[1], NULL, 10);
	str_copy(c->hash, row->val[2], sizeof(c->hash));
	str_copy(c->archive, row->val[3], sizeof(c->archive));
	str_copy(c->sha256, row->val[4], sizeof(c->sha256));
	c->rows = c->seq - c->from_seq + 1;
	return 0;
}

#define CP_COLUMNS "seq, from_seq, hash, archive, archive_sha256"

/* The checkpoint chosen by where (with its one parameter): 1 found, 0
 * none, -1 error. */
static int
checkpoint_where(struct db *db, const char *where, unsigned long long seq,
		 struct audit_checkpoint *c, struct fg_err *err)
{
	char sql[256];

	memset(c, 0, sizeof(*c));
	snprintf(sql, sizeof(sql),
		 "SELECT " CP_COLUMNS " FROM audit_checkpoints %s LIMIT 1",
		 where);
	if (db_query(db, DB_BUFFERED, sql, DB_ARGS(DB_ID(seq)), cp_cb, c,
		     err) != 0)
		return -1;
	return c->seq != 0;
}

#define LATEST "WHERE seq >= ? ORDER BY seq DESC"
#define AT_SEQ "WHERE seq = ?"
#define BEFORE "WHERE seq < ? ORDER BY seq DESC"

/* Delete archived rows up to seq, a batch per transaction. */
static int
delete_upto(struct db *db, unsigned long long seq, struct fg_err *err)
{
	unsigned long long gone;

	do {
		if (db_begin(db, err) != 0 ||
		    db_exec(db,
			    "DELETE FROM audit_log WHERE seq <= ?"
			    " ORDER BY seq LIMIT " DELETE_BATCH,
			    DB_ARGS(DB_ID(seq)), &gone, err) != 0 ||
		    db_commit(db, err) != 0) {
			db_rollback(db);
			return -1;
		}
	} while (gone > 0);
	return 0;
}

struct write_ctx {
	gzFile gz;
	struct audit_chain c;
	int broken, failed;
	struct fg_err *report;
};

static int
write_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct write_ctx *w = arg;
	struct audit_row r;
	json_t *o = json_object();
	char *line;
	size_t i;

	(void)err;
	row_fields(&r, (const char *const *)row->val);
	if (audit_chain_next(&w->c, &r, row->val[11], w->report) != 0) {
		w->broken = 1;
		json_decref(o);
		return 1;
	}
	for (i = 0; i < NKEYS; i++)
		json_object_set_new(o, keys[i],
				    row->val[i] != NULL
					    ? json_string(row->val[i])
					    : json_null());
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (line == NULL || gzputs(w->gz, line) < 0 || gzputc(w->gz, '\n') < 0)
		w->failed = 1;
	free(line);
	return w->failed;
}

/* The checkpoint's record in the chain, and the checkpoint row: one
 * transaction, the head locked by the append. */
static int
record(struct db *db, const struct audit_checkpoint *cp, struct fg_err *err)
{
	struct audit_batch *b = audit_batch_new();
	const char *name = strrchr(cp->archive, '/');
	char now[TIME_LEN];
	json_t *d;
	char *detail;
	int rc;

	name = name != NULL ? name + 1 : cp->archive;
	d = json_pack("{s:I, s:I, s:s, s:s, s:s, s:I}", "seq",
		      (json_int_t)cp->seq, "from_seq", (json_int_t)cp->from_seq,
		      "hash", cp->hash, "archive", name, "archive_sha256",
		      cp->sha256, "rows", (json_int_t)cp->rows);
	detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(d);
	audit_batch_add(b, "audit_checkpoint", NULL, 0, 0, 0, 0, detail);
	free(detail);
	time_now_utc(now);
	rc = db_begin(db, err) != 0 ||
			     audit_batch_write(db, b, "audit", NULL, err) !=
				     0 ||
			     db_exec(db,
				     "INSERT INTO audit_checkpoints (seq,"
				     " from_seq, hash, archive, archive_sha256,"
				     " created_at) VALUES (?, ?, ?, ?, ?, ?)",
				     DB_ARGS(DB_ID(cp->seq),
					     DB_ID(cp->from_seq),
					     DB_STR(cp->hash), DB_STR(name),
					     DB_STR(cp->sha256), DB_STR(now)),
				     NULL, err) != 0 ||
			     db_commit(db, err) != 0
		     ? -1
		     : 0;
	if (rc != 0)
		db_rollback(db);
	audit_batch_free(b);
	return rc;
}

/* The last row to archive: the one before the first row after seq of
 * business day before or later (the last row when there is none). */
static int
cut_before(struct db *db, unsigned long long seq, const char *before,
	   unsigned long long *cut, struct fg_err *err)
{
	char v[32];
	int any;

	if (db_query_value(db,
			   "SELECT COALESCE((SELECT MIN(seq) - 1 FROM audit_log"
			   "  WHERE seq > ? AND business_date >= ?),"
			   " (SELECT MAX(seq) FROM audit_log), 0)",
			   DB_ARGS(DB_ID(seq), DB_STR(before)), v, sizeof(v),
			   &any, err) != 0)
		return -1;
	*cut = strtoull(v, NULL, 10);
	return 0;
}

/* The rows from cp->from_seq to cp->seq into cp->archive, through a .part
 * file renamed when whole and the chain checked; w carries the chain
 * from the last checkpoint. */
static int
archive_write(struct db *db, struct write_ctx *w, struct audit_checkpoint *cp,
	      struct fg_err *err)
{
	char part[300], header[512];

	snprintf(part, sizeof(part), "%s.part", cp->archive);
	if ((w->gz = gzopen(part, "wb")) == NULL) {
		err_set(err, "audit checkpoint: %s: %s", part, strerror(errno));
		return -1;
	}
	snprintf(header, sizeof(header),
		 "{\"format\":\"" ARCHIVE_FORMAT "\",\"from_seq\":%llu,"
		 "\"to_seq\":%llu,\"prev_hash\":\"%s\"}\n",
		 cp->from_seq, cp->seq, w->c.hash);
	gzputs(w->gz, header);
	if (db_query(db, DB_STREAM,
		     "SELECT " AUDIT_ROW_COLUMNS " FROM audit_log"
		     " WHERE seq > ? AND seq <= ? ORDER BY seq",
		     DB_ARGS(DB_ID(w->c.seq), DB_ID(cp->seq)), write_cb, w,
		     err) != 0 &&
	    !w->broken && !w->failed) {
		gzclose(w->gz);
		unlink(part);
		return -1;
	}
	if (gzclose(w->gz) != Z_OK || w->failed) {
		unlink(part);
		err_set(err, "audit checkpoint: %s: cannot write", part);
		return -1;
	}
	if (w->broken || w->c.seq != cp->seq) {
		unlink(part);
		if (!w->broken)
			err_set(err,
				"audit: chain broken at seq %llu: rows "
				"removed before the cut",
				w->c.seq + 1);
		err_prefix(err, "audit checkpoint: nothing archived");
		return -1;
	}
	if (rename(part, cp->archive) != 0) {
		err_set(err, "audit checkpoint: %s: %s", cp->archive,
			strerror(errno));
		unlink(part);
		return -1;
	}
	return 0;
}

int
audit_checkpoint(struct db *db, const char *before, const char *archive,
		 struct audit_checkpoint *cp, struct fg_err *err)
{
	struct write_ctx w = {.report = err};
	struct audit_checkpoint last;
	unsigned long long cut = 0;
	int found;

	memset(cp, 0, sizeof(*cp));
	/* Only an administrator may delete audit rows: asked first. */
	if (db_exec(db, "DELETE FROM audit_log WHERE seq = 0", DB_NOARGS, NULL,
		    err) != 0) {
		err_prefix(err, "audit checkpoint: this account may not delete "
				"audit rows (run it as an administrator, like "
				"`db migrate`)");
		return -1;
	}
	if ((found = checkpoint_where(db, LATEST, 0, &last, err)) < 0)
		return -1;
	w.c.seq = found ? last.seq : 0;
	str_copy(w.c.hash, found ? last.hash : AUDIT_ZERO_HASH,
		 sizeof(w.c.hash));
	/* A checkpoint whose deletion was cut short: finished first. */
	if (found && delete_upto(db, last.seq, err) != 0)
		return -1;
	if (cut_before(db, w.c.seq, before, &cut, err) != 0)
		return -1;
	if (cut <= w.c.seq) {
		err_set(err,
			"audit checkpoint: no rows before %s since seq %llu",
			before, w.c.seq);
		return 1;
	}
	if (access(archive, F_OK) == 0) {
		err_set(err, "audit checkpoint: %s exists (never overwritten)",
			archive);
		return -1;
	}
	cp->from_seq = w.c.seq + 1;
	cp->seq = cut;
	cp->rows = cut - w.c.seq;
	str_copy(cp->archive, archive, sizeof(cp->archive));
	if (archive_write(db, &w, cp, err) != 0)
		return -1;
	str_copy(cp->hash, w.c.hash, sizeof(cp->hash));
	if (file_sha256(archive, cp->sha256, err) != 0 ||
	    record(db, cp, err) != 0 || delete_upto(db, cut, err) != 0)
		return -1;
	return 0;
}

/* The latest checkpoint against its record in the chain. */
static int
checkpoint_recorded(struct db *db, const struct audit_checkpoint *c,
		    struct fg_err *err)
{
	char detail[1024];
	json_t *d;
	int found, same;

	if (db_query_value(db,
			   "SELECT detail FROM audit_log"
			   " WHERE event = 'audit_checkpoint' AND seq > ?"
			   "  AND JSON_VALUE(detail, '$.seq') = ?"
			   " ORDER BY seq LIMIT 1",
			   DB_ARGS(DB_ID(c->seq), DB_ID(c->seq)), detail,
			   sizeof(detail), &found, err) != 0)
		return -1;
	if (!found) {
		err_set(err,
			"audit: checkpoint at seq %llu has no record in the "
			"chain",
			c->seq);
		return 1;
	}
	d = json_loads(detail, 0, NULL);
	same = d != NULL &&
	       (unsigned long long)json_integer_value(
		       json_object_get(d, "from_seq")) == c->from_seq &&
	       json_string_value(json_object_get(d, "hash")) != NULL &&
	       strcmp(json_string_value(json_object_get(d, "hash")), c->hash) ==
		       0 &&
	       json_string_value(json_object_get(d, "archive_sha256")) !=
		       NULL &&
	       strcmp(json_string_value(json_object_get(d, "archive_sha256")),
		      c->sha256) == 0;
	json_decref(d);
	if (!same) {
		err_set(err,
			"audit: checkpoint at seq %llu differs from its "
			"record in the chain (altered)",
			c->seq);
		return 1;
	}
	return 0;
}

struct checked {
	unsigned long long seq;
	char hash[AUDIT_HASH_LEN];
	char at[32];
};

static int
checked_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct checked *c = arg;

	(void)err;
	c->seq = strtoull(row->val[0], NULL, 10);
	str_copy(c->hash, row->val[1] ? row->val[1] : "", sizeof(c->hash));
	str_copy(c->at, row->val[2] ? row->val[2] : "", sizeof(c->at));
	return 0;
}

/* Where the last intact check left the chain, past from: *from moved
 * there when its row still holds the hash that check reached (0), kept
 * when no check got past it (0), or 1 with err naming the row when it
 * was changed or removed since. */
static int
since_last_check(struct db *db, struct audit_chain *from, struct fg_err *err)
{
	struct checked c = {0};
	char stored[AUDIT_HASH_LEN] = "";
	int found;

	if (db_query(db, DB_BUFFERED,
		     "SELECT head_seq, head_hash,"
		     " DATE_FORMAT(checked_at, '%Y-%m-%d %H:%i')"
		     " FROM audit_checks WHERE intact = 1 AND head_seq > ?"
		     " ORDER BY check_id DESC LIMIT 1",
		     DB_ARGS(DB_ID(from->seq)), checked_cb, &c, err) != 0)
		return -1;
	if (c.seq == 0)
		return 0;
	if (db_query_value(db, "SELECT hash FROM audit_log WHERE seq = ?",
			   DB_ARGS(DB_ID(c.seq)), stored, sizeof(stored),
			   &found, err) != 0)
		return -1;
	if (!found || strcmp(stored, c.hash) != 0) {
		err_set(err,
			"audit: chain broken at seq %llu: the row verified "
			"as the head at %s UTC is %s since",
			c.seq, c.at, found ? "changed" : "gone");
		return 1;
	}
	from->seq = c.seq;
	str_copy(from->hash, c.hash, sizeof(from->hash));
	return 0;
}

int
audit_verify(struct db *db, int since_last, unsigned long long *from_seq,
	     unsigned long long *rows, struct fg_err *err)
{
	struct audit_chain from = {0, AUDIT_ZERO_HASH};
	struct audit_checkpoint c;
	int found, rc;

	*rows = 0;
	*from_seq = 0;
	if ((found = checkpoint_where(db, LATEST, 0, &c, err)) < 0)
		return -1;
	if (found) {
		if ((rc = checkpoint_recorded(db, &c, err)) != 0)
			return rc;
		from.seq = c.seq;
		str_copy(from.hash, c.hash, sizeof(from.hash));
	}
	if (since_last && (rc = since_last_check(db, &from, err)) != 0)
		return rc;
	*from_seq = from.seq;
	return audit_verify_from(db, &from, rows, err);
}

/* One line of the archive into line (without its newline): 1, or 0 at
 * the end. */
static int
read_line(gzFile gz, struct sbuf *line)
{
	char buf[65536];

	line->len = 0;
	if (line->s != NULL)
		line->s[0] = '\0';
	while (gzgets(gz, buf, sizeof(buf)) != NULL) {
		size_t n = strlen(buf);

		if (n > 0 && buf[n - 1] == '\n') {
			sbuf_add(line, buf, n - 1);
			return 1;
		}
		sbuf_add(line, buf, n);
	}
	return line->len > 0;
}

/* Walk the archive's rows from its header on: 0 and *c at its last row,
 * 1 broken (err), -1 unreadable. */
static int
walk_archive(gzFile gz, struct audit_chain *c, struct audit_chain *first,
	     unsigned long long *archived, unsigned long long *to_seq,
	     struct fg_err *err)
{
	struct sbuf line;
	json_t *h, *o;
	int rc = 0;

	sbuf_init(&line);
	if (!read_line(gz, &line) ||
	    (h = json_loads(line.s, 0, NULL)) == NULL ||
	    json_string_value(json_object_get(h, "format")) == NULL ||
	    strcmp(json_string_value(json_object_get(h, "format")),
		   ARCHIVE_FORMAT) != 0) {
		sbuf_free(&line);
		err_set(err, "audit: not a feegate audit archive");
		return -1;
	}
	c->seq = (unsigned long long)json_integer_value(
			 json_object_get(h, "from_seq")) -
		 1;
	*to_seq = (unsigned long long)json_integer_value(
		json_object_get(h, "to_seq"));
	str_copy(c->hash,
		 json_string_value(json_object_get(h, "prev_hash"))
			 ? json_string_value(json_object_get(h, "prev_hash"))
			 : "",
		 sizeof(c->hash));
	json_decref(h);
	*first = *c;
	while (rc == 0 && read_line(gz, &line)) {
		const char *v[NKEYS];
		struct audit_row r;
		size_t i;

		if ((o = json_loads(line.s, 0, NULL)) == NULL) {
			err_set(err,
				"audit: archive broken after seq %llu: a line "
				"that is not JSON",
				c->seq);
			rc = 1;
			break;
		}
		for (i = 0; i < NKEYS; i++)
			v[i] = json_string_value(json_object_get(o, keys[i]));
		if (v[0] == NULL) {
			err_set(err,
				"audit: archive broken after seq %llu: a "
				"row without seq",
				c->seq);
			rc = 1;
		} else {
			row_fields(&r, v);
			rc = audit_chain_next(c, &r, v[11], err);
			(*archived)++;
		}
		json_decref(o);
	}
	sbuf_free(&line);
	return rc;
}

int
audit_verify_archive(struct db *db, const char *archive,
		     unsigned long long *archived, unsigned long long *from_seq,
		     unsigned long long *rows, struct fg_err *err)
{
	struct audit_checkpoint cp, prev;
	struct audit_chain c, first;
	unsigned long long to_seq = 0;
	char sha[AUDIT_HASH_LEN], start[AUDIT_HASH_LEN];
	gzFile gz;
	int rc, found;

	*archived = *rows = *from_seq = 0;
	if ((gz = gzopen(archive, "rb")) == NULL) {
		err_set(err, "%s: %s", archive, strerror(errno));
		return -1;
	}
	rc = walk_archive(gz, &c, &first, archived, &to_seq, err);
	gzclose(gz);
	if (rc != 0)
		return rc;
	if ((found = checkpoint_where(db, AT_SEQ, to_seq, &cp, err)) < 0)
		return -1;
	if (!found) {
		err_set(err, "audit: no checkpoint at seq %llu, where %s ends",
			to_seq, archive);
		return 1;
	}
	if ((found = checkpoint_where(db, BEFORE, cp.seq, &prev, err)) < 0)
		return -1;
	str_copy(start, found ? prev.hash : AUDIT_ZERO_HASH, sizeof(start));
	if (c.seq != cp.seq || strcmp(c.hash, cp.hash) != 0 ||
	    *archived != cp.rows) {
		err_set(err,
			"audit: archive broken: it ends at seq %llu, hash "
			"%.12s..., the checkpoint at seq %llu, %.12s...",
			c.seq, c.hash, cp.seq, cp.hash);
		return 1;
	}
	if (cp.from_seq != (found ? prev.seq + 1 : 1) ||
	    first.seq + 1 != cp.from_seq || strcmp(first.hash, start) != 0) {
		err_set(err,
			"audit: archive broken: it does not start where the "
			"checkpoint before it (seq %llu) ends",
			found ? prev.seq : 0);
		return 1;
	}
	if (file_sha256(archive, sha, err) != 0)
		return -1;
	if (strcmp(sha, cp.sha256) != 0) {
		err_set(err,
			"audit: archive %s changed: its SHA-256 is not the "
			"checkpoint's",
			archive);
		return 1;
	}
	return audit_verify(db, 0, from_seq, rows, err);
}
