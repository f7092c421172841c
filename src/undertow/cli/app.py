"""The Typer application and the error handling shared by every command."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from undertow.errors import InputError, UndertowError
from undertow.identity.keys import ProjectKey, check_trace_key

__all__ = [
    "FORCE_OPTION",
    "KEY_FILE_OPTION",
    "app",
    "check_key_of",
    "console",
    "err_console",
    "handle_errors",
    "print_key_notes",
]

app = typer.Typer(
    name="undertow",
    help="Surface the power-political undercurrents of communities of practice.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
#: The ``--key-file`` option every command that makes or reads a trace takes.
KEY_FILE_OPTION = typer.Option(
    "--key-file",
    help="Project key. Default: $UNDERTOW_KEY_FILE, else ./.undertow/key, else "
    "~/.config/undertow/key (see README, Privacy). A trace is read only with the key "
    "whose fingerprint its manifest records.",
)
#: ``--force`` of every command that writes a folder (ingest, analyze).
FORCE_OPTION = typer.Option(
    help="Write into a non-empty folder undertow did not write (only undertow's "
    "own files are written or replaced there)."
)
err_console = Console(stderr=True)


def print_key_notes(project_key: ProjectKey | None) -> None:
    """Tell the user what the key look-up found (a new key, another key, fixed modes)."""
    for note in () if project_key is None else project_key.notes:
        err_console.print(f"[bold yellow]key:[/] {note}", highlight=False, soft_wrap=True)


def check_key_of(trace: Path, key_file: Path | None) -> ProjectKey | None:
    """Check the project key against the fingerprint a trace folder's manifest records."""
    manifest = trace / "manifest.json"
    if not manifest.is_file():
        return None
    try:
        recorded = json.loads(manifest.read_text("utf-8")).get("key_fingerprint")
    except (json.JSONDecodeError, AttributeError) as exc:
        raise InputError(f"unreadable manifest: {exc}", path=manifest) from exc
    project_key = check_trace_key(recorded, key_file)
    print_key_notes(project_key)
    return project_key


P = ParamSpec("P")
R = TypeVar("R")


def _report(message: str) -> None:
    printable = message.encode("utf-8", errors="backslashreplace").decode("utf-8")
    err_console.print(f"[bold red]error:[/] {escape(printable)}", highlight=False, soft_wrap=True)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn undertow's errors into a one-line message and the documented exit code.

    0 = ok, 1 = analysis or runtime error, 2 = usage or bad input.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (InputError, FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            _report(str(exc))
            raise typer.Exit(2) from exc
        except UndertowError as exc:
            _report(str(exc))
            raise typer.Exit(1) from exc
        except OSError as exc:
            # The environment failed (permission, full disk, I/O error): a runtime error.
            where = f"{exc.filename}: " if exc.filename else ""
            reason = exc.strerror or type(exc).__name__
            _report(f"{where}{reason} (nothing from this run was published)")
            raise typer.Exit(1) from exc

    return wrapper
