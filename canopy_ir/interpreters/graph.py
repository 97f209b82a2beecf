"""Interpreter of the `graph` dialect: the float reference and the exact integer semantics.

Every op runs its numpy kernel from `canopy_ir.kernels` (the same code the runtime uses for the
host segments of a partitioned model), given the op's properties as plain values.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls
from xdsl.interpreters.func import FuncFunctions

from canopy_ir.dialects import graph
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


def run_graph(module: ModuleOp, *inputs: np.ndarray) -> list[np.ndarray]:
    """Run `@main` of a graph module on numpy inputs."""
    interp = Interpreter(module)
    interp.register_implementations(FuncFunctions())
    interp.register_implementations(GraphFunctions(module))
    return list(interp.call_op("main", tuple(inputs)))


def evaluate_all(module: ModuleOp, *inputs: np.ndarray) -> dict:
    """Run `@main` op by op and return the value of every SSA value (for calibration and
    per-layer reports)."""
    main = next(op for op in module.ops if isinstance(op, func.FuncOp))
    interp = Interpreter(module)
    interp.register_implementations(GraphFunctions(module))
    values = dict(zip(main.args, inputs, strict=True))
    for op in main.body.block.ops:
        if isinstance(op, func.ReturnOp):
            break
        results = interp.run_op(op, tuple(values[v] for v in op.operands))
        values.update(zip(op.results, results, strict=True))
    return values
