/*
 * rr_fault.h - fault injection for tests, in the spirit of SQLite's faultsim: named sites at the
 * allocation and I/O points of the store and the blob store ask rr_fault(site) whether to fail,
 * and a test decides which call fails.
 *
 *     if (rr_fault(RR_FAULT_BLOB_FSYNC) || fsync(fd) != 0)
 *         return RR_ERR_IO;
 *
 * The site then behaves exactly as if the operating system, SQLite or malloc had failed at that
 * point, so the code under test takes its real error path. Sites and the error each one stands
 * for are the table below.
 *
 * Arming. A spec is a comma-separated list of SITE:WHEN items:
 *     store.step:3      the 3rd hit of the site from now fails, once
 *     blob.write:2+     the 2nd hit and every later one fail
 *     blob.fsync:~0.25  each hit fails with probability 0.25 (a fixed-seed generator, so a
 *                       run is reproducible; "seed:N" in the list reseeds it)
 * Hits are counted from the moment a spec is applied. In-process tests call rr_fault_set(spec)
 * and rr_fault_clear(), and read rr_fault_hits()/rr_fault_fired() to know whether a countdown
 * was reached (the loop "for N = 1.. until nothing fired" visits every failure point of an
 * operation). A process started with REPRIGHT_FAULTS=SPEC is armed from its first call; with
 * REPRIGHT_FAULTS=@FILE the spec is read from FILE and read again whenever FILE changes (replace
 * it atomically; a missing or empty file arms nothing), so a black-box test can arm one fault
 * right before the request it aims at. Processes armed from the environment print one JSON line
 * {"level":"warn","msg":"fault injected","site":...,"hit":...} to stderr per injected failure.
 * A malformed REPRIGHT_FAULTS stops the process at start-up (exit 2): a misspelt site must not
 * turn a fault test into a test that injects nothing.
 *
 * Cost when off: the sites are always compiled in; unarmed, rr_fault() is one relaxed atomic load
 * and a branch predicted not taken. Nothing here runs unless a test or REPRIGHT_FAULTS arms it.
 *
 * Errors: rr_fault_set returns RR_ERR_INVAL for a malformed spec (the previous one stays).
 * Thread-safety: everything may be called from any thread; counting is serialised by a mutex,
 * taken only while armed.
 */
#ifndef RR_BASE_FAULT_H
#define RR_BASE_FAULT_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* id, name in specs, what an injected failure stands for */
#define RR_FAULT_SITES(XX)                                                                         \
    XX(STORE_ALLOC, "store.alloc", "malloc in the store returns NULL (NOMEM)")                     \
    XX(STORE_BEGIN, "store.begin", "BEGIN IMMEDIATE times out on the write lock (BUSY)")           \
    XX(STORE_PREPARE, "store.prepare", "sqlite3_prepare fails (NOMEM)")                            \
    XX(STORE_STEP, "store.step", "sqlite3_step fails (IO)")                                        \
    XX(STORE_COMMIT, "store.commit", "COMMIT fails and the transaction rolls back (IO)")           \
    XX(BLOB_ALLOC, "blob.alloc", "malloc in the blob store or tus returns NULL (NOMEM)")           \
    XX(BLOB_OPEN, "blob.open", "open/openat of an object, temp or upload part fails (EIO)")        \
    XX(BLOB_WRITE, "blob.write", "write/pwrite/ftruncate fails (ENOSPC)")                          \
    XX(BLOB_FSYNC, "blob.fsync", "fsync of a file or directory fails (EIO)")                       \
    XX(BLOB_RENAME, "blob.rename", "rename into objects/ fails (EIO)")                            \
    XX(VIDEO_NOMEM, "video.nomem", "the video decoder runs out of memory on a packet (ENOMEM)")

enum rr_fault_site {
#define RR__FAULT_ENUM(id, name, what) RR_FAULT_##id,
    RR_FAULT_SITES(RR__FAULT_ENUM)
#undef RR__FAULT_ENUM
        RR_FAULT_NSITES
};

/* Non-zero while any spec (or a spec file) is armed. Internal: read through rr_fault(). */
extern atomic_int rr_fault__armed;
/* The armed path of rr_fault(). Internal. */
bool rr_fault__hit(enum rr_fault_site site);

/* true when this call at site must fail. */
static inline bool rr_fault(enum rr_fault_site site)
{
    if (__builtin_expect(atomic_load_explicit(&rr_fault__armed, memory_order_relaxed) == 0, 1))
        return false;
    return rr_fault__hit(site);
}

/* rr_fault() for a system call: when it fires, errno is set to err as the call would have. */
static inline bool rr_fault_errno(enum rr_fault_site site, int err)
{
    if (!rr_fault(site))
        return false;
    errno = err;
    return true;
}

/* Apply spec (see top); NULL or "" disarms. Counters restart at zero. INVAL: nothing changes. */
int rr_fault_set(const char *spec);
/* Disarm everything, including a spec file from REPRIGHT_FAULTS=@FILE. */
void rr_fault_clear(void);
/* Hits of site, and failures injected there, since the current spec was applied. */
uint64_t rr_fault_hits(enum rr_fault_site site);
uint64_t rr_fault_fired(enum rr_fault_site site);
/* "store.step", ...; NULL for an unknown site. */
const char *rr_fault_name(enum rr_fault_site site);

#endif
