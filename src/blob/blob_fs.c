/*
 * blob_fs.c - the local-files blob backend ("file:DIR").
 *
 * Layout: DIR/objects/<key> holds committed objects (a key's '/' become directories);
 * DIR/tmp/w-<random>.tmp holds objects being written. Every path is resolved relative to
 * descriptors opened once (openat & co.), so keys can never escape DIR and the process working
 * directory does not matter.
 *
 * DESIGN (durability): commit = fsync(temp) -> create missing parent directories (fsync'ing the
 * directory each was created in) -> rename(temp, objects/key) -> fsync(the key's directory).
 * rename() replaces atomically, so after a crash a key holds either its old object or the
 * complete new one; unfinished temps stay in DIR/tmp for blob_sweep_tmp. Temp names are random
 * (64 bits from libsodium) and created O_EXCL, so concurrent writers never share a temp file.
 * If the final directory fsync fails, the object just published is unlinked again: a commit
 * that reports failure never leaves an object its caller does not know about.
 *
 * Temporaries of live writers are locked (flock on the temp, taken right after creating it), so
 * the sweep removes exactly the temps whose writer is gone (a killed process releases its locks)
 * and can run at any time, not only before serving. A writer whose fresh temp was swept between
 * create and lock sees st_nlink == 0 and starts again under a new name.
 *
 * Reads open with O_NONBLOCK and fstat before anything else: only a regular file is an object
 * (a FIFO or device planted at an object path must never block a thread in open()).
 * Every failure of the operating system is logged once here, with the key and errno (the only
 * place that knows it): {"msg":"storage error","component":"blob","op":...}. ENOSPC and EDQUOT
 * become RR_ERR_NOSPACE (HTTP 507), everything else RR_ERR_IO.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "base/rr_assert.h"
#include "base/rr_error.h"
#include "base/rr_fault.h"
#include "base/rr_log.h"
#include "blob/blob_backend.h"

#define FS_TMP_NAME_MAX 32
#define FS_TMP_RETRIES 4 /* fresh temps swept before they were locked (never in practice) */

struct fs {
    int root_fd;
    int tmp_fd;
    int obj_fd;
};

struct fs_writer {
    int fd;
    char tmp_name[FS_TMP_NAME_MAX];
    char key[BLOB_KEY_MAX + 1];
};

struct fs_reader {
    int fd;
    off_t pos;
};

static int fs_errno_code(int e)
{
    switch (e) {
    case ENOENT:
        return RR_ERR_NOTFOUND;
    case ENOTDIR:
    case EISDIR:
    case EEXIST:
    case ENOTEMPTY:
        return RR_ERR_CONFLICT;
    case ENOMEM:
        return RR_ERR_NOMEM;
    case ENOSPC:
    case EDQUOT:
        return RR_ERR_NOSPACE;
    default:
        return RR_ERR_IO;
    }
}

/* One log line for a failed system call on `what` (a key, a temp name); returns the code. */
static int fs_fail(const char *op, const char *what, int e)
{
    int code = fs_errno_code(e);
    if (code != RR_ERR_NOTFOUND)
        rr_log(RR_LOG_ERROR, "storage error", RR_LOG_STR("component", "blob"),
               RR_LOG_STR("op", op), RR_LOG_STR("key", what), RR_LOG_STR("error", strerror(e)),
               RR_LOG_STR("code", rr_errname(code)));
    return code;
}

/* The same for an I/O step whose failure is always reported as IO or NOSPACE. */
static int fs_fail_io(const char *op, const char *what, int e)
{
    int code = fs_fail(op, what, e);
    return code == RR_ERR_NOSPACE ? code : RR_ERR_IO;
}

/* fsync the directory rel (relative to dirfd; "." for dirfd itself). */
static int fs_sync_dir(int dirfd, const char *rel)
{
    int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fs_fail_io("open directory", rel, errno);
    int rc = rr_fault_errno(RR_FAULT_BLOB_FSYNC, EIO) || fsync(fd) != 0
                 ? fs_fail_io("fsync directory", rel, errno)
                 : 0;
    close(fd);
    return rc;
}

