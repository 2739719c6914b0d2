/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for the value parsers (src/shared/parse.c).  Each table names
 * inputs and the result expected, from the smallest value over the suffixes
 * to the edges of 64 bits and the malformed inputs a strtoull() based
 * parser would have let through.  The size cases include every case of the
 * CLI's former parser, so agentcgctl keeps its behaviour.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "parse.h"
#include "test.h"
#include "util.h"

#define KIB UINT64_C(1024)
#define U64_MAX_TEXT "18446744073709551615"
#define U64_OVER_TEXT "18446744073709551616"

typedef struct Case {
        const char *input;
        int r;
        uint64_t value; /* checked only when r == 0 */
} Case;

typedef int (*Parser)(const char *s, uint64_t *ret);

static const Case uint64_cases[] = {
        { "0", 0, 0 },
        { "42", 0, 42 },
        { "007", 0, 7 },
        { U64_MAX_TEXT, 0, UINT64_MAX },
        { U64_OVER_TEXT, -ERANGE, 0 },
        { "99999999999999999999999", -ERANGE, 0 },
        { "", -EINVAL, 0 },
        { "-1", -EINVAL, 0 },
        { "+1", -EINVAL, 0 },
        { " 5", -EINVAL, 0 },
        { "5 ", -EINVAL, 0 },
        { "0x10", -EINVAL, 0 },
        { "1e3", -EINVAL, 0 },
        { "max", -EINVAL, 0 },
};

static const Case size_cases[] = {
        { "0", 0, 0 },
        { "1", 0, 1 },
        { "4096", 0, 4096 },
        { "1K", 0, KIB },
        { "1k", 0, KIB },
        { "512M", 0, 512 * KIB * KIB },
        { "512m", 0, 512 * KIB * KIB },
        { "2G", 0, 2 * KIB * KIB * KIB },
        { "2g", 0, 2 * KIB * KIB * KIB },
        { "3T", 0, 3 * KIB * KIB * KIB * KIB },
        { "3t", 0, 3 * KIB * KIB * KIB * KIB },
        { "0K", 0, 0 },
        { "max", 0, CGROUP_LIMIT_MAX },
        { U64_MAX_TEXT, 0, UINT64_MAX },
        { U64_OVER_TEXT, -ERANGE, 0 },
        { "99999999999999999999999", -ERANGE, 0 },
        { "17179869183G", 0, UINT64_C(17179869183) << 30 },
        { "17179869184G", -ERANGE, 0 },
        { "16777215T", 0, UINT64_C(16777215) << 40 },
        { "16777216T", -ERANGE, 0 },
        { "18014398509481983K", 0, UINT64_C(18014398509481983) << 10 },
        { "18014398509481984K", -ERANGE, 0 },
        { "16E", -EINVAL, 0 },
        { "1P", -EINVAL, 0 },
        { "1Z", -EINVAL, 0 },
        { "", -EINVAL, 0 },
        { "K", -EINVAL, 0 },
        { "-1", -EINVAL, 0 },
        { "-1K", -EINVAL, 0 },
        { "+1", -EINVAL, 0 },
        { " 1", -EINVAL, 0 },
        { " 5", -EINVAL, 0 },
        { "1 ", -EINVAL, 0 },
        { "5 ", -EINVAL, 0 },
        { "1 K", -EINVAL, 0 },
        { "0x10", -EINVAL, 0 },
        { "1.5G", -EINVAL, 0 },
        { "1KB", -EINVAL, 0 },
        { "1KiB", -EINVAL, 0 },
        { "1KK", -EINVAL, 0 },
        { "MAX", -EINVAL, 0 },
        { "Max", -EINVAL, 0 },
        { "max1", -EINVAL, 0 },
        { "max ", -EINVAL, 0 },
        { "infinity", -EINVAL, 0 },
};

static const Case weight_cases[] = {
        { "1", 0, 1 },
        { "100", 0, 100 },
        { "10000", 0, 10000 },
        { "0", -ERANGE, 0 },
        { "10001", -ERANGE, 0 },
        { U64_MAX_TEXT, -ERANGE, 0 },
        { "99999999999999999999", -ERANGE, 0 },
        { "", -EINVAL, 0 },
        { "-5", -EINVAL, 0 },
        { " 5", -EINVAL, 0 },
        { "5 ", -EINVAL, 0 },
        { "5K", -EINVAL, 0 },
        { "0x10", -EINVAL, 0 },
        { "max", -EINVAL, 0 },
        { "1e3", -EINVAL, 0 },
};

