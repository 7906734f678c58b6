"""A throwaway PostgreSQL 15 for the black-box API tests (the Python twin of
tests/support/pgtest.c): initdb in a temp dir, a random free port on 127.0.0.1, fsync off (test
data), run as the `postgres` user when we are root (initdb refuses root). With
REPRIGHT_TEST_DATABASE_URL set (an admin URL), that server is used and nothing is started.
conftest.py uses it when RR_API_STORE=postgres: every `repright serve` it starts then gets a
fresh database through REPRIGHT_DATABASE_URL."""
import os
import shutil
import socket
import subprocess
import tempfile
import uuid

PG_BIN = "/usr/lib/postgresql/15/bin"


class Unavailable(Exception):
    pass


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self):
        self.dir = None
        self.port = None
        self.admin = os.environ.get("REPRIGHT_TEST_DATABASE_URL") or None
        self.external = bool(self.admin)
        self.owner_pid = os.getpid()

    def _as_pg(self, cmd):
        return (["runuser", "-u", "postgres", "--"] + cmd) if os.geteuid() == 0 else cmd

    def start(self):
        if self.external:
            return
        if not os.access(PG_BIN + "/initdb", os.X_OK):
            raise Unavailable("PostgreSQL 15 binaries absent (%s)" % PG_BIN)
        self.dir = tempfile.mkdtemp(prefix="rr-pg-")
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(self._as_pg([PG_BIN + "/initdb", "-D", self.dir + "/data", "-A", "trust",
                                    "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(3):
            self.port = _free_port()
            rc = subprocess.run(self._as_pg([
                PG_BIN + "/pg_ctl", "-D", self.dir + "/data", "-w", "-t", "30",
                "-l", self.dir + "/log", "-o",
                "-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off "
                "-c full_page_writes=off -c max_connections=300" % (self.port, self.dir),
                "start"]), stdout=subprocess.DEVNULL).returncode
            if rc == 0:
                self.admin = "postgres://postgres@127.0.0.1:%d/postgres" % self.port
                return
        raise RuntimeError("PostgreSQL did not start (see %s/log)" % self.dir)

    def _psql(self, sql):
        # psql ships with the server package (postgresql-client-15)
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.admin, "-c", sql],
                       check=True, stdout=subprocess.DEVNULL)

    def new_db(self):
        name = "rra_" + uuid.uuid4().hex[:16]
        self._psql('CREATE DATABASE "%s"' % name)
        base, _, _ = self.admin.rpartition("/")
        return base + "/" + name

    def _ctl(self, action):
        opts = ("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off -c full_page_writes=off "
                "-c max_connections=300" % (self.port, self.dir))
        cmd = [PG_BIN + "/pg_ctl", "-D", self.dir + "/data", "-w", "-t", "30", "-l",
               self.dir + "/log", "-m", "fast", "-o", opts, action]
        subprocess.run(self._as_pg(cmd), check=True, stdout=subprocess.DEVNULL)

    def server_stop(self):
        """Stop the server (keeping its data) - a database outage."""
        self._ctl("stop")

    def server_start(self):
        """Start it again on the same port and data."""
        self._ctl("start")

    def stop(self):
        if self.external or not self.dir or os.getpid() != self.owner_pid:
            return
        subprocess.run(self._as_pg([PG_BIN + "/pg_ctl", "-D", self.dir + "/data", "-w", "-t",
                                    "30", "-m", "fast", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
