/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading and writing cgroup v2 interface files.  Every function takes the
 * directory of a cgroup and the name of one of its files; paths are built
 * here so callers never concatenate user input into paths themselves.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

int cg_write(const char *dir, const char *file, const char *value);
int cg_writef(const char *dir, const char *file, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
int cg_read(const char *dir, const char *file, char **ret);

/* Reads "KEY VALUE" lines (cgroup.events, cpu.stat, memory.events). */
int cg_read_key(const char *dir, const char *file, const char *key, uint64_t *ret);

int cg_is_populated(const char *dir, bool *ret);
int cg_attach(const char *dir, pid_t pid);
int cg_kill(const char *dir);

/* Parses a cpu.max / memory.max style value: a number or "max". */
int cg_parse_limit(const char *s, uint64_t *ret);

/* The cgroup id of DIR: the kernfs id that BPF programs see as
 * cgrp->kn->id and the kernel uses in file handles. */
int cg_id(const char *dir, uint64_t *ret);

/* The absolute path of the cgroup with id ID, through open_by_handle_at()
 * on ROOT_FD, an fd of the cgroupfs root (needs CAP_DAC_READ_SEARCH).
 * -ESTALE once the cgroup is gone. */
int cg_path_from_id(int root_fd, uint64_t id, char **ret);

/* Names of the child cgroups of DIR, sorted, as a NULL-terminated array. */
int cg_children(const char *dir, char ***ret);
/* Removes DIR and every cgroup below it, deepest first; DIR already gone
 * is success.  -EBUSY (from rmdir) if one of them still has processes. */
int cg_trim(const char *dir);
void strv_free(char **l);

static inline void strv_freep(char ***l)
{
        strv_free(*l);
}
