/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Requests waiting on systemd or cgroupfs.  They sit on the manager's list
 * so a JobRemoved signal can find its request, and every request carries a
 * timer so a caller is never left without an answer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "decision.h"
#include "log.h"
#include "request.h"
#include "util.h"

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        Request *r = userdata;

        request_reply_error(r, BUS_ERROR("Timeout"),
                            "%s did not finish within %llu s; systemd or the kernel is stuck.",
                            r->method, REQUEST_TIMEOUT_USEC / 1000000);
        return 0;
}

static void link_request(Manager *m, Request *r)
{
        r->next = m->requests;
        if (m->requests)
                m->requests->prev = r;
        m->requests = r;
}

static void unlink_request(Request *r)
{
        if (r->prev)
                r->prev->next = r->next;
        else if (r->manager->requests == r)
                r->manager->requests = r->next;
        if (r->next)
                r->next->prev = r->prev;
        r->prev = r->next = NULL;
}

int request_new(Manager *m, sd_bus_message *call, Request **ret)
{
        Request *req;
        int r;

        req = calloc(1, sizeof(*req));
        if (!req)
                return -ENOMEM;

        req->manager = m;
        req->call = sd_bus_message_ref(call);
        req->method = sd_bus_message_get_member(call);
        req->pidfd = -EBADF;
        link_request(m, req);

        r = sd_event_add_time_relative(m->event, &req->timeout, CLOCK_MONOTONIC,
                                       REQUEST_TIMEOUT_USEC, 0, on_timeout, req);
        if (r < 0) {
                request_free(req);
                return r;
        }

        *ret = req;
        return 0;
}

Request *request_free(Request *r)
{
        if (!r)
                return NULL;

        unlink_request(r);
        sd_bus_slot_unref(r->slot);
        sd_event_source_disable_unref(r->timeout);
        sd_event_source_disable_unref(r->watch);
        sd_event_source_disable_unref(r->grace);
        sd_bus_message_unref(r->call);
        if (r->pidfd >= 0)
                close(r->pidfd);
        free(r->session);
        free(r->step);
        free(r->unit);
        free(r->job);
        free(r);
        return NULL;
}

static void send_and_free(Request *r, int sent)
{
        if (sent < 0)
                log_warning_errno(sent, "Failed to reply to %s, ignoring", r->method);
        request_free(r);
}

void request_reply_error(Request *r, const char *name, const char *fmt, ...)
{
        _cleanup_free_ char *text = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&text, fmt, ap);
        va_end(ap);

        if (n >= 0)
                log_warning("%s failed: %s", r->method, text);
        send_and_free(r, sd_bus_reply_method_error(
                                 r->call, &SD_BUS_ERROR_MAKE_CONST(name, n >= 0 ? text : name)));
}

void request_reply_bus_error(Request *r, const sd_bus_error *error)
{
        log_warning("%s failed: %s", r->method, error->message ?: error->name);
        send_and_free(r, sd_bus_reply_method_error(r->call, error));
}

void request_reply_errno(Request *r, int error, const char *what)
{
        request_reply_error(r, BUS_ERROR("Failed"), "%s: %s", what, strerror(-error));
}

/* A NULL reply answers with an empty method return. */
void request_reply(Request *r, sd_bus_message *reply)
{
        if (reply)
                send_and_free(r, sd_bus_send(NULL, reply, NULL));
        else
                send_and_free(r, sd_bus_reply_method_return(r->call, NULL));
}

Request *request_by_step(Manager *m, const char *session, const char *step)
{
        for (Request *r = m->requests; r; r = r->next)
                if (r->step && streq(r->step, step) && streq(r->session, session))
                        return r;
        return NULL;
}

Request *request_by_job(Manager *m, const char *job)
{
        for (Request *r = m->requests; r; r = r->next)
                if (r->job && streq(r->job, job))
                        return r;
        return NULL;
}

int reply_refused(sd_bus_message *call, const char *error, const char *fmt, ...)
{
        _cleanup_free_ char *text = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;

        decision_request_refused(sd_bus_message_get_member(call),
                                 sd_bus_message_get_sender(call), error, text);
        return answered(sd_bus_reply_method_error(call, &SD_BUS_ERROR_MAKE_CONST(error, text)));
}
