/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A request is a D-Bus call the daemon cannot answer at once: it waits for
 * a systemd job or for a cgroup to empty.  The request owns a reference to
 * the caller's message and replies exactly once, when it is finished, on
 * error, or when its timeout fires.
 */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "manager.h"

/* Called when the systemd job a request waits for is gone; RESULT is
 * systemd's ("done", "failed", "canceled", ...). */
typedef void (*request_job_done_t)(Request *r, const char *result);

struct Request {
        Manager *manager;
        sd_bus_message *call;
        const char *method;
        char *session;
        char *step;
        char *unit;
        char *job;
        pid_t pid;
        /* CreateSession: a pidfd of the adopted process, to tell after
         * systemd's job that the PID it adopted was still that process,
         * and the caller's uid, recorded as the session's owner. */
        int pidfd;
        uid_t owner;
        sd_bus_slot *slot;
        sd_event_source *timeout;
        sd_event_source *watch;
        request_job_done_t job_done;
        /* For requests that wait on a step's cgroup.events: called on every
         * change with the step's directory. */
        void (*events_changed)(Request *r, const char *dir);
        sd_event_source *grace;
        bool killed;
        bool freeze;
        Request *prev, *next;
};

int request_new(Manager *m, sd_bus_message *call, Request **ret);
Request *request_free(Request *r);

/* Reply to the caller and free the request. */
void request_reply_error(Request *r, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void request_reply_bus_error(Request *r, const sd_bus_error *error);
void request_reply_errno(Request *r, int error, const char *what);
void request_reply(Request *r, sd_bus_message *reply);

Request *request_by_job(Manager *m, const char *job);
Request *request_by_step(Manager *m, const char *session, const char *step);

/* sd-bus takes a method handler's 0 for "not handled" and answers with
 * "Unknown method" on top of any reply already sent; handlers that
 * answered or took the call over return 1. */
static inline int answered(int r)
{
        return r < 0 ? r : 1;
}

/* Refuses CALL at once with ERROR and a message, and logs the refusal as a
 * decision.  For calls that never become requests.  Returns 1 or negative
 * errno, like a handler. */
int reply_refused(sd_bus_message *call, const char *error, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