/* fsync the directory that contains rel (relative to dirfd). */
static int fs_sync_parent(int dirfd, const char *rel)
{
    char buf[BLOB_KEY_MAX + 1];
    const char *slash = strrchr(rel, '/');
    if (!slash)
        return fs_sync_dir(dirfd, ".");
    size_t n = (size_t)(slash - rel);
    memcpy(buf, rel, n);
    buf[n] = '\0';
    return fs_sync_dir(dirfd, buf);
}

/* mkdir -p for every directory component of key under obj_fd. */
static int fs_make_parents(int obj_fd, const char *key)
{
    char buf[BLOB_KEY_MAX + 1];
    size_t n = strlen(key);
    memcpy(buf, key, n + 1);
    for (size_t i = 0; i < n; i++) {
        if (buf[i] != '/')
            continue;
        buf[i] = '\0';
        if (mkdirat(obj_fd, buf, 0750) == 0) {
            int rc = fs_sync_parent(obj_fd, buf);
            if (rc < 0)
                return rc;
        } else if (errno != EEXIST) {
            return fs_fail("mkdir", buf, errno);
        }
        buf[i] = '/';
    }
    return 0;
}

static int fs_open_subdir(int root_fd, const char *name, int *out)
{
    if (mkdirat(root_fd, name, 0750) != 0 && errno != EEXIST)
        return RR_ERR_IO;
    *out = openat(root_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return *out < 0 ? RR_ERR_IO : 0;
}

static void fs_close(void *state)
{
    struct fs *fs = state;
    if (!fs)
        return;
    if (fs->obj_fd >= 0)
        close(fs->obj_fd);
    if (fs->tmp_fd >= 0)
        close(fs->tmp_fd);
    if (fs->root_fd >= 0)
        close(fs->root_fd);
    free(fs);
}

static int fs_open(const char *location, void **state)
{
    int rc = 0;
    if (location[0] == '\0')
        return RR_ERR_INVAL;
    struct fs *fs = calloc(1, sizeof *fs);
    if (!fs)
        return RR_ERR_NOMEM;
    fs->root_fd = fs->tmp_fd = fs->obj_fd = -1;
    if (mkdir(location, 0750) != 0 && errno != EEXIST) {
        rc = RR_ERR_IO;
        goto out;
    }
    fs->root_fd = open(location, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fs->root_fd < 0) {
        rc = RR_ERR_IO;
        goto out;
    }
    rc = fs_open_subdir(fs->root_fd, "tmp", &fs->tmp_fd);
    if (rc < 0)
        goto out;
    rc = fs_open_subdir(fs->root_fd, "objects", &fs->obj_fd);
    if (rc < 0)
        goto out;
    rc = fs_sync_dir(fs->root_fd, ".");
out:
    if (rc < 0) {
        fs_close(fs);
        fs = NULL;
    }
    *state = fs;
    return rc;
}

static int fs_write_begin(void *state, const char *key, void **wstate)
{
    struct fs *fs = state;
    struct fs_writer *w = rr_fault(RR_FAULT_BLOB_ALLOC) ? NULL : calloc(1, sizeof *w);
    if (!w)
        return RR_ERR_NOMEM;
    snprintf(w->key, sizeof w->key, "%s", key);
    for (int attempt = 0; attempt < FS_TMP_RETRIES; attempt++) {
        unsigned char rnd[8];
        char hex[2 * sizeof rnd + 1];
        randombytes_buf(rnd, sizeof rnd);
        sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
        snprintf(w->tmp_name, sizeof w->tmp_name, "w-%s.tmp", hex);
        w->fd = rr_fault_errno(RR_FAULT_BLOB_OPEN, EIO)
                    ? -1
                    : openat(fs->tmp_fd, w->tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                             0640);
        if (w->fd < 0) {
            int rc = fs_fail_io("create temp", w->tmp_name, errno);
            free(w);
            return rc;
        }
        /* The lock marks the temp as live for the sweep; it waits at most for a sweep that
         * grabbed it first, which then unlinks it (nlink 0): try another name. */
        struct stat st;
        if (flock(w->fd, LOCK_EX) == 0 && fstat(w->fd, &st) == 0 && st.st_nlink > 0) {
            *wstate = w;
            return 0;
        }
        close(w->fd);
    }
    free(w);
    return RR_ERR_IO;
}

static int fs_write(void *wstate, const void *data, size_t len)
{
    struct fs_writer *w = wstate;
    const unsigned char *p = data;
    RR_ASSERT(w->fd >= 0);
    while (len > 0) {
        ssize_t n = rr_fault_errno(RR_FAULT_BLOB_WRITE, ENOSPC) ? -1 : write(w->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fs_fail_io("write", w->tmp_name, n < 0 ? errno : ENOSPC);
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void fs_write_abort(void *state, void *wstate)
{
    struct fs *fs = state;
    struct fs_writer *w = wstate;
    if (w->fd >= 0)
        close(w->fd);
    unlinkat(fs->tmp_fd, w->tmp_name, 0);
    free(w);
}

static int fs_write_commit(void *state, void *wstate)
{
    struct fs *fs = state;
    struct fs_writer *w = wstate;
    int rc = 0;
    if (rr_fault_errno(RR_FAULT_BLOB_FSYNC, EIO) || fsync(w->fd) != 0) {
        rc = fs_fail_io("fsync", w->tmp_name, errno);
        goto out;
    }
    rc = fs_make_parents(fs->obj_fd, w->key);
    if (rc < 0)
        goto out;
    /* Renamed while still open (and locked): the sweep never takes a temp being published. */
    if (rr_fault_errno(RR_FAULT_BLOB_RENAME, EIO) ||
        renameat(fs->tmp_fd, w->tmp_name, fs->obj_fd, w->key) != 0) {
        rc = fs_fail("rename", w->key, errno);
        goto out;
    }
    w->tmp_name[0] = '\0'; /* nothing left to unlink */
    int fd = w->fd;
    w->fd = -1;
    close(fd); /* the data is already durable (fsync above) */
    rc = fs_sync_parent(fs->obj_fd, w->key);
    if (rc < 0) {
        /* Published but not durable: a caller told "failed" writes no row, so the object must
         * not stay visible (it would have no owner). A replaced previous version is gone. */
        unlinkat(fs->obj_fd, w->key, 0);
    }
out:
    if (w->tmp_name[0]) {
        fs_write_abort(state, w);
    } else {
        if (w->fd >= 0)
            close(w->fd);
        free(w);
    }
    return rc;
}

static int fs_adopt_file(void *state, const char *key, const char *path)
{
    struct fs *fs = state;
    int fd = rr_fault_errno(RR_FAULT_BLOB_OPEN, EIO)
                 ? -1
                 : open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0)
        return fs_fail("open", key, errno);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return RR_ERR_INVAL; /* only a regular file becomes an object */
    }
    int synced = rr_fault_errno(RR_FAULT_BLOB_FSYNC, EIO) ? -1 : fsync(fd);
    int e = errno;
    close(fd);
    if (synced != 0)
        return fs_fail_io("fsync", key, e);
    int rc = fs_make_parents(fs->obj_fd, key);
    if (rc < 0)
        return rc;
    if (rr_fault_errno(RR_FAULT_BLOB_RENAME, EIO) || renameat(AT_FDCWD, path, fs->obj_fd, key) != 0)
        return errno == EXDEV ? RR_ERR_UNSUPPORTED : fs_fail("rename", key, errno);
    rc = fs_sync_parent(fs->obj_fd, key);
    if (rc < 0)
        return rc;
    /* The source directory lost an entry: make that durable too. */
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        return fs_sync_dir(AT_FDCWD, ".");
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir)
        return 0; /* cannot name it; the new entry is durable, the old one harmless */
    memcpy(dir, path, n);
    dir[n] = '\0';
    return fs_sync_dir(AT_FDCWD, n ? dir : "/");
}

static int fs_read_open(void *state, const char *key, void **rstate, int *fdp, int64_t *size)
{
    struct fs *fs = state;
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. */
    int fd = rr_fault_errno(RR_FAULT_BLOB_OPEN, EIO)
                 ? -1
                 : openat(fs->obj_fd, key, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
            return RR_ERR_NOTFOUND;
        return fs_fail_io("open", key, errno);
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (!S_ISREG(st.st_mode))
            rr_log(RR_LOG_ERROR, "storage error", RR_LOG_STR("component", "blob"),
                   RR_LOG_STR("op", "open"), RR_LOG_STR("key", key),
                   RR_LOG_STR("error", "not a regular file"), RR_LOG_STR("code", "notfound"));
        close(fd);
        return RR_ERR_NOTFOUND;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK); /* a regular file: back to plain reads */
    struct fs_reader *r = rr_fault(RR_FAULT_BLOB_ALLOC) ? NULL : calloc(1, sizeof *r);
    if (!r) {
        close(fd);
        return RR_ERR_NOMEM;
    }
    r->fd = fd;
    *rstate = r;
    *fdp = fd;
    *size = (int64_t)st.st_size;
    return 0;
}

static int64_t fs_read(void *rstate, void *buf, size_t len)
{
    struct fs_reader *r = rstate;
    for (;;) {
        ssize_t n = pread(r->fd, buf, len, r->pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fs_fail_io("read", "(open object)", errno);
        r->pos += n;
        return (int64_t)n;
    }
}

static void fs_read_close(void *rstate)
{
    struct fs_reader *r = rstate;
    close(r->fd);
    free(r);
}

static int fs_stat(void *state, const char *key, struct blob_info *info)
{
    struct fs *fs = state;
    struct stat st;
    if (fstatat(fs->obj_fd, key, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return (errno == ENOENT || errno == ENOTDIR) ? RR_ERR_NOTFOUND : RR_ERR_IO;
    if (!S_ISREG(st.st_mode))
        return RR_ERR_NOTFOUND;
    info->size = (int64_t)st.st_size;
    info->mtime = (int64_t)st.st_mtime;
    return 0;
}

static int fs_remove(void *state, const char *key)
{
    struct fs *fs = state;
    if (unlinkat(fs->obj_fd, key, 0) != 0) {
        /* Missing, or the name is a directory of other keys: either way no object here. */
        if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR || errno == EPERM)
            return 0;
        return fs_fail_io("unlink", key, errno);
    }
    return fs_sync_parent(fs->obj_fd, key);
}

static int fs_sweep_tmp(void *state, int64_t older_than_sec)
{
    struct fs *fs = state;
    int fd = openat(fs->tmp_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return RR_ERR_IO;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return RR_ERR_IO;
    }
    int64_t cutoff = (int64_t)time(NULL) - older_than_sec;
    int removed = 0;
    for (;;) {
        const struct dirent *e = readdir(d);
        if (!e)
            break;
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        if (fstatat(fs->tmp_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (older_than_sec > 0 && (int64_t)st.st_mtime > cutoff)
            continue;
        /* A live writer holds its temp's lock: leave it. O_NONBLOCK: it is a regular file,
         * but it may be replaced by anything between the fstatat and the open. */
        int tfd = openat(fs->tmp_fd, e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (tfd < 0)
            continue;
        if (flock(tfd, LOCK_EX | LOCK_NB) == 0 && unlinkat(fs->tmp_fd, e->d_name, 0) == 0)
            removed++;
        close(tfd); /* releases the lock: a writer waiting on it sees nlink 0 and retries */
    }
    closedir(d);
    return removed;
}

static int fs_free_bytes(void *state, int64_t *out)
{
    struct fs *fs = state;
    struct statvfs v;
    if (fstatvfs(fs->root_fd, &v) != 0)
        return fs_fail_io("statvfs", ".", errno);
    *out = (int64_t)((uint64_t)v.f_bavail * (uint64_t)v.f_frsize);
    return 0;
}

const struct blob_ops blob_fs_ops = {
    .scheme = "file",
    .open = fs_open,
    .close = fs_close,
    .write_begin = fs_write_begin,
    .write = fs_write,
    .write_commit = fs_write_commit,
    .write_abort = fs_write_abort,
    .adopt_file = fs_adopt_file,
    .read_open = fs_read_open,
    .read = fs_read,
    .read_close = fs_read_close,
    .stat = fs_stat,
    .remove = fs_remove,
    .sweep_tmp = fs_sweep_tmp,
    .free_bytes = fs_free_bytes,
};
