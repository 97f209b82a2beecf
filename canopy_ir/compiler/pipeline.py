"""Run a sequence of passes on a module, with hooks before and after each (dumps, printing,
timing, progress) and an optional stop after a named pass."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass, PassPipeline
from xdsl.utils.exceptions import VerifyException

from canopy_ir.errors import CanopyError, InternalError
from canopy_ir.ir import make_context
from canopy_ir.passes import ALL_PASSES, DEFAULT_PIPELINE

AfterPass = Callable[[str, ModuleOp, float], None]
BeforePass = Callable[[str, ModuleOp], None]


def parse_passes(spec: str | Sequence[str]) -> list[ModulePass]:
    """Pass instances from 'a,b{opt=1}' or a list of such names."""
    text = spec if isinstance(spec, str) else ",".join(spec)
    try:
        return list(PassPipeline.parse_spec(ALL_PASSES, text).passes)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # xDSL's spec errors include BaseException subclasses
        raise CanopyError(
            f"bad pass pipeline '{text}': {exc}. Known passes: {', '.join(ALL_PASSES)}"
        ) from None


def pass_spec(p: ModulePass) -> str:
    """The pipeline text of one configured pass, e.g. `graph-quantize{mode=fixed}`."""
    return str(p.pipeline_pass_spec())


def pipeline_spec(passes: Sequence[ModulePass]) -> str:
    """The pipeline text of `passes`, which `parse_passes` reads back to the same passes."""
    return ",".join(pass_spec(p) for p in passes)


def run_passes(
    module: ModuleOp,
    passes: str | Sequence[str] | Sequence[ModulePass] = DEFAULT_PIPELINE,
    after_pass: AfterPass | None = None,
    before_pass: BeforePass | None = None,
    stop_after: str | None = None,
) -> ModuleOp:
    """Apply `passes` in order. A pass that breaks an op's verifier, or fails with anything but a
    CanopyError, is reported as an error naming the pass."""
    if passes and not isinstance(passes, str) and isinstance(passes[0], ModulePass):
        instances = list(passes)
    else:
        instances = parse_passes(passes)  # type: ignore[arg-type]
    if stop_after is not None and stop_after not in [p.name for p in instances]:
        raise CanopyError(
            f"--stop-after {stop_after}: no such pass in the pipeline "
            f"({', '.join(p.name for p in instances)})"
        )
    ctx = make_context()
    for p in instances:
        if before_pass:
            before_pass(p.name, module)
        start = time.perf_counter()
        try:
            p.apply(ctx, module)
        except VerifyException as exc:
            raise CanopyError(f"IR does not verify after {p.name}: {exc}") from None
        except CanopyError:
            raise
        except Exception as exc:
            raise InternalError(
                f"pass {p.name} failed: {type(exc).__name__}: {exc} (a bug in canopy-ir; "
                "--debug shows the traceback)"
            ) from exc
        if after_pass:
            after_pass(p.name, module, time.perf_counter() - start)
        if p.name == stop_after:
            break
    return module
