"""Scale-out shape on one machine: `repright serve --workers 0` takes the upload, a separate
`repright worker` process on the same data dir (same SQLite store and blob folder) runs the job;
SIGTERM stops the worker gracefully (exit 0)."""
import os
import signal
import subprocess
import time

from conftest import new_user, repright_bin
from test_jobs import MODEL_DIR, require_media, upload, wait_job


def test_a_separate_worker_process_runs_the_job(server_factory):
    data = require_media()
    srv = server_factory({"REPRIGHT_WORKERS": "0"})
    u = new_user(srv)
    vid, jid = upload(u, data)
    time.sleep(1.0)
    assert u.get("/v1/jobs/" + jid).json()["state"] == "queued"  # nobody works in serve

    env = dict(os.environ, REPRIGHT_MODEL="lite", REPRIGHT_MODEL_DIR=MODEL_DIR)
    log_path = os.path.join(srv.data_dir, "worker.log")
    with open(log_path, "wb") as logf:
        worker = subprocess.Popen([repright_bin(), "worker", "--workers", "1", "--data-dir",
                                   os.path.join(srv.data_dir, "data")],
                                  stdout=subprocess.DEVNULL, stderr=logf, env=env)
    try:
        j = wait_job(u, jid)
        assert j["state"] == "done", j
        v = u.get("/v1/videos/" + vid).json()
        assert v["status"] == "analysed"
        assert v["report"]["exercise"] == "squat"
    finally:
        worker.send_signal(signal.SIGTERM)
        rc = worker.wait(timeout=60)
    with open(log_path, errors="replace") as f:
        log = f.read()
    assert rc == 0, log
    assert '"working"' in log and '"stopped"' in log
    assert "ERROR: AddressSanitizer" not in log and "runtime error" not in log
