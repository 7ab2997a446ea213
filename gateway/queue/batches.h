/*
 * batches.h: the batches in flight (message_batches, migration 026). A
 * claimed batch's row is written with its marking, in the claim's
 * transaction: its messages' ids, how many are not yet answered and how
 * many receipts it still awaits. They take the place of an index entry by
 * state that each update of a message moved: lease recovery finds the
 * messages in doubt from the batches with unanswered messages past their
 * lease, and `run` sums the receipts the batches since it started await.
 * The counts only choose what is looked at; a message's state decides.
 */
#ifndef FEEGATE_BATCHES_H
#define FEEGATE_BATCHES_H

#include "store/db.h"

/* The row of a batch of k messages marked submitting on channel by
 * provider at now, leased for lease seconds; its id in *id. */
int batches_open(struct db *db, const char *channel, const char *provider,
		 const char *now, long lease,
		 const unsigned long long *message_ids, size_t k,
		 unsigned long long *id, struct fg_err *err);

/* Changes to batches' counts, gathered (batches_note) and written in one
 * statement (batches_write): answered (the recorder: each attempt's
 * outcome) and awaited (+1 for a message the provider took, -1 for a
 * final receipt of one submitting or accepted). */
struct batch_counts {
	unsigned long long *id;
	int *answered, *awaited;
	size_t n, cap;
};
void batches_note(struct batch_counts *b, unsigned long long batch_id,
		  int answered, int awaited);
int batches_write(struct db *db, struct batch_counts *b, struct fg_err *err);
void batches_counts_free(struct batch_counts *b);

/* The messages of the batches whose lease ran out more than lease
 * seconds before now with messages unanswered, still `submitting`: put
 * back as `retry` (marked with marker for the caller's audit, last_error
 * saying why), their batches' unanswered counts closed; every such batch,
 * read a page at a time. The number put back in *n. In the caller's
 * transaction. */
int batches_in_doubt(struct db *db, const char *now, long lease,
		     const char *marker, unsigned long long *n,
		     struct fg_err *err);

/* Messages still awaited (unanswered, or accepted with no final receipt)
 * in the batches of the np providers submitted since. */
int batches_awaiting(struct db *db, const char *const *providers, size_t np,
		     const char *since, unsigned long long *n,
		     struct fg_err *err);

/* Drop the rows of batches settled (nothing unanswered or awaited) and of
 * those answered more than a day ago (a receipt that never came). A batch
 * with a message unanswered stays whatever its age: its row is how lease
 * recovery finds the message. */
int batches_prune(struct db *db, const char *now, struct fg_err *err);

#endif
