"""Hypothesis-driven fuzzing of one lowering pass: random conv nets × hardware configs, each
lowered to the pass's input stage and checked by its property. Hypothesis shrinks a failure to a
minimal program, which is written out as IR text (+ weights and input) and can be replayed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from canopy_ir.errors import CanopyError, LoweringError
from canopy_ir.fuzz.properties import PROPERTIES, Property
from canopy_ir.hw.config import HwConfig


@dataclass
class Counterexample:
    """The shrunk failing program: IR before the pass, its weights, the input, the failure."""

    net: tuple
    config: HwConfig
    seed: int
    ir_text: str
    weights: dict[str, np.ndarray]
    input: np.ndarray
    error: str
    graph_ops: int

    def save(self, path: Path) -> tuple[Path, Path, Path]:
        """Write FILE.mlir, FILE.weights.npz and FILE.input.npy; returns the three paths."""
        path.parent.mkdir(parents=True, exist_ok=True)
        weights = path.with_suffix(".weights.npz")
        inputs = path.with_suffix(".input.npy")
        text = self.ir_text.replace('"@WEIGHTS@"', f'"{weights.name}"')
        path.write_text(text)
        np.savez(weights, **self.weights)
        np.save(inputs, self.input)
        return path, weights, inputs


@dataclass
class FuzzResult:
    prop: str
    examples: int  # examples that reached the check
    rejected: int  # drawn programs that do not fit the hardware (LoweringError): skipped
    seconds: float
    counterexample: Counterexample | None = None


def _prepare(prop: Property, net, cfg: HwConfig, seed: int):
    """The module at the input stage of `prop`'s pass (an integer graph lowered by the prefix)."""
    from canopy_ir.compiler.pipeline import run_passes
    from canopy_ir.fuzz.models import build_qdq_model
    from canopy_ir.fuzz.stages import integer_graph

    module = integer_graph(build_qdq_model(*net, seed=seed), cfg)
    if prop.prefix:
        run_passes(module, list(prop.prefix))
    return module


def fuzz(
    prop_name: str,
    examples: int = 200,
    seed: int = 0,
    config: HwConfig | None = None,
) -> FuzzResult:
    """Check `prop_name` on `examples` random programs (hardware configs drawn too unless
    `config` is given); on a failure, shrink it and return it as a Counterexample."""
    try:
        from hypothesis import HealthCheck, given, reject, settings
        from hypothesis import seed as fixed_seed
        from hypothesis import strategies as st
        from hypothesis.errors import Unsatisfiable
    except ImportError:
        raise CanopyError('canopy-fuzz needs hypothesis: pip install "canopy-ir[fuzz]"') from None
    from canopy_ir.fuzz.models import random_input
    from canopy_ir.fuzz.strategies import conv_nets, hw_configs
    from canopy_ir.ir import pool_of, print_module

    if prop_name not in PROPERTIES:
        raise CanopyError(f"no property for '{prop_name}' (fuzzable: {', '.join(PROPERTIES)})")
    prop = PROPERTIES[prop_name]
    counts = {"ran": 0, "rejected": 0}
    last: dict = {}
    configs = st.just(config) if config is not None else hw_configs()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @fixed_seed(seed)
    @given(conv_nets(), configs, st.integers(0, 2**16))
    def run(net, cfg, data_seed):
        x = random_input(net[0], data_seed)
        last.clear()
        last.update(net=net, config=cfg, seed=data_seed, input=x, graph_ops=len(net[1]))
        try:
            module = _prepare(prop, net, cfg, data_seed)
        except LoweringError:
            counts["rejected"] += 1
            reject()  # this program does not fit these buffers: not a bug of the pass
        last.update(
            ir_text=f"// canopy-fuzz counterexample for {prop_name}\n"
            + print_module(module, "@WEIGHTS@"),
            weights=dict(pool_of(module).arrays),
        )
        counts["ran"] += 1
        try:
            prop.check(module, x)
        except LoweringError:
            counts["ran"] -= 1
            counts["rejected"] += 1
            reject()  # the pass itself says the program does not fit: not a wrong result

    start = time.perf_counter()
    result = FuzzResult(prop_name, 0, 0, 0.0)
    try:
        run()
    except Unsatisfiable:
        raise CanopyError(
            f"no drawn program fits the hardware ({counts['rejected']} rejected as too big for "
            "its buffers): give a larger --config"
        ) from None
    except Exception as exc:  # the shrunk example ran last: `last` holds it
        if "ir_text" not in last:  # it failed before reaching the pass: say so, with the net
            last.update(ir_text="", weights={})
        result.counterexample = Counterexample(error=f"{type(exc).__name__}: {exc}", **last)
    result.examples, result.rejected = counts["ran"], counts["rejected"]
    result.seconds = time.perf_counter() - start
    return result


def load_counterexample(ir_file: str | Path):
    """The module and input of a saved counterexample (FILE.mlir with FILE.weights.npz and
    FILE.input.npy beside it)."""
    from canopy_ir.ir import WeightPool, attach_pool, parse_module

    path = Path(ir_file)
    try:
        text = path.read_text()
        x = np.load(path.with_suffix(".input.npy"), allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise CanopyError(f"cannot read the counterexample: {exc}", str(path)) from None
    module = parse_module(text, str(path))
    attach_pool(module, WeightPool.load(path.with_suffix(".weights.npz")))
    return module, x


def replay(prop_name: str, ir_file: str | Path) -> str | None:
    """Re-run `prop_name`'s check on a saved counterexample; returns the failure (None: the
    property holds now)."""
    if prop_name not in PROPERTIES:
        raise CanopyError(f"no property for '{prop_name}' (fuzzable: {', '.join(PROPERTIES)})")
    header = Path(ir_file).read_text(errors="replace").split("\n", 1)[0]
    saved_for = header.removeprefix("// canopy-fuzz counterexample for ").strip()
    if header.startswith("// canopy-fuzz") and saved_for != prop_name:
        raise CanopyError(f"this counterexample is for --pass {saved_for}", str(ir_file))
    module, x = load_counterexample(ir_file)
    try:
        PROPERTIES[prop_name].check(module, x)
    except LoweringError as exc:  # as when fuzzing: a program that does not fit is no failure
        raise CanopyError(f"the program does not fit the hardware: {exc}", str(ir_file)) from None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None
