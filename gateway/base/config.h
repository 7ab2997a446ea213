/*
 * config.h: the INI configuration file (docs/configuration.md; every key
 * in etc/feegate.ini.example).
 * config_load() reports the first mistake as "FILE:LINE: [section] key:
 * problem" and the caller exits 2.
 */
#ifndef FEEGATE_CONFIG_H
#define FEEGATE_CONFIG_H

#include <stdio.h>

#include "base/kinds.h"
#include "base/log.h"
#include "base/util.h"

/* One key = value of a [provider:NAME] section, with where it was. */
struct provider_kv {
	char *key;
	char *value; /* MAY be a secret: never logged */
	int line;
};

/* A provider: its type picks the adapter (channels/), which validates the
 * rest when the dispatcher starts. */
struct provider_cfg {
	char *name;
	int line;
	struct provider_kv *kv;
	size_t nkv;
};

#define CONFIG_MAX_PROVIDERS 16

#define CONFIG_MAX_PROXIES 16

/* What an API client may do. */
#define API_SCOPE_NOTICES_WRITE 1u /* POST notices, GET a notice */
#define API_SCOPE_TIMELINE_READ 2u /* a customer's timeline */
#define API_SCOPE_TASKS_READ    4u /* collection tasks */
#define API_SCOPE_METRICS_READ  8u /* /metrics */
#define API_SCOPE_ALL           15u
/* "notices:write,timeline:read" -> scopes; 0 if a name is unknown. */
unsigned int config_api_scopes(const char *list);
/* Whether the notice API is on (a tokens_file or a token_file). */
struct config;
int config_api_enabled(const struct config *cfg);

/* Whether the IPv4 address a (host order) is one of the trusted proxies. */
struct config;
int config_trusted_proxy(const struct config *cfg, unsigned int a);

#define NIGHT_MAX_CONNECTIONS 8
/* [dispatch] claimers at most. */
#define DISPATCH_CLAIMERS_MAX 8

