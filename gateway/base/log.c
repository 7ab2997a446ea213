/*
 * log.c: see log.h.
 */
#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

static FILE *log_fp;
static char *log_path;
static enum log_level log_max = LOG_LEVEL_INFO;
/* Standard error is the journal's stream: lines start with their
 * priority, "<4>" (sd-daemon(3)), and the journal stamps the time. */
static int log_journal;
static const char *const journal_priority[] = {SD_ERR, SD_WARNING, SD_INFO,
					       SD_DEBUG};
/* One line at a time, whatever thread writes it. */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static FILE *
log_out(void)
{
	return log_fp ? log_fp : stderr;
}

/* systemd sets JOURNAL_STREAM to the device and inode of the stream it
 * connected to the journal; standard error is that stream only when they
 * are its own (a shell started from the service inherits the variable
 * with its own stderr). */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	       fstat(STDERR_FILENO, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

int
log_open(const char *path, enum log_level level)
{
	FILE *fp = NULL;

	log_max = level;
	log_journal = stderr_is_journal();
	if (path != NULL && *path != '\0') {
		fp = fopen(path, "a");
		if (fp == NULL)
			return -1;
		setvbuf(fp, NULL, _IOLBF, 0);
	}
	log_close();
	log_fp = fp;
	log_path = path && *path ? xstrdup(path) : NULL;
	return 0;
}

int
log_reopen(void)
{
	FILE *fp;

	if (log_path == NULL)
		return 0;
	fp = fopen(log_path, "a");
	if (fp == NULL)
		return -1;
	setvbuf(fp, NULL, _IOLBF, 0);
	pthread_mutex_lock(&log_mu);
	if (log_fp != NULL)
		fclose(log_fp);
	log_fp = fp;
	pthread_mutex_unlock(&log_mu);
	return 0;
}

void
log_close(void)
{
	if (log_fp != NULL)
		fclose(log_fp);
	log_fp = NULL;
	FREE(log_path);
}

static const char *const level_names[] = {"error", "warn", "info", "debug"};

const char *
log_level_name(enum log_level level)
{
	return (size_t)level < FG_NELEM(level_names) ? level_names[level] : "?";
}

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < FG_NELEM(level_names); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

static void
log_vwrite(enum log_level level, const char *fmt, va_list ap, int errnum)
{
	char ts[32];
	struct timespec now;
	struct tm tm;
	FILE *fp;

	if (level > log_max)
		return;
	pthread_mutex_lock(&log_mu);
	fp = log_out();
	if (fp == stderr && log_journal) {
		fputs(journal_priority[level], fp);
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(fp, "%s.%03ldZ %s ", ts, now.tv_nsec / 1000000,
			log_level_name(level));
	}
	vfprintf(fp, fmt, ap);
	if (errnum)
		fprintf(fp, ": %s", strerror(errnum));
	fputc('\n', fp);
	/* A log file that cannot be written (the disk is full) must not
	 * silence the daemon: say so once on stderr and log there until
	 * the file is reopened (SIGHUP). The work itself is in the database
	 * and the audit trail, and goes on. */
	if (fp != stderr && (ferror(fp) || fflush(fp) != 0)) {
		int e = errno;

		fprintf(stderr,
			"feegate: cannot write the log file %s: %s; logging "
			"to stderr until it is reopened\n",
			log_path ? log_path : "?", strerror(e ? e : EIO));
		fclose(log_fp);
		log_fp = NULL;
	}
	pthread_mutex_unlock(&log_mu);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARN, fmt, ap, saved);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARN, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, fmt, ap, saved);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
