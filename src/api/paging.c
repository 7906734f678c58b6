/*
 * paging.c - the query and the answer of a paged list (api/paging.h).
 */
#include "api/paging.h"

#include "base/rr_error.h"
#include "http/request.h"
#include "http/validate.h"

int api_page_query(struct http_request *req, int def, struct api_page *pg)
{
    pg->next[0] = '\0';
    pg->cursor = NULL;
    return validate_query_limit(req, def, STORE_PAGE_MAX, &pg->limit) ||
           validate_query_cursor(req, STORE_CURSOR_MAX - 1, &pg->cursor);
}

int api_page_store_error(struct http_request *req, int err)
{
    if (err != RR_ERR_INVAL)
        return err;
    validate_reply_param(req, "cursor", VALIDATE_BAD_CURSOR);
    return 0;
}

void api_list_begin(struct rr_json *o)
{
    rr_json_object_begin(o);
    RR_JSON_KEY(o, "items");
    rr_json_array_begin(o);
}

void api_list_end(struct rr_json *o)
{
    rr_json_array_end(o);
    rr_json_object_end(o);
}

void api_page_end(struct rr_json *o, const struct api_page *pg)
{
    rr_json_array_end(o);
    RR_JSON_KEY(o, "next_cursor");
    rr_json_string(o, pg->next[0] ? pg->next : NULL);
    rr_json_object_end(o);
}

int api_reply_json(struct http_request *req, unsigned status, struct rr_json *o)
{
    int err = rr_json_error(o);
    if (err && err != RR_ERR_NOMEM)
        err = RR_ERR_INTERNAL;
    if (!err)
        err = http_reply_bytes(req, status, rr_json_data(o), rr_json_len(o), "application/json");
    rr_json_release(o);
    return err;
}
