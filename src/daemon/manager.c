/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The manager's lifetime: connect to the system bus, make sure
 * agentcg.slice is up, load the scheduler (or say once why not), take the
 * bus name, and tear it all down again in reverse order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "bus.h"
#include "decision.h"
#include "discover.h"
#include "log.h"
#include "manager.h"
#include "memory.h"
#include "names.h"
#include "sched-supervisor.h"
#include "step.h"
#include "request.h"
#include "unit.h"
#include "util.h"

int session_unit_name(const char *session, char **ret)
{
        return asprintf(ret, "agentcg-%s.scope", session) < 0 ? -ENOMEM : 0;
}

int session_name_from_unit(const char *unit, char **ret)
{
        size_t n = strlen(unit), prefix = strlen("agentcg-"), suffix = strlen(".scope");
        char *name;

        if (n <= prefix + suffix || strncmp(unit, "agentcg-", prefix) != 0 ||
            !streq(unit + n - suffix, ".scope"))
                return -EINVAL;

        name = strndup(unit + prefix, n - prefix - suffix);
        if (!name)
                return -ENOMEM;
        if (name_check(name, NULL) < 0) {
                free(name);
                return -EINVAL;
        }

        *ret = name;
        return 0;
}

int session_cgroup(const char *session, char **ret)
{
        return asprintf(ret, "/%s/agentcg-%s.scope", SLICE_UNIT, session) < 0 ? -ENOMEM : 0;
}

int step_cgroup(const char *session, const char *step, char **ret)
{
        return asprintf(ret, "/%s/agentcg-%s.scope/%s", SLICE_UNIT, session, step) < 0
                       ? -ENOMEM
                       : 0;
}

static int absolute(const Manager *m, const char *cgroup, char **ret)
{
        return asprintf(ret, "%s%s", m->cgroup_root, cgroup) < 0 ? -ENOMEM : 0;
}

int session_dir(const Manager *m, const char *session, char **ret)
{
        _cleanup_free_ char *cgroup = NULL;
        int r;

        r = session_cgroup(session, &cgroup);
        return r < 0 ? r : absolute(m, cgroup, ret);
}

int step_dir(const Manager *m, const char *session, const char *step, char **ret)
{
        _cleanup_free_ char *cgroup = NULL;
        int r;

        r = step_cgroup(session, step, &cgroup);
        return r < 0 ? r : absolute(m, cgroup, ret);
}

int manager_new(Manager **ret)
{
        _cleanup_(manager_freep) Manager *m = NULL;
        const char *root = getenv("AGENTCG_CGROUP_ROOT");
        const char *config_dir = getenv("AGENTCG_CONFIG_DIR");
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;

        m->cgroup_root = strdup(root ?: CGROUP_ROOT);
        m->config_dir = strdup(config_dir ?: CONFIG_DIR);
        if (!m->cgroup_root || !m->config_dir)
                return -ENOMEM;
        config_defaults(&m->config);

        r = sd_event_default(&m->event);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m)
{
        if (!m)
                return NULL;

        step_unwatch_all(m);
        while (m->requests)
                request_reply_error(m->requests, BUS_ERROR("ShuttingDown"),
                                    "agentcgroupd is stopping; try again once it is back.");

        sched_supervisor_stop(m);
        m->memory = memory_free(m->memory);

        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        free(m->cgroup_root);
        free(m->config_dir);
        free(m);
        return NULL;
}

int manager_reload(Manager *m, char **ret_error)
{
        _cleanup_free_ char *error = NULL;
        Config fresh;
        int r;

        r = config_load(m->config_dir, &fresh, &error);
        if (r < 0) {
                decision_config_rejected(error ?: strerror(-r), true);
                if (ret_error)
                        *ret_error = TAKE_PTR(error);
                return r;
        }

        m->config = fresh;
        sched_supervisor_reload(m);
        decision_config_loaded(true);
        return 0;
}

/* A bad configuration at start is fatal: running with defaults the operator
 * did not ask for would be worse than not running. */
static int load_config(Manager *m)
{
        _cleanup_free_ char *error = NULL;
        int r;

        r = config_load(m->config_dir, &m->config, &error);
        if (r < 0) {
                decision_config_rejected(error ?: strerror(-r), false);
                return log_error_errno(r, "Invalid configuration: %s", error ?: "");
        }

        decision_config_loaded(false);
        return 0;
}

int manager_start(Manager *m)
{
        int fd, r;

        r = load_config(m);
        if (r < 0)
                return r;

        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus");

        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop");

        r = unit_watch_jobs(m);
        if (r < 0)
                return r;

        r = unit_start_slice(m);
        if (r < 0)
                return r;

        /* The memory observer first: the scheduler shares its map. */
        r = memory_start(m);
        if (r < 0)
                return r;
        fd = memory_pressure_fd(m);
        sched_supervisor_set_mem_pressure_fd(m, fd >= 0 ? fd : -1);

        /* Attaching can fail for reasons the operator must see (another
         * sched_ext scheduler active, a verifier rejection); the daemon
         * still governs cgroups, so only running out of memory is fatal. */
        r = sched_supervisor_start(m);
        if (r < 0)
                return log_error_errno(r, "Failed to start the scheduler's supervisor");

        r = step_watch_all(m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch existing steps");

        r = discover_start(m);
        if (r < 0)
                return r;

        r = bus_publish(m);
        if (r < 0)
                return r;

        return 0;
}

int manager_run(Manager *m)
{
        (void)sd_notifyf(false, "READY=1\nSTATUS=Governing " SLICE_UNIT " (scheduler: %s)",
                         m->scheduler ? scheduler_ops_name() : "none");

        return sd_event_loop(m->event);
}
