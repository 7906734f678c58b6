"""CTest entry for one black-box API test file: exit 77 (skipped) when pytest or requests is
missing or when any test in the file skipped and none failed (a skip is never a pass), else
pytest's own exit status. Usage: python3 run_pytest.py tests/api/test_X.py"""
import sys

try:
    import pytest  # noqa: F401
    import requests  # noqa: F401
except ImportError as e:
    print("SKIP: python3 lacks %s (Debian: python3-pytest python3-requests)" % e.name)
    sys.exit(77)


class SkipCounter:
    """Counts tests pytest reports as skipped (expected failures are not skips)."""

    def __init__(self):
        self.skipped = 0

    def pytest_runtest_logreport(self, report):
        if report.skipped and not hasattr(report, "wasxfail"):
            self.skipped += 1


counter = SkipCounter()
rc = pytest.main(["-q", "-rs", "-p", "no:cacheprovider", *sys.argv[1:]], plugins=[counter])
if rc == 0 and counter.skipped:
    print("SKIP: %d test(s) skipped, the rest passed" % counter.skipped)
    sys.exit(77)
sys.exit(rc)
