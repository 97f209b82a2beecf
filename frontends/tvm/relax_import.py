"""TVM Relax → `graph` dialect.

In: a Relax `tvm.IRModule` of high-level operators, as TVM's own ONNX importer
(`tvm.relax.frontend.onnx.from_onnx`) or a `relax.BlockBuilder` produces it, before TVM's
lowering (`LegalizeOps`, fusion); static shapes. Parameters may be bound constants, or function
inputs whose values come from the `params` argument, from `detach_params`, or from the function's
`params` attribute (`from_onnx(..., keep_params_in_input=True)`).
Out: a graph module — `func.func @main` taking the remaining Relax inputs and returning the
function's results — with every weight in a `WeightPool`. Each graph op carries the Relax
variable it came from in its `onnx_node` attribute.

Supported: the operators of `relax_ops.CONVERTERS`, plus the elementwise maximum/minimum/add/...
and constant-pad kernels that TVM's ONNX importer emits as `call_tir` (e.g. for Clip and Pad),
recognised from their TIR. Constant subexpressions (`isnan`/`where` on constants, transposed
weights) are folded with numpy. A matmul by a constant matrix becomes `graph.dense`, a
per-channel add after a convolution or dense layer becomes its bias, and max/min with scalars
become `graph.clip`, so the graph passes and the accelerator pipeline see what the ONNX importer
would give them. All unsupported operators are reported together in one error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np
from xdsl.builder import ImplicitBuilder
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr, TensorType
from xdsl.ir import SSAValue
from xdsl.transforms.dead_code_elimination import dce
from xdsl.utils.exceptions import VerifyException

from canopy_ir.dialects import graph
from canopy_ir.errors import FrontendError
from canopy_ir.frontends.tvm.common import (
    UnsupportedRelaxOpError,
    numpy_dtype,
    require_tvm,
)
from canopy_ir.frontends.tvm.relax_elementwise import FOLDERS, tir_kernel
from canopy_ir.frontends.tvm.relax_ops import CONVERTERS
from canopy_ir.ir import (
    WeightPool,
    attach_pool,
    elem_of_numpy,
    elem_to_numpy,
    set_string_list,
)


def _numpy(value) -> np.ndarray:
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


class RelaxImporter:
    """Converts one Relax function; converters (`relax_ops`) call back into it for values."""

    def __init__(self, mod, params, function: str):
        self.tvm = require_tvm()
        from tvm import relax, tirx

        self.relax, self.tirx = relax, tirx
        names = [gv.name_hint for gv in mod.get_global_vars()]
        if function not in names:
            raise FrontendError(f"the Relax module has no function '{function}' ({names})")
        self.mod, self.fn = mod, mod[function]
        self.pool = WeightPool()
        self.values: dict[Any, Any] = {}  # Relax var → SSA value, or a list for tuples
        self.consts: dict[Any, np.ndarray] = {}  # Relax var → value known at import
        self.materialised: dict[Any, SSAValue] = {}  # constant expr → its graph.const
        self.uses: Counter = Counter()
        self.binding = ""
        self._bind_params(params, function)

    # ---- parameters and inputs --------------------------------------------------------------
    def _bind_params(self, params, function: str) -> None:
        fn_params = list(self.fn.params)
        given: dict[str, Any] = {}
        attrs = self.fn.attrs
        if attrs is not None and "params" in attrs:  # from_onnx(keep_params_in_input=True)
            values = list(attrs["params"])
            given.update(zip((p.name for p in fn_params[-len(values) :]), values, strict=True))
        if params:
            if function in params and not hasattr(params[function], "shape"):
                values = list(params[function])  # detach_params: {function: [arrays]}
                tail = fn_params[len(fn_params) - len(values) :]
                given.update(zip((p.name for p in tail), values, strict=True))
            else:
                given.update(params)
        known = {p.name for p in fn_params}
        extra = sorted(set(given) - known)
        if extra:
            raise FrontendError(f"params name no input of '{function}': {', '.join(extra)}")
        self.inputs = []
        for p in fn_params:
            if p.name in given:
                self.consts[p] = _numpy(given[p.name])
            else:
                self.inputs.append(p)

    # ---- values -----------------------------------------------------------------------------
    def tensor_type(self, expr, what: str = "") -> TensorType:
        ty = expr.ty
        shape = getattr(ty, "shape", None)
        if not isinstance(shape, self.relax.ShapeExpr):
            raise FrontendError(f"{what or 'a value'} has no static tensor shape ({ty})")
        dims = []
        for d in shape.values:
            if not isinstance(d, self.tirx.IntImm):
                raise FrontendError(
                    f"{what or 'a value'} has a dynamic dimension ({d}); bind it first "
                    "(relax.transform.BindSymbolicVars)",
                    self.binding or None,
                )
            dims.append(int(d))
        return TensorType(elem_of_numpy(numpy_dtype(ty.dtype)), dims)

    def const(self, expr) -> np.ndarray | None:
        """The value of `expr` when known at import (a constant or a folded expression)."""
        if isinstance(expr, self.tvm.ir.expr.GenericConst):
            return _numpy(expr.value)
        if isinstance(expr, self.relax.Var) and expr in self.consts:
            return self.consts[expr]
        return None

    def value(self, expr) -> SSAValue:
        """The graph value of a Relax tensor expression (constants become `graph.const`)."""
        if isinstance(expr, self.relax.Var) and expr in self.values:
            v = self.values[expr]
            if isinstance(v, list):
                raise FrontendError("a tuple is used as a tensor", self.binding)
            return v
        array = self.const(expr)
        if array is None:
            raise FrontendError(f"{expr} is not defined before its use", self.binding)
        if expr not in self.materialised:
            name = expr.name if isinstance(expr, self.relax.Var) else f"{self.binding}.const"
            self.materialised[expr] = self.weight(name, array)
        return self.materialised[expr]

    def weight(self, name: str, array: np.ndarray) -> SSAValue:
        array = np.ascontiguousarray(array)
        key = self.pool.add(name, array)
        return graph.ConstOp(key, TensorType(elem_of_numpy(array.dtype), array.shape)).output

    def scalar(self, value: float, like: SSAValue) -> SSAValue:
        """A 0-d constant of `like`'s element type."""
        array = np.asarray(value, elem_to_numpy(graph.elem_of(like)))
        return self.weight(f"{self.binding}.scalar", array)

    def items(self, expr) -> list:
        """The elements of a tuple-valued expression (a Relax Tuple or a tuple variable)."""
        if isinstance(expr, self.relax.Tuple):
            return [self.value(f) for f in expr.fields]
        v = self.values.get(expr)
        if not isinstance(v, list):
            raise FrontendError("expected a tuple", self.binding)
        return v

    def emit(self, op):
        op.attributes["onnx_node"] = StringAttr(self.binding)
        return op.results[0]

    # ---- driver -----------------------------------------------------------------------------
    def _bindings(self):
        body = self.fn.body
        for block in body.blocks:
            yield from block.bindings

    def _count_uses(self) -> None:
        def visit(expr):
            if isinstance(expr, self.relax.Var):
                self.uses[expr] += 1
            elif isinstance(expr, self.relax.Tuple):
                for f in expr.fields:
                    visit(f)
            elif isinstance(expr, self.relax.Call):
                for a in expr.args:
                    visit(a)
            elif isinstance(expr, self.relax.TupleGetItem):
                visit(expr.tuple_value)

        for b in self._bindings():
            visit(b.value)
        visit(self.fn.body.body)

    def _op_name(self, call) -> str:
        op = call.op
        if isinstance(op, self.relax.GlobalVar):
            return f"call @{op.name_hint}"
        name = op.name
        if name == "relax.call_tir":
            gv = call.args[0]
            if tir_kernel(self, self.mod[gv]) is None:
                return f"call_tir @{gv.name_hint}"
        return name

    def _check_supported(self) -> None:
        """Every binding must convert, or fold because its inputs are constants (tracked here
        as the conversion will); all offenders are reported in one error."""
        relax, bad = self.relax, []
        constant = set(self.consts)

        def known(e) -> bool:
            return isinstance(e, self.tvm.ir.expr.GenericConst) or e in constant

        for b in self._bindings():
            value = b.value
            if not isinstance(b, relax.VarBinding | relax.MatchCast):
                bad.append((b.var.name, type(b).__name__, ""))
            elif isinstance(value, relax.Var | self.tvm.ir.expr.GenericConst) and known(value):
                constant.add(b.var)
            elif isinstance(value, relax.Call):
                name = self._op_name(value)
                tensors = [a for a in value.args if not _is_attribute(self, a)]
                if name == "relax.shape_of" or (name in FOLDERS and all(known(a) for a in tensors)):
                    constant.add(b.var)
                elif name not in CONVERTERS:
                    why = "on inputs that are not constants" if name in FOLDERS else ""
                    bad.append((b.var.name, name, why))
        if bad:
            raise UnsupportedRelaxOpError(bad)

    def _convert(self, var, expr) -> None:
        relax = self.relax
        if isinstance(expr, relax.Var):
            if expr in self.consts:
                self.consts[var] = self.consts[expr]
            else:
                self.values[var] = self.values[expr]
        elif isinstance(expr, self.tvm.ir.expr.GenericConst):
            self.consts[var] = _numpy(expr.value)
        elif isinstance(expr, relax.Tuple):
            self.values[var] = [self.value(f) for f in expr.fields]
        elif isinstance(expr, relax.TupleGetItem):
            self.values[var] = self.items(expr.tuple_value)[expr.index]
        elif isinstance(expr, relax.Call) and self._op_name(expr) == "relax.shape_of":
            shape = self.tensor_type(expr.args[0]).get_shape()  # static: a constant
            self.consts[var] = np.asarray(shape, np.int64)
        elif isinstance(expr, relax.Call):
            name = self._op_name(expr)
            folded = self._fold(name, expr, var)
            if folded is not None:
                self.consts[var] = folded
            elif name not in CONVERTERS:
                raise UnsupportedRelaxOpError([(var.name, name, "needs constant inputs")])
            else:
                self.values[var] = CONVERTERS[name](self, expr, var)
        else:
            raise UnsupportedRelaxOpError([(var.name, type(expr).__name__, "")])

    def _fold(self, name: str, call, var) -> np.ndarray | None:
        if name not in FOLDERS:
            return None
        args = [self.const(a) for a in call.args if not _is_attribute(self, a)]
        if any(a is None for a in args):
            return None
        out = self.tensor_type(var, var.name)
        result = FOLDERS[name](call, out.get_shape(), *args)
        return np.asarray(result).astype(numpy_dtype(var.ty.dtype))

    def _results(self, out) -> tuple[list[SSAValue], list[str]]:
        """The function's results and their names (a tuple result gives several)."""
        if isinstance(out, self.relax.Tuple):
            fields = list(out.fields)
            names = [
                f.name if isinstance(f, self.relax.Var) else f"output{i}"
                for i, f in enumerate(fields)
            ]
            return [self.value(f) for f in fields], names
        if isinstance(self.values.get(out), list):
            items = self.values[out]
            return items, [f"{out.name}.{i}" for i in range(len(items))]
        return [self.value(out)], [out.name]

    def run(self) -> ModuleOp:
        self._check_supported()
        self._count_uses()
        arg_types = [self.tensor_type(p, f"input '{p.name}'") for p in self.inputs]
        module = ModuleOp([])
        with ImplicitBuilder(module.body):
            main = func.FuncOp("main", (arg_types, []))
        with ImplicitBuilder(main.body) as args:
            for p, arg in zip(self.inputs, args, strict=True):
                self.values[p] = arg
            for b in self._bindings():
                self.binding = b.var.name
                self._convert(b.var, b.value)
            self.binding = "output"
            results, names = self._results(self.fn.body.body)
            func.ReturnOp(*results)
        main.function_type = func.FunctionType.from_lists(arg_types, [r.type for r in results])
        set_string_list(module, "canopy.inputs", [p.name for p in self.inputs])
        set_string_list(module, "canopy.outputs", names)
        attach_pool(module, self.pool)
        dce(module)
        try:
            module.verify()
        except VerifyException as exc:
            raise FrontendError(f"imported graph does not verify: {exc}") from None
        return module


def _is_attribute(imp: RelaxImporter, expr) -> bool:
    """Shape, prim-value, string and global-var arguments are attributes, not tensors."""
    relax, tirx = imp.relax, imp.tirx
    kinds = relax.ShapeExpr | relax.GlobalVar | tirx.IntImm | tirx.FloatImm
    return isinstance(expr, kinds | imp.tvm.ir.expr.StringImm)


def import_relax(
    mod: Any, params: Mapping[str, Any] | None = None, function: str = "main"
) -> ModuleOp:
    """Import the Relax function `function` of `mod` (a `tvm.IRModule`) into a graph module.

    `params` gives values to function inputs that are weights: by input name
    (`{"conv1.weight": array}`), or as `relax.frontend.detach_params` returns them
    (`{"main": [arrays]}`, the function's trailing inputs). Arrays may be numpy arrays or TVM
    tensors."""
    return RelaxImporter(mod, params, function).run()