struct config {
	char *path;
	struct {
		char *socket;
		char *host;
		int port;
		char *user;
		char *password; /* secret: never logged */
		char *password_file;
		char *gateway_schema;
		char *billing_schema;
		/* The replication connection that feeds billing_schema from
		 * the billing server (SHOW ALL SLAVES STATUS; "default" for
		 * the unnamed one), or NULL: billing is local. */
		char *billing_replica;
		int max_billing_lag; /* seconds behind it, at most */
		int connect_timeout;
		int lock_timeout; /* seconds to wait for the planner lock */
		int lock_wait;    /* seconds a statement waits for a row lock */
		int reconnect_for; /* seconds to keep connecting after a loss */
		/* Connections a night plans on, each for its part of the
		 * accounts (night/pass.c). */
		int night_connections;
	} db;
	struct {
		int grace_days;
		int step_days;
		int notices;
		long long min_amount; /* cents */
		long long
			max_bill_amount; /* cents; larger bills are rejected */
		char *timezone; /* business date when --date is absent */
		long long late_fee_ppm; /* per day; 0: no late fee */
		char *channel_order;    /* "push,sms,email,voice" or NULL */
		/* Each channel kind's place in channel_order, 1 first; 0
		 * for a kind not named (after those named). */
		int channel_rank[CHANNEL_KINDS];
	} dunning;
	struct {
		/* Micro-yuan a unit of each kind (channel_kinds[k].units:
		 * an SMS part, an e-mail, a call, a push). */
		long long unit[CHANNEL_KINDS];
	} costs;
	struct {
		int planned_notice_days;    /* a planned outage: days ahead */
		int temporary_notice_hours; /* a temporary one: hours ahead */
		int reminder_days;          /* reminder this many days before;
					       0: none */
		int restored;               /* "power restored" after ends_at */
		int check_every;    /* seconds between serve's outage passes */
		int large_contacts; /* a large customer's contacts told, at most */
	} outage;
	struct {
		/* Days kept (gateway/store/purge.h): a message's text and full
		 * address after its final state; the staff access log;
		 * closed cases, notices and their messages; billing rows
		 * refused and not seen since. */
		int message_days, access_days, history_days, input_error_days;
	} retention;
	struct {
		char *listen; /* /metrics on a listener of its own */
		int port;     /* 0: none (then on the API's listener) */
	} metrics;
	struct {
		/* The API's clients (tokens_file: "NAME SCOPES SHA256" a
		 * line), each with what it may do; the old single bearer
		 * token (token_file) may do everything. Neither: no API. */
		char *tokens_file;
		struct api_client {
			char name[33];
			unsigned int scopes;    /* API_SCOPE_* */
			unsigned char hash[32]; /* SHA-256 of the token */
		} * clients;
		size_t nclients;
		char *token_file;
		char *token;  /* read from token_file: never logged */
		int max_body; /* bytes; larger requests get 413 */
	} api;
	struct {
		int routine_per_day; /* routine notices per account a day */
	} caps;
	struct {
		char *listen;       /* the staff pages' address */
		int port;           /* 0: no staff pages */
		int idle_minutes;   /* a session ends after this long idle */
		int session_hours;  /* ... and this long after login, at most */
		int secure_cookies; /* behind TLS: cookies marked Secure */
		/* Proxies whose X-Forwarded-For is believed (IPv4 addresses
		 * or CIDRs, as given, and parsed): the client's address is
		 * what they say, for the lockout and the access log. */
		char *trusted_proxies;
		struct config_cidr {
			unsigned int net, mask; /* host order */
		} proxies[CONFIG_MAX_PROXIES];
		size_t nproxies;
	} web;
	struct {
		char *dir;     /* NULL: FEEGATE_DATADIR/templates (main.c) */
		char *strings; /* NULL: FEEGATE_STRINGS (main.c) */
	} templates;
	struct {
		int max_parts;
	} sms;
	struct {
		int max_attempts; /* calls per notice (busy, no answer) */
		int retry_after;  /* seconds before calling again */
	} voice;
	struct {
		int batch;    /* messages claimed at a time */
		int claimers; /* claims under way at once, one connection each */
		int lease;    /* seconds a claim is held */
		int max_attempts; /* temporary failures before a message expires
				   */
		int backoff_min;  /* seconds */
		int backoff_max;
		int expire_after; /* seconds since the message was created */
		int receipt_wait; /* `run` waits this long for receipts */
		char *owner;      /* lease owner; default host:pid */
		char *calling_window; /* HH:MM-HH:MM, dunning SMS and voice */
		int window_start, window_end; /* minutes after midnight */
	} dispatch;
	struct {
		char *listen;
		int port; /* 0: no receipt server */
		char *public_url;
	} receipts;
	struct {
		char *nightly_at;
		int nightly_minute; /* nightly_at, parsed: minutes after 0:00 */
	} schedule;
	struct {
		/* The [provider:NAME] each kind sends through, or NULL. */
		char *provider[CHANNEL_KINDS];
	} channels;
	struct provider_cfg providers[CONFIG_MAX_PROVIDERS];
	size_t nproviders;
	struct {
		char *file;
		enum log_level level;
	} log;
};

/* One key = value of an INI file, at line; returns 0, or -1 with a message
 * for the reader in msg (without file and line, which are added). */
typedef int (*ini_line_handler)(void *user, int line, const char *section,
				const char *key, const char *value, char *msg,
				size_t msglen);

/* Read an INI file; the first mistake is reported as "FILE:LINE: msg". */
int ini_file_parse(const char *path, ini_line_handler fn, void *user,
		   struct fg_err *err);

/* Defaults for every key; path may be NULL (then no file is read). */
int config_load(struct config *cfg, const char *path, struct fg_err *err);
/* Every [section] key the configuration takes (not [provider:NAME]'s,
 * which each adapter reads), in the order of its table. */
void config_keys(void (*fn)(const char *section, const char *name, void *arg),
		 void *arg);
void config_free(struct config *cfg);
/* The configuration in effect (every key, defaults included, then the
 * providers) in the file's own form; a secret as "(from FILE)", a URL's
 * password as "***". */
void config_show(const struct config *cfg, FILE *out);
/* Every key whose value differs between a and b (set in one only, or
 * set differently; a provider's keys too), to fn by section and name;
 * returns how many. Values are not passed: some are secrets. */
size_t config_changes(const struct config *a, const struct config *b,
		      void (*fn)(const char *section, const char *key,
				 void *arg),
		      void *arg);
/* A provider's value for key (marked used), or NULL. */
const char *provider_get(const struct provider_cfg *p, const char *key);
/* The provider called name, or NULL. */
const struct provider_cfg *config_provider(const struct config *cfg,
					   const char *name);

/* An SQL identifier we are willing to splice into statements. */
int config_valid_schema(const char *name);

#endif
