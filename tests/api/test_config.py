"""The configuration table seen from the command line: --help of serve, worker and migrate lists
each command's own settings with their REPRIGHT_* variables and defaults; another command's flag
is an unknown option; every flag has a REPRIGHT_* twin and bad values name the one given."""
import subprocess

from conftest import repright_bin


def run(args, env=None, cwd=None):
    return subprocess.run([repright_bin()] + args, capture_output=True, text=True, timeout=30,
                          env=env, cwd=cwd)


def test_help_lists_each_commands_settings_with_their_variables():
    serve = run(["serve", "--help"]).stderr
    assert "--port N  (REPRIGHT_PORT; 0..65535; default 8080)" in serve
    assert "--http-threads N  (REPRIGHT_HTTP_THREADS; 1..256; default 32 per core, 64..256)" in serve
    worker = run(["worker", "--help"]).stderr
    assert "REPRIGHT_WORKERS" in worker and "--port" not in worker
    migrate = run(["migrate", "--help"])
    assert migrate.returncode == 0
    assert "--database-url URL" in migrate.stderr and "--workers" not in migrate.stderr


def test_flags_of_another_command_and_bad_values_are_usage_errors(tmp_path):
    out = run(["migrate", "--port", "1", "--data-dir", str(tmp_path / "m")])
    assert out.returncode == 64 and "unknown option '--port'" in out.stderr
    out = run(["worker", "--bind", "::1"])
    assert out.returncode == 64 and "unknown option '--bind'" in out.stderr
    out = run(["serve", "--http-threads=0", "--data-dir", str(tmp_path)])
    assert out.returncode == 64
    assert "bad value for --http-threads ('0'): an integer 1..256" in out.stderr
    out = run(["serve", "--data-dir", str(tmp_path)], env={"REPRIGHT_LOG_LEVEL": "loud"})
    assert out.returncode == 64
    assert "REPRIGHT_LOG_LEVEL ('loud'): one of debug, info, warn, error" in out.stderr


def test_settings_that_were_variables_only_have_flags_too(server_factory):
    # REPRIGHT_MAX_PER_IP and REPRIGHT_HTTP_THREADS had no flag before the table
    srv = server_factory(args=["--max-per-ip", "3", "--http-threads=2"])
    assert srv.get("/healthz").status_code == 200
