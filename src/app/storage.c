/*
 * storage.c - what the app knows about its disk: free space, per-user quotas and the admission
 * of a write, and the sweeper that removes what crashed or killed writers left behind.
 *
 * DESIGN
 * - Free space is the least of the three places bytes go (the data directory with the
 *   database, the tus upload directory, the blob store), read with statvfs (f_bavail: what this
 *   user may still write). A write is admitted while it leaves at least cfg.min_free_bytes, so
 *   the database (which must keep working for logins and job bookkeeping) never meets a disk
 *   that uploads filled; /readyz turns red below cfg.ready_min_free_bytes.
 * - A quota is what one user stores: the sizes of their videos plus the declared lengths of
 *   their unfinished uploads (a tus upload reserves its length when it is created, so a
 *   resumed upload is never refused half-way for quota).
 * - The sweeper removes only what no live writer holds: blob temporaries and job scratch
 *   directories are locked (flock) by their writer for their whole life, so a temporary of a
 *   killed process is removed at the next start, or the next round, while another process's
 *   live upload is left alone; expired tus uploads (row + part) go through tus_sweep_expired.
 */
#include "app/app_int.h"
#include "app/events.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "base/rr_log.h"
#include "blob/blob.h"
#include "blob/tus.h"

#define SCRATCH_PREFIX "job-"

static int64_t path_free(const char *path)
{
    struct statvfs v;
    if (statvfs(path, &v) != 0)
        return -1;
    return (int64_t)((uint64_t)v.f_bavail * (uint64_t)v.f_frsize);
}

int app_storage_free(struct app *a, int64_t *bytes)
{
    char path[1100];
    int64_t best = -1, b;
    if (!a || !bytes)
        return RR_ERR_INVAL;
    b = path_free(a->cfg.data_dir);
    if (b >= 0)
        best = b;
    snprintf(path, sizeof path, "%s/uploads", a->cfg.data_dir);
    b = path_free(path);
    if (b >= 0 && (best < 0 || b < best))
        best = b;
    if (a->blob && blob_free_bytes(a->blob, &b) == 0 && (best < 0 || b < best))
        best = b;
    *bytes = best;
    if (best < 0) {
        rr_log(RR_LOG_ERROR, "storage error", RR_LOG_STR("component", "app"),
               RR_LOG_STR("op", "statvfs"), RR_LOG_STR("path", a->cfg.data_dir),
               RR_LOG_STR("error", strerror(errno)));
        return RR_ERR_IO;
    }
    return 0;
}

int app_storage_admit(struct app *a, const char *user_id, int64_t incoming, int count_quota,
                      struct app_storage_verdict *v)
{
    if (!a || !v || incoming < 0)
        return RR_ERR_INVAL;
    memset(v, 0, sizeof v[0]);
    v->quota = (int64_t)a->cfg.storage_quota;
    v->min_free = (int64_t)a->cfg.min_free_bytes;
    v->room = INT64_MAX;
    if (count_quota && v->quota > 0 && user_id) {
        int rc = store_user_usage(a->store, user_id, &v->used);
        if (rc < 0)
            return rc;
        v->room = v->quota - v->used;
        if (incoming > v->room || v->room <= 0) {
            v->refused = APP_STORAGE_QUOTA;
            return RR_ERR_NOSPACE;
        }
    }
    int rc = app_storage_free(a, &v->free_bytes);
    if (rc < 0)
        return rc;
    int64_t disk_room = v->free_bytes - v->min_free;
    if (disk_room < v->room)
        v->room = disk_room;
    if (incoming > disk_room || disk_room <= 0) {
        v->refused = APP_STORAGE_DISK;
        rr_log(RR_LOG_WARN, "storage low: write refused", RR_LOG_INT("free_bytes", v->free_bytes),
               RR_LOG_INT("min_free_bytes", v->min_free), RR_LOG_INT("incoming_bytes", incoming));
        return RR_ERR_NOSPACE;
    }
    return 0;
}

/* ---- scratch directories of analysis jobs ---------------------------------------------------- */

static void rm_flat(int dfd)
{
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    rewinddir(d);
    for (const struct dirent *e = readdir(d); e; e = readdir(d)) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (unlinkat(dfd, e->d_name, 0) != 0 && errno == EISDIR)
            unlinkat(dfd, e->d_name, AT_REMOVEDIR);
    }
    closedir(d);
}

int app__scratch_open(struct app *a, char *dir, size_t dir_len, int *lock_fd)
{
    char work[1100];
    const char *base = a->cfg.data_dir[0] ? a->cfg.data_dir : "/tmp";
    *lock_fd = -1;
    snprintf(work, sizeof work, "%s/work", base);
    mkdir(base, 0700);
    mkdir(work, 0700);
    for (int attempt = 0; attempt < 4; attempt++) {
        if (snprintf(dir, dir_len, "%s/" SCRATCH_PREFIX "XXXXXX", work) >= (int)dir_len)
            return RR_ERR_INVAL;
        if (!mkdtemp(dir))
            break;
        /* Locked for the job's whole run: the sweeper leaves a locked directory alone. A sweep
         * that got it first removed it (nlink 0): take another name. */
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;
        if (fd >= 0 && flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0) {
            *lock_fd = fd;
            return 0;
        }
        if (fd >= 0)
            close(fd);
    }
    int e = errno;
    rr_log(RR_LOG_ERROR, "storage error", RR_LOG_STR("component", "app"),
           RR_LOG_STR("op", "create scratch directory"), RR_LOG_STR("path", work),
           RR_LOG_STR("error", strerror(e)));
    dir[0] = '\0';
    return (e == ENOSPC || e == EDQUOT) ? RR_ERR_NOSPACE : RR_ERR_IO;
}

