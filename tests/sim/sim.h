/*
 * sim.h: what the simulator's API files share (sim.c: the generic and
 * Twilio-compatible APIs, faults, receipts, the record; fcm.c: FCM).
 */
#ifndef FEEGATE_SIM_H
#define FEEGATE_SIM_H

#include <microhttpd.h>
#include <pthread.h>

struct faults {
	int latency_ms, receipt_delay_ms, retry_after, no_receipts;
	int quote; /* errors, failed receipts and SMS ids quote the number, in
		    * turn in each form a provider may write it (quoted_number) */
	int receipt_retry_s;
	double fail_5xx, fail_429, timeout, reset, lost_answer;
	char invalid_prefix[32], undeliverable_prefix[32], tempfail_prefix[32];
	char busy_prefix[32], no_answer_prefix[32];
	char token[256];
	/* FCM */
	char unregistered_prefix[32], invalid_token_prefix[32];
	int token_fail; /* the token endpoint answers invalid_grant */
	int token_life; /* expires_in, seconds (default 3599) */
	int token_gen;  /* bumped by "revoke_tokens": older ones are 401 */
};

extern pthread_mutex_t mu;
extern struct faults F;
extern unsigned long long rejected;

double chance(void);
/* Numbers (or tokens) starting with prefix; an empty prefix matches none. */
int prefixed(const char *to, const char *prefix);
enum MHD_Result answer(struct MHD_Connection *c, unsigned int status,
		       const char *body, int retry_after);
/* Count and record one accepted message; returns its sequence number. */
unsigned long long record_message(unsigned long long mid, const char *to,
				  int parts, const char *text);
/* One form field, unescaped, into out (empty if absent). */
void form_get(const char *body, const char *key, char *out, size_t len);

/* fcm.c: POST /token (the OAuth2 JWT-bearer exchange, the JWT checked
 * against the public key given with -k) and POST
 * /v1/projects/{project}/messages:send. */
int fcm_load_key(const char *path);
enum MHD_Result fcm_token(struct MHD_Connection *c, const char *body);
enum MHD_Result fcm_send(struct MHD_Connection *c, const char *url,
			 const char *body);
unsigned long long fcm_tokens_issued(void);

#endif
