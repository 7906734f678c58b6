"""check_deploy.py - the deploy/ files cannot run here (no Docker), so check what can be checked:
they parse, every REPRIGHT_* variable they set is one the binary knows (or a documented secret
variable), their commands are repright commands, the services the issue names are there with
health checks, and nginx's limits match the server's defaults. Usage: check_deploy.py ROOT BIN"""
import os
import re
import subprocess
import sys
import tomllib

import yaml

ROOT, BIN = sys.argv[1], sys.argv[2]
DEPLOY = os.path.join(ROOT, "deploy")
# read by other modules than the settings table (auth/secret.h, the S3 backend's credentials)
EXTRA_VARS = {"REPRIGHT_JWT_SECRET", "REPRIGHT_JWT_SECRET_FILE", "REPRIGHT_S3_ACCESS_KEY_ID",
              "REPRIGHT_S3_ACCESS_KEY_ID_FILE", "REPRIGHT_S3_SECRET_ACCESS_KEY",
              "REPRIGHT_S3_SECRET_ACCESS_KEY_FILE"}
COMMANDS = {"serve", "worker", "migrate"}


def settings():
    """{variable: default text} from `repright serve|worker|migrate --help`."""
    out = {}
    for cmd in COMMANDS:
        p = subprocess.run([BIN, cmd, "--help"], capture_output=True, text=True, timeout=30)
        for m in re.finditer(r"\((REPRIGHT_[A-Z0-9_]+)(?:; [0-9.]+)?; default ([^)]*)\)",
                             p.stdout + p.stderr):
            out[m.group(1)] = m.group(2)
    assert "REPRIGHT_PORT" in out and "REPRIGHT_TRUSTED_PROXIES" in out, sorted(out)
    return out


def check_vars(where, names, known):
    bad = sorted(n for n in names if n.startswith("REPRIGHT_") and n not in known)
    assert not bad, "%s sets unknown variables %s" % (where, bad)


def main():
    known = settings()
    allowed = set(known) | EXTRA_VARS

    with open(os.path.join(DEPLOY, "docker-compose.yml")) as f:
        compose = yaml.safe_load(f)
    svc = compose["services"]
    for need in ("postgres", "redis", "minio", "nginx", "serve1", "serve2", "worker1", "worker2",
                 "migrate"):
        assert need in svc, "compose lacks %s" % need
    for name, s in svc.items():
        env = s.get("environment") or {}
        check_vars("compose service " + name, env.keys(), allowed)
        if name in ("serve1", "serve2", "worker1", "worker2", "migrate"):
            assert s["command"][0] in COMMANDS, (name, s["command"])
            assert "REPRIGHT_JWT_SECRET_FILE" in env, name  # one secret for every instance
        if name not in ("migrate", "minio-bucket"):
            assert s.get("healthcheck", {}).get("test"), "compose %s has no health check" % name
    for name in ("serve1", "serve2"):
        assert svc[name]["environment"].get("REPRIGHT_TRUSTED_PROXIES"), name
    for sec in compose["secrets"].values():
        assert sec["file"].startswith("./secrets/"), sec

    with open(os.path.join(DEPLOY, "fly.toml"), "rb") as f:
        fly = tomllib.load(f)
    check_vars("fly.toml [env]", fly["env"].keys(), allowed)
    for group, cmd in fly["processes"].items():
        assert cmd.split()[0] in COMMANDS, (group, cmd)
    assert fly["deploy"]["release_command"].split()[0] == "migrate"
    assert fly["http_service"]["internal_port"] == int(fly["env"]["REPRIGHT_PORT"])
    assert fly["http_service"]["checks"][0]["path"] == "/readyz"

    with open(os.path.join(DEPLOY, "Dockerfile")) as f:
        docker = f.read()
    check_vars("Dockerfile", re.findall(r"REPRIGHT_[A-Z0-9_]+", docker), allowed)
    assert re.search(r"^USER repright$", docker, re.M) and "sha256sum -c" in docker
    assert docker.count("FROM debian:12") == 2

    with open(os.path.join(DEPLOY, "nginx", "repright-proxy.conf")) as f:
        proxy = f.read()
    upload = re.search(r"location ~ \^/v1/\(uploads[^{]*\{(.*?)\}", proxy, re.S).group(1)
    m = re.search(r"client_max_body_size (\d+)m;", upload)
    assert m and int(m.group(1)) * 1024 * 1024 == int(known["REPRIGHT_UPLOAD_LIMIT"]), m
    assert "proxy_request_buffering off;" in upload
    sse = re.search(r"location ~ \^/v1/jobs/[^{]*\{(.*?)\}", proxy, re.S).group(1)
    assert "proxy_buffering off;" in sse
    m = re.search(r"^client_max_body_size (\d+)m;", proxy, re.M)
    assert int(m.group(1)) * 1024 * 1024 > int(known["REPRIGHT_JSON_LIMIT"])  # server's 413
    for h in ("X-Real-IP $remote_addr", "X-Forwarded-For $proxy_add_x_forwarded_for"):
        assert "proxy_set_header " + h in proxy, h
    assert re.search(r"^proxy_next_upstream error timeout;$", proxy, re.M)  # no non_idempotent
    print("deploy files: ok (%d compose services, %d fly process groups)"
          % (len(svc), len(fly["processes"])))


main()
