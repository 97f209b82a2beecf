"""`graph` dialect → TVM Relax, and running a Relax module on the CPU.

In: a graph module — `func.func @main` of graph ops, as the ONNX or Relax importers produce it or
as any graph pass leaves it (float, QDQ, or integer after `import-qdq`: int8 convolutions
accumulating in int32, `graph.requantize`) — and its weight pool.
Out: a `tvm.IRModule` whose `main` takes the module's inputs (named after `canopy.inputs`) and
returns its results (a tuple when there are several); every weight is bound as a Relax constant,
so `relax.build(mod, "llvm")` compiles it as it is. Integer ops keep their exact semantics
(int32 wrap-around accumulation, requantization in int64 with rounding shifts), which makes TVM an
independent oracle for the integer graph too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue

from canopy_ir.dialects import graph
from canopy_ir.frontends.tvm.common import ExportError, require_tvm, tvm_dtype
from canopy_ir.frontends.tvm.relax_export_ops import EXPORTERS, dtype_name
from canopy_ir.ir import elem_to_numpy, pool_of, string_list


class _Exporter:
    def __init__(self, module: ModuleOp):
        self.tvm = require_tvm()
        from tvm import relax

        self.relax, self.R = relax, relax.op
        self.module = module
        self.pool = pool_of(module)
        self.bb = relax.BlockBuilder()
        self.values: dict[SSAValue, Any] = {}
        self.consts: dict[str, Any] = {}

    # ---- helpers --------------------------------------------------------------------------------
    def emit(self, expr, like: SSAValue | None = None, op=None):
        """Bind `expr`; with `like`, check that Relax infers the graph value's shape and type."""
        var = self.bb.emit(expr)
        if like is not None:
            shape = tuple(int(d) for d in var.ty.shape.values)
            if shape != graph.shape_of(like) or str(var.ty.dtype) != dtype_name(like):
                raise ExportError(
                    f"Relax gives {shape} {var.ty.dtype}, the graph {graph.shape_of(like)} "
                    f"{dtype_name(like)}",
                    op.node_name if op is not None else None,
                )
        return var

    def const(self, array: np.ndarray, dtype: str | None = None):
        """A Relax constant of `array` (as `dtype`); the dtype is always given, since
        `relax.const` would otherwise narrow int64 data to int32."""
        array = np.asarray(array if dtype is None else np.asarray(array).astype(dtype))
        return self.relax.const(array, tvm_dtype(array.dtype))

    def value(self, v: SSAValue):
        if v not in self.values:
            owner = v.owner
            assert isinstance(owner, graph.ConstOp), f"{v} has not been exported"
            name = owner.weight.data
            if name not in self.consts:
                self.consts[name] = self.const(self.pool[name].reshape(graph.shape_of(v)))
            self.values[v] = self.consts[name]
        return self.values[v]

    def scalar(self, value, like: SSAValue):
        return self.const(np.asarray(value, elem_to_numpy(graph.elem_of(like))))

    # ---- driver ---------------------------------------------------------------------------------
    def run(self):
        main = next(op for op in self.module.ops if isinstance(op, func.FuncOp))
        ops = list(main.body.block.ops)
        missing = sorted(
            {
                f"{op.name} ('{op.node_name}')"
                for op in ops
                if not isinstance(op, func.ReturnOp | graph.ConstOp) and type(op) not in EXPORTERS
            }
        )
        if missing:
            raise ExportError("no Relax equivalent for " + ", ".join(missing))
        names = string_list(self.module, "canopy.inputs")
        names += [f"input{i}" for i in range(len(names), len(main.args))]
        params = []
        for name, arg in zip(names, main.args, strict=True):
            var = self.relax.Var(name, self.relax.TensorType(graph.shape_of(arg), dtype_name(arg)))
            self.values[arg] = var
            params.append(var)
        with self.bb.function("main", params):
            with self.bb.dataflow():
                for op in ops:
                    if isinstance(op, func.ReturnOp):
                        results = [self.value(v) for v in op.operands]
                        out = results[0] if len(results) == 1 else self.relax.Tuple(results)
                        gv = self.bb.emit_output(out)
                    elif not isinstance(op, graph.ConstOp):
                        self.values[op.results[0]] = EXPORTERS[type(op)](self, op)
            self.bb.emit_func_output(gv)
        return self.relax.transform.Normalize()(self.bb.get())


def export_relax(module: ModuleOp) -> Any:
    """The graph module `module` as a Relax `tvm.IRModule` (weights bound as constants)."""
    return _Exporter(module).run()


def run_relax(mod: Any, *inputs: np.ndarray, target: str = "llvm") -> list[np.ndarray]:
    """Build the Relax module `mod` for `target` (untuned) and run its `main` on the CPU.

    Parameters that TVM's `from_onnx(..., keep_params_in_input=True)` kept as function inputs
    (its `params` attribute) are passed after `inputs`. Returns the results as numpy arrays."""
    tvm = require_tvm()
    from tvm import relax

    vm = relax.VirtualMachine(relax.build(mod, target=target), tvm.cpu())
    args = [tvm.runtime.tensor(np.ascontiguousarray(x)) for x in inputs]
    attrs = mod["main"].attrs
    if attrs is not None and "params" in attrs:
        args += list(attrs["params"])
    out = vm["main"](*args)
    return [out.numpy()] if hasattr(out, "numpy") else [o.numpy() for o in out]
