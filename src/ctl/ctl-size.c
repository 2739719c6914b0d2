/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Parsing of the limits given to step-new and run.  Both parsers accept
 * only plain decimal digits: strtoull() alone would also take leading
 * blanks, a sign ("-1" wraps to 2^64-1, which CreateStep reads as "max")
 * and hexadecimal, none of which a user means in a memory limit.
 */
#include <errno.h>
#include <stdint.h>

#include "ctl-size.h"
#include "util.h"

/* Reads the leading decimal digits of S into *ret and points *end past
 * them.  Fails with -EINVAL if S does not start with a digit. */
static int parse_digits(const char *s, uint64_t *ret, const char **end)
{
        uint64_t v = 0;

        if (*s < '0' || *s > '9')
                return -EINVAL;

        for (; *s >= '0' && *s <= '9'; s++) {
                unsigned digit = (unsigned)(*s - '0');

                if (v > (UINT64_MAX - digit) / 10)
                        return -ERANGE;
                v = v * 10 + digit;
        }

        *ret = v;
        *end = s;
        return 0;
}

/* Returns the power of two a size suffix stands for, or -1 if C is not
 * one. */
static int suffix_shift(char c)
{
        switch (c) {
        case 'K':
        case 'k':
                return 10;
        case 'M':
        case 'm':
                return 20;
        case 'G':
        case 'g':
                return 30;
        case 'T':
        case 't':
                return 40;
        default:
                return -1;
        }
}

int parse_size(const char *s, uint64_t *ret)
{
        const char *end;
        uint64_t v;
        int shift = 0, r;

        if (streq(s, "max")) {
                *ret = CTL_SIZE_MAX;
                return 0;
        }

        r = parse_digits(s, &v, &end);
        if (r < 0)
                return r;

        if (*end) {
                shift = suffix_shift(*end);
                if (shift < 0 || end[1])
                        return -EINVAL;
        }

        if (v > UINT64_MAX >> shift)
                return -ERANGE;

        *ret = v << shift;
        return 0;
}

int parse_memory_max(const char *s, uint64_t *ret)
{
        uint64_t v;
        int r;

        r = parse_size(s, &v);
        if (r < 0)
                return r;
        if (v == 0)
                return -ERANGE;

        *ret = v;
        return 0;
}

int parse_cpu_weight(const char *s, uint64_t *ret)
{
        const char *end;
        uint64_t v;
        int r;

        r = parse_digits(s, &v, &end);
        if (r < 0)
                return r;
        if (*end)
                return -EINVAL;

        if (v < CTL_CPU_WEIGHT_MIN || v > CTL_CPU_WEIGHT_MAX)
                return -ERANGE;

        *ret = v;
        return 0;
}
