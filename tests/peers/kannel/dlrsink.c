/*
 * dlrsink.c: the delivery reports' end for the Kannel benchmark
 * (scripts/bench.sh, section 2 (a)). An HTTP server on 127.0.0.1:PORT
 * (libmicrohttpd, keep-alive) that answers every request 200 and counts
 * them, by the `status` query value Kannel puts in its dlr-url; once a
 * second, and when stopped (SIGTERM, SIGINT), it rewrites FILE with one
 * line: "total=N status1=N ... first=T last=T", T the wall-clock time of
 * the first and the last report in seconds.
 *
 *   dlrsink PORT FILE
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATUSES 64 /* Kannel's report types are bit values below this */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long total, by_status[STATUSES];
static double first, last;
static volatile sig_atomic_t stopping;

static double
wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *upload, size_t *upload_size,
       void **state)
{
	static const char ok[] = "ok\n";
	const char *status;
	struct MHD_Response *r;
	enum MHD_Result rc;
	long s;

	(void)cls, (void)url, (void)method, (void)version, (void)upload;
	if (*state == NULL) { /* the headers: the body, if any, comes next */
		*state = c;
		return MHD_YES;
	}
	*upload_size = 0;
	status =
		MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "status");
	s = status != NULL ? strtol(status, NULL, 10) : 0;
	pthread_mutex_lock(&lock);
	last = wall();
	if (total++ == 0)
		first = last;
	if (s >= 0 && s < STATUSES)
		by_status[s]++;
	pthread_mutex_unlock(&lock);
	r = MHD_create_response_from_buffer(sizeof(ok) - 1, (void *)ok,
					    MHD_RESPMEM_PERSISTENT);
	rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

static void
write_stats(const char *path)
{
	char tmp[4096];
	FILE *fp;
	int s;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fp = fopen(tmp, "w");
	if (fp == NULL)
		return;
	pthread_mutex_lock(&lock);
	fprintf(fp, "total=%llu", total);
	for (s = 0; s < STATUSES; s++)
		if (by_status[s] != 0)
			fprintf(fp, " status%d=%llu", s, by_status[s]);
	fprintf(fp, " first=%.6f last=%.6f\n", first, last);
	pthread_mutex_unlock(&lock);
	if (fclose(fp) == 0)
		rename(tmp, path);
}

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	char *end = NULL;
	long port = argc == 3 ? strtol(argv[1], &end, 10) : 0;

	if (argc != 3 || end == argv[1] || *end != '\0' || port <= 0 ||
	    port > 65535) {
		fprintf(stderr, "usage: dlrsink PORT FILE\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
			     (unsigned short)port, NULL, NULL, answer, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_THREAD_POOL_SIZE, 2,
			     MHD_OPTION_CONNECTION_LIMIT, 1000,
			     MHD_OPTION_CONNECTION_TIMEOUT, 60, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "dlrsink: cannot listen on 127.0.0.1:%ld\n",
			port);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stopping) {
		write_stats(argv[2]);
		sleep(1);
	}
	MHD_stop_daemon(d);
	write_stats(argv[2]);
	return 0;
}
