"""Interpreter of the `graph` dialect: the float reference and the exact integer semantics.

Every op runs its numpy kernel from `canopy_ir.kernels` (the same code the runtime uses for the
host segments of a partitioned model), given the op's properties as plain values.

Takes a graph module and numpy inputs. `run_graph` gives `@main`'s results (through xDSL's
interpreter); `evaluate_all` every SSA value's array; `GraphProgram` is `@main` read once into a
list of kernel calls, for running many inputs (calibration, per-layer reports): it streams each
op's results and drops arrays no later op reads.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls
from xdsl.ir import SSAValue

from canopy_ir.dialects import graph
from canopy_ir.errors import CanopyError
from canopy_ir.ir import op_attributes, pool_of, result_types
from canopy_ir.kernels import KERNELS, run


class GraphFunctions(InterpreterFunctions):
    def __init__(self, module: ModuleOp):
        super().__init__()
        self.pool = pool_of(module)

    @impl(graph.ConstOp)
    def run_const(self, interp, op: graph.ConstOp, args):
        return (self.pool[op.weight.data].reshape(graph.shape_of(op.output)),)

    def run_kernel(self, interp, op, args):
        return tuple(run(op.name, op_attributes(op), list(args), result_types(op)))


# Every graph op with a kernel runs through `run_kernel`.
for _op in graph.Graph.operations:
    if _op.name in KERNELS:
        setattr(
            GraphFunctions, f"run_{_op.name.split('.')[1]}", impl(_op)(GraphFunctions.run_kernel)
        )
GraphFunctions = register_impls(GraphFunctions)


def constant_results(op, pool) -> list[np.ndarray] | None:
    """The results of `op` when it is a graph.const or every operand of it is one (then computed
    by its kernel, as running the module would); None otherwise. Passes that fold constants
    decide which ops to evaluate; this is how."""
    if isinstance(op, graph.ConstOp):
        return [pool[op.weight.data].reshape(graph.shape_of(op.output))]
    if not op.operands or not all(isinstance(v.owner, graph.ConstOp) for v in op.operands):
        return None
    args = [pool[v.owner.weight.data].reshape(graph.shape_of(v)) for v in op.operands]
    return run(op.name, op_attributes(op), args, result_types(op))


def run_graph(module: ModuleOp, *inputs: np.ndarray) -> list[np.ndarray]:
    """Run `@main` of a graph module on numpy inputs."""
    # imported here: the package xdsl.interpreters loads every dialect's interpreter (~0.4 s),
    # which calibration (GraphProgram) does not need
    from xdsl.interpreters.func import FuncFunctions

    interp = Interpreter(module)
    interp.register_implementations(FuncFunctions())
    interp.register_implementations(GraphFunctions(module))
    return list(interp.call_op("main", tuple(inputs)))


def evaluate_all(module: ModuleOp, *inputs: np.ndarray) -> dict:
    """Run `@main` op by op and return the value of every SSA value (for calibration and
    per-layer reports)."""
    program = GraphProgram(module)
    values = dict(zip(program.args, inputs, strict=True))
    values.update(program.constants)
    values.update(program.values(*inputs))
    return values


class GraphProgram:
    """`@main` of a graph module as a list of kernel calls, read once: each op's kernel,
    properties (as plain values) and result types, constants as arrays. Running it calls the
    same kernels as the interpreter, with the same arguments, so results are identical; what it
    saves is reading the IR again for every input."""

    def __init__(self, module: ModuleOp):
        main = next((op for op in module.ops if isinstance(op, func.FuncOp)), None)
        if main is None:
            raise CanopyError("the graph module has no func.func @main")
        pool = pool_of(module)
        self.args: tuple[SSAValue, ...] = tuple(main.args)
        self.constants: dict[SSAValue, np.ndarray] = {}
        self.steps: list[tuple] = []  # (kernel name, attrs, operands, results, result types)
        self.returned: tuple[SSAValue, ...] = ()
        for op in main.body.block.ops:
            if isinstance(op, func.ReturnOp):
                self.returned = tuple(op.operands)
                break
            if isinstance(op, graph.ConstOp):
                array = pool[op.weight.data].reshape(graph.shape_of(op.output))
                self.constants[op.output] = array
                continue
            if op.name not in KERNELS:
                where = f"node '{getattr(op, 'node_name', op.name)}'"
                raise CanopyError(f"{op.name} has no host implementation", where)
            operands, results = tuple(op.operands), tuple(op.results)
            self.steps.append((op.name, op_attributes(op), operands, results, result_types(op)))
        # After step i, the arrays that no later step reads (and @main does not return).
        last: dict[SSAValue, int] = {}
        for i, (_, _, operands, results, _) in enumerate(self.steps):
            for v in (*operands, *results):
                last[v] = i
        kept = set(self.returned) | set(self.constants)
        self.dead_after: list[list[SSAValue]] = [[] for _ in self.steps]
        for v, i in last.items():
            if v not in kept:
                self.dead_after[i].append(v)

    def values(self, *inputs: np.ndarray) -> Iterator[tuple[SSAValue, np.ndarray]]:
        """Every op's results in program order, as (value, array) (the constants are
        `constants`); an array is dropped once no later op reads it (callers keep what they
        need)."""
        if len(inputs) != len(self.args):
            raise CanopyError(f"@main takes {len(self.args)} inputs, got {len(inputs)}")
        live = dict(self.constants)
        live.update(zip(self.args, inputs, strict=True))
        for (name, attrs, operands, results, types), dead in zip(
            self.steps, self.dead_after, strict=True
        ):
            arrays = run(name, attrs, [live[v] for v in operands], types)
            for value, array in zip(results, arrays, strict=True):
                live[value] = array
                yield value, array
            for value in dead:
                live.pop(value, None)
