/*
 * util.h: allocation that aborts on exhaustion, bounded strings, and the
 * error out-parameter every fallible function takes.
 */
#ifndef FEEGATE_UTIL_H
#define FEEGATE_UTIL_H

#include <stdarg.h>
#include <stddef.h>

#define FG_ATTR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define FG_NELEM(a)          (sizeof(a) / sizeof((a)[0]))
/* A macro's value as a string literal, to build SQL and messages. */
#define FG_STR_(x) #x
#define FG_STR(x)  FG_STR_(x)

/* Free and NULL the pointer, so a second free is harmless. */
#define FREE(p)                                                                \
	do {                                                                   \
		free(p);                                                       \
		(p) = NULL;                                                    \
	} while (0)

/* Functions return 0 / -1; on -1 the reason is in struct fg_err. */
struct fg_err {
	char msg[512];
};

void err_set(struct fg_err *err, const char *fmt, ...) FG_ATTR_PRINTF(2, 3);
/* Prefix the message already in err with "prefix: ". */
void err_prefix(struct fg_err *err, const char *fmt, ...) FG_ATTR_PRINTF(2, 3);

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* The first line of a secret's file (a password, a token) without its line
 * end; NULL, with why, if the file cannot be read or the line is empty. */
char *secret_file_read(const char *path, const char **why);
char *xstrndup(const char *s, size_t n);
/* A new string formatted like printf; the caller frees it. */
char *xasprintf(const char *fmt, ...) FG_ATTR_PRINTF(1, 2);

/* Copy src into dst (size dsize), always NUL-terminated; returns strlen(src)
 * so that a result >= dsize means truncation. */
size_t str_copy(char *dst, const char *src, size_t dsize);

/* A growable byte string, always NUL-terminated. */
struct sbuf {
	char *s;
	size_t len, cap;
};

void sbuf_init(struct sbuf *b);
void sbuf_free(struct sbuf *b);
void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_addf(struct sbuf *b, const char *fmt, ...) FG_ATTR_PRINTF(2, 3);
/* Take ownership of the buffer; b holds nothing afterwards (sbuf_init it
 * again to reuse it; sbuf_free on it is harmless). */
char *sbuf_take(struct sbuf *b);

/* Copy s into a new string in which every invalid UTF-8 sequence is replaced
 * by U+FFFD and control characters (C0 except tab, DEL, C1) by U+FFFD as
 * well when strip_controls is set. The caller frees the result. */
char *utf8_clean(const char *s, size_t n, int strip_controls);
/* Number of code points in valid UTF-8 s (invalid bytes count as one). */
size_t utf8_len(const char *s, size_t n);
/* Whether s is valid UTF-8 throughout. */
int utf8_valid(const char *s, size_t n);

/* v in decimal into buf (at least 21 bytes); returns the length. For hot
 * paths where printf's generality costs more than the work itself. */
size_t u64_to_dec(unsigned long long v, char *buf);

/* Parse a whole string as a decimal long long in [min, max]. */
int parse_ll(const char *s, long long min, long long max, long long *out);

/* n bytes as 2n lowercase hex digits and a NUL, into out. */
void hex_encode(const unsigned char *b, size_t n, char *out);
/* The value of hex digit c (either case), or -1. */
int hex_digit(int c);
/* 2n hex digits into n bytes: 0, or -1 if one is not a hex digit. */
int hex_decode(const char *hex, unsigned char *out, size_t n);
/* SHA-256 of n bytes at s as 64 lowercase hex digits. */
void sha256_hex(const void *s, size_t n, char out[65]);

/* n random bytes from OpenSSL's CSPRNG as 2n lowercase hex digits; -1
 * when there are no random bytes to be had. One draw: a call costs more
 * than its bytes (OpenSSL checks the process id, a system call), so draw
 * a batch's at once. */
int random_hex(char *out, size_t n);
/* 128 random bits: random_hex(out, 16). */
int random_hex128(char out[33]);

/* Seconds on the monotonic clock: for intervals, never for dates. */
double mono_now(void);

#endif
