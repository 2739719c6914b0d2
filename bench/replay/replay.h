/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * agentcg-replay: replays a plan made by bench/trace-plan.py in the
 * testbed.  Every session of the plan gets a driver process that places
 * each of its steps through one of the placement backends and runs a
 * worker in it that reproduces the step's CPU and memory demand, timing
 * what the step took against what it would take on an idle machine.
 *
 *  replay-plan.c   the plan file
 *  replay-work.c   the workers and the calibration they are timed against
 *  replay-place.c  where a step runs: nowhere special, or an agentcg step
 *  replay-run.c    the drivers, the start/stop protocol and the CSV files
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#define NSEC_PER_USEC UINT64_C(1000)
#define NSEC_PER_MSEC UINT64_C(1000000)
#define NSEC_PER_SEC UINT64_C(1000000000)

/* Step and session names follow the daemon's rules (at most 64 chars). */
#define NAME_MAX_LEN 64

typedef enum StepKind {
        STEP_WORK,     /* burn duty% of dur_ms; memory: mem_mb, or arg's curve */
        STEP_COMPILE,  /* arg N,PAR,BURN_MS: many short processes */
        STEP_MEMSWING, /* arg CYCLES,HOLD_MS: map, touch, hold, unmap mem_mb */
        STEP_PROBE,    /* arg INTERVAL_US,WORK_US: wake-up lateness for dur_ms */
        STEP_EXEC,     /* arg: a command line, run until the scenario ends */
        _STEP_KIND_MAX,
} StepKind;

typedef enum Role {
        ROLE_VICTIM,
        ROLE_PROBE,
        ROLE_NOISE,
        _ROLE_MAX,
} Role;

typedef struct Step {
        char name[NAME_MAX_LEN + 1];
        StepKind kind;
        char tool[NAME_MAX_LEN + 1];
        char class[NAME_MAX_LEN + 1];
        uint64_t cpu_weight;
        uint64_t memory_max; /* bytes */
        uint64_t gap_ms;
        uint64_t dur_ms;
        unsigned duty_pct;
        uint64_t mem_mb;
        char *arg;
} Step;

typedef struct Session {
        char name[NAME_MAX_LEN + 1];
        Role role;
        char source[128];
        Step *steps;
        size_t n_steps;
} Session;

typedef struct Plan {
        Session *sessions;
        size_t n_sessions;
        uint64_t window_ms;
} Plan;

/* What a worker's demand costs on this machine when nothing else runs,
 * measured once per guest by "agentcg-replay calibrate". */
typedef struct Calibration {
        double iters_per_ms;    /* of burn() */
        double touch_ms_per_mb; /* mmap + memset + munmap */
        double spawn_ms;        /* fork + exec + exit + wait of a tiny process */
} Calibration;

typedef enum PlaceMode {
        PLACE_NONE, /* fork in the replayer's own cgroup: no control */
        PLACE_DBUS, /* org.agentcg1: a session per plan session, a step per step */
        _PLACE_MODE_MAX,
} PlaceMode;

/* Which cgroup knob the plan's memory limit goes to. */
typedef enum MemoryKnob {
        MEMORY_KNOB_MAX,  /* memory.max: the OOM killer enforces it */
        MEMORY_KNOB_HIGH, /* memory.high: reclaim and throttling, memory.max stays max */
        _MEMORY_KNOB_MAX,
} MemoryKnob;

typedef struct Placer Placer;

/* What a step's worker reports back through memory shared with its
 * driver: its own clock readings, so that a driver that is slow to be
 * scheduled does not inflate the step's latency. */
typedef struct WorkerReport {
        uint64_t start_ns;
        uint64_t end_ns;
} WorkerReport;

static inline uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

void sleep_until_ns(uint64_t t);
void sleep_ns(uint64_t ns);

/* replay-plan.c */
int plan_load(const char *path, Plan *ret);
void plan_done(Plan *plan);
const char *step_kind_to_string(StepKind k);
const char *role_to_string(Role r);

/* A work step's memory curve (arg PERMILLE:MIB,...): from PERMILLE of
 * its duration on, the step holds MIB. */
#define CURVE_MAX 32
typedef struct CurveLevel {
        unsigned permille;
        uint64_t mb;
} CurveLevel;

/* replay-work.c */
int curve_parse(const char *arg, CurveLevel *levels, size_t max);
int calibration_load(const char *path, Calibration *ret);
int calibration_measure(const char *self, Calibration *ret);
uint64_t burn(uint64_t iters);
uint64_t burn_iters_for_us(const Calibration *c, double usec);
double step_expected_ms(const Step *s, const Calibration *c);
int step_parse_args(const Step *s, unsigned *a, unsigned *b, unsigned *c);
/* Runs the step in the calling (forked, placed) process and _exit()s.  A
 * probe appends its results to OUT_DIR/probe*.csv, rows starting LABEL. */
_Noreturn void worker_run(const Step *s, const Calibration *c, WorkerReport *report,
                          const char *self, const char *out_dir, const char *label);

/* replay-place.c */
/* CPU_WEIGHTS false: every step gets the kernel's default weight (100)
 * instead of the plan's, for the arm that sets memory knobs only. */
int placer_open(PlaceMode mode, MemoryKnob knob, bool cpu_weights, const char *session,
                Placer **ret);
int placer_step_begin(Placer *p, const Step *s, pid_t pid);
void placer_step_end(Placer *p, const Step *s, pid_t pid);
void placer_close(Placer *p);
const char *place_mode_to_string(PlaceMode m);
int place_mode_from_string(const char *s);

/* replay-run.c */
typedef struct RunOptions {
        const char *plan_path;
        const char *calibration_path;
        const char *out_dir;
        const char *arm;
        const char *scenario;
        const char *self; /* this binary, for the compile burst's children */
        unsigned rep;
        PlaceMode place;
        MemoryKnob memory_knob;
        bool cpu_weights; /* the plan's cpu.weight, or 100 for every step */
        char *noise;      /* comma-separated noise tags, "all" or "none" */
        uint64_t deadline_ms;
        uint64_t noise_lead_ms;
} RunOptions;

int replay_run(const RunOptions *o);
