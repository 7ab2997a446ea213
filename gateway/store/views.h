/*
 * views.h: the views the gateway schema offers billing and the call
 * centre, made again by every `feegate db migrate` from this binary's
 * channel kinds (kinds.h), so a new kind is masked by its address's form
 * there as everywhere else without a migration of its own.
 */
#ifndef FEEGATE_VIEWS_H
#define FEEGATE_VIEWS_H

#include "store/db.h"

/* An address as mask_address() (mask.h) shows it, by its channel's form;
 * M is the alias of the row with `channel` and `address` ("m." or "").
 * Masking it again changes nothing. */
#define MASKED_ADDRESS(M)                                                      \
	"CASE"                                                                 \
	" WHEN " M "channel IN ({K email}) AND LOCATE('@', " M "address) > 1"  \
	" THEN CONCAT(LEFT(" M "address, 1), '***',"                           \
	"  SUBSTRING(" M "address, LOCATE('@', " M "address)))"                \
	" WHEN " M "channel IN ({K phone}) AND CHAR_LENGTH(" M "address) >= 9" \
	" THEN CONCAT(LEFT(" M "address, LEAST(6, CHAR_LENGTH(" M "address)"   \
	"  - 8)), '****', RIGHT(" M "address, 4))"                             \
	" WHEN " M "channel IN ({K token}) AND CHAR_LENGTH(" M "address) > 8"  \
	" THEN CONCAT(LEFT(" M "address, 6), '***')"                           \
	" ELSE REPEAT('*', LEAST(CHAR_LENGTH(" M "address), 8)) END"

/* Create or replace every view (notice_log: one row a message, address
 * masked). The connection uses the gateway schema. */
int views_create(struct db *db, struct fg_err *err);

#endif
