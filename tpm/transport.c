// SPDX-License-Identifier: GPL-2.0-only
/*
 * The transport below the counting TCTI: every call into the real TCTI
 * (loading it, transmit, receive, finalize) is bounded by the TPM timeout,
 * and a TPM that is lost, by a timeout or by a transport failure, is
 * reported here, once per context.
 *
 * No TCTI bounds itself. ESYS's synchronous calls receive with
 * TSS2_TCTI_TIMEOUT_BLOCK whatever Esys_SetTimeout() says; the swtpm TCTI
 * ignores the receive timeout; the swtpm and mssim TCTIs wait for a
 * control-channel answer in a blocking read inside Tss2_TctiLdr_Initialize();
 * a TCP connect() to a full backlog blocks for minutes. So each call runs on
 * a thread of its own, and a call still running at the deadline is
 * cancelled: a thread blocked in read(), poll() or connect() waits in a
 * cancellation point. Its TCTI is not used again. Everything the thread
 * touches (the configuration string, the command, the response) is in a
 * block of its own, so that a thread that does not end even when cancelled
 * (stuck in a call that is no cancellation point) writes into nothing the
 * caller still uses; its TCTI is then never finalized.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "tpm/tpm-internal.h"

/* How long a cancelled call may take to end before it is left behind. */
#define CANCEL_GRACE_NS	(500ull * 1000 * 1000)
#define NS_PER_S	1000000000ull

enum call_op { CALL_INIT, CALL_TRANSMIT, CALL_RECEIVE, CALL_FINALIZE };

struct call {
	atomic_int refs;	/* the caller's and the thread's */
	atomic_bool done;	/* the TCTI returned */
	enum call_op op;
	TSS2_TCTI_CONTEXT *tcti;
	TSS2_RC rc;
	size_t size;		/* command length; receive: capacity in, length out */
	int32_t timeout;
	bool size_only;		/* receive with a NULL buffer: the length only */
	char *conf;		/* CALL_INIT: a copy of the configuration */
	uint8_t buf[];		/* the command, or the response */
};

uint64_t fwg_tpm_now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * NS_PER_S + (uint64_t)now.tv_nsec;
}

static struct timespec timespec_of(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / NS_PER_S),
				  .tv_nsec = (long)(ns % NS_PER_S) };
}

static void call_put(void *arg)
{
	struct call *c = arg;

	if (atomic_fetch_sub(&c->refs, 1) == 1) {
		free(c->conf);
		free(c);
	}
}

static void *call_thread(void *arg)
{
	struct call *c = arg;

	pthread_cleanup_push(call_put, c);
	switch (c->op) {
	case CALL_INIT:
		c->rc = Tss2_TctiLdr_Initialize(c->conf, &c->tcti);
		break;
	case CALL_TRANSMIT:
		c->rc = Tss2_Tcti_Transmit(c->tcti, c->size, c->buf);
		break;
	case CALL_RECEIVE:
		c->rc = Tss2_Tcti_Receive(c->tcti, &c->size, c->size_only ? NULL : c->buf,
					  c->timeout);
		break;
	case CALL_FINALIZE:
		Tss2_TctiLdr_Finalize(&c->tcti);
		break;
	}
	atomic_store(&c->done, true);
	pthread_cleanup_pop(1);
	return NULL;
}

static struct call *call_new(enum call_op op, TSS2_TCTI_CONTEXT *tcti, size_t bufsize)
{
	struct call *c = calloc(1, sizeof(*c) + bufsize);

	if (!c)
		return NULL;
	atomic_init(&c->refs, 1);
	atomic_init(&c->done, false);
	c->op = op;
	c->tcti = tcti;
	return c;
}

/*
 * Run @c on its own thread until it returns or @deadline_ns passes. 0: it
 * returned (c->rc holds the TCTI's answer); -ETIMEDOUT: it was cancelled,
 * and *@left_behind tells that its thread may still be in the TCTI;
 * another -errno: no thread could be started. @c stays the caller's.
 */
static int call_run(struct call *c, uint64_t deadline_ns, bool *left_behind)
{
	struct timespec until = timespec_of(deadline_ns);
	sigset_t all, old;
	pthread_t thread;
	int err;

	*left_behind = false;
	/* Signals are the main thread's business, not the TCTI's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	atomic_fetch_add(&c->refs, 1);
	err = pthread_create(&thread, NULL, call_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		atomic_fetch_sub(&c->refs, 1);
		return -err;
	}
	if (!pthread_clockjoin_np(thread, NULL, CLOCK_MONOTONIC, &until))
		return 0;
	pthread_cancel(thread);
	until = timespec_of(fwg_tpm_now_ns() + CANCEL_GRACE_NS);
	if (pthread_clockjoin_np(thread, NULL, CLOCK_MONOTONIC, &until)) {
		pthread_detach(thread);
		*left_behind = true;
	}
	/* An answer that came as the deadline passed still counts. */
	return atomic_load(&c->done) && !*left_behind ? 0 : -ETIMEDOUT;
}

static uint64_t timeout_ns(const struct fwg_tpm *tpm)
{
	return (uint64_t)tpm->timeout_s * NS_PER_S;
}

static void command_name(const struct fwg_tpm *tpm, char *buf, size_t size)
{
	const char *name = fwg_tpm_command_name(tpm->last_cc);

	if (strcmp(name, "other"))
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "command 0x%08x", tpm->last_cc);
}

/*
 * The TPM is lost for this context: said once, here, naming the TCTI, the
 * command and @why (NULL: the timeout passed). Every later call fails at
 * once, and callers report nothing more (fwg_tpm_fail()). Returns @rc.
 */
