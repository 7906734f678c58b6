"""Authorization-matrix rows (see test_authz_matrix.py) for the web app's static files: the one
public fallback route GET /{path} (src/api/web.c). Everything under the web dir is public, so
every caller gets the same answer (200 when the build's web dir exists, else 404) and nothing of
the owner's can leak: the row checks that owner and other user see the same bytes."""


def _same_for_everyone(resp):
    return resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")


ROWS = {
    "web.static": {
        "setup": lambda owner: {"path": "index.html"},
        "owner_status": {200, 404},
        "other_status": {200, 404},
        "other_check": _same_for_everyone,
    },
}
