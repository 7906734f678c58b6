/*
 * server.c - the API on an HTTP server: the app configuration mapped onto struct http_config,
 * and api_server_start, which the daemon calls after app_open.
 */
#include "api/api.h"

#include "api/web.h"
#include "base/rr_log.h"
#include "http/metrics.h"
#include "store/store.h"

/* GET /metrics: the job queue by state and the store's write path (group commit), read when
 * scraped. A failed read leaves the last values. */
static void api_metrics(struct metrics *m, void *app)
{
    struct app *a = app;
    struct store_job_counts jc;
    if (store_job_counts(a->store, &jc) == 0) {
        static const char *const names[] = {"queued", "running", "done", "dead"};
        const int64_t v[] = {jc.queued, jc.running, jc.done, jc.dead};
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
            char labels[64];
            if (metrics_labels(labels, sizeof labels, "state", names[i], (const char *)NULL))
                metrics_gauge_set(metrics_gauge(m, "repright_jobs", "jobs by state", labels),
                                  (double)v[i]);
        }
    }
    struct store_stats st;
    if (store_stats(a->store, &st) == 0) {
        metrics_gauge_set(metrics_gauge(m, "repright_store_writes",
                                        "store write transactions committed", NULL),
                          (double)st.writes);
        metrics_gauge_set(metrics_gauge(m, "repright_store_commits",
                                        "store commits (fsyncs) that carried them", NULL),
                          (double)st.commits);
        metrics_gauge_set(metrics_gauge(m, "repright_store_batch_max",
                                        "most writes in one commit", NULL),
                          (double)st.batch_max);
        metrics_gauge_set(metrics_gauge(m, "repright_store_write_queue",
                                        "writers waiting for the write connection", NULL),
                          (double)st.queued);
    }
}

void api_http_config(const struct app_config *cfg, struct http_config *out)
{
    const struct app_http_config *h = &cfg->http;
    http_config_defaults(out);
    out->bind_addr = h->bind;
    out->port = h->port;
    out->threads = h->threads;
    out->max_connections = h->max_connections;
    out->max_per_ip = h->max_per_ip;
    out->trusted_proxies = h->trusted_proxies;
    out->header_limit = h->header_limit;
    out->json_limit = h->json_limit;
    out->upload_limit = h->upload_limit;
    out->idle_timeout_s = h->idle_timeout_s;
    out->header_timeout_s = h->header_timeout_s;
    out->body_min_rate = h->body_min_rate;
    out->body_grace_s = h->body_grace_s;
    out->drain_timeout_ms = h->drain_timeout_ms;
    out->access_log_sample = h->access_log_sample;
    out->authenticate = api_authenticate;
    out->route_docs = api_route_docs(&out->n_route_docs);
    out->before_metrics = api_metrics;
}

int api_server_start(struct app *a, struct http_server **out, char *msg, size_t msg_len)
{
    struct http_config hc;
    size_t nroutes = 0;
    if (web_dir_check(a->cfg.web_dir) < 0)
        rr_log(RR_LOG_WARN, "web app directory missing: static pages answer 404",
               RR_LOG_STR("web_dir", a->cfg.web_dir));
    api_http_config(&a->cfg, &hc);
    const struct http_route *routes = api_routes(&nroutes);
    return http_server_start(&hc, routes, nroutes, a, out, msg, msg_len);
}