void app__scratch_close(const char *dir, int lock_fd)
{
    if (lock_fd < 0)
        return;
    rm_flat(lock_fd);
    rmdir(dir);
    close(lock_fd); /* the lock goes last: nobody sweeps a directory we are emptying */
}

/* Scratch directories of jobs whose process is gone (their lock is free). */
static int sweep_scratch(struct app *a)
{
    char work[1100];
    int removed = 0;
    snprintf(work, sizeof work, "%s/work", a->cfg.data_dir[0] ? a->cfg.data_dir : "/tmp");
    int wfd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (wfd < 0)
        return 0; /* no job ever ran here */
    int dfd = dup(wfd);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        close(wfd);
        return RR_ERR_IO;
    }
    for (const struct dirent *e = readdir(d); e; e = readdir(d)) {
        if (strncmp(e->d_name, SCRATCH_PREFIX, sizeof SCRATCH_PREFIX - 1) != 0)
            continue;
        int fd = openat(wfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            rm_flat(fd);
            if (unlinkat(wfd, e->d_name, AT_REMOVEDIR) == 0)
                removed++;
        }
        close(fd);
    }
    closedir(d);
    close(wfd);
    return removed;
}

int app_sweep(struct app *a, struct app_sweep_stats *st)
{
    struct app_sweep_stats s = {0};
    int err = 0;
    if (!a)
        return RR_ERR_INVAL;
    int n = a->blob ? blob_sweep_tmp(a->blob, 0) : 0;
    if (n >= 0)
        s.tmp_removed = n;
    else
        err = n;
    n = a->tus ? tus_sweep_expired(a->tus) : 0;
    if (n >= 0)
        s.uploads_removed = n;
    else if (!err)
        err = n;
    n = sweep_scratch(a);
    if (n >= 0)
        s.scratch_removed = n;
    else if (!err)
        err = n;
    /* partner events a crash or a failed emit left recorded (events.h): out now, in order */
    int sent = 0;
    n = app_outbox_drain(a, NULL, &sent);
    if (n < 0 && !err)
        err = n;
    if (sent)
        rr_log(RR_LOG_INFO, "partner events recovered", RR_LOG_INT("events", sent));
    /* login counters of past windows are dead weight (one row per probed email) */
    store_rate_purge(a->store, store_now(a->store) - 24LL * 3600 * 1000, NULL);
    if (s.tmp_removed || s.uploads_removed || s.scratch_removed)
        rr_log(RR_LOG_INFO, "swept", RR_LOG_INT("temp_files", s.tmp_removed),
               RR_LOG_INT("expired_uploads", s.uploads_removed),
               RR_LOG_INT("scratch_dirs", s.scratch_removed));
    if (err < 0)
        rr_log(RR_LOG_WARN, "sweep incomplete", RR_LOG_STR("error", rr_strerror(err)));
    if (st)
        *st = s;
    return err;
}

/* ---- the sweeper thread ------------------------------------------------------------------- */

struct app_sweeper {
    struct app *a;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
};

static void *sweeper_main(void *arg)
{
    struct app_sweeper *sw = arg;
    pthread_mutex_lock(&sw->mu);
    while (!sw->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += sw->a->cfg.sweep_interval_s > 0 ? sw->a->cfg.sweep_interval_s : 600;
        while (!sw->stop && pthread_cond_timedwait(&sw->cv, &sw->mu, &ts) == 0)
            ;
        if (sw->stop)
            break;
        pthread_mutex_unlock(&sw->mu);
        app_sweep(sw->a, NULL);
        pthread_mutex_lock(&sw->mu);
    }
    pthread_mutex_unlock(&sw->mu);
    return NULL;
}

int app_sweeper_start(struct app *a, struct app_sweeper **out, char *msg, size_t msg_len)
{
    if (!a || !out)
        return RR_ERR_INVAL;
    *out = NULL;
    app_sweep(a, NULL); /* what an earlier run left, before anything is served */
    struct app_sweeper *sw = calloc(1, sizeof *sw);
    if (!sw)
        return RR_ERR_NOMEM;
    sw->a = a;
    pthread_mutex_init(&sw->mu, NULL);
    pthread_cond_init(&sw->cv, NULL);
    if (pthread_create(&sw->th, NULL, sweeper_main, sw) != 0) {
        if (msg && msg_len)
            snprintf(msg, msg_len, "cannot start the sweeper thread");
        pthread_mutex_destroy(&sw->mu);
        pthread_cond_destroy(&sw->cv);
        free(sw);
        return RR_ERR_INTERNAL;
    }
    *out = sw;
    return 0;
}

void app_sweeper_stop(struct app_sweeper *sw)
{
    if (!sw)
        return;
    pthread_mutex_lock(&sw->mu);
    sw->stop = 1;
    pthread_cond_broadcast(&sw->cv);
    pthread_mutex_unlock(&sw->mu);
    pthread_join(sw->th, NULL);
    pthread_mutex_destroy(&sw->mu);
    pthread_cond_destroy(&sw->cv);
    free(sw);
}
