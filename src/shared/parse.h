/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Parsers for the values people write into agentcg.conf and onto
 * agentcgctl's command line: sizes, weights, booleans, durations and
 * percentages.  The daemon's configuration and the CLI share them so that
 * "512M" or "max" means the same thing in both places.
 *
 * All of them are strict: the whole string must be the value, with no
 * blanks, signs or hexadecimal around it, because a stray "-1" that wraps
 * to 2^64-1 would silently read as "no limit".  They return 0 on success,
 * -EINVAL if the text is not of the expected form and -ERANGE if it is but
 * the number is out of range; on failure *ret is left alone, so a default
 * stored there survives.  No I/O: the host unit test covers them fully.
 */
#pragma once

#include <stdint.h>

/* "max" in a size or limit: no limit at all. */
#define CGROUP_LIMIT_MAX UINT64_MAX

/* The range of cpu.weight. */
#define CGROUP_WEIGHT_MIN UINT64_C(1)
#define CGROUP_WEIGHT_MAX UINT64_C(10000)

#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MINUTE (60 * USEC_PER_SEC)
#define USEC_PER_HOUR (60 * USEC_PER_MINUTE)

/* Plain decimal digits, 0 to 2^64-1. */
int parse_uint64(const char *s, uint64_t *ret);

/* Bytes: digits with an optional K, M, G or T suffix (powers of 1024,
 * either case), or "max", which yields CGROUP_LIMIT_MAX. */
int parse_size(const char *s, uint64_t *ret);

/* A cpu.weight: digits from CGROUP_WEIGHT_MIN to CGROUP_WEIGHT_MAX. */
int parse_weight(const char *s, uint64_t *ret);

/* Returns 1 for yes/y/true/t/on/1, 0 for no/n/false/f/off/0 (any case, as
 * systemd takes them), -EINVAL for anything else. */
int parse_boolean(const char *s);

/* A duration in microseconds: digits with an optional unit, one of us,
 * usec, ms, msec, s, sec, min or h; without a unit the number is in
 * microseconds, as in cpu.max.  One term only: "1min30s" is refused. */
int parse_usec(const char *s, uint64_t *ret);

/* Digits followed by '%', from 0 to MAX. */
int parse_percent(const char *s, uint64_t max, uint64_t *ret);