static TSS2_RC lost(struct fwg_tpm *tpm, TSS2_RC rc, const char *why)
{
	char what[40];

	if (!tpm->lost && !tpm->closing) {
		command_name(tpm, what, sizeof(what));
		if (!why)
			fwg_tpm_log("TPM via TCTI '%s' not responding: no answer to %s "
				    "within %u s (tpm_timeout_s)", tpm->tcti_conf, what,
				    tpm->timeout_s);
		else
			fwg_tpm_log("TPM via TCTI '%s' lost during %s: %s", tpm->tcti_conf,
				    what, why);
	}
	tpm->lost = true;
	return rc;
}

/* A failure of the transport, not an answer the TPM or the protocol gave. */
static bool transport_failed(TSS2_RC rc)
{
	return rc != TSS2_RC_SUCCESS && rc != TSS2_TCTI_RC_TRY_AGAIN &&
	       rc != TSS2_TCTI_RC_INSUFFICIENT_BUFFER &&
	       fwg_tpm_rc_errno(rc) == FWG_TPM_E_UNAVAILABLE;
}

/* Run @c against @tpm's deadline; the TCTI's answer, or the loss. */
static TSS2_RC call_command(struct fwg_tpm *tpm, struct call *c)
{
	bool left_behind;
	int err = call_run(c, tpm->deadline_ns, &left_behind);

	if (left_behind)
		tpm->tcti_left_behind = true;
	if (err == -ETIMEDOUT)
		return lost(tpm, TSS2_TCTI_RC_NO_CONNECTION, NULL);
	if (err)
		return lost(tpm, TSS2_TCTI_RC_GENERAL_FAILURE, strerror(-err));
	return transport_failed(c->rc) ? lost(tpm, c->rc, Tss2_RC_Decode(c->rc)) : c->rc;
}

TSS2_RC fwg_tpm_transmit(struct fwg_tpm *tpm, size_t size, const uint8_t *command)
{
	struct call *c;
	TSS2_RC rc;

	if (tpm->lost)
		return TSS2_TCTI_RC_NO_CONNECTION;
	c = call_new(CALL_TRANSMIT, tpm->tcti, size);
	if (!c)
		return lost(tpm, TSS2_TCTI_RC_MEMORY, strerror(ENOMEM));
	memcpy(c->buf, command, size);
	c->size = size;
	/* One deadline for the command: its transmit and its receives. */
	tpm->deadline_ns = fwg_tpm_now_ns() + timeout_ns(tpm);
	rc = call_command(tpm, c);
	call_put(c);
	return rc;
}

TSS2_RC fwg_tpm_receive(struct fwg_tpm *tpm, size_t *size, uint8_t *response,
			int32_t timeout)
{
	size_t capacity = response ? *size : 0;
	struct call *c;
	TSS2_RC rc;

	if (tpm->lost)
		return TSS2_TCTI_RC_NO_CONNECTION;
	c = call_new(CALL_RECEIVE, tpm->tcti, capacity);
	if (!c)
		return lost(tpm, TSS2_TCTI_RC_MEMORY, strerror(ENOMEM));
	c->size = *size;
	c->size_only = !response;
	c->timeout = timeout;
	rc = call_command(tpm, c);
	if (!tpm->lost && (rc == TSS2_RC_SUCCESS || rc == TSS2_TCTI_RC_INSUFFICIENT_BUFFER)) {
		if (rc == TSS2_RC_SUCCESS && response)
			memcpy(response, c->buf, c->size < capacity ? c->size : capacity);
		*size = c->size;
	}
	call_put(c);
	return rc;
}

/* Tss2_TctiLdr_Initialize() within the timeout: 0 or FWG_TPM_E_UNAVAILABLE. */
int fwg_tpm_transport_open(struct fwg_tpm *tpm)
{
	struct call *c = call_new(CALL_INIT, NULL, 0);
	bool left_behind;
	int err;

	if (!c)
		return -ENOMEM;
	c->conf = strdup(tpm->tcti_conf);
	if (!c->conf) {
		call_put(c);
		return -ENOMEM;
	}
	err = call_run(c, fwg_tpm_now_ns() + timeout_ns(tpm), &left_behind);
	if (err == -ETIMEDOUT)
		fwg_tpm_log("cannot open TPM via TCTI '%s': not responding within %u s "
			    "(tpm_timeout_s)", tpm->tcti_conf, tpm->timeout_s);
	else if (err)
		fwg_tpm_log("cannot open TPM via TCTI '%s': %s", tpm->tcti_conf,
			    strerror(-err));
	else if (c->rc != TSS2_RC_SUCCESS)
		fwg_tpm_log("cannot open TPM via TCTI '%s': %s", tpm->tcti_conf,
			    Tss2_RC_Decode(c->rc));
	else
		tpm->tcti = c->tcti;
	call_put(c);
	return tpm->tcti ? 0 : FWG_TPM_E_UNAVAILABLE;
}

void fwg_tpm_transport_close(struct fwg_tpm *tpm)
{
	struct call *c;
	bool left_behind;

	/* A thread still in the TCTI may use it yet: left to the process's exit. */
	if (!tpm->tcti || tpm->tcti_left_behind)
		return;
	c = call_new(CALL_FINALIZE, tpm->tcti, 0);
	if (c) {
		/* Not finished in time: left behind as well. */
		call_run(c, fwg_tpm_now_ns() + timeout_ns(tpm), &left_behind);
		call_put(c);
	}
	tpm->tcti = NULL;
}
