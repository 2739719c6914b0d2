/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mem-poll: the polling baseline of the memory reaction benchmark
 * (bench/mem-latency).  It does what a userspace controller without the
 * kernel's help must do: read a cgroup's memory.events every INTERVAL ms
 * and notice when its "high" count has grown.  It prints the
 * CLOCK_MONOTONIC time (us) at which it noticed, the clock the kernel's
 * own event timestamp (bpf_ktime_get_ns) uses, so the two subtract.
 *
 * Usage: mem-poll CGROUP_DIR INTERVAL_MS [TIMEOUT_S]
 * Exit status 0 with the time on stdout, 1 on a timeout or an error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The "high" count of DIR/memory.events, or -errno. */
static int64_t read_high(const char *path)
{
        char key[32];
        unsigned long long value;
        int64_t found = -ENOENT;
        FILE *f = fopen(path, "re");

        if (!f)
                return -errno;
        while (fscanf(f, "%31s %llu", key, &value) == 2)
                if (strcmp(key, "high") == 0)
                        found = (int64_t)value;
        fclose(f);
        return found;
}

int main(int argc, char **argv)
{
        char path[4096];
        struct timespec tick;
        uint64_t deadline;
        int64_t base, cur;
        long interval_ms;

        if (argc < 3) {
                fprintf(stderr, "usage: mem-poll CGROUP_DIR INTERVAL_MS [TIMEOUT_S]\n");
                return 1;
        }
        snprintf(path, sizeof(path), "%s/memory.events", argv[1]);
        interval_ms = strtol(argv[2], NULL, 10);
        if (interval_ms <= 0) {
                fprintf(stderr, "mem-poll: bad interval %s\n", argv[2]);
                return 1;
        }
        deadline = now_usec() + (uint64_t)(argc > 3 ? atol(argv[3]) : 30) * 1000000;

        /* The step may not exist yet: wait for it, polling fast, so the
         * baseline is read before its process starts allocating. */
        while ((base = read_high(path)) == -ENOENT && now_usec() < deadline)
                nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
        if (base < 0) {
                fprintf(stderr, "mem-poll: %s: %s\n", path, strerror((int)-base));
                return 1;
        }

        tick = (struct timespec){ .tv_sec = interval_ms / 1000,
                                  .tv_nsec = (interval_ms % 1000) * 1000000 };
        while (now_usec() < deadline) {
                nanosleep(&tick, NULL);
                cur = read_high(path);
                if (cur < 0) {
                        fprintf(stderr, "mem-poll: %s: %s\n", path, strerror((int)-cur));
                        return 1;
                }
                if (cur > base) {
                        printf("%" PRIu64 "\n", now_usec());
                        return 0;
                }
        }
        fprintf(stderr, "mem-poll: no high event in %s\n", path);
        return 1;
}