static const Case usec_cases[] = {
        { "0", 0, 0 },
        { "100", 0, 100 },
        { "100us", 0, 100 },
        { "100usec", 0, 100 },
        { "50ms", 0, 50000 },
        { "50msec", 0, 50000 },
        { "2s", 0, 2000000 },
        { "2sec", 0, 2000000 },
        { "1min", 0, 60000000 },
        { "1h", 0, 3600000000 },
        { "0s", 0, 0 },
        { U64_MAX_TEXT, 0, UINT64_MAX },
        { U64_MAX_TEXT "us", 0, UINT64_MAX },
        { U64_OVER_TEXT, -ERANGE, 0 },
        { "18446744073709551ms", 0, UINT64_C(18446744073709551000) },
        { "18446744073709552ms", -ERANGE, 0 },
        { "18446744073709s", 0, UINT64_C(18446744073709000000) },
        { "18446744073710s", -ERANGE, 0 },
        { "5124095576h", 0, UINT64_C(5124095576) * 3600000000 },
        { "5124095577h", -ERANGE, 0 },
        { "", -EINVAL, 0 },
        { "ms", -EINVAL, 0 },
        { "-1", -EINVAL, 0 },
        { "-1s", -EINVAL, 0 },
        { " 5", -EINVAL, 0 },
        { "5 ", -EINVAL, 0 },
        { "5 s", -EINVAL, 0 },
        { "0x10", -EINVAL, 0 },
        { "1.5s", -EINVAL, 0 },
        { "1min30s", -EINVAL, 0 },
        { "1m", -EINVAL, 0 },
        { "1S", -EINVAL, 0 },
        { "1MS", -EINVAL, 0 },
        { "1d", -EINVAL, 0 },
        { "max", -EINVAL, 0 },
        { "infinity", -EINVAL, 0 },
};

static const Case percent_cases[] = {
        { "0%", 0, 0 },
        { "50%", 0, 50 },
        { "100%", 0, 100 },
        { "101%", -ERANGE, 0 },
        { U64_MAX_TEXT "%", -ERANGE, 0 },
        { U64_OVER_TEXT "%", -ERANGE, 0 },
        { "", -EINVAL, 0 },
        { "%", -EINVAL, 0 },
        { "50", -EINVAL, 0 },
        { "50 %", -EINVAL, 0 },
        { " 50%", -EINVAL, 0 },
        { "50% ", -EINVAL, 0 },
        { "50%%", -EINVAL, 0 },
        { "-1%", -EINVAL, 0 },
        { "0x10%", -EINVAL, 0 },
        { "12.5%", -EINVAL, 0 },
};

static void check_case(const char *parser, Parser parse, const Case *c)
{
        const uint64_t untouched = UINT64_C(0xdeadbeef);
        uint64_t value = untouched;
        int r = parse(c->input, &value);
        bool ok = r == c->r && value == (r < 0 ? untouched : c->value);

        CHECK(ok);
        if (!ok)
                fprintf(stderr,
                        "  %s(\"%s\"): got r=%d value=%" PRIu64
                        ", want r=%d value=%" PRIu64 "\n",
                        parser, c->input, r, value, c->r, c->value);
}

#define CHECK_TABLE(parser, table)                                             \
        do {                                                                   \
                for (size_t _i = 0; _i < ELEMENTSOF(table); _i++)              \
                        check_case(#parser, parser, &(table)[_i]);             \
        } while (0)

/* parse_percent() takes its bound as an argument; the tables test 100. */
static int parse_percent_100(const char *s, uint64_t *ret)
{
        return parse_percent(s, 100, ret);
}

static void test_percent_bounds(void)
{
        uint64_t v = 0;

        CHECK(parse_percent("250%", 1000, &v) == 0 && v == 250);
        CHECK(parse_percent("1001%", 1000, &v) == -ERANGE && v == 250);
        CHECK(parse_percent(U64_MAX_TEXT "%", UINT64_MAX, &v) == 0);
        CHECK(v == UINT64_MAX);
        CHECK(parse_percent("0%", 0, &v) == 0 && v == 0);
        CHECK(parse_percent("1%", 0, &v) == -ERANGE);
}

static void test_boolean(void)
{
        static const char *const yes[] = {
                "1", "yes", "y", "true", "t", "on", "YES", "True", "ON",
        };
        static const char *const no[] = {
                "0", "no", "n", "false", "f", "off", "NO", "False", "Off",
        };
        static const char *const bad[] = {
                "", "2", "-1", "yess", " yes", "yes ", "o", "enable",
        };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                CHECK(parse_boolean(yes[i]) == 1);
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                CHECK(parse_boolean(no[i]) == 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                CHECK(parse_boolean(bad[i]) == -EINVAL);
}

int main(void)
{
        CHECK_TABLE(parse_uint64, uint64_cases);
        CHECK_TABLE(parse_size, size_cases);
        CHECK_TABLE(parse_weight, weight_cases);
        CHECK_TABLE(parse_usec, usec_cases);
        CHECK_TABLE(parse_percent_100, percent_cases);
        test_percent_bounds();
        test_boolean();

        return test_summary();
}
