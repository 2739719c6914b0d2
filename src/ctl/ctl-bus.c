/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Calls to agentcgroupd.  Each wrapper sends one method call and copies
 * what the caller needs out of the reply, so no reply message outlives the
 * function that received it.  A failed call leaves its D-Bus error in
 * *error for the caller to judge: run, for one, ignores a NoSuchStep from
 * EndStep that every other verb reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/pidfd.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-bus.h"
#include "util.h"

bool arg_ask_password = true;

struct hint {
        const char *error;
        const char *text;
};

/* What a user most likely has to do about errors that do not come from
 * agentcgroupd itself; the daemon's own errors already say it. */
static const struct hint hints[] = {
        { SD_BUS_ERROR_SERVICE_UNKNOWN, "is agentcgroupd running?" },
        { SD_BUS_ERROR_NAME_HAS_NO_OWNER, "is agentcgroupd running?" },
        { SD_BUS_ERROR_ACCESS_DENIED,
          "the bus refused the call; is org.agentcg1.conf installed in dbus-1/system.d?" },
        { SD_BUS_ERROR_NO_REPLY, "agentcgroupd did not answer in time; see its journal" },
        { SD_BUS_ERROR_TIMEOUT, "agentcgroupd did not answer in time; see its journal" },
};

static const char *hint_for(const sd_bus_error *error)
{
        for (size_t i = 0; i < ELEMENTSOF(hints); i++)
                if (sd_bus_error_has_name(error, hints[i].error))
                        return hints[i].text;
        return NULL;
}

int ctl_log_bus_error(const sd_bus_error *error, int r, const char *fmt, ...)
{
        const char *message = strerror(-r), *hint;
        va_list ap;

        if (error && sd_bus_error_is_set(error))
                message = error->message ?: error->name;

        fputs("agentcgctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, ": %s\n", message);

        hint = hint_for(error);
        if (hint)
                fprintf(stderr, "agentcgctl: %s\n", hint);
        return r;
}

int ctl_bus_open(sd_bus **ret)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                ctl_log_bus_error(NULL, r, "cannot connect to the system bus");
                if (r == -ENOENT || r == -ECONNREFUSED)
                        fprintf(stderr, "agentcgctl: is the D-Bus system bus running?\n");
                return r;
        }

        r = sd_bus_set_method_call_timeout(bus, CTL_CALL_TIMEOUT_USEC);
        if (r < 0)
                return ctl_log_bus_error(NULL, r, "cannot set the method call timeout");

        r = sd_bus_set_allow_interactive_authorization(bus, arg_ask_password);
        if (r < 0)
                return ctl_log_bus_error(NULL, r, "cannot allow interactive authorization");

        *ret = TAKE_PTR(bus);
        return 0;
}

static int call_manager(sd_bus *bus, const char *member, sd_bus_error *error,
                        sd_bus_message **reply, const char *types, ...)
{
        va_list ap;
        int r;

        va_start(ap, types);
        r = sd_bus_call_methodv(bus, AGENTCG_BUS_NAME, AGENTCG_OBJECT_PATH, AGENTCG_INTERFACE,
                                member, error, reply, types, ap);
        va_end(ap);
        return r;
}

int ctl_create_session(sd_bus *bus, const char *name, pid_t pid, char **ret_unit,
                       char **ret_cgroup, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *unit_copy = NULL, *cgroup_copy = NULL;
        _cleanup_close_ int pidfd = -EBADF;
        const char *unit, *cgroup;
        int r;

        /* By pidfd, as for steps: the daemon adopts the process we named.
         * PID 0 is ourselves. */
        pidfd = pidfd_open(pid ?: getpid(), 0);
        if (pidfd >= 0)
                r = call_manager(bus, "CreateSessionByPIDFD", error, &reply, "sha(sv)", name,
                                 pidfd, 0);
        else
                r = call_manager(bus, "CreateSession", error, &reply, "su", name,
                                 (uint32_t)pid);
        if (r < 0)
                return r;

        r = sd_bus_message_read(reply, "ss", &unit, &cgroup);
        if (r < 0)
                return r;

        unit_copy = strdup(unit);
        cgroup_copy = strdup(cgroup);
        if (!unit_copy || !cgroup_copy)
                return -ENOMEM;

        if (ret_unit)
                *ret_unit = TAKE_PTR(unit_copy);
        if (ret_cgroup)
                *ret_cgroup = TAKE_PTR(cgroup_copy);
        return 0;
}

