/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * agentcgroupd: entry point.  Parses the (small) command line, blocks the
 * signals the event loop handles, runs the manager and says STOPPING=1 to
 * systemd before tearing down, so the scheduler is detached and pending
 * callers are answered before the process exits.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "log.h"
#include "manager.h"
#include "util.h"

static void help(void)
{
        printf("Usage: agentcgroupd [OPTIONS]\n\n"
               "Governs agentcg.slice: sessions as delegated scopes, steps as their\n"
               "sub-cgroups, CPU policy through a sched_ext scheduler.\n\n"
               "  -h --help       Show this help\n"
               "     --version    Show the version\n\n"
               "See agentcgroupd(8).\n");
}

/* Returns 1 to run, 0 to exit successfully, negative errno on bad usage. */
static int parse_argv(int argc, char *argv[])
{
        enum { ARG_VERSION = 0x100 };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("agentcgroupd %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }

        if (optind < argc) {
                log_error("agentcgroupd takes no arguments.");
                return -EINVAL;
        }
        return 1;
}

static int on_terminate(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        (void)sd_notify(false, "STOPPING=1\nSTATUS=Stopping");
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* Type=notify-reload: systemd sends SIGHUP and waits for RELOADING=1, then
 * READY=1.  A rejected configuration is logged as a decision and the old
 * one stays; the daemon itself is fine, so it still says READY=1. */
static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        uint64_t now = 0;

        (void)sd_event_now(sd_event_source_get_event(s), CLOCK_MONOTONIC, &now);
        (void)sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64
                                "\nSTATUS=Reloading configuration",
                         now);

        (void)manager_reload(userdata, NULL);

        (void)sd_notify(false, "READY=1\nSTATUS=Governing agentcg.slice");
        return 0;
}

static int watch_signals(Manager *m)
{
        static const int signals[] = { SIGTERM, SIGINT, SIGHUP };
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(signals); i++)
                sigaddset(&mask, signals[i]);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;

        for (size_t i = 0; i < ELEMENTSOF(signals); i++) {
                r = sd_event_add_signal(m->event, NULL, signals[i],
                                        signals[i] == SIGHUP ? on_reload : on_terminate, m);
                if (r < 0)
                        return r;
        }
        return 0;
}

int main(int argc, char *argv[])
{
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        r = manager_new(&m);
        if (r < 0) {
                log_error_errno(r, "Failed to set up");
                return EXIT_FAILURE;
        }

        r = watch_signals(m);
        if (r < 0) {
                log_error_errno(r, "Failed to watch signals");
                return EXIT_FAILURE;
        }

        r = manager_start(m);
        if (r < 0) {
                (void)sd_notifyf(false, "STATUS=Failed to start: %s\nERRNO=%i", strerror(-r), -r);
                return EXIT_FAILURE;
        }

        r = manager_run(m);
        if (r < 0) {
                log_error_errno(r, "Event loop failed");
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
