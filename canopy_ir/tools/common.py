"""What every canopy-* command shares: one-line errors (exit 2), `--debug` tracebacks, consoles."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from canopy_ir.errors import CanopyError, InternalError

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 3


def console(stderr: bool = True):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def guarded(body: Callable[[], int], debug: bool, out=None) -> int:
    """Run a command's body. A CanopyError is one line `error: <where>: <what>` and exit 2; an
    unexpected exception is one line naming it and exit 3; `debug` adds the traceback."""
    out = out or console()
    try:
        return body()
    except InternalError as exc:
        if debug:
            traceback.print_exception(exc.__cause__ or exc, file=sys.stderr)
        out.print(f"[red]error:[/red] internal: {exc}")
        return EXIT_INTERNAL_ERROR
    except CanopyError as exc:
        if debug:
            traceback.print_exc(file=sys.stderr)
        out.print(f"[red]error:[/red] {exc}")
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        out.print("[red]error:[/red] interrupted")
        return 130
    except Exception as exc:
        if debug:
            traceback.print_exc(file=sys.stderr)
        out.print(
            f"[red]error:[/red] internal: {type(exc).__name__}: {exc} (a bug in canopy-ir; "
            "--debug shows the traceback)"
        )
        return EXIT_INTERNAL_ERROR


def add_debug_flag(ap) -> None:
    ap.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
