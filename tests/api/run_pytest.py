"""CTest entry for one black-box API test file: exit 77 (skipped) when pytest or requests is
missing, else pytest's own exit status. Usage: python3 run_pytest.py tests/api/test_X.py"""
import sys

try:
    import pytest  # noqa: F401
    import requests  # noqa: F401
except ImportError as e:
    print("SKIP: python3 lacks %s (Debian: python3-pytest python3-requests)" % e.name)
    sys.exit(77)

sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", *sys.argv[1:]]))
