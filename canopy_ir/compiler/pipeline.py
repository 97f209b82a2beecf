"""Run a sequence of passes on a module, with a hook after each (dumps, timing, progress)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import PassPipeline
from xdsl.utils.exceptions import VerifyException

from canopy_ir.errors import CanopyError
from canopy_ir.ir import make_context
from canopy_ir.passes import ALL_PASSES, DEFAULT_PIPELINE

AfterPass = Callable[[str, ModuleOp, float], None]


def parse_passes(spec: str | Sequence[str]):
    """Pass instances from 'a,b{opt=1}' or a list of such names."""
    text = spec if isinstance(spec, str) else ",".join(spec)
    try:
        return PassPipeline.parse_spec(ALL_PASSES, text).passes
    except Exception as exc:  # xDSL raises plain Exceptions for unknown names/options
        raise CanopyError(
            f"bad pass pipeline '{text}': {exc}. Known passes: {', '.join(ALL_PASSES)}"
        ) from None


def run_passes(
    module: ModuleOp,
    passes: str | Sequence[str] = DEFAULT_PIPELINE,
    after_pass: AfterPass | None = None,
) -> ModuleOp:
    ctx = make_context()
    for p in parse_passes(passes):
        start = time.perf_counter()
        try:
            p.apply(ctx, module)
        except VerifyException as exc:
            raise CanopyError(f"IR does not verify after {p.name}: {exc}") from None
        if after_pass:
            after_pass(p.name, module, time.perf_counter() - start)
    return module
