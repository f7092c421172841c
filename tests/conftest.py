"""Shared fixtures: the real datasets beside the checkout, and temporary keys."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _shared_data() -> Path:
    configured = os.environ.get("UNDERTOW_SHARED_DATA")
    return Path(configured) if configured else ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real community datasets (``../shared/data``); skip when absent."""
    folder = _shared_data()
    if not folder.is_dir():
        pytest.skip(f"real datasets not found at {folder} (set UNDERTOW_SHARED_DATA)")
    return folder


@pytest.fixture(autouse=True)
def _isolated_key(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test gets its own project key, never the user's."""
    key_dir = tmp_path_factory.mktemp("key")
    monkeypatch.setenv("UNDERTOW_KEY_FILE", str(key_dir / "key"))
