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

/* The line into buf (len bytes) or, when it is longer, into a buffer of
 * its own (*big, to be freed); its length in *n. */
static const char *
log_line(char *buf, size_t len, char **big, size_t *n, enum log_level level,
	 int journal, const char *fmt, va_list ap, int errnum)
{
	char head[64];
	struct timespec now;
	struct tm tm;
	size_t h;
	va_list aq;
	int m;

	if (journal) {
		h = (size_t)snprintf(head, sizeof(head), "%s",
				     journal_priority[level]);
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		h = strftime(head, sizeof(head), "%Y-%m-%dT%H:%M:%S", &tm);
		h += (size_t)snprintf(head + h, sizeof(head) - h, ".%03ldZ %s ",
				      now.tv_nsec / 1000000,
				      log_level_name(level));
	}
	if (h >= len)
		h = len - 1;
	memcpy(buf, head, h);
	/* Formatted once where it fits, the common case; again if not. */
	va_copy(aq, ap);
	m = vsnprintf(buf + h, len - h, fmt, aq);
	va_end(aq);
	if (m < 0)
		m = 0;
	*n = h + (size_t)m + (errnum ? 2 + strlen(strerror(errnum)) : 0) + 1;
	*big = NULL;
	if (*n + 1 > len) {
		*big = xmalloc(*n + 1);
		memcpy(*big, head, h);
		vsnprintf(*big + h, (size_t)m + 1, fmt, ap);
		buf = *big;
	}
	if (errnum)
		snprintf(buf + h + m, *n - h - (size_t)m, ": %s",
			 strerror(errnum));
	buf[*n - 1] = '\n';
	buf[*n] = '\0';
	return buf;
}

/* One write() a line, whole: standard error is unbuffered, and a line
 * written in pieces (its time, its text, its newline) cost three system
 * calls under the lock, two lines a message. */
static void
log_vwrite(enum log_level level, const char *fmt, va_list ap, int errnum)
{
	char buf[1024], *big;
	const char *line;
	size_t n;
	FILE *fp;

	if (level > log_max)
		return;
	pthread_mutex_lock(&log_mu);
	fp = log_out();
	line = log_line(buf, sizeof(buf), &big, &n, level,
			fp == stderr && log_journal, fmt, ap, errnum);
	fwrite(line, 1, n, fp);
	free(big);
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

int
log_enabled(enum log_level level)
{
	return level <= log_max;
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
log_at(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, fmt, ap, 0);
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
