"""Static serving of the web app by `repright serve` (src/api/web.c, docs/internals/web.md):
content types, / -> index.html, ETag + If-None-Match -> 304, HEAD, Cache-Control per path,
security headers (CSP, nosniff), Range, the path-traversal corpus (dot segments raw and encoded,
encoded slashes and backslashes, NUL, hidden files, symlinks out of the dir, FIFOs and
directories), a large file streamed, the API still winning over the fallback, and a missing web
dir (warning logged, JSON 404 for pages, API unaffected)."""
import gzip
import http.client
import json
import os
import time

import pytest

from conftest import assert_error

SECRET = b"top secret outside the web dir\n"

FILES = {
    "index.html": (b"<!doctype html><title>t</title>", "text/html"),
    "live.html": (b"<!doctype html><title>live</title>", "text/html"),
    "js/app.js": (b"export const x = 1;\n", "text/javascript"),
    "js/m.mjs": (b"export default 2;\n", "text/javascript"),
    "css/app.css": (b"body{}\n", "text/css"),
    "data.json": (b"{}", "application/json"),
    "manifest.webmanifest": (b"{\"name\":\"x\"}", "application/manifest+json"),
    "sw.js": (b"self.addEventListener('fetch',()=>{});\n", "text/javascript"),
    "wasm/rr_analysis.wasm": (b"\x00asm\x01\x00\x00\x00", "application/wasm"),
    "icons/i.png": (b"\x89PNG\r\n\x1a\n", "image/png"),
    "icons/i.svg": (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
    "favicon.ico": (b"\x00\x00\x01\x00", "image/x-icon"),
    "vendor/mp/pose.data": (b"\x01\x02", "application/octet-stream"),
    "vendor/mp/pose_web.binarypb": (b"\x03", "application/octet-stream"),
    "vendor/mp/pose_landmark_lite.tflite": (b"TFL3", "application/octet-stream"),
    "vendor/mp/pose.js": (b"var a;\n", "text/javascript"),
    "robots.txt": (b"User-agent: *\n", "text/plain"),
    "blob.unknownext": (b"??", "application/octet-stream"),
}


@pytest.fixture
def web(tmp_path, server_factory):
    root = tmp_path / "web"
    for rel, (body, _) in FILES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(body)
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (root / ".hidden").write_bytes(SECRET)
    os.symlink(str(tmp_path / "secret.txt"), str(root / "link.txt"))
    os.symlink(str(tmp_path), str(root / "up"))
    os.symlink("index.html", str(root / "inner-link.html"))  # even inside: never followed
    os.mkfifo(str(root / "fifo.js"))
    (root / "dir.js").mkdir()
    with open(root / "big.bin", "wb") as f:  # sparse 40 MiB: streamed, never read into memory
        f.truncate(40 << 20)
        f.seek((40 << 20) - 4)
        f.write(b"tail")
    with open(root / "huge.bin", "wb") as f:  # sparse, over the 256 MiB serving bound
        f.truncate(300 << 20)
    srv = server_factory(args=["--web-dir", str(root)])
    return srv, root


def raw(srv, method, path, headers=None):
    """Send the path byte for byte (no client-side normalisation)."""
    host, port = srv.url.replace("http://", "").split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    c.putrequest(method, path, skip_accept_encoding=True)
    for k, v in (headers or {}).items():
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, hdrs, body


def test_types_root_and_headers(web):
    srv, _ = web
    for rel, (body, ctype) in FILES.items():
        r = srv.get("/" + rel)
        assert r.status_code == 200, (rel, r.status_code, r.text)
        assert r.content == body, rel
        assert r.headers["Content-Type"].split(";")[0] == ctype, rel
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "'wasm-unsafe-eval'" in csp
        assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "http:" not in csp and "https:" not in csp and "*" not in csp  # nothing external
        assert "'unsafe-eval'" not in csp and "'unsafe-inline'" not in csp
        assert r.headers["ETag"].startswith('"')
    r = srv.get("/")
    assert r.status_code == 200 and r.content == FILES["index.html"][0]
    assert r.headers["Content-Type"].startswith("text/html")


def test_cache_control_per_path(web):
    srv, _ = web
    want = {"/": "no-cache", "/index.html": "no-cache", "/live.html": "no-cache",
            "/sw.js": "no-cache", "/manifest.webmanifest": "no-cache",
            "/vendor/mp/pose.js": "public, max-age=86400",
            "/wasm/rr_analysis.wasm": "public, max-age=86400",
            "/js/app.js": "public, max-age=3600", "/css/app.css": "public, max-age=3600"}
    for path, cc in want.items():
        status, h, _ = raw(srv, "GET", path)
        assert status == 200, path
        assert h["cache-control"] == cc, (path, h["cache-control"])  # exactly one header
    assert srv.get("/v1/me").headers["Cache-Control"] == "no-store"  # the API keeps no-store


def test_etag_304_head_and_range(web):
    srv, root = web
    r = srv.get("/js/app.js")
    etag = r.headers["ETag"]
    for inm in (etag, "W/" + etag, '"nope", ' + etag, "*"):
        r2 = srv.get("/js/app.js", headers={"If-None-Match": inm})
        assert r2.status_code == 304, inm
        assert r2.content == b""
        assert r2.headers["ETag"] == etag
    assert srv.get("/js/app.js", headers={"If-None-Match": '"other"'}).status_code == 200
    # a changed file gets a new validator
    time.sleep(0.01)
    (root / "js" / "app.js").write_bytes(b"export const x = 22;\n")
    r3 = srv.get("/js/app.js", headers={"If-None-Match": etag})
    assert r3.status_code == 200 and r3.headers["ETag"] != etag

    status, h, body = raw(srv, "HEAD", "/index.html")
    assert status == 200 and body == b""
    assert int(h["content-length"]) == len(FILES["index.html"][0])
    assert h["content-type"].startswith("text/html")

    r = srv.get("/index.html", headers={"Range": "bytes=2-5"})
    assert r.status_code == 206 and r.content == FILES["index.html"][0][2:6]

    status, h, _ = raw(srv, "HEAD", "/big.bin")
    assert status == 200 and int(h["content-length"]) == 40 << 20
    r = srv.get("/big.bin", headers={"Range": "bytes=-4"})
    assert r.status_code == 206 and r.content == b"tail"
    assert_error(srv.get("/huge.bin"), 413, "too_large")


TRAVERSAL = [
    "/../secret.txt", "/js/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
    "/js/%2e%2e/%2e%2e/secret.txt", "/js%2f..%2f..%2fsecret.txt", "/..%2fsecret.txt",
    "/%2e%2e%2fsecret.txt", "/..%5csecret.txt", "/js%5c..%5c..%5csecret.txt", "/..\\secret.txt",
    "/%00", "/index.html%00", "/index.html%00.js", "/%0a", "/link.txt", "/up/secret.txt",
    "/inner-link.html", "/.hidden", "/%2ehidden", "/js/.", "/js/", "//secret.txt",
    "/fifo.js", "/dir.js", "/js", "/nope.html", "/%zz", "/%", "/a/%2e/index.html",
    "/./index.html", "/index.html/", "/..", "/%2e%2e", "/up", "/up/",
]


def test_traversal_corpus_is_refused(web):
    srv, _ = web
    for path in TRAVERSAL:
        status, h, body = raw(srv, "GET", path)
        assert status in (400, 404), (path, status)
        assert SECRET not in body, path
        assert h["content-type"].startswith("application/json"), path
        err = json.loads(body)["error"]
        assert err["code"] in ("not_found", "bad_path"), (path, err)
    # the server is still fine
    assert srv.get("/index.html").status_code == 200


def test_api_wins_and_unknown_methods_stay_404(web):
    srv, _ = web
    assert_error(srv.get("/v1/no-such-thing"), 404, "not_found")
    assert_error(srv.get("/v1/me"), 401)
    assert srv.get("/healthz").json() == {"status": "ok"}
    assert srv.get("/openapi.json").json()["openapi"].startswith("3.1")
    r = srv.post("/index.html")
    assert_error(r, 404, "not_found")
    assert_error(srv.post("/healthz"), 405)


def test_openapi_documents_one_public_static_route(web):
    srv, _ = web
    doc = srv.get("/openapi.json").json()
    op = doc["paths"]["/{path}"]["get"]
    assert op["operationId"] == "web.static"
    assert "security" not in op
    assert [p["name"] for p in op["parameters"]] == ["path"]
    assert not any("*" in p for p in doc["paths"])


def test_missing_web_dir_warns_and_serves_json_404(tmp_path, server_factory):
    srv = server_factory(args=["--web-dir", str(tmp_path / "absent")])
    for path in ("/", "/index.html", "/js/app.js"):
        assert_error(srv.get(path), 404, "not_found")
    assert srv.get("/healthz").status_code == 200
    assert_error(srv.get("/v1/me"), 401)
    warns = [l for l in srv.log_lines() if l.get("level") == "warn" and "web" in l.get("msg", "")]
    assert warns and warns[0]["web_dir"] == str(tmp_path / "absent")


def test_web_dir_from_the_environment(tmp_path, server_factory):
    root = tmp_path / "envweb"
    root.mkdir()
    (root / "index.html").write_bytes(b"from env")
    srv = server_factory({"REPRIGHT_WEB_DIR": str(root)})
    assert srv.get("/").content == b"from env"


def test_precompressed_twin_is_sent_to_gzip_clients(web):
    srv, root = web
    body = b"export const rows = [" + b"1, 2, 3, 4, 5, 6, 7, 8, 9, 10, " * 400 + b"];\n"
    (root / "js" / "big.js").write_bytes(body)
    packed = gzip.compress(body, 9)
    (root / "js" / "big.js.gz").write_bytes(packed)
    # a .gz that is not smaller than its file is never used
    (root / "js" / "app.js.gz").write_bytes(gzip.compress(FILES["js/app.js"][0]))

    st, h, b = raw(srv, "GET", "/js/big.js", {"Accept-Encoding": "gzip, deflate"})
    assert st == 200 and h["content-encoding"] == "gzip" and b == packed
    assert gzip.decompress(b) == body
    assert h["content-type"].startswith("text/javascript")
    assert h["vary"] == "Accept-Encoding" and h["etag"].endswith('-gz"')
    assert int(h["content-length"]) == len(packed)
    gz_etag = h["etag"]
    st, h, b = raw(srv, "HEAD", "/js/big.js", {"Accept-Encoding": "gzip"})
    assert st == 200 and h["content-encoding"] == "gzip" and b == b""
    assert int(h["content-length"]) == len(packed)
    st, h, b = raw(srv, "GET", "/js/big.js", {"Accept-Encoding": "gzip", "If-None-Match": gz_etag})
    assert st == 304 and b == b""

    for enc in (None, "identity", "br", "gzip;q=0"):
        st, h, b = raw(srv, "GET", "/js/big.js", {"Accept-Encoding": enc} if enc else {})
        assert st == 200 and b == body and "content-encoding" not in h, enc
        assert h["vary"] == "Accept-Encoding" and not h["etag"].endswith('-gz"')
    # Range always gets the file itself
    st, h, b = raw(srv, "GET", "/js/big.js", {"Accept-Encoding": "gzip", "Range": "bytes=0-5"})
    assert st == 206 and b == body[:6] and "content-encoding" not in h
    st, h, b = raw(srv, "GET", "/js/app.js", {"Accept-Encoding": "gzip"})
    assert st == 200 and b == FILES["js/app.js"][0] and "content-encoding" not in h
    # a .gz older than its file (the file was edited) is stale: not used
    old = time.time() - 3600
    os.utime(root / "js" / "big.js.gz", (old, old))
    st, h, b = raw(srv, "GET", "/js/big.js", {"Accept-Encoding": "gzip"})
    assert st == 200 and b == body and "content-encoding" not in h
    # a .gz that is a symlink is refused like any symlink
    os.remove(root / "js" / "big.js.gz")
    (root / "elsewhere.gz").write_bytes(packed)
    os.symlink(str(root / "elsewhere.gz"), str(root / "js" / "big.js.gz"))
    st, h, b = raw(srv, "GET", "/js/big.js", {"Accept-Encoding": "gzip"})
    assert st == 200 and b == body and "content-encoding" not in h
