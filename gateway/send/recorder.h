/*
 * recorder.h: the dispatcher's results written off its loop. The loop
 * decides what each provider answer means (policy, log line, counts) and
 * hands the attempts over; a thread with its own database connection
 * writes everything handed over since its last transaction in one
 * (outbox_record), then lets the loop's jobs go. The loop goes on sending
 * meanwhile: writing results was a quarter of its time.
 *
 * A crash loses only what was handed over and not yet written: those
 * messages stay `submitting`, which a receipt or the in-doubt resend
 * settles, as after a crash before the write.
 */
#ifndef FEEGATE_RECORDER_H
#define FEEGATE_RECORDER_H

#include "base/config.h"
#include "queue/outbox.h"

struct recorder;

/* Connects and starts the thread; NULL on failure (err set). */
struct recorder *recorder_start(const struct config *cfg, struct fg_err *err);
/* Hand over n attempts (a: allocated, taken) made at now on business date
 * date; release(arg) is called on the recorder's thread once they are
 * written (or could not be), for the memory a[i].m points into. */
void recorder_put(struct recorder *r, struct attempt *a, size_t n,
		  const char *now, const char *date, void (*release)(void *),
		  void *arg);
/* Attempts handed over and not written yet. */
size_t recorder_backlog(struct recorder *r);
/* Writes what was handed over, stops the thread, closes. */
void recorder_stop(struct recorder *r);

#endif
