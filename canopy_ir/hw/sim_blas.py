"""One BLAS thread while a compiled stream runs (`sim_plan.CompiledStream.run`).

The compiled simulator's matrix products are small: an im2col tile of a hundred rows or so times
16 output lanes. numpy's OpenBLAS splits products of that size over all its threads, and the
hand-offs cost more than the arithmetic: on a two-core machine a ResNet-18-shaped stream runs
several times slower with two threads than with one, and worse when other work shares the cores.
`single_blas_thread()` sets OpenBLAS to one thread for the duration of a run and restores its
setting after, through OpenBLAS's own `openblas_set_num_threads` (under the symbol prefix of the
OpenBLAS build numpy ships with), looked up among the libraries the process has loaded. Where
there is no OpenBLAS (or it cannot be found) it does nothing.
"""

from __future__ import annotations

import ctypes
import re
from contextlib import contextmanager
from functools import lru_cache

_PREFIXES = ("scipy_openblas", "openblas")
_SUFFIXES = ("64_", "")


@lru_cache(maxsize=1)
def _openblas() -> tuple | None:
    """(get_num_threads, set_num_threads) of the loaded OpenBLAS, or None."""
    try:
        with open("/proc/self/maps") as f:
            paths = sorted(set(re.findall(r"\S*openblas\S*\.(?:so|dylib)\S*", f.read())))
    except OSError:
        return None
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in _PREFIXES:
            for suffix in _SUFFIXES:
                get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    get.restype, get.argtypes = ctypes.c_int, []
                    put.restype, put.argtypes = None, [ctypes.c_int]
                    return get, put
    return None


@contextmanager
def single_blas_thread():
    blas = _openblas()
    threads = blas[0]() if blas else 1
    if threads != 1:
        blas[1](1)
    try:
        yield
    finally:
        if threads != 1:
            blas[1](threads)
