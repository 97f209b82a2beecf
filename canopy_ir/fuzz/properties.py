"""What each lowering pass must preserve, as checks on one module and one input.

A property takes the module *before* its pass (and a float input), runs the pass, and raises
`PropertyFailure` when the pass changed the meaning: the interpreter of the new stage must agree
exactly with the interpreter of the old one. `pipeline` checks the four lowering passes at once
(integer graph in, encoded stream out).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from canopy_ir.compiler.pipeline import run_passes
from canopy_ir.dialects import accel
from canopy_ir.fuzz.stages import run_lowered
from canopy_ir.hw.isa import Module
from canopy_ir.interpreters.accel import run_accel
from canopy_ir.interpreters.graph import run_graph
from canopy_ir.interpreters.tile import run_tile
from canopy_ir.ir import print_module

POLICIES = list(itertools.permutations(Module))


class PropertyFailure(AssertionError):
    """The pass changed what the program computes (or broke a structural promise)."""


def _same(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    if got.shape != expected.shape or not np.array_equal(got, expected):
        if got.shape != expected.shape:
            raise PropertyFailure(f"{what}: shape {got.shape}, expected {expected.shape}")
        bad = np.argwhere(got != expected)
        first = tuple(int(i) for i in bad[0])
        raise PropertyFailure(
            f"{what}: {len(bad)} of {got.size} elements differ; first at {first}: "
            f"{got[first]} instead of {expected[first]}"
        )


def _graph_to_tile(module: ModuleOp, x: np.ndarray) -> None:
    expected = run_graph(module, x)[0]
    run_passes(module, ["graph-to-tile"])
    _same(run_lowered(module, x, run_tile), expected, "tile interpreter vs integer graph")


def _tile_to_accel(module: ModuleOp, x: np.ndarray) -> None:
    expected = run_lowered(module, x, run_tile)
    run_passes(module, ["tile-to-accel"])
    got = run_lowered(module, x, run_accel, policy="sequential")
    _same(got, expected, "accel interpreter (sequential) vs tile interpreter")


def _insert_deps(module: ModuleOp, x: np.ndarray) -> None:
    expected = run_lowered(module, x, run_accel, policy="sequential")
    run_passes(module, ["insert-deps"])
    for policy in POLICIES:
        order = "/".join(m.name.lower() for m in policy)
        got = run_lowered(module, x, run_accel, policy=policy)
        _same(got, expected, f"schedule {order} vs sequential execution")


def _encode(module: ModuleOp, x: np.ndarray) -> None:
    before = print_module(module)
    expected = run_lowered(module, x, run_accel)
    run_passes(module, ["encode"])
    if not any(isinstance(op, accel.BinaryOp) for op in module.ops):
        raise PropertyFailure("encode left no accel.binary")
    _same(run_lowered(module, x, run_accel), expected, "encoded stream vs instruction ops")
    run_passes(module, ["decode"])
    if print_module(module) != before:
        raise PropertyFailure("decode(encode(module)) differs from the module")


def _pipeline(module: ModuleOp, x: np.ndarray) -> None:
    expected = run_graph(module, x)[0]
    run_passes(module, ["graph-to-tile", "tile-to-accel", "insert-deps", "encode"])
    _same(run_lowered(module, x, run_accel), expected, "card (encoded stream) vs integer graph")


@dataclass(frozen=True)
class Property:
    name: str
    prefix: tuple[str, ...]  # passes that bring an integer graph to this pass's input
    check: Callable[[ModuleOp, np.ndarray], None]
    replay: str  # the pass(es) `canopy-opt -p` runs to reproduce


LOWERING = ("graph-to-tile", "tile-to-accel", "insert-deps", "encode")
PROPERTIES: dict[str, Property] = {
    "graph-to-tile": Property("graph-to-tile", (), _graph_to_tile, "graph-to-tile"),
    "tile-to-accel": Property("tile-to-accel", LOWERING[:1], _tile_to_accel, "tile-to-accel"),
    "insert-deps": Property("insert-deps", LOWERING[:2], _insert_deps, "insert-deps"),
    "encode": Property("encode", LOWERING[:3], _encode, "encode,decode"),
    "pipeline": Property("pipeline", (), _pipeline, ",".join(LOWERING)),
}
