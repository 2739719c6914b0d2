/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where a step's worker runs.
 *
 * PLACE_NONE leaves it where the driver runs: the "no control" arm puts
 * the whole replay in one cgroup, so every task competes with every other
 * task as the fair scheduler sees fit.  A step is then just a process
 * group, which is what a step's end kills.
 *
 * PLACE_DBUS is the product's path, the one an agent runtime would take:
 * each plan session is an agentcgroupd session (CreateSession), each step
 * a step of it with the plan's class, cpu.weight and memory limit, the
 * latter as memory.max or, for the memory.high arm, as memory.high
 * (CreateStep; that arm also leaves every cpu.weight at 100),
 * the worker is moved in before it runs (AddProcess).  The daemon ends a
 * step by itself once its last process exited; the replayer ends it
 * (EndStep, which kills what is left) only when it has to stop a worker
 * or a worker failed.  The
 * session adopts a placeholder process rather than the driver: ending a
 * session kills all of it, and the driver must outlive its session to
 * record the last step.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "replay.h"
#include "util.h"

#define BUS_NAME "org.agentcg1"
#define BUS_PATH "/org/agentcg1"
#define BUS_INTERFACE "org.agentcg1.Manager"

/* The daemon answers once systemd's job is done; under TCG, with
 * neighbours hammering the CPUs, that can take many seconds. */
#define CALL_TIMEOUT_USEC (120 * UINT64_C(1000000))

/* The kernel's cpu.weight for a cgroup nobody configured. */
#define CPU_WEIGHT_DEFAULT UINT64_C(100)

struct Placer {
        PlaceMode mode;
        MemoryKnob knob;
        bool cpu_weights;
        char session[NAME_MAX_LEN + 1];
        sd_bus *bus;
        pid_t holder;
        bool session_created;
};

static const char *const place_modes[_PLACE_MODE_MAX] = {
        [PLACE_NONE] = "none",
        [PLACE_DBUS] = "dbus",
};

const char *place_mode_to_string(PlaceMode m)
{
        return m >= 0 && m < _PLACE_MODE_MAX ? place_modes[m] : "?";
}

int place_mode_from_string(const char *s)
{
        for (int i = 0; i < _PLACE_MODE_MAX; i++)
                if (streq(place_modes[i], s))
                        return i;
        return -EINVAL;
}

static int log_bus_error(const Placer *p, const char *method, const char *step,
                         const sd_bus_error *error, int r)
{
        fprintf(stderr, "agentcg-replay: %s(%s%s%s) failed: %s\n", method, p->session,
                step ? "/" : "", step ?: "",
                sd_bus_error_is_set(error) ? error->message : strerror(-r));
        return r;
}

static bool error_is_gone(const sd_bus_error *error)
{
        return sd_bus_error_has_names(error, "org.agentcg1.Error.NoSuchSession",
                                      "org.agentcg1.Error.NoSuchStep");
}

/* A process that only waits to be killed, for the session to adopt; it
 * dies with the driver, so a crashed driver leaves no stray holder. */
static pid_t spawn_holder(void)
{
        pid_t parent = getpid(), pid;

        pid = fork();
        if (pid != 0)
                return pid;

        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                _exit(EXIT_SUCCESS);
        for (;;)
                pause();
}

static int create_session(Placer *p)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        p->holder = spawn_holder();
        if (p->holder < 0)
                return negative_errno();

        r = sd_bus_call_method(p->bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "CreateSession",
                               &error, &reply, "su", p->session, (uint32_t)p->holder);
        sd_bus_message_unref(reply);
        if (r < 0)
                return log_bus_error(p, "CreateSession", NULL, &error, r);

        p->session_created = true;
        return 0;
}

int placer_open(PlaceMode mode, MemoryKnob knob, bool cpu_weights, const char *session,
                Placer **ret)
{
        Placer *p;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->mode = mode;
        p->knob = knob;
        p->cpu_weights = cpu_weights;
        p->holder = -1;
        snprintf(p->session, sizeof(p->session), "%s", session);

        if (mode == PLACE_DBUS) {
                r = sd_bus_open_system(&p->bus);
                if (r < 0) {
                        fprintf(stderr, "agentcg-replay: cannot connect to the system bus: %s\n",
                                strerror(-r));
                        placer_close(p);
                        return r;
                }
                (void)sd_bus_set_method_call_timeout(p->bus, CALL_TIMEOUT_USEC);

                r = create_session(p);
                if (r < 0) {
                        placer_close(p);
                        return r;
                }
        }

        *ret = p;
        return 0;
}

int placer_step_begin(Placer *p, const Step *s, pid_t pid)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        if (p->mode != PLACE_DBUS)
                return 0;

        /* The class as well as the knobs: the class is what tells
         * agentcg's scheduler how to treat the step, the knobs are given
         * explicitly so that every arm gets the plan's values whatever
         * the daemon's configuration says. */
        r = sd_bus_call_method(p->bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "CreateStep", &error,
                               &reply, "ssa(sv)", p->session, s->name, 4, "Class", "s",
                               s->class, "CPUWeight", "t",
                               p->cpu_weights ? s->cpu_weight : CPU_WEIGHT_DEFAULT, "MemoryHigh", "t",
                               p->knob == MEMORY_KNOB_HIGH ? s->memory_max : UINT64_MAX,
                               "MemoryMax", "t",
                               p->knob == MEMORY_KNOB_MAX ? s->memory_max : UINT64_MAX);
        reply = sd_bus_message_unref(reply);
        if (r < 0)
                return log_bus_error(p, "CreateStep", s->name, &error, r);

        r = sd_bus_call_method(p->bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "AddProcess", &error,
                               &reply, "ssu", p->session, s->name, (uint32_t)pid);
        sd_bus_message_unref(reply);
        if (r < 0)
                return log_bus_error(p, "AddProcess", s->name, &error, r);
        return 0;
}

void placer_step_end(Placer *p, const Step *s, pid_t pid)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        if (p->mode != PLACE_DBUS) {
                /* The worker made itself a process group leader. */
                if (pid > 0)
                        (void)kill(-pid, SIGKILL);
                return;
        }

        /* No grace period: what is left is killed at once.  The step may
         * have ended on its own meanwhile; then it is gone, which is fine. */
        r = sd_bus_call_method(p->bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "EndStep", &error,
                               &reply, "sst", p->session, s->name, UINT64_C(0));
        sd_bus_message_unref(reply);
        if (r < 0 && !error_is_gone(&error))
                (void)log_bus_error(p, "EndStep", s->name, &error, r);
}

void placer_close(Placer *p)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        if (!p)
                return;

        if (p->session_created) {
                r = sd_bus_call_method(p->bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "EndSession",
                                       &error, &reply, "s", p->session);
                sd_bus_message_unref(reply);
                if (r < 0 && !error_is_gone(&error))
                        (void)log_bus_error(p, "EndSession", NULL, &error, r);
        }
        if (p->holder > 0) {
                (void)kill(p->holder, SIGKILL);
                (void)waitpid(p->holder, NULL, 0);
        }
        sd_bus_flush_close_unref(p->bus);
        free(p);
}
