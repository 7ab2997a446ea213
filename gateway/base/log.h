/*
 * log.h: the daemon's log. One line per event, "time level message", where
 * messages read "module: op: detail". Never log a full phone number, e-mail
 * address, token or secret: mask them first (mask.h).
 */
#ifndef FEEGATE_LOG_H
#define FEEGATE_LOG_H

/* Nothing of feegate's is included here: every module may log. */
#define LOG_PRINTF __attribute__((format(printf, 1, 2)))

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Log to path (appending), or to stderr when path is NULL or empty:
 * "time level message", or under systemd, when stderr is the journal
 * (JOURNAL_STREAM), "<priority>message" for the journal to stamp.
 * Returns -1 (errno set) when the file cannot be opened. */
int log_open(const char *path, enum log_level level);
/* Reopen the log file (after rotation; SIGHUP). */
int log_reopen(void);
void log_close(void);
/* Parse "error" | "warn" | "info" | "debug". */
int log_level_parse(const char *s, enum log_level *out);
/* The level's name, as log_level_parse reads it. */
const char *log_level_name(enum log_level level);
/* Whether a line at level is written: a caller skips making the
 * arguments of one that is not. */
int log_enabled(enum log_level level);

void log_warn(const char *fmt, ...) LOG_PRINTF; /* + strerror */
void log_warnx(const char *fmt, ...) LOG_PRINTF;
void log_info(const char *fmt, ...) LOG_PRINTF;
void log_debug(const char *fmt, ...) LOG_PRINTF;
/* At a level the caller decides. */
void log_at(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Log and exit(1): only at start-up or for a broken invariant. */
void fatal(const char *fmt, ...) LOG_PRINTF __attribute__((noreturn));
void fatalx(const char *fmt, ...) LOG_PRINTF __attribute__((noreturn));

#endif
