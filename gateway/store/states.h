/*
 * states.h: what the stored states of messages and notices mean to those
 * who read them (the timeline, the API, `feegate log`, the escalation's
 * count of notices reached), below the outbox that writes them.
 */
#ifndef FEEGATE_STATES_H
#define FEEGATE_STATES_H

/* A message that reached the customer, as far as anyone will ever say:
 * delivered, or taken by a provider of a channel that sends no receipts
 * (e-mail without a bounce, app push). M is the messages alias;
 * outbox_reached() is the same rule in C for one message. */
#define OUTBOX_REACHED(M)                                                      \
	"(" M ".state = 'delivered' OR (" M ".state = 'accepted' AND " M       \
	".channel IN ({K unreported})))"
int outbox_reached(const char *state, const char *channel);

/* A notice's state as the timeline, the API and `feegate log` show it. The
 * row keeps `planned` while its messages go out and changes only when the
 * notice itself is decided (failed, settled, cancelled); `sent` (a provider
 * took one of its messages) and `delivered` (a receipt said one arrived)
 * are read from its messages, not written: two row writes a message fewer
 * on the night's busiest path. Rows written before that still say `sent`
 * or `delivered` and read the same. The notices are `n` where it is used. */
#define NOTICE_STATE                                                           \
	"IF(n.state IN ('planned', 'sending', 'sent', 'delivered'),"           \
	" COALESCE((SELECT CASE WHEN MAX(x.state = 'delivered') THEN"          \
	" 'delivered' WHEN MAX(x.state = 'accepted') THEN 'sent' END"          \
	" FROM messages x WHERE x.notice_id = n.notice_id), n.state),"         \
	" n.state)"

#endif
