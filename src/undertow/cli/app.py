"""The Typer application and the error handling shared by every command."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from undertow.errors import InputError, UndertowError

__all__ = ["app", "console", "err_console", "handle_errors"]

app = typer.Typer(
    name="undertow",
    help="Surface the power-political undercurrents of communities of practice.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

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
