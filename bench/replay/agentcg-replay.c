/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * agentcg-replay: the evaluation's workload generator (see replay.h for
 * how it is put together and bench/README.md for how it is used).
 *
 *   agentcg-replay calibrate
 *   agentcg-replay run --plan FILE --calibration FILE --out DIR
 *                      [--place none|dbus] [--memory-knob max|high]
 *                      [--cpu-weights plan|default]
 *                      [--arm NAME] [--rep N]
 *                      [--scenario NAME] [--noise all|none|TAG,...]
 *                      [--deadline-ms MS] [--noise-lead-ms MS]
 *   agentcg-replay burn ITERATIONS      (a compile burst's child)
 *   agentcg-replay nop                  (what calibrate times spawning)
 *
 * Exit status: 0 on success, 1 if the replay or a driver failed, 2 on a
 * usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "util.h"

static int usage_error(const char *msg)
{
        fprintf(stderr, "agentcg-replay: %s (see the header of agentcg-replay.c)\n", msg);
        return 2;
}

static int parse_u64_arg(const char *s, uint64_t *ret)
{
        char *end;

        errno = 0;
        *ret = strtoull(s, &end, 10);
        return errno || !*s || *end || *s == '-' ? -EINVAL : 0;
}

static int verb_calibrate(void)
{
        Calibration c;
        int r;

        r = calibration_measure("/proc/self/exe", &c);
        if (r < 0) {
                fprintf(stderr, "agentcg-replay: calibration failed: %s\n", strerror(-r));
                return 1;
        }
        printf("iters_per_ms %.1f\ntouch_ms_per_mb %.4f\nspawn_ms %.3f\n", c.iters_per_ms,
               c.touch_ms_per_mb, c.spawn_ms);
        return fflush(stdout) == 0 ? 0 : 1;
}

enum {
        ARG_PLAN = 0x100,
        ARG_CALIBRATION,
        ARG_OUT,
        ARG_PLACE,
        ARG_MEMORY_KNOB,
        ARG_CPU_WEIGHTS,
        ARG_ARM,
        ARG_REP,
        ARG_SCENARIO,
        ARG_NOISE,
        ARG_DEADLINE,
        ARG_NOISE_LEAD,
};

static int parse_run_option(int c, RunOptions *o)
{
        uint64_t v;
        int m;

        switch (c) {
        case ARG_PLAN:
                o->plan_path = optarg;
                return 0;
        case ARG_CALIBRATION:
                o->calibration_path = optarg;
                return 0;
        case ARG_OUT:
                o->out_dir = optarg;
                return 0;
        case ARG_PLACE:
                m = place_mode_from_string(optarg);
                if (m < 0)
                        return -EINVAL;
                o->place = m;
                return 0;
        case ARG_MEMORY_KNOB:
                if (streq(optarg, "max"))
                        o->memory_knob = MEMORY_KNOB_MAX;
                else if (streq(optarg, "high"))
                        o->memory_knob = MEMORY_KNOB_HIGH;
                else
                        return -EINVAL;
                return 0;
        case ARG_CPU_WEIGHTS:
                if (streq(optarg, "plan"))
                        o->cpu_weights = true;
                else if (streq(optarg, "default"))
                        o->cpu_weights = false;
                else
                        return -EINVAL;
                return 0;
        case ARG_ARM:
                o->arm = optarg;
                return 0;
        case ARG_REP:
                if (parse_u64_arg(optarg, &v) < 0 || v > 1000000)
                        return -EINVAL;
                o->rep = (unsigned)v;
                return 0;
        case ARG_SCENARIO:
                o->scenario = optarg;
                return 0;
        case ARG_NOISE:
                o->noise = optarg;
                return 0;
        case ARG_DEADLINE:
                return parse_u64_arg(optarg, &o->deadline_ms);
        case ARG_NOISE_LEAD:
                return parse_u64_arg(optarg, &o->noise_lead_ms);
        default:
                return -EINVAL;
        }
}

/* Labels end up in CSV fields unquoted. */
static bool label_ok(const char *s)
{
        return !isempty(s) && !strpbrk(s, ",\n\"");
}

static int verb_run(int argc, char **argv)
{
        static const struct option options[] = {
                { "plan", required_argument, NULL, ARG_PLAN },
                { "calibration", required_argument, NULL, ARG_CALIBRATION },
                { "out", required_argument, NULL, ARG_OUT },
                { "place", required_argument, NULL, ARG_PLACE },
                { "memory-knob", required_argument, NULL, ARG_MEMORY_KNOB },
                { "cpu-weights", required_argument, NULL, ARG_CPU_WEIGHTS },
                { "arm", required_argument, NULL, ARG_ARM },
                { "rep", required_argument, NULL, ARG_REP },
                { "scenario", required_argument, NULL, ARG_SCENARIO },
                { "noise", required_argument, NULL, ARG_NOISE },
                { "deadline-ms", required_argument, NULL, ARG_DEADLINE },
                { "noise-lead-ms", required_argument, NULL, ARG_NOISE_LEAD },
                {},
        };
        RunOptions o = {
                .arm = "none",
                .scenario = "default",
                .place = PLACE_NONE,
                .cpu_weights = true,
                .noise = (char *)"all",
                .noise_lead_ms = 1000,
        };
        Plan plan;
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                if (parse_run_option(c, &o) < 0)
                        return usage_error("bad or unknown option to run");
        if (optind != argc)
                return usage_error("run takes no arguments");
        if (!o.plan_path || !o.calibration_path || !o.out_dir)
                return usage_error("run needs --plan, --calibration and --out");
        if (!label_ok(o.arm) || !label_ok(o.scenario) || !label_ok(o.noise))
                return usage_error("--arm, --scenario and --noise must not contain commas");

        if (o.deadline_ms == 0) {
                /* Twice the planned window unless told otherwise. */
                r = plan_load(o.plan_path, &plan);
                if (r < 0)
                        return 1;
                o.deadline_ms = 2 * (plan.window_ms ?: 10000);
                plan_done(&plan);
        }

        r = replay_run(&o);
        if (r < 0) {
                fprintf(stderr, "agentcg-replay: run %s/%u/%s failed: %s\n", o.arm, o.rep,
                        o.scenario, strerror(-r));
                return 1;
        }
        return 0;
}

int main(int argc, char **argv)
{
        uint64_t iters;

        if (argc < 2)
                return usage_error("no verb");

        if (streq(argv[1], "calibrate") && argc == 2)
                return verb_calibrate();
        if (streq(argv[1], "run"))
                return verb_run(argc - 1, argv + 1);
        if (streq(argv[1], "burn") && argc == 3) {
                if (parse_u64_arg(argv[2], &iters) < 0)
                        return usage_error("burn needs a number of iterations");
                burn(iters);
                return 0;
        }
        if (streq(argv[1], "nop"))
                return 0;
        return usage_error("unknown verb");
}
