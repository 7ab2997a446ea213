/*
 * log_test.c: the log's lines, on a terminal or file and in the journal.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/log.h"

static char path[64];
static int saved_stderr = -1;

/* Standard error into a fresh file; JOURNAL_STREAM set to its own device
 * and inode (systemd's) when journal, else to another file's. */
static void
stderr_to_file(int journal)
{
	char js[64];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/tmp/feegate-log-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	if (saved_stderr < 0)
		saved_stderr = dup(STDERR_FILENO);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + (journal ? 0 : 1));
	setenv("JOURNAL_STREAM", js, 1);
}

/* The file's text into buf; the file removed. */
static char *
file_take(const char *file, char *buf, size_t len)
{
	FILE *fp = fopen(file, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	unlink(file);
	return buf;
}

/* What was written to standard error since stderr_to_file; restores it. */
static char *
stderr_read(void)
{
	static char buf[4096];

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	unsetenv("JOURNAL_STREAM");
	return file_take(path, buf, sizeof(buf));
}

/* Under systemd, each line carries its priority for the journal (err 3,
 * warning 4, info 6, debug 7) and no time of its own. */
static void
test_journal_priorities(void **state)
{
	(void)state;
	stderr_to_file(1);
	assert_int_equal(log_open(NULL, LOG_LEVEL_DEBUG), 0);
	log_warnx("outbox: a warning %d", 1);
	log_info("night: done");
	log_debug("db: 12 ms");
	log_close();
	assert_string_equal(stderr_read(), "<4>outbox: a warning 1\n"
					   "<6>night: done\n"
					   "<7>db: 12 ms\n");
}

/* JOURNAL_STREAM naming another stream (a shell started from the
 * service, output redirected): the plain form with the time. */
static void
test_not_the_journal(void **state)
{
	const char *out;

	(void)state;
	stderr_to_file(0);
	assert_int_equal(log_open(NULL, LOG_LEVEL_INFO), 0);
	log_warnx("outbox: a warning");
	log_debug("not shown");
	log_close();
	out = stderr_read();
	assert_int_equal(strlen(out), strlen("2026-12-03T05:00:00.000Z warn "
					     "outbox: a warning\n"));
	assert_memory_equal(out + 23, "Z warn outbox: a warning\n", 25);
	assert_int_equal(out[4], '-');
	assert_int_equal(out[10], 'T');
}

/* A log file configured: the file gets the plain form, whatever stderr
 * is. */
static void
test_file_under_systemd(void **state)
{
	char file[64], buf[256];
	int fd;

	(void)state;
	snprintf(file, sizeof(file), "/tmp/feegate-logf-XXXXXX");
	fd = mkstemp(file);
	assert_true(fd >= 0);
	close(fd);
	stderr_to_file(1);
	assert_int_equal(log_open(file, LOG_LEVEL_INFO), 0);
	log_info("night: done");
	log_close();
	assert_string_equal(stderr_read(), "");
	file_take(file, buf, sizeof(buf));
	assert_non_null(strstr(buf, "Z info night: done\n"));
	assert_int_not_equal(buf[0], '<');
}

/* Each line leaves in one write(), whole, in either form: with standard
 * error a datagram socket, every write() is a datagram of its own. The
 * line was written in three pieces (its head, its text, its newline);
 * a line longer than the writer's buffer is whole too. */
static void
test_one_write_a_line(void **state)
{
	static char got[8192], want[8192], name[3000];
	int sv[2], journal;
	ssize_t n;

	(void)state;
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	for (journal = 0; journal <= 1; journal++) {
		struct stat st;
		char js[64];

		assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
		fflush(stderr);
		if (saved_stderr < 0)
			saved_stderr = dup(STDERR_FILENO);
		assert_int_equal(dup2(sv[0], STDERR_FILENO), STDERR_FILENO);
		assert_int_equal(fstat(STDERR_FILENO, &st), 0);
		snprintf(js, sizeof(js), "%llu:%llu",
			 (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino + (journal ? 0 : 1));
		setenv("JOURNAL_STREAM", js, 1);
		assert_int_equal(log_open(NULL, LOG_LEVEL_INFO), 0);
		log_info("receipt msg=%d status=%s", 42, "delivered");
		errno = ENOENT;
		log_warn("a long one %s", name);
		log_close();
		dup2(saved_stderr, STDERR_FILENO);
		unsetenv("JOURNAL_STREAM");

		n = recv(sv[1], got, sizeof(got) - 1, MSG_DONTWAIT);
		assert_true(n > 0);
		got[n] = '\0';
		if (journal)
			assert_string_equal(
				got, "<6>receipt msg=42 status=delivered\n");
		else
			assert_string_equal(got + 23, "Z info receipt msg=42 "
						      "status=delivered\n");
		n = recv(sv[1], got, sizeof(got) - 1, MSG_DONTWAIT);
		assert_true(n > 0);
		got[n] = '\0';
		snprintf(want, sizeof(want), "%sa long one %s: %s\n",
			 journal ? "<4>" : "Z warn ", name, strerror(ENOENT));
		assert_string_equal(got + (journal ? 0 : 23), want);
		assert_int_equal(recv(sv[1], got, sizeof(got), MSG_DONTWAIT),
				 -1);
		close(sv[0]);
		close(sv[1]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_priorities),
		cmocka_unit_test(test_not_the_journal),
		cmocka_unit_test(test_file_under_systemd),
		cmocka_unit_test(test_one_write_a_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
