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
		long long late_fee_ppm;    /* per day; 0: no late fee */
	} dunning;
	struct {
		char *dir; /* NULL: ../templates beside the binary */
	} templates;
	struct {
		int max_parts;
	} sms;
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
void config_free(struct config *cfg);
/* An SQL identifier we are willing to splice into statements. */
int config_valid_schema(const char *name);

#endif
