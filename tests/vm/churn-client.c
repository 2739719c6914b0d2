/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * churn-client: the client side of 27-restart's churn.  Creates and ends
 * CYCLES steps c1, c2, ... in SESSION over one bus connection, as fast as
 * the daemon answers, while the case SIGKILLs the daemon under it.
 *
 * One process for all cycles, because under TCG starting agentcgctl twice
 * per cycle costs about 0.3 s: a thousand cycles would take longer than
 * the whole vm suite may.  A call that fails because the daemon is gone
 * or restarting is retried; a retried create that finds its step (the
 * first try went through before the kill) or a retried end that finds
 * none counts as done, exactly as a runtime would treat them.
 *
 * Usage: churn-client SESSION CYCLES.  Prints the cycles, the retries and
 * the seconds taken; exits 1 if a call kept failing for CALL_DEADLINE_USEC.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "util.h"

#define CALL_DEADLINE_USEC (60ULL * 1000 * 1000)
#define RETRY_PAUSE_USEC (100 * 1000)
#define CALL_TIMEOUT_USEC (30ULL * 1000 * 1000)

static unsigned long retries;

static unsigned long long now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long)ts.tv_sec * 1000000 + (unsigned long long)ts.tv_nsec / 1000;
}

static int call_once(sd_bus *bus, const char *method, const char *session, const char *step,
                     sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, "org.agentcg1", "/org/agentcg1",
                                           "org.agentcg1.Manager", method);
        if (r >= 0 && strcmp(method, "CreateStep") == 0)
                r = sd_bus_message_append(m, "ssa(sv)", session, step, 0);
        else if (r >= 0)
                r = sd_bus_message_append(m, "sst", session, step, (uint64_t)0);
        if (r < 0)
                return r;

        return sd_bus_call(bus, m, CALL_TIMEOUT_USEC, error, &reply);
}

/* Calls METHOD until it succeeds, or fails with DONE_ERROR (the state it
 * wanted is there already), or the deadline passes. */
static int call_until_done(sd_bus *bus, const char *method, const char *done_error,
                           const char *session, const char *step)
{
        unsigned long long deadline = now_usec() + CALL_DEADLINE_USEC;

        for (;;) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                int r = call_once(bus, method, session, step, &error);

                if (r >= 0 || sd_bus_error_has_name(&error, done_error))
                        return 0;

                if (now_usec() >= deadline) {
                        fprintf(stderr, "churn-client: %s %s/%s kept failing: %s\n", method,
                                session, step, error.message ?: strerror(-r));
                        return r;
                }

                retries++;
                usleep(RETRY_PAUSE_USEC);
        }
}

int main(int argc, char **argv)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        unsigned long long start;
        unsigned long cycles;
        int r;

        if (argc != 3) {
                fprintf(stderr, "Usage: %s SESSION CYCLES\n", argv[0]);
                return 2;
        }
        cycles = strtoul(argv[2], NULL, 10);

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "churn-client: cannot connect to the system bus: %s\n",
                        strerror(-r));
                return 1;
        }

        start = now_usec();
        for (unsigned long i = 1; i <= cycles && r >= 0; i++) {
                char step[32];

                snprintf(step, sizeof(step), "c%lu", i);
                r = call_until_done(bus, "CreateStep", "org.agentcg1.Error.StepExists",
                                    argv[1], step);
                if (r >= 0)
                        r = call_until_done(bus, "EndStep", "org.agentcg1.Error.NoSuchStep",
                                            argv[1], step);
        }

        if (r >= 0)
                printf("%lu cycles, %lu retries, %.1f s\n", cycles, retries,
                       (double)(now_usec() - start) / 1e6);
        return r < 0 ? 1 : 0;
}
