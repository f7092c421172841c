"""``undertow rekey``: replace the project key, so new pseudonyms cannot be linked to old ones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from undertow.cli.app import KEY_FILE_OPTION, app, console, handle_errors
from undertow.identity.keys import default_key_file, rotate_key

__all__ = ["rekey"]


@app.command()
@handle_errors
def rekey(
    key_file: Annotated[Path | None, KEY_FILE_OPTION] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Rotate the project key: earlier traces' pseudonyms become unlinkable to new ones."""
    path = default_key_file(key_file)
    if not yes:
        typer.confirm(
            f"Replace the key {path}? Pseudonyms made afterwards cannot be linked to earlier ones",
            abort=True,
        )
    old, new = rotate_key(path)
    console.print(f"old key fingerprint: {old or '(none)'}", highlight=False)
    console.print(f"new key fingerprint: {new}", highlight=False)
    console.print(f"key file: {path} (mode 0600); re-ingest to pseudonymise under the new key")
