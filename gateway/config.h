/*
 * config.h: the INI configuration file (see README "Configuration").
 * config_load() reports the first mistake as "FILE:LINE: [section] key:
 * problem" and the caller exits 2.
 */
#ifndef FEEGATE_CONFIG_H
#define FEEGATE_CONFIG_H

#include "log.h"
#include "util.h"

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
		int connect_timeout;
		int lock_timeout; /* seconds to wait for the planner lock */
	} db;
	struct {
		int grace_days;
		int step_days;
		int notices;
		long long min_amount;      /* cents */
		long long max_bill_amount; /* cents; larger bills are rejected */
		char *timezone;            /* business date when --date is absent */
	} dunning;
	struct {
		char *file;
		enum log_level level;
	} log;
};

/* Defaults for every key; path may be NULL (then no file is read). */
int config_load(struct config *cfg, const char *path, struct fg_err *err);
void config_free(struct config *cfg);
/* An SQL identifier we are willing to splice into statements. */
int config_valid_schema(const char *name);

#endif
