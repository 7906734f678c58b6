/*
 * paging.h - the one way a list endpoint reads its page and writes its answer (videos, jobs,
 * workouts, webhook deliveries, org members, a partner's members and workouts). Internal to
 * src/api.
 *
 *   in:  ?limit (1..STORE_PAGE_MAX, a default per list) and ?cursor (opaque, at most
 *        STORE_CURSOR_MAX - 1 bytes);
 *   out: {"items":[...],"next_cursor":"..." | null}  (null on the last page).
 * A bad limit, an empty or too long cursor, and a cursor the store refuses (RR_ERR_INVAL) all
 * get the one 422 "validation_failed" answer of http/validate.h, naming the field.
 *
 * Usage:
 *     struct api_page pg;
 *     if (api_page_query(req, 20, &pg))
 *         return 0;
 *     err = store_x_list(st, owner, pg.cursor, pg.limit, &items, &n, pg.next);
 *     if (err)
 *         return api_page_store_error(req, err);
 *     api_list_begin(&o); ...one value per item... api_page_end(&o, &pg);
 *
 * Ownership: pg.cursor is borrowed from the request (valid while it is); pg.next is the
 * caller's. api_reply_json releases the writer it is given.
 * Errors: see each function. Thread-safety: touches only its request and writer.
 */
#ifndef RR_API_PAGING_H
#define RR_API_PAGING_H

#include "base/rr_json.h"
#include "store/store.h"

struct http_request;

struct api_page {
    int limit;                   /* 1..STORE_PAGE_MAX */
    const char *cursor;          /* NULL: the first page */
    char next[STORE_CURSOR_MAX]; /* the store's cursor of the next page; "" on the last */
};

/* ?limit (def when absent) and ?cursor into *pg, next "". 0, or 1 once the 422 is staged (the
 * handler then returns 0). */
int api_page_query(struct http_request *req, int def, struct api_page *pg);

/* The failed store call of a page: RR_ERR_INVAL (a cursor the store refuses) stages the 422 for
 * "cursor" and returns 0 (answered); any other code comes back as it is. */
int api_page_store_error(struct http_request *req, int err);

/* `{"items":[` ... `]}`: a list that is not paged. */
void api_list_begin(struct rr_json *o);
void api_list_end(struct rr_json *o);
/* `]` then `"next_cursor":` pg->next, or null on the last page, then `}`. */
void api_page_end(struct rr_json *o, const struct api_page *pg);

/* Answer `status` with the written JSON and release *o. A value JSON cannot carry (bad UTF-8,
 * NaN) is RR_ERR_INTERNAL (500), out of memory RR_ERR_NOMEM. */
int api_reply_json(struct http_request *req, unsigned status, struct rr_json *o);

#endif
