/*
 * nodelay.c: an LD_PRELOAD shim for the Kannel benchmark that turns
 * Nagle's algorithm off (TCP_NODELAY) on every TCP socket a process
 * connects or accepts. Kannel 1.4.5's bearerbox and smsbox talk over a
 * TCP link in small writes and never set it, so each message waits for a
 * delayed ACK (about 40 ms) without keep-alive; scripts/bench.sh runs
 * both boxes with it.
 *
 *   cc -O2 -shared -fPIC -o nodelay.so nodelay.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/socket.h>

static void
no_delay(int fd)
{
	int one = 1, type = 0;
	socklen_t len = sizeof(type);

	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
	    type != SOCK_STREAM)
		return;
	/* Fails harmlessly on a unix socket. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int
connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	static int (*next)(int, const struct sockaddr *, socklen_t);

	if (next == NULL)
		next = (int (*)(int, const struct sockaddr *,
				socklen_t))dlsym(RTLD_NEXT, "connect");
	if (addr != NULL &&
	    (addr->sa_family == AF_INET || addr->sa_family == AF_INET6))
		no_delay(fd);
	return next(fd, addr, len);
}

int
accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	static int (*next)(int, struct sockaddr *, socklen_t *);
	int c;

	if (next == NULL)
		next = (int (*)(int, struct sockaddr *,
				socklen_t *))dlsym(RTLD_NEXT, "accept");
	c = next(fd, addr, len);
	no_delay(c);
	return c;
}

int
accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	static int (*next)(int, struct sockaddr *, socklen_t *, int);
	int c;

	if (next == NULL)
		next = (int (*)(int, struct sockaddr *, socklen_t *,
				int))dlsym(RTLD_NEXT, "accept4");
	c = next(fd, addr, len, flags);
	no_delay(c);
	return c;
}