int ctl_end_session(sd_bus *bus, const char *name, sd_bus_error *error)
{
        return call_manager(bus, "EndSession", error, NULL, "s", name);
}

/* Only the settings the user gave go on the bus; the rest come from the
 * step's class on the daemon's side. */
static int append_settings(sd_bus_message *m, const struct ctl_limits *l)
{
        int r;

        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0 && l->class)
                r = sd_bus_message_append(m, "(sv)", "Class", "s", l->class);
        if (r >= 0 && l->cpu_weight)
                r = sd_bus_message_append(m, "(sv)", "CPUWeight", "t", l->cpu_weight);
        /* The quota is per 100 ms, so the period goes along with it. */
        if (r >= 0 && l->cpu_max_quota)
                r = sd_bus_message_append(m, "(sv)", "CPUMaxQuotaUSec", "t", l->cpu_max_quota);
        if (r >= 0 && l->cpu_max_quota)
                r = sd_bus_message_append(m, "(sv)", "CPUMaxPeriodUSec", "t", UINT64_C(100000));
        if (r >= 0 && l->memory_high)
                r = sd_bus_message_append(m, "(sv)", "MemoryHigh", "t", l->memory_high);
        if (r >= 0 && l->memory_max)
                r = sd_bus_message_append(m, "(sv)", "MemoryMax", "t", l->memory_max);
        if (r >= 0 && l->tasks_max)
                r = sd_bus_message_append(m, "(sv)", "TasksMax", "t", l->tasks_max);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

int ctl_create_step(sd_bus *bus, const char *session, const char *step,
                    const struct ctl_limits *limits, char **ret_cgroup, int *ret_fd,
                    sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *cgroup;
        int r, fd;

        r = sd_bus_message_new_method_call(bus, &m, AGENTCG_BUS_NAME, AGENTCG_OBJECT_PATH,
                                           AGENTCG_INTERFACE, "CreateStep");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", session, step);
        if (r >= 0)
                r = append_settings(m, limits);
        if (r < 0)
                return r;

        r = sd_bus_call(bus, m, CTL_CALL_TIMEOUT_USEC, error, &reply);
        if (r < 0)
                return r;

        r = sd_bus_message_read(reply, "sh", &cgroup, &fd);
        if (r < 0)
                return r;

        /* The fd belongs to the message; ours must outlive it. */
        if (ret_fd) {
                *ret_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                if (*ret_fd < 0)
                        return -errno;
        }

        if (ret_cgroup) {
                *ret_cgroup = strdup(cgroup);
                if (!*ret_cgroup)
                        return -ENOMEM;
        }
        return 0;
}

/* By pidfd, so the daemon moves the process we resolved, not one that got
 * its PID after it exited. */
int ctl_add_process(sd_bus *bus, const char *session, const char *step, pid_t pid,
                    sd_bus_error *error)
{
        _cleanup_close_ int pidfd = -EBADF;

        /* Without a pidfd (no such process, or a kernel before 5.3) the
         * daemon still checks the PID and says what is wrong. */
        pidfd = pidfd_open(pid, 0);
        if (pidfd < 0)
                return call_manager(bus, "AddProcess", error, NULL, "ssu", session, step,
                                    (uint32_t)pid);

        return call_manager(bus, "AddProcessByPIDFD", error, NULL, "ssh", session, step, pidfd);
}

int ctl_end_step(sd_bus *bus, const char *session, const char *step, uint64_t grace_usec,
                 sd_bus_message **ret_usage, sd_bus_error *error)
{
        return call_manager(bus, "EndStep", error, ret_usage, "sst", session, step, grace_usec);
}

