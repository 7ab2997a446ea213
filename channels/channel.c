/*
 * channel.c: the adapter registry and what all adapters share.
 */
#include "channels/channel.h"

#include <curl/curl.h>

#include "net/httpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

extern const struct channel_ops sms_http_ops;
extern const struct channel_ops sms_kannel_ops;
extern const struct channel_ops sms_twilio_ops;
extern const struct channel_ops email_smtp_ops;
extern const struct channel_ops voice_twilio_ops;
extern const struct channel_ops push_fcm_ops;

/* Every adapter, NULL-terminated. */
static const struct channel_ops *const registry[] = {
	&sms_http_ops,
	&sms_kannel_ops,
	&sms_twilio_ops,
	&email_smtp_ops,
	&voice_twilio_ops,
	&push_fcm_ops,
	NULL,
};

const struct channel_ops *const *
channel_adapters(void)
{
	return registry;
}

const struct channel_ops *
channel_lookup(const char *type, enum channel_kind kind)
{
	size_t i;

	for (i = 0; registry[i] != NULL; i++)
		if (strcmp(registry[i]->name, type) == 0 &&
		    registry[i]->kind == kind)
			return registry[i];
	return NULL;
}

int
channel_registry_check(struct fg_err *err)
{
	size_t i, k;

	for (i = 0; registry[i] != NULL; i++) {
		if (((registry[i]->flags & CHANNEL_RECEIPTS) != 0) !=
		    (registry[i]->receipt != NULL)) {
			err_set(err,
				"channel: the %s adapter %s: CHANNEL_RECEIPTS "
				"and .receipt disagree",
				channel_kinds[registry[i]->kind].name,
				registry[i]->name);
			return -1;
		}
		for (k = i + 1; registry[k] != NULL; k++)
			if (strcmp(registry[i]->name, registry[k]->name) == 0 &&
			    registry[i]->kind == registry[k]->kind) {
				err_set(err,
					"channel: two %s adapters named %s",
					channel_kinds[registry[i]->kind].name,
					registry[i]->name);
				return -1;
			}
	}
	return 0;
}

int
provider_line(const struct provider_cfg *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->nkv; i++)
		if (strcmp(p->kv[i].key, key) == 0)
			return p->kv[i].line;
	return p->line;
}

long long
provider_int(const struct provider_cfg *p, const char *key, long long def)
{
	const char *v = provider_get(p, key);

	return v != NULL ? strtoll(v, NULL, 10) : def;
}

double
provider_number(const struct provider_cfg *p, const char *key, double def)
{
	const char *v = provider_get(p, key);

	return v != NULL ? strtod(v, NULL) : def;
}

int
provider_yes(const struct provider_cfg *p, const char *key, int def)
{
	const char *v = provider_get(p, key);

	return v != NULL ? strcmp(v, "yes") == 0 : def;
}

/* The keys every adapter takes; the dispatcher reads them
 * (channel_open). */
static const struct provider_key common_keys[] = {
	{"type", PKEY_TEXT, 0, 0, NULL}, /* checked first, by channel_open */
	{"rate", PKEY_NUMBER, 0, 100000, NULL},
	{"concurrency", PKEY_NUMBER, 1, 1000, NULL},
	{"timeout", PKEY_NUMBER, 1, 300, NULL},
	{NULL, PKEY_TEXT, 0, 0, NULL},
};

static const struct provider_key *
key_find(const struct provider_key *list, const char *name)
{
	for (; list != NULL && list->name != NULL; list++)
		if (strcmp(list->name, name) == 0)
			return list;
	return NULL;
}

/* Whether v has k's form; err says why not. */
static int
key_valid(const struct provider_cfg *p, const struct provider_key *k,
	  const char *v, const char *path, struct fg_err *err)
{
	const int line = provider_line(p, k->name);
	long long n;
	double d;
	char *end;

	switch (k->type) {
	case PKEY_TEXT:
		return 1;
	case PKEY_INT:
		if (parse_ll(v, k->min, k->max, &n) == 0)
			return 1;
		err_set(err,
			"%s:%d: [provider:%s] %s: must be a whole number "
			"from %lld to %lld (got '%s')",
			path, line, p->name, k->name, k->min, k->max, v);
		return 0;
	case PKEY_NUMBER:
		d = strtod(v, &end);
		if (*v != '\0' && *end == '\0' && d >= (double)k->min &&
		    d <= (double)k->max)
			return 1;
		err_set(err,
			"%s:%d: [provider:%s] %s: must be a number from %lld "
			"to %lld (got '%s')",
			path, line, p->name, k->name, k->min, k->max, v);
		return 0;
	case PKEY_URL:
		if (strncmp(v, "http://", 7) == 0 ||
		    strncmp(v, "https://", 8) == 0)
			return 1;
		break;
	case PKEY_BOOL:
		if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0)
			return 1;
		break;
	case PKEY_FILE:
		if (*v != '\0')
			return 1;
		break;
	}
	err_set(err, "%s:%d: [provider:%s] %s: must be %s (got '%s')", path,
		line, p->name, k->name,
		k->type == PKEY_URL    ? "an http:// or https:// URL"
		: k->type == PKEY_BOOL ? "yes or no"
				       : "a path",
		v);
	return 0;
}

/* Every key of the section a common one or the adapter's, each in its
 * form, the needed ones there (two or more missing are named
 * together). */
