/*
 * billing_check.h: the billing contract read from the database, as the
 * feegate account sees it (information_schema), and the start-up check
 * that every command reading billing makes before it does anything.
 */
#ifndef FEEGATE_BILLING_CHECK_H
#define FEEGATE_BILLING_CHECK_H

#include <stdio.h>

#include "store/billing.h"
#include "store/db.h"

/* Fill c (billing_contract_init'ed here) from information_schema. */
int billing_read(struct db *db, struct billing_contract *c, struct fg_err *err);

/*
 * Read the contract and make it the one statements use. Returns 0; -1
 * when the database cannot be read; 2 when feegate cannot use the
 * contract, or [database] billing_replica names no replication connection
 * it can read: every problem is logged, one line each naming the column,
 * and err says how many and the first. Once it has succeeded, later
 * calls return 0 at once.
 */
int billing_open(struct db *db, struct fg_err *err);

/*
 * How fresh billing is where the gateway's server is a replica of the
 * billing server ([database] billing_replica names the replication
 * connection): from SHOW ALL SLAVES STATUS, Seconds_Behind_Master while
 * both threads run; unknown (-1, why says why) when either is stopped.
 */
struct billing_lag {
	int replicated;    /* billing_replica is set */
	long long seconds; /* behind the billing server; -1 unknown */
	char why[192];     /* when unknown or too far behind */
};
/* 0 (not replicated: replicated 0, seconds 0); -1 with err when the
 * status cannot be read or the connection is not there. */
int billing_lag_read(struct db *db, struct billing_lag *l, struct fg_err *err);
/* billing_lag_read, and 0 when billing may be planned and dunned on (not
 * a replica, or at most [database] max_billing_lag behind); 1 with err
 * saying how stale when it may not; -1 as billing_lag_read. */
int billing_fresh(struct db *db, struct billing_lag *l, struct fg_err *err);

#endif
