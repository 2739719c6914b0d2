/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small helpers shared by the daemon, the CLI and the tests: cleanup
 * attributes in the style of systemd's, and a few string and number
 * helpers that libc lacks.  Nothing here knows about cgroups or D-Bus.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* free() that returns NULL, for "p = mfree(p)". */
static inline void *mfree(void *p)
{
        free(p);
        return NULL;
}

static inline void freep(void *p)
{
        free(*(void **)p);
}

/* Also usable by hand before the scope ends: the fd is marked closed. */
static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
        *fd = -EBADF;
}

static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hands ownership of a pointer or fd to the caller and clears the local. */
#define TAKE_PTR(p)                                                            \
        ({                                                                     \
                __typeof__(p) _p = (p);                                        \
                (p) = NULL;                                                    \
                _p;                                                            \
        })
#define TAKE_FD(fd)                                                            \
        ({                                                                     \
                int _fd = (fd);                                                \
                (fd) = -EBADF;                                                 \
                _fd;                                                           \
        })

static inline bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}

static inline bool isempty(const char *s)
{
        return !s || !*s;
}

/* Returns a negative errno from errno, never 0, for "-errno" paths after a
 * libc call that may not have set errno. */
static inline int negative_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}