static int
keys_check(const struct provider_cfg *p, const struct channel_ops *ops,
	   const char *path, struct fg_err *err)
{
	const struct provider_key *lists[] = {common_keys, ops->keys}, *k;
	struct sbuf missing;
	const char *one = NULL, *v;
	size_t i, l, nmissing = 0;

	for (i = 0; i < p->nkv; i++)
		if (key_find(common_keys, p->kv[i].key) == NULL &&
		    key_find(ops->keys, p->kv[i].key) == NULL) {
			err_set(err,
				"%s:%d: [provider:%s] %s: unknown key for "
				"type %s",
				path, p->kv[i].line, p->name, p->kv[i].key,
				ops->name);
			return -1;
		}
	sbuf_init(&missing);
	for (l = 0; l < FG_NELEM(lists); l++)
		for (k = lists[l]; k != NULL && k->name != NULL; k++) {
			v = provider_get(p, k->name);
			if (v != NULL && !key_valid(p, k, v, path, err)) {
				sbuf_free(&missing);
				return -1;
			}
			if (v != NULL || k->need == NULL)
				continue;
			sbuf_addf(&missing, "%s%s", nmissing ? " and " : "",
				  k->name);
			if (nmissing++ == 0)
				one = k->need;
		}
	if (nmissing == 1)
		err_set(err, "%s:%d: [provider:%s] %s: %s is needed", path,
			p->line, p->name, missing.s, one);
	else if (nmissing > 1)
		err_set(err, "%s:%d: [provider:%s]: %s are needed", path,
			p->line, p->name, missing.s);
	sbuf_free(&missing);
	return nmissing == 0 ? 0 : -1;
}

struct channel *
channel_open(const struct config *cfg, const char *name, enum channel_kind kind,
	     const struct channel_env *env, struct fg_err *err)
{
	const struct provider_cfg *p = config_provider(cfg, name);
	const char *path = cfg->path ? cfg->path : "(config)";
	const struct channel_ops *ops;
	struct channel *ch;
	const char *type;
	double rate, conc, timeout;
	size_t i;

	if (p == NULL) {
		err_set(err, "%s: [channels] %s = %s: no [provider:%s] section",
			path, channel_kinds[kind].name, name, name);
		return NULL;
	}
	type = provider_get(p, "type");
	if (type == NULL) {
		err_set(err, "%s:%d: [provider:%s]: type is missing", path,
			p->line, name);
		return NULL;
	}
	ops = channel_lookup(type, kind);
	if (ops == NULL) {
		struct sbuf known;
		size_t n = 0;

		sbuf_init(&known);
		for (i = 0; registry[i] != NULL; i++)
			if (registry[i]->kind == kind)
				sbuf_addf(&known, "%s%s", n++ ? ", " : "",
					  registry[i]->name);
		err_set(err,
			"%s:%d: [provider:%s] type: no %s adapter of type "
			"'%s' (%s types: %s)",
			path, provider_line(p, "type"), name,
			channel_kinds[kind].name, type,
			channel_kinds[kind].name, known.s);
		sbuf_free(&known);
		return NULL;
	}
	if (keys_check(p, ops, path, err) != 0)
		return NULL;
	rate = provider_number(p, "rate", 0);
	conc = provider_number(p, "concurrency", 8);
	timeout = provider_number(p, "timeout", 10);
	ch = ops->open(p, env, err);
	if (ch == NULL)
		return NULL;
	ch->ops = ops;
	ch->provider = xstrdup(name);
	/* An adapter MAY pick its own defaults; configured values win. */
	if (ch->rate == 0 || provider_line(p, "rate") != p->line)
		ch->rate = rate;
	if (ch->concurrency == 0 || provider_line(p, "concurrency") != p->line)
		ch->concurrency = (int)conc;
	ch->timeout_ms = (long)(timeout * 1000);
	return ch;
}

int
channel_repace(struct channel *ch, const struct config *cfg)
{
	const struct provider_cfg *p = config_provider(cfg, ch->provider);
	double rate = ch->rate;
	int conc = ch->concurrency;

	if (p == NULL)
		return 0;
	if (provider_line(p, "rate") != p->line)
		rate = provider_number(p, "rate", 0);
	if (provider_line(p, "concurrency") != p->line)
		conc = (int)provider_number(p, "concurrency", 8);
	if (rate == ch->rate && conc == ch->concurrency)
		return 0;
	ch->rate = rate;
	ch->concurrency = conc;
	return 1;
}

void
channel_close(struct channel *ch)
{
	char *provider;

	if (ch == NULL)
		return;
	provider = ch->provider;
	ch->ops->close(ch);
	free(provider);
}

void
result_set(struct delivery_result *r, enum delivery_status st,
	   int provider_wide, const char *code, const char *fmt, ...)
{
	va_list ap;

	memset(r, 0, sizeof(*r));
	r->status = st;
	r->provider_wide = provider_wide;
	str_copy(r->code, code, sizeof(r->code));
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

char *
channel_read_secret(const struct provider_cfg *p, const char *key,
		    const char *path, const char *config_path,
		    struct fg_err *err)
{
	const char *why;
	char *v = secret_file_read(path, &why);

	if (v == NULL)
		err_set(err, "%s:%d: [provider:%s] %s: cannot use %s: %s",
			config_path, provider_line(p, key), p->name, key, path,
			why);
	return v;
}

int
channel_transport_error(const struct httpc_response *r,
			struct delivery_result *res)
{
	if (r->curl_code == CURLE_OK)
		return 0;
	result_set(res, DELIVERY_TEMPFAIL,
		   r->curl_code == CURLE_COULDNT_CONNECT ||
			   r->curl_code == CURLE_COULDNT_RESOLVE_HOST,
		   r->curl_code == CURLE_OPERATION_TIMEDOUT ? "timeout"
							    : "network",
		   "%s", r->error);
	return 1;
}
