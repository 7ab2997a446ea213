/*
 * classify.h: each adapter's reading of one answer from its provider,
 * as a pure function (the adapters call them when an answer comes;
 * tests/unit/channels_test.c holds a table of answers for each). What a
 * result then means for the message is policy.c's.
 */
#ifndef FEEGATE_CLASSIFY_H
#define FEEGATE_CLASSIFY_H

#include "channels/channel.h"
#include "net/httpc.h"

/* Kannel's sendsms answer. */
void sms_kannel_classify(const struct httpc_response *r,
			 struct delivery_result *res);
/* The generic JSON API's answer to one message (not the batch form). */
void sms_http_classify(const struct httpc_response *r,
		       struct delivery_result *res);
/* The Twilio-compatible Messages and Calls APIs. */
void sms_twilio_classify(const struct httpc_response *r,
			 struct delivery_result *res);
void voice_twilio_classify(const struct httpc_response *r,
			   struct delivery_result *res);
/* FCM HTTP v1's messages:send answer. */
void push_fcm_classify(const struct httpc_response *r,
		       struct delivery_result *res);
/* An SMTP reply to the message (code, text, enhanced status code;
 * enh_class 0: none given, read from the text if it starts with one). */
void email_smtp_classify(int code, const char *text, int enh_class,
			 int enh_subject, int enh_detail,
			 struct delivery_result *res);

#endif
