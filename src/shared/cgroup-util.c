/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cgroup v2 file access.  Writes go through one write(2) per value because
 * the kernel parses each write on its own; a short write is an error.
 * Errors are returned as negative errno exactly as the kernel reported
 * them, so callers can tell EBUSY (populated cgroup) from ESRCH (no such
 * process) from EINVAL (value refused).
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-util.h"
#include "util.h"

static int open_file(const char *dir, const char *file, int flags)
{
        _cleanup_free_ char *path = NULL;
        int fd;

        if (asprintf(&path, "%s/%s", dir, file) < 0)
                return -ENOMEM;

        fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
        return fd < 0 ? negative_errno() : fd;
}

int cg_write(const char *dir, const char *file, const char *value)
{
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(value);
        ssize_t n;

        fd = open_file(dir, file, O_WRONLY);
        if (fd < 0)
                return fd;

        n = write(fd, value, len);
        if (n < 0)
                return negative_errno();
        return (size_t)n == len ? 0 : -EIO;
}

int cg_writef(const char *dir, const char *file, const char *fmt, ...)
{
        _cleanup_free_ char *value = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&value, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;

        return cg_write(dir, file, value);
}

int cg_read(const char *dir, const char *file, char **ret)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 4096, len = 0;
        ssize_t n;

        fd = open_file(dir, file, O_RDONLY);
        if (fd < 0)
                return fd;

        buf = malloc(size);
        if (!buf)
                return -ENOMEM;

        while ((n = read(fd, buf + len, size - len - 1)) > 0) {
                len += n;
                if (len + 1 < size)
                        continue;

                char *bigger = realloc(buf, size * 2);
                if (!bigger)
                        return -ENOMEM;
                buf = bigger;
                size *= 2;
        }
        if (n < 0)
                return negative_errno();

        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

int cg_read_key(const char *dir, const char *file, const char *key, uint64_t *ret)
{
        _cleanup_free_ char *text = NULL;
        size_t klen = strlen(key);
        int r;

        r = cg_read(dir, file, &text);
        if (r < 0)
                return r;

        for (char *line = text, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;

                if (strncmp(line, key, klen) != 0 || line[klen] != ' ')
                        continue;

                char *end;
                errno = 0;
                *ret = strtoull(line + klen + 1, &end, 10);
                return errno ? -errno : 0;
        }
        return -ENOENT;
}

int cg_is_populated(const char *dir, bool *ret)
{
        uint64_t v;
        int r;

        r = cg_read_key(dir, "cgroup.events", "populated", &v);
        if (r < 0)
                return r;

        *ret = v != 0;
        return 0;
}

int cg_attach(const char *dir, pid_t pid)
{
        return cg_writef(dir, "cgroup.procs", "%d", (int)pid);
}

int cg_kill(const char *dir)
{
        return cg_write(dir, "cgroup.kill", "1");
}

int cg_parse_limit(const char *s, uint64_t *ret)
{
        char *end;

        if (strncmp(s, "max", 3) == 0 && (s[3] == 0 || s[3] == '\n')) {
                *ret = UINT64_MAX;
                return 0;
        }

        /* strtoull() would turn "-1" into 2^64-1. */
        if (s[0] < '0' || s[0] > '9')
                return -EINVAL;

        errno = 0;
        *ret = strtoull(s, &end, 10);
        if (errno)
                return -errno;
        if (*end != 0 && *end != '\n')
                return -EINVAL;
        return 0;
}

void strv_free(char **l)
{
        if (!l)
                return;
        for (char **p = l; *p; p++)
                free(*p);
        free(l);
}

static int only_dirs(const struct dirent *de)
{
        return de->d_type == DT_DIR && de->d_name[0] != '.';
}

int cg_children(const char *dir, char ***ret)
{
        struct dirent **entries = NULL;
        char **names;
        int n;

        n = scandir(dir, &entries, only_dirs, alphasort);
        if (n < 0)
                return negative_errno();

        names = calloc(n + 1, sizeof(char *));
        for (int i = 0; i < n; i++) {
                if (names)
                        names[i] = strdup(entries[i]->d_name);
                if (names && !names[i]) {
                        strv_free(names);
                        names = NULL;
                }
                free(entries[i]);
        }
        free(entries);

        if (!names)
                return -ENOMEM;
        *ret = names;
        return n;
}

int cg_trim(const char *dir)
{
        _cleanup_(strv_freep) char **children = NULL;
        int r, n;

        n = cg_children(dir, &children);
        if (n == -ENOENT)
                return 0;
        if (n < 0)
                return n;

        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *child = NULL;

                if (asprintf(&child, "%s/%s", dir, children[i]) < 0)
                        return -ENOMEM;
                r = cg_trim(child);
                if (r < 0)
                        return r;
        }

        if (rmdir(dir) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}

/* cgroupfs hands out kernfs file handles: FILEID_KERNFS, 8 bytes, the id. */
#define CG_HANDLE_TYPE 0xfe

union cg_handle {
        struct file_handle fh;
        uint8_t space[sizeof(struct file_handle) + sizeof(uint64_t)];
};

int cg_id(const char *dir, uint64_t *ret)
{
        union cg_handle h = { .fh.handle_bytes = sizeof(uint64_t) };
        int mount_id;

        if (name_to_handle_at(AT_FDCWD, dir, &h.fh, &mount_id, 0) < 0)
                return negative_errno();
        if (h.fh.handle_type != CG_HANDLE_TYPE || h.fh.handle_bytes != sizeof(uint64_t))
                return -EOPNOTSUPP;

        memcpy(ret, h.fh.f_handle, sizeof(uint64_t));
        return 0;
}

int cg_path_from_id(int root_fd, uint64_t id, char **ret)
{
        union cg_handle h = { .fh.handle_bytes = sizeof(uint64_t),
                              .fh.handle_type = CG_HANDLE_TYPE };
        _cleanup_close_ int fd = -EBADF;
        char link[64], target[PATH_MAX];
        ssize_t n;

        memcpy(h.fh.f_handle, &id, sizeof(id));
        fd = open_by_handle_at(root_fd, &h.fh, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();

        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, target, sizeof(target) - 1);
        if (n < 0)
                return negative_errno();
        target[n] = 0;

        *ret = strdup(target);
        return *ret ? 0 : -ENOMEM;
}
