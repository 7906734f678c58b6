/*
 * reply_writer.c - http_reply_writer (request.h): a JSON body written with the one writer,
 * base/rr_json.h, answered as it is (no jansson tree, no second copy of the document).
 */
#include "http/request.h"

int http_reply_writer(struct http_request *req, unsigned status, const struct rr_json *j)
{
    int err = rr_json_finish(j);
    if (err < 0)
        return err;
    return http_reply_bytes(req, status, rr_json_data(j), rr_json_len(j), "application/json");
}
