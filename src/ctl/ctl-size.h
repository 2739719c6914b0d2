/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The limits agentcgctl takes on its command line, turned into the numbers
 * CreateStep expects: a memory size with a binary suffix, and a CPU weight.
 * Pure functions with no I/O, so the host unit test covers them fully.
 */
#pragma once

#include <stdint.h>

/* What CreateStep reads as "no limit" for memory.max. */
#define CTL_SIZE_MAX UINT64_MAX

#define CTL_CPU_WEIGHT_MIN 1
#define CTL_CPU_WEIGHT_MAX 10000

/* Parses "max", or digits with an optional K, M, G or T suffix (powers of
 * 1024, either case).  Returns 0, -EINVAL for anything else, or -ERANGE if
 * the value does not fit in 64 bits.  "max" yields CTL_SIZE_MAX. */
int parse_size(const char *s, uint64_t *ret);

/* Parses a value for memory.max: like parse_size(), but refuses 0 with
 * -ERANGE, because CreateStep reads 0 as "no limit" and a user who types 0
 * surely means the opposite. */
int parse_memory_max(const char *s, uint64_t *ret);

/* Parses a CPU weight for cpu.weight: digits in 1..10000.  Returns 0,
 * -EINVAL if not a number, or -ERANGE if out of range. */
int parse_cpu_weight(const char *s, uint64_t *ret);
