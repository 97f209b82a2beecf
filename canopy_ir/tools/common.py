"""What every canopy-* command shares: one-line errors (exit 2), `--debug` tracebacks, consoles."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from canopy_ir.errors import CanopyError, InternalError

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 3


def one_line(message: str) -> str:
    """A message on one line: parser messages (source line, caret line) joined, carets dropped."""
    parts = [part.strip() for part in str(message).splitlines()]
    return " ".join(p for p in parts if p and set(p) != {"^"})


def console(stderr: bool = True):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def guarded(body: Callable[[], int], debug: bool, out=None) -> int:
    """Run a command's body. A CanopyError, or an OSError on a path the user named, is one line
    `error: <where>: <what>` and exit 2; an unexpected exception is one line naming it and
    exit 3; `debug` adds the traceback."""
    out = out or console()
    try:
        return body()
    except InternalError as exc:
        if debug:
            traceback.print_exception(exc.__cause__ or exc, file=sys.stderr)
        out.print(f"[red]error:[/red] internal: {one_line(exc)}")
        return EXIT_INTERNAL_ERROR
    except CanopyError as exc:
        if debug:
            traceback.print_exc(file=sys.stderr)
        out.print(f"[red]error:[/red] {one_line(exc)}")
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        out.print("[red]error:[/red] interrupted")
        return 130
    except BrokenPipeError:  # the reader went away (`canopy-disasm ... | head`): not an error
        sys.stderr.close()
        return 0
    except OSError as exc:  # a path the user named cannot be read or written
        if debug:
            traceback.print_exc(file=sys.stderr)
        where = f"{exc.filename}: " if exc.filename else ""
        out.print(f"[red]error:[/red] {where}{exc.strerror or exc}")
        return EXIT_USER_ERROR
    except Exception as exc:
        if debug:
            traceback.print_exc(file=sys.stderr)
        out.print(
            f"[red]error:[/red] internal: {type(exc).__name__}: {one_line(exc)} "
            "(a bug in canopy-ir; --debug shows the traceback)"
        )
        return EXIT_INTERNAL_ERROR


def add_debug_flag(ap) -> None:
    ap.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