int ctl_print_usage(sd_bus_message *usage)
{
        const char *key;
        int r;

        r = sd_bus_message_enter_container(usage, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(usage, 'e', "sv")) > 0) {
                const char *contents;
                uint64_t t;
                int b;

                r = sd_bus_message_read(usage, "s", &key);
                if (r >= 0)
                        r = sd_bus_message_peek_type(usage, NULL, &contents);
                if (r < 0)
                        break;

                if (streq(contents, "t")) {
                        r = sd_bus_message_read(usage, "v", "t", &t);
                        if (r >= 0)
                                printf("%s=%" PRIu64 "\n", key, t);
                } else if (streq(contents, "b")) {
                        r = sd_bus_message_read(usage, "v", "b", &b);
                        if (r >= 0)
                                printf("%s=%s\n", key, b ? "yes" : "no");
                } else
                        r = sd_bus_message_skip(usage, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(usage);
        }
        return r < 0 ? r : 0;
}

int ctl_step_call(sd_bus *bus, const char *method, const char *session, const char *step,
                  sd_bus_error *error)
{
        return call_manager(bus, method, error, NULL, "ss", session, step);
}

void ctl_list_done(struct ctl_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->entries[i].name);
                free(l->entries[i].cgroup);
        }
        free(l->entries);
        *l = (struct ctl_list){};
}

static int list_append(struct ctl_list *l, const char *name, const char *cgroup)
{
        struct ctl_entry *entries, *e;

        entries = reallocarray(l->entries, l->n + 1, sizeof(*entries));
        if (!entries)
                return -ENOMEM;
        l->entries = entries;

        e = &entries[l->n];
        e->name = strdup(name);
        e->cgroup = strdup(cgroup);
        if (!e->name || !e->cgroup) {
                free(e->name);
                free(e->cgroup);
                return -ENOMEM;
        }

        l->n++;
        return 0;
}

static int entry_compare(const void *a, const void *b)
{
        const struct ctl_entry *x = a, *y = b;

        return strcmp(x->name, y->name);
}

/* Reads an a(ss) reply into *ret, sorted by name: the daemon lists in
 * cgroupfs directory order, which is no order a reader can use. */
static int read_list(sd_bus_message *reply, struct ctl_list *ret)
{
        _cleanup_(ctl_list_done) struct ctl_list l = {};
        const char *name, *cgroup;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(ss)");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_read(reply, "(ss)", &name, &cgroup)) > 0) {
                r = list_append(&l, name, cgroup);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;

        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;

        if (l.n > 0)
                qsort(l.entries, l.n, sizeof(*l.entries), entry_compare);

        *ret = l;
        l = (struct ctl_list){};
        return 0;
}

int ctl_list_sessions(sd_bus *bus, struct ctl_list *ret, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = call_manager(bus, "ListSessions", error, &reply, "");
        if (r < 0)
                return r;

        return read_list(reply, ret);
}

int ctl_list_steps(sd_bus *bus, const char *session, struct ctl_list *ret, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = call_manager(bus, "ListSteps", error, &reply, "s", session);
        if (r < 0)
                return r;

        return read_list(reply, ret);
}

int ctl_get_property(sd_bus *bus, const char *name, char **ret, sd_bus_error *error)
{
        return sd_bus_get_property_string(bus, AGENTCG_BUS_NAME, AGENTCG_OBJECT_PATH,
                                          AGENTCG_INTERFACE, name, error, ret);
}

int ctl_get_object(sd_bus *bus, const char *session, const char *step, sd_bus_message **ret,
                   sd_bus_error *error)
{
        _cleanup_free_ char *path = NULL;
        int r;

        if (step)
                r = sd_bus_path_encode_many(&path, AGENTCG_OBJECT_PATH "/session/%/step/%",
                                            session, step);
        else
                r = sd_bus_path_encode_many(&path, AGENTCG_OBJECT_PATH "/session/%", session);
        if (r < 0)
                return r;

        return sd_bus_call_method(bus, AGENTCG_BUS_NAME, path, "org.freedesktop.DBus.Properties",
                                  "GetAll", error, ret, "s",
                                  step ? "org.agentcg1.Step" : "org.agentcg1.Session");
}
