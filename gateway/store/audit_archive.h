/*
 * audit_archive.h: the audit trail shortened without losing its proof.
 *
 * `feegate audit checkpoint --before D` (an administrator's command, like
 * `db migrate`: feegate's own account has no DELETE on audit_log) writes
 * the rows before business date D, from the last checkpoint on, to a
 * gzip-compressed archive of JSON lines (a header naming the first and
 * last seq and the hash the chain starts from, then one row a line, every
 * column as stored), checking the chain as it goes; records the checkpoint
 * (last seq and hash, the file's SHA-256) in audit_checkpoints and as an
 * `audit_checkpoint` row of the chain; then deletes the archived rows, a
 * batch per transaction.
 *
 * `audit verify` starts from the latest checkpoint (checked against its
 * record in the chain) and walks to the head; `audit verify --archive
 * FILE` checks the file against its checkpoint (its SHA-256, the chain
 * from the previous checkpoint's hash to this one's) and then the table.
 * A row changed, removed or reordered in the archive or in the table, or
 * a checkpoint row altered, is found and named.
 */
#ifndef FEEGATE_AUDIT_ARCHIVE_H
#define FEEGATE_AUDIT_ARCHIVE_H

#include "store/audit.h"
#include "store/db.h"

struct audit_checkpoint {
	unsigned long long from_seq, seq, rows;
	char hash[AUDIT_HASH_LEN];
	char sha256[AUDIT_HASH_LEN];
	char archive[256];
};

/* Archive and cut the rows before business date before into archive (a
 * path; a new file). 0 with *cp filled; 1 when there is nothing to
 * archive (err says so); -1 with err. */
int audit_checkpoint(struct db *db, const char *before, const char *archive,
		     struct audit_checkpoint *cp, struct fg_err *err);

/* The whole proof from the latest checkpoint (or the first row) to the
 * head: 0 intact (err->msg: the head's hash), 1 broken (err says where),
 * -1 unreadable. *from_seq: the row the walk took the chain on after
 * (the head is then *from_seq + *rows); *rows: the rows walked in the
 * table. since_last: from the head the last intact check reached
 * (audit_checks), when its row still holds that hash, instead: the rows
 * before it are taken as that check found them. */
int audit_verify(struct db *db, int since_last, unsigned long long *from_seq,
		 unsigned long long *rows, struct fg_err *err);

/* The archive file against its checkpoint, then the table from it as
 * audit_verify(): 0, 1 or -1 likewise; *archived: the rows in the
 * file. */
int audit_verify_archive(struct db *db, const char *archive,
			 unsigned long long *archived,
			 unsigned long long *from_seq, unsigned long long *rows,
			 struct fg_err *err);

#endif
