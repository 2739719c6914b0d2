/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Value parsers shared by agentcgroupd's configuration and agentcgctl.
 * Every parser is built on read_digits(), which takes plain decimal digits
 * only: strtoull() would also accept leading blanks, a sign ("-1" wraps to
 * 2^64-1, which reads as "max") and hexadecimal, none of which a user
 * means in a limit.  Suffixes are matched exactly, so "1KB" or "5 s" fail
 * rather than being read as something else.
 */
#include <errno.h>
#include <stdint.h>
#include <strings.h>

#include "parse.h"
#include "util.h"

/* Reads the leading decimal digits of S into *ret and points *end past
 * them.  Fails with -EINVAL if S does not start with a digit and with
 * -ERANGE if the number does not fit in 64 bits. */
static int read_digits(const char *s, uint64_t *ret, const char **end)
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

/* Multiplies V by FACTOR into *ret, or fails with -ERANGE on overflow. */
static int scale(uint64_t v, uint64_t factor, uint64_t *ret)
{
        if (factor != 0 && v > UINT64_MAX / factor)
                return -ERANGE;

        *ret = v * factor;
        return 0;
}

int parse_uint64(const char *s, uint64_t *ret)
{
        const char *end;
        uint64_t v;
        int r;

        r = read_digits(s, &v, &end);
        if (r < 0)
                return r;
        if (*end)
                return -EINVAL;

        *ret = v;
        return 0;
}

/* Returns the power of two a size suffix stands for, or -1 if C is not
 * one. */
static int size_shift(char c)
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
                *ret = CGROUP_LIMIT_MAX;
                return 0;
        }

        r = read_digits(s, &v, &end);
        if (r < 0)
                return r;

        if (*end) {
                shift = size_shift(*end);
                if (shift < 0 || end[1])
                        return -EINVAL;
        }

        return scale(v, UINT64_C(1) << shift, ret);
}

int parse_weight(const char *s, uint64_t *ret)
{
        uint64_t v;
        int r;

        r = parse_uint64(s, &v);
        if (r < 0)
                return r;
        if (v < CGROUP_WEIGHT_MIN || v > CGROUP_WEIGHT_MAX)
                return -ERANGE;

        *ret = v;
        return 0;
}

int parse_boolean(const char *s)
{
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

/* Returns the microseconds in one UNIT, or 0 if UNIT is not a time unit.
 * An empty unit is a microsecond, as in the cgroup files. */
static uint64_t usec_per_unit(const char *unit)
{
        static const struct {
                const char *name;
                uint64_t usec;
        } units[] = {
                { "", 1 },
                { "us", 1 },
                { "usec", 1 },
                { "ms", USEC_PER_MSEC },
                { "msec", USEC_PER_MSEC },
                { "s", USEC_PER_SEC },
                { "sec", USEC_PER_SEC },
                { "min", USEC_PER_MINUTE },
                { "h", USEC_PER_HOUR },
        };

        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (streq(unit, units[i].name))
                        return units[i].usec;
        return 0;
}

int parse_usec(const char *s, uint64_t *ret)
{
        const char *end;
        uint64_t v, factor;
        int r;

        r = read_digits(s, &v, &end);
        if (r < 0)
                return r;

        factor = usec_per_unit(end);
        if (factor == 0)
                return -EINVAL;

        return scale(v, factor, ret);
}

int parse_percent(const char *s, uint64_t max, uint64_t *ret)
{
        const char *end;
        uint64_t v;
        int r;

        r = read_digits(s, &v, &end);
        if (r < 0)
                return r;
        if (!streq(end, "%"))
                return -EINVAL;
        if (v > max)
                return -ERANGE;

        *ret = v;
        return 0;
}
