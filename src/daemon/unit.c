/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * systemd's side of sessions.  A session is a transient scope with
 * Delegate=yes in agentcg.slice adopting the caller's process; what happens
 * inside the delegated subtree is session.c's business.
 *
 * Every call is asynchronous: the method reply carries the job path, and
 * the answer to our caller waits for the JobRemoved signal of that job.
 * The match for JobRemoved is installed at start, before any job exists,
 * and systemd sends a job's JobRemoved only after replying with its path,
 * so no completion can be missed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "unit.h"
#include "util.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

/* Processes get this long after SIGTERM before systemd sends SIGKILL when a
 * session ends. */
#define SCOPE_STOP_TIMEOUT_USEC (10ULL * 1000 * 1000)

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Manager *manager = userdata;
        const char *job, *unit, *result;
        Request *r;
        uint32_t id;
        int k;

        k = sd_bus_message_read(m, "uoss", &id, &job, &unit, &result);
        if (k < 0) {
                log_warning_errno(k, "Malformed JobRemoved signal, ignoring");
                return 0;
        }

        r = request_by_job(manager, job);
        if (r)
                r->job_done(r, result);
        return 0;
}

int unit_watch_jobs(Manager *m)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_match_signal(m->bus, NULL, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                "JobRemoved", on_job_removed, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch systemd jobs");

        r = sd_bus_call_method(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe",
                               &error, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe to systemd: %s",
                                       error.message ?: "");
        return 0;
}

int unit_start_slice(Manager *m)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "StartUnit",
                               &error, NULL, "ss", SLICE_UNIT, "fail");
        if (r < 0)
                return log_error_errno(r, "Failed to start %s: %s", SLICE_UNIT,
                                       error.message ?: "");
        return 0;
}

static int on_job_queued(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Request *r = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *job;
        int k;

        r->slot = sd_bus_slot_unref(r->slot);

        if (e) {
                if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit"))
                        r->job_done(r, "gone");
                else
                        request_reply_bus_error(r, e);
                return 0;
        }

        k = sd_bus_message_read(m, "o", &job);
        if (k < 0) {
                request_reply_errno(r, k, "Unexpected reply from systemd");
                return 0;
        }

        r->job = strdup(job);
        if (!r->job)
                request_reply_errno(r, -ENOMEM, "Cannot track systemd job");
        return 0;
}

static int append_scope_properties(sd_bus_message *m, const Request *r)
{
        _cleanup_free_ char *description = NULL;

        if (asprintf(&description, "agentcg session %s", r->session) < 0)
                return -ENOMEM;

        return sd_bus_message_append(m, "a(sv)", 5,
                                     "Description", "s", description,
                                     "Slice", "s", SLICE_UNIT,
                                     "Delegate", "b", 1,
                                     "TimeoutStopUSec", "t", SCOPE_STOP_TIMEOUT_USEC,
                                     "PIDs", "au", 1, (uint32_t)r->pid);
}

int unit_start_scope(Request *r)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int k;

        k = sd_bus_message_new_method_call(r->manager->bus, &m, SYSTEMD_DEST, SYSTEMD_PATH,
                                           SYSTEMD_MANAGER, "StartTransientUnit");
        if (k < 0)
                return k;

        k = sd_bus_message_append(m, "ss", r->unit, "fail");
        if (k < 0)
                return k;

        k = append_scope_properties(m, r);
        if (k < 0)
                return k;

        k = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (k < 0)
                return k;

        return sd_bus_call_async(r->manager->bus, &r->slot, m, on_job_queued, r,
                                 REQUEST_TIMEOUT_USEC);
}

int unit_stop(Request *r)
{
        return sd_bus_call_method_async(r->manager->bus, &r->slot, SYSTEMD_DEST, SYSTEMD_PATH,
                                        SYSTEMD_MANAGER, "StopUnit", on_job_queued, r, "ss",
                                        r->unit, "fail");
}
