"""The vendored browser libraries are the files scripts/vendor.sh fetched: each one's checksum is in VERSIONS.txt."""

from __future__ import annotations

import hashlib

from tests.live import ROOT

VENDOR = ROOT / "client" / "static" / "vendor"
PLACES = [VENDOR, ROOT / "tests" / "e2e" / "vendor"]  # what the app serves; what only the tests load


def test_every_vendored_file_matches_its_checksum():
    listed = {}
    for line in (VENDOR / "VERSIONS.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            _package, _version, name, digest = line.split()
            listed[name] = digest
    found = {p.name: p for place in PLACES for p in place.iterdir() if p.name != "VERSIONS.txt"}
    assert sorted(found) == sorted(listed)
    for name, path in found.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == listed[name], name


def test_axe_is_for_the_tests_only():
    assert not list(VENDOR.glob("axe*"))
