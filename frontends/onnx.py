"""ONNX → `graph` dialect.

Produces `func.func @main` whose arguments are the model's (non-initializer) inputs and whose
results are its outputs; weights go to a `WeightPool`, never into the IR text.

- Shapes: ONNX's own shape inference (with data propagation) runs after the user's
  `input_shapes` are applied, so every value gets a static type; a dimension that stays unknown
  is an error naming the tensor and the CLI option that fixes it.
- Constant subgraphs (Shape → Gather → Concat → Reshape chains, ConstantOfShape, ...) are folded
  at import with the onnx package's reference evaluator when every input is a constant.
- Other nodes are decomposed into the small core of graph ops (e.g. LeakyRelu → relu, min, mul,
  add; Gelu → erf; QLinearConv → dequantize, conv, quantize).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper
from xdsl.builder import ImplicitBuilder
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    IntegerType,
    ModuleOp,
    Signedness,
    StringAttr,
    TensorType,
    f16,
    f32,
    f64,
    i1,
    i8,
    i16,
    i32,
    i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.utils.exceptions import VerifyException

from canopy_ir.dialects import graph
from canopy_ir.errors import FrontendError, UnsupportedOpError
from canopy_ir.ir import WeightPool, attach_pool, elem_of_numpy, elem_to_numpy, set_string_list

ui8, ui16 = IntegerType(8, Signedness.UNSIGNED), IntegerType(16, Signedness.UNSIGNED)
_ELEMS: list[tuple[int, np.dtype, Attribute]] = [
    (onnx.TensorProto.FLOAT, np.dtype(np.float32), f32),
    (onnx.TensorProto.DOUBLE, np.dtype(np.float64), f64),
    (onnx.TensorProto.FLOAT16, np.dtype(np.float16), f16),
    (onnx.TensorProto.INT8, np.dtype(np.int8), i8),
    (onnx.TensorProto.UINT8, np.dtype(np.uint8), ui8),
    (onnx.TensorProto.INT16, np.dtype(np.int16), i16),
    (onnx.TensorProto.UINT16, np.dtype(np.uint16), ui16),
    (onnx.TensorProto.INT32, np.dtype(np.int32), i32),
    (onnx.TensorProto.INT64, np.dtype(np.int64), i64),
    (onnx.TensorProto.BOOL, np.dtype(np.bool_), i1),
]
_ONNX_TO_ELEM = {o: e for o, _, e in _ELEMS}

# Ops folded whenever all their inputs are constants, whatever the size: they build shapes and
# weights (ConstantOfShape weights in the onnx package's "light" models) rather than compute.
ALWAYS_FOLD = {
    "Shape",
    "Size",
    "ConstantOfShape",
    "Range",
    "Constant",
    "Cast",
    "Reshape",
    "Unsqueeze",
    "Squeeze",
    "Concat",
    "Gather",
    "Slice",
    "Identity",
    "Expand",
    "Equal",
    "Where",
    "Flatten",
    "Transpose",
}
# Never folded: they carry the quantization that import-qdq maps onto integer arithmetic.
NEVER_FOLD = {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul"}
FOLD_MAX_ELEMENTS = 1 << 16


def _elem_to_onnx(elem: Attribute) -> int:
    return next(o for o, _, e in _ELEMS if e == elem)


class _Importer:
    def __init__(self, model: onnx.ModelProto, input_shapes: dict[str, tuple[int, ...]]):
        self.model = model
        self.input_shapes = input_shapes
        self.pool = WeightPool()
        self.values: dict[str, SSAValue] = {}
        self.consts: dict[str, np.ndarray] = {}
        self.types: dict[str, TensorType] = {}
        self.opsets = {o.domain or "": o.version for o in model.opset_import}
        self.opset = self.opsets.get("", 1)
        self.contrib_types: dict[str, TensorType] = {}
        self.used = {i for n in model.graph.node for i in n.input} | {
            o.name for o in model.graph.output
        }

    # ---- values ---------------------------------------------------------------------------
    def emit(self, op, node: onnx.NodeProto):
        op.attributes["onnx_node"] = StringAttr(node.name or node.output[0])
        return op

    def value(self, name: str, node: onnx.NodeProto) -> SSAValue:
        """The SSA value of tensor `name`, materialising constants as `graph.const`."""
        if name in self.values:
            return self.values[name]
        if name in self.consts:
            array = self.consts[name]
            key = self.pool.add(name, array)
            op = graph.ConstOp(key, TensorType(elem_of_numpy(array.dtype), array.shape))
            self.values[name] = op.output
            return op.output
        raise FrontendError(
            f"tensor '{name}' is neither an input, an initializer nor produced by an earlier node",
            _where(node),
        )

    def const(self, name: str, node: onnx.NodeProto, what: str) -> np.ndarray:
        if name not in self.consts:
            raise UnsupportedOpError([(_name(node), node.op_type, f"{what} must be a constant")])
        return self.consts[name]

    def out_type(self, node: onnx.NodeProto, index: int = 0) -> TensorType:
        name = node.output[index]
        if name not in self.types:
            raise FrontendError(
                f"the shape of '{name}' cannot be inferred statically; fix the "
                "model's input shapes with --input-shape NAME=DIMS",
                _where(node),
            )
        return self.types[name]

    def set(self, node: onnx.NodeProto, op, index: int = 0):
        self.emit(op, node)
        self.values[node.output[index]] = op.results[0]
        return op.results[0]

    # ---- driver -----------------------------------------------------------------------------
    def run(self) -> ModuleOp:
        g = self.model.graph
        unsupported = [
            (_name(n), n.op_type if not n.domain else f"{n.domain}.{n.op_type}", "")
            for n in g.node
            if _converter(n) is None
        ]
        if unsupported:
            raise UnsupportedOpError(unsupported)
        for init in g.initializer:
            self.consts[init.name] = numpy_helper.to_array(init)
        inits = set(self.consts)
        inputs = [i for i in g.input if i.name not in inits]
        self._check_static_inputs(inputs)
        folded = self._fold_to_fixpoint(inputs)
        arg_types = [self.types[i.name] for i in inputs]
        module = ModuleOp([])
        with ImplicitBuilder(module.body):
            main = func.FuncOp("main", (arg_types, []))
        with ImplicitBuilder(main.body) as args:
            for info, arg in zip(inputs, args, strict=True):
                self.values[info.name] = arg
            for i, node in enumerate(g.node):
                if i not in folded:
                    _converter(node)(self, node)
            results = [self.value(out.name, g.node[-1]) for out in g.output]
            func.ReturnOp(*results)
        main.function_type = func.FunctionType.from_lists(arg_types, [r.type for r in results])
        set_string_list(module, "canopy.inputs", [i.name for i in inputs])
        set_string_list(module, "canopy.outputs", [o.name for o in g.output])
        attach_pool(module, self.pool)
        try:
            module.verify()
        except VerifyException as exc:
            raise FrontendError(f"imported graph does not verify: {exc}") from None
        return module

    def _check_static_inputs(self, inputs) -> None:
        for info in inputs:
            if info.name in self.input_shapes:
                continue
            dims = info.type.tensor_type.shape.dim
            for d in dims:
                if not (d.HasField("dim_value") and d.dim_value > 0):
                    example = "x".join(
                        str(x.dim_value) if x.HasField("dim_value") and x.dim_value > 0 else "1"
                        for x in dims
                    )
                    raise FrontendError(
                        f"input '{info.name}' has a dynamic dimension ({d.dim_param or '?'}); give "
                        f"a fixed shape with --input-shape {info.name}={example}"
                    )

    def _fold_to_fixpoint(self, inputs) -> set[int]:
        """Alternate ONNX shape inference and constant folding until nothing changes: folded
        shape subgraphs make later shapes static (e.g. a Reshape whose shape is computed)."""
        folded: set[int] = set()
        for _ in range(8):
            self._infer_shapes(folded)
            changed = False
            for i, node in enumerate(self.model.graph.node):
                if i not in folded and self._fold(node):
                    folded.add(i)
                    changed = True
                changed |= self._contrib_shape(node)
            if not changed:
                break
        for info in inputs:
            if info.name not in self.types:
                raise FrontendError(f"input '{info.name}' has an unsupported type or shape")
        return folded

    def _contrib_shape(self, node: onnx.NodeProto) -> bool:
        """Output types of contrib ops ONNX shape inference does not know (onnxruntime's
        com.microsoft.QGemm): computed here, handed to the next inference round."""
        if (
            node.domain != "com.microsoft"
            or node.op_type != "QGemm"
            or node.output[0] in self.types
        ):
            return False
        a = self._type_or_const(node.input[0])
        b = self._type_or_const(node.input[3])
        if a is None or b is None:
            return False
        attrs = _attrs(node)
        m = a[1] if attrs.get("transA", 0) else a[0]
        n = b[0] if attrs.get("transB", 0) else b[1]
        if _opt_input(node, 7):
            elem = elem_of_numpy(self.consts[node.input[8]].dtype) if _opt_input(node, 8) else ui8
        else:
            elem = f32
        self.types[node.output[0]] = TensorType(elem, (m, n))
        self.contrib_types[node.output[0]] = self.types[node.output[0]]
        return True

    def _type_or_const(self, name: str) -> tuple[int, ...] | None:
        if name in self.consts:
            return tuple(self.consts[name].shape)
        if name in self.types:
            return tuple(self.types[name].get_shape())
        return None

    def _single_node_model(self, node: onnx.NodeProto) -> onnx.ModelProto:
        ins = [
            onnx.helper.make_tensor_value_info(
                i, onnx.helper.np_dtype_to_tensor_dtype(self.consts[i].dtype), self.consts[i].shape
            )
            for i in node.input
            if i
        ]
        outs = [onnx.helper.make_empty_tensor_value_info(o) for o in node.output if o]
        g = onnx.helper.make_graph([node], "fold", ins, outs)
        return onnx.helper.make_model(
            g, opset_imports=self.model.opset_import, ir_version=self.model.ir_version
        )

    def _infer_shapes(self, folded: set[int]) -> None:
        """ONNX shape inference on the unfolded nodes. Constants up to FOLD_MAX_ELEMENTS go in
        as initializers (their values make shapes static); larger ones (weights) only as typed
        inputs, so no weight data is copied or serialised."""
        g = self.model.graph
        inputs = []
        for info in g.input:
            if info.name in self.consts:
                continue
            if info.name in self.input_shapes:
                info = onnx.helper.make_tensor_value_info(
                    info.name, info.type.tensor_type.elem_type, self.input_shapes[info.name]
                )
            inputs.append(info)
        inits = []
        for name, value in self.consts.items():
            try:
                dtype = onnx.helper.np_dtype_to_tensor_dtype(value.dtype)
            except (KeyError, TypeError, ValueError):
                continue
            if value.size <= FOLD_MAX_ELEMENTS:
                inits.append(numpy_helper.from_array(value, name))
            else:
                inputs.append(onnx.helper.make_tensor_value_info(name, dtype, value.shape))
        nodes = [n for i, n in enumerate(g.node) if i not in folded]
        value_info = [
            onnx.helper.make_tensor_value_info(
                name, _elem_to_onnx(t.get_element_type()), t.get_shape()
            )
            for name, t in self.contrib_types.items()
        ]
        model = onnx.helper.make_model(
            onnx.helper.make_graph(
                nodes, g.name or "main", inputs, list(g.output), inits, value_info=value_info
            ),
            opset_imports=self.model.opset_import,
            ir_version=max(self.model.ir_version, 4),
            functions=self.model.functions,
        )
        try:
            inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
        except Exception as exc:  # onnx raises InferenceError and friends
            raise FrontendError(f"ONNX shape inference failed: {exc}") from None
        g = inferred.graph
        for info in [*g.input, *g.value_info, *g.output]:
            t = info.type.tensor_type
            dims = [d.dim_value if d.HasField("dim_value") else -1 for d in t.shape.dim]
            if t.elem_type in _ONNX_TO_ELEM and t.HasField("shape") and all(d >= 0 for d in dims):
                self.types[info.name] = TensorType(_ONNX_TO_ELEM[t.elem_type], dims)

    def _fold(self, node: onnx.NodeProto) -> bool:
        """Evaluate `node` now if all its inputs are constants (and it is cheap to keep)."""
        ins = [i for i in node.input if i]
        if node.op_type == "Constant" or node.op_type in NEVER_FOLD:
            return False
        if node.op_type == "Shape" and ins[0] in self.types:
            a = _attrs(node)
            shape = list(self.types[ins[0]].get_shape())
            self.consts[node.output[0]] = np.asarray(
                shape[a.get("start", 0) : a.get("end", len(shape))], np.int64
            )
            return True
        if not all(i in self.consts for i in ins) or not ins and node.op_type != "ConstantOfShape":
            return False
        if node.op_type not in ALWAYS_FOLD:
            size = sum(
                int(np.prod(self.types[o].get_shape())) if o in self.types else 1 << 30
                for o in node.output
                if o
            )
            if size > FOLD_MAX_ELEMENTS:
                return False
        from onnx.reference import ReferenceEvaluator

        try:
            evaluator = ReferenceEvaluator(self._single_node_model(node))
            outputs = evaluator.run(None, {i: self.consts[i] for i in ins})
        except Exception as exc:  # the reference evaluator raises many kinds
            raise FrontendError(f"cannot evaluate constant node: {exc}", _where(node)) from None
        for name, value in zip(node.output, outputs, strict=False):
            if name:
                self.consts[name] = np.asarray(value)
        return True


def _name(node: onnx.NodeProto) -> str:
    return node.name or node.output[0]


def _where(node: onnx.NodeProto) -> str:
    return f"node '{_name(node)}' ({node.op_type})"


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _str(value, default: str) -> str:
    if value is None:
        return default
    return value.decode() if isinstance(value, bytes) else value


def _extra_outputs_used(imp: _Importer, node: onnx.NodeProto) -> bool:
    """Whether any output but the first is consumed (optional outputs are often declared and
    left unused, e.g. Dropout's mask in old exporters)."""
    return any(o and o in imp.used for o in node.output[1:])


def _unsupported(node: onnx.NodeProto, why: str):
    return UnsupportedOpError([(_name(node), node.op_type, why)])


def _opt_input(node: onnx.NodeProto, i: int) -> str | None:
    return node.input[i] if len(node.input) > i and node.input[i] else None


def _ints_input(imp: _Importer, node, index: int, attr: str, what: str) -> list[int] | None:
    """An int list given as attribute (older opsets) or constant input (newer)."""
    a = _attrs(node)
    if attr in a:
        return [int(v) for v in a[attr]]
    name = _opt_input(node, index)
    return None if name is None else [int(v) for v in imp.const(name, node, what).reshape(-1)]


def _scalar(imp: _Importer, value: float, like: SSAValue, node) -> SSAValue:
    """A constant scalar tensor of `like`'s element type."""
    dtype = elem_to_numpy(graph.elem_of(like))
    key = f"{_name(node)}.const{len(imp.consts)}"
    imp.consts[key] = np.asarray(value, dtype)
    return imp.value(key, node)


def _binary(imp, node, cls, a: SSAValue, b: SSAValue, result_type=None) -> SSAValue:
    if result_type is None:
        shape = np.broadcast_shapes(graph.shape_of(a), graph.shape_of(b))
        result_type = TensorType(graph.elem_of(a), shape)
    return imp.emit(cls(a, b, result_type), node).output


# ---- converters: convolution and matrix products -------------------------------------------
def _conv(imp: _Importer, node: onnx.NodeProto) -> None:
    a = _attrs(node)
    x, w = imp.value(node.input[0], node), imp.value(node.input[1], node)
    b = imp.value(node.input[2], node) if _opt_input(node, 2) else None
    xs, ws = graph.shape_of(x), graph.shape_of(w)
    if len(xs) != 4:
        raise _unsupported(node, f"{len(xs) - 2}-D convolution (only 2-D)")
    out = imp.out_type(node)
    strides, dil = list(a.get("strides", [1, 1])), list(a.get("dilations", [1, 1]))
    pads = _conv_pads(a, xs[2:], ws[2:], strides, dil, out.get_shape()[2:])
    imp.set(node, graph.Conv2dOp(x, w, b, strides, pads, dil, a.get("group", 1), out))


def _conv_pads(a, in_hw, k_hw, strides, dil, out_hw) -> list[int]:
    """ONNX pads (top, left, bottom, right), resolving auto_pad."""
    auto_pad = _str(a.get("auto_pad"), "NOTSET")
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        pads = [0, 0, 0, 0]
        for d in range(2):
            total = max(0, (out_hw[d] - 1) * strides[d] + (k_hw[d] - 1) * dil[d] + 1 - in_hw[d])
            small, big = total // 2, total - total // 2
            pads[d], pads[d + 2] = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
        return pads
    if auto_pad == "VALID":
        return [0, 0, 0, 0]
    p = list(a.get("pads", [0, 0, 0, 0]))
    return [p[0], p[1], p[2], p[3]]


def _constant_matrix(imp: _Importer, node, name: str, transpose: bool, scale: float = 1.0):
    """A constant operand as a `graph.dense` weight/bias (transposed/scaled at import), or None.
    Handles plain constants and DequantizeLinear(constant) of QDQ models (the integer constant
    is transposed; a scale other than 1 is only folded into float constants)."""
    if name in imp.consts:
        array = imp.consts[name]
        if array.dtype != np.float32:
            return None
        array = (array.T if transpose else array) * np.float32(scale)
        return imp.value(_new_const(imp, name, array), node)
    owner = imp.values[name].owner if name in imp.values else None
    dequantize_ops = graph.DequantizeOp | graph.DequantizeChannelsOp
    if (
        scale != 1.0
        or not isinstance(owner, dequantize_ops)
        or not isinstance(owner.input.owner, graph.ConstOp)
    ):
        return None
    if not transpose:
        return imp.values[name]
    const = owner.input.owner
    array = imp.pool[const.weight.data].T
    key = imp.pool.add(f"{const.weight.data}.T", np.ascontiguousarray(array))
    new_const = graph.ConstOp(key, TensorType(graph.elem_of(const.output), array.shape))
    if isinstance(owner, graph.DequantizeOp):
        deq = graph.DequantizeOp(
            new_const.output,
            owner.scale.value.data,
            owner.zero_point.value.data,
            TensorType(f32, array.shape),
        )
    else:  # the channel axis moves with the transpose
        deq = graph.DequantizeChannelsOp(
            new_const.output, owner.scales.get_values(), 1 - owner.axis.value.data
        )
    deq.attributes.update(owner.attributes)
    return deq.output


def _dense_bias(imp: _Importer, node, name: str, n: int, beta: float):
    """Gemm's C as a dense bias [N] when it is a (broadcastable) constant, else None."""
    if name in imp.consts:
        c = imp.consts[name]
        if c.dtype != np.float32 or c.size not in (1, n) or (c.ndim == 2 and c.shape[0] != 1):
            return None
        return imp.value(
            _new_const(imp, name, np.broadcast_to(c.reshape(-1) * np.float32(beta), (n,))), node
        )
    owner = imp.values[name].owner if name in imp.values else None
    if (
        beta == 1.0
        and isinstance(owner, graph.DequantizeOp | graph.DequantizeChannelsOp)
        and graph.shape_of(owner.output) == (n,)
    ):
        return imp.values[name]
    return None


def _gemm(imp: _Importer, node: onnx.NodeProto) -> None:
    a = _attrs(node)
    alpha, beta = float(a.get("alpha", 1.0)), float(a.get("beta", 1.0))
    out = imp.out_type(node)
    c_name = _opt_input(node, 2)
    x = imp.value(node.input[0], node)
    if a.get("transA", 0):
        x = imp.emit(graph.TransposeOp(x, _transposed_type(x), perm=[1, 0]), node).output
    if graph.elem_of(x) == f32:
        w = _constant_matrix(imp, node, node.input[1], not a.get("transB", 0), alpha)
        if w is not None:
            bias = _dense_bias(imp, node, c_name, out.get_shape()[1], beta) if c_name else None
            y = imp.emit(graph.DenseOp(x, w, bias, out), node).output
            if c_name is not None and bias is None:
                y = _add_scaled(imp, node, y, c_name, beta, out)
            imp.values[node.output[0]] = y
            return
    b = imp.value(node.input[1], node)
    if a.get("transB", 0):
        b = imp.emit(graph.TransposeOp(b, _transposed_type(b), perm=[1, 0]), node).output
    y = _binary(imp, node, graph.MatmulOp, x, b, out)
    if alpha != 1.0:
        y = _binary(imp, node, graph.MulOp, y, _scalar(imp, alpha, y, node), out)
    if c_name is not None:
        y = _add_scaled(imp, node, y, c_name, beta, out)
    imp.values[node.output[0]] = y


def _add_scaled(imp, node, y, c_name, beta, out) -> SSAValue:
    c = imp.value(c_name, node)
    if beta != 1.0:
        c = _binary(imp, node, graph.MulOp, c, _scalar(imp, beta, c, node))
    return _binary(imp, node, graph.AddOp, y, c, out)


def _transposed_type(v: SSAValue) -> TensorType:
    return TensorType(graph.elem_of(v), graph.shape_of(v)[::-1])


def _new_const(imp: _Importer, name: str, array: np.ndarray) -> str:
    key = f"{name}.{len(imp.consts)}"
    imp.consts[key] = np.ascontiguousarray(array)
    return key


def _matmul(imp: _Importer, node: onnx.NodeProto) -> None:
    out = imp.out_type(node)
    x = imp.value(node.input[0], node)
    b_const = imp.consts.get(node.input[1])
    b_val = imp.values.get(node.input[1])
    b_rank = b_const.ndim if b_const is not None else len(graph.shape_of(b_val)) if b_val else 0
    if len(graph.shape_of(x)) == 2 and b_rank == 2 and graph.elem_of(x) == f32:
        w = _constant_matrix(imp, node, node.input[1], transpose=True)  # dense weights: [N, K]
        if w is not None:
            imp.set(node, graph.DenseOp(x, w, None, out))
            return
    imp.values[node.output[0]] = _binary(
        imp, node, graph.MatmulOp, x, imp.value(node.input[1], node), out
    )


# ---- elementwise ----------------------------------------------------------------------------
def _elementwise(cls):
    def convert(imp: _Importer, node: onnx.NodeProto) -> None:
        out = imp.out_type(node)
        acc = imp.value(node.input[0], node)
        for name in node.input[1:]:
            acc = _binary(
                imp, node, cls, acc, imp.value(name, node), out if name == node.input[-1] else None
            )
        imp.values[node.output[0]] = acc

    return convert


def _mean(imp: _Importer, node: onnx.NodeProto) -> None:
    _elementwise(graph.AddOp)(imp, node)
    y = imp.values[node.output[0]]
    n = _scalar(imp, len(node.input), y, node)
    imp.values[node.output[0]] = _binary(imp, node, graph.DivOp, y, n, imp.out_type(node))


def _unary(fn: str):
    def convert(imp: _Importer, node: onnx.NodeProto) -> None:
        imp.set(node, graph.UnaryOp(imp.value(node.input[0], node), fn))

    return convert


def _relu(imp: _Importer, node: onnx.NodeProto) -> None:
    imp.set(node, graph.ReluOp(imp.value(node.input[0], node)))


def _leaky(imp: _Importer, node: onnx.NodeProto, slope: SSAValue | None = None) -> None:
    """relu(x) + slope * min(x, 0)."""
    x = imp.value(node.input[0], node)
    if slope is None:
        slope = _scalar(imp, _attrs(node).get("alpha", 0.01), x, node)
    neg = _binary(imp, node, graph.MinOp, x, _scalar(imp, 0.0, x, node), x.type)
    pos = imp.emit(graph.ReluOp(x), node).output
    scaled = _binary(imp, node, graph.MulOp, neg, slope)
    imp.values[node.output[0]] = _binary(imp, node, graph.AddOp, pos, scaled, imp.out_type(node))


def _prelu(imp: _Importer, node: onnx.NodeProto) -> None:
    _leaky(imp, node, imp.value(node.input[1], node))


def _clip(imp: _Importer, node: onnx.NodeProto) -> None:
    a = _attrs(node)
    lo, hi = a.get("min"), a.get("max")
    if _opt_input(node, 1):
        lo = float(imp.const(node.input[1], node, "min"))
    if _opt_input(node, 2):
        hi = float(imp.const(node.input[2], node, "max"))
    imp.set(node, graph.ClipOp(imp.value(node.input[0], node), lo, hi))


def _hard_sigmoid_of(imp, node, x, alpha, beta) -> SSAValue:
    y = _binary(imp, node, graph.MulOp, x, _scalar(imp, alpha, x, node), x.type)
    y = _binary(imp, node, graph.AddOp, y, _scalar(imp, beta, x, node), x.type)
    return imp.emit(graph.ClipOp(y, 0.0, 1.0), node).output


def _hard_sigmoid(imp: _Importer, node: onnx.NodeProto) -> None:
    a = _attrs(node)
    imp.values[node.output[0]] = _hard_sigmoid_of(
        imp, node, imp.value(node.input[0], node), a.get("alpha", 0.2), a.get("beta", 0.5)
    )


def _hard_swish(imp: _Importer, node: onnx.NodeProto) -> None:
    x = imp.value(node.input[0], node)
    gate = _hard_sigmoid_of(imp, node, x, 1 / 6, 0.5)
    imp.values[node.output[0]] = _binary(imp, node, graph.MulOp, x, gate, x.type)


def _gelu(imp: _Importer, node: onnx.NodeProto) -> None:
    x = imp.value(node.input[0], node)
    t = x.type
    if _str(_attrs(node).get("approximate"), "none") == "tanh":
        cube = _binary(imp, node, graph.MulOp, _binary(imp, node, graph.MulOp, x, x, t), x, t)
        inner = _binary(
            imp,
            node,
            graph.AddOp,
            x,
            _binary(imp, node, graph.MulOp, cube, _scalar(imp, 0.044715, x, node), t),
            t,
        )
        inner = _binary(
            imp, node, graph.MulOp, inner, _scalar(imp, math.sqrt(2 / math.pi), x, node), t
        )
        gate = imp.emit(graph.UnaryOp(inner, "tanh"), node).output
    else:
        scaled = _binary(imp, node, graph.MulOp, x, _scalar(imp, 1 / math.sqrt(2), x, node), t)
        gate = imp.emit(graph.UnaryOp(scaled, "erf"), node).output
    one_plus = _binary(imp, node, graph.AddOp, gate, _scalar(imp, 1.0, x, node), t)
    half_x = _binary(imp, node, graph.MulOp, x, _scalar(imp, 0.5, x, node), t)
    imp.values[node.output[0]] = _binary(imp, node, graph.MulOp, half_x, one_plus, t)


def _cast(imp: _Importer, node: onnx.NodeProto) -> None:
    imp.set(node, graph.CastOp(imp.value(node.input[0], node), imp.out_type(node)))


# ---- normalisation, pooling, reductions --------------------------------------------------------
def _batch_norm(imp: _Importer, node: onnx.NodeProto) -> None:
    if _extra_outputs_used(imp, node):
        raise _unsupported(node, "training-mode outputs")
    x, scale, bias, mean, var = (imp.value(n, node) for n in node.input[:5])
    imp.set(node, graph.BatchNormOp(x, scale, bias, mean, var, _attrs(node).get("epsilon", 1e-5)))


def _layer_norm(imp: _Importer, node: onnx.NodeProto) -> None:
    a = _attrs(node)
    x = imp.value(node.input[0], node)
    scale = imp.value(node.input[1], node)
    bias = imp.value(node.input[2], node) if _opt_input(node, 2) else None
    axis, eps = a.get("axis", -1), float(a.get("epsilon", 1e-5))
    if not _extra_outputs_used(imp, node):
        imp.set(node, graph.LayerNormOp(x, scale, bias, axis, eps))
        return
    # Mean / InvStdDev wanted too: spell the normalisation out in core ops
    shape = graph.shape_of(x)
    axes = list(range(axis % len(shape), len(shape)))
    stat_t = TensorType(graph.elem_of(x), [1 if d in axes else n for d, n in enumerate(shape)])
    mean = imp.emit(graph.ReduceOp(x, stat_t, fn="mean", axes=axes, keepdims=1), node).output
    diff = _binary(imp, node, graph.SubOp, x, mean, x.type)
    sq = _binary(imp, node, graph.MulOp, diff, diff, x.type)
    var = imp.emit(graph.ReduceOp(sq, stat_t, fn="mean", axes=axes, keepdims=1), node).output
    var = _binary(imp, node, graph.AddOp, var, _scalar(imp, eps, x, node), stat_t)
    inv = imp.emit(
        graph.UnaryOp(imp.emit(graph.UnaryOp(var, "sqrt"), node).output, "reciprocal"), node
    ).output
    y = _binary(
        imp, node, graph.MulOp, _binary(imp, node, graph.MulOp, diff, inv, x.type), scale, x.type
    )
    if bias is not None:
        y = _binary(imp, node, graph.AddOp, y, bias, x.type)
    for name, value in zip(node.output, (y, mean, inv), strict=True):
        if name:
            imp.values[name] = value


def _pool(kind: str):
    def convert(imp: _Importer, node: onnx.NodeProto) -> None:
        if _extra_outputs_used(imp, node):
            raise _unsupported(node, "the Indices output")
        a = _attrs(node)
        x = imp.value(node.input[0], node)
        if len(graph.shape_of(x)) != 4:
            raise _unsupported(node, f"{len(graph.shape_of(x)) - 2}-D pooling (only 2-D)")
        kernel = list(a["kernel_shape"])
        strides, dil = list(a.get("strides", [1, 1])), list(a.get("dilations", [1, 1]))
        out = imp.out_type(node)
        pads = _conv_pads(a, graph.shape_of(x)[2:], kernel, strides, dil, out.get_shape()[2:])
        imp.set(
            node,
            graph.PoolOp(
                x,
                out,
                kind=kind,
                kernel=kernel,
                strides=strides,
                pads=pads,
                dilations=dil,
                count_include_pad=a.get("count_include_pad", 0),
            ),
        )

    return convert


def _global_pool(fn: str):
    def convert(imp: _Importer, node: onnx.NodeProto) -> None:
        x = imp.value(node.input[0], node)
        axes = list(range(2, len(graph.shape_of(x))))
        imp.set(node, graph.ReduceOp(x, imp.out_type(node), fn=fn, axes=axes, keepdims=1))

    return convert


def _reduce(fn: str):
    def convert(imp: _Importer, node: onnx.NodeProto) -> None:
        a = _attrs(node)
        x = imp.value(node.input[0], node)
        rank = len(graph.shape_of(x))
        axes = _ints_input(imp, node, 1, "axes", "axes")
        if not axes:
            if a.get("noop_with_empty_axes", 0):
                imp.values[node.output[0]] = x
                return
            axes = list(range(rank))
        axes = sorted(ax % rank for ax in axes)
        imp.set(
            node,
            graph.ReduceOp(x, imp.out_type(node), fn=fn, axes=axes, keepdims=a.get("keepdims", 1)),
        )

    return convert


def _softmax(imp: _Importer, node: onnx.NodeProto, log: bool = False) -> None:
    x = imp.value(node.input[0], node)
    shape = graph.shape_of(x)
    default = -1 if imp.opset >= 13 else 1
    axis = _attrs(node).get("axis", default) % max(len(shape), 1)
    if imp.opset < 13 and axis != len(shape) - 1:
        # opset < 13: softmax over the flattened trailing dimensions
        flat = TensorType(
            graph.elem_of(x), (int(np.prod(shape[:axis])), int(np.prod(shape[axis:])))
        )
        y = imp.emit(graph.ReshapeOp(x, flat), node).output
        y = imp.emit(graph.SoftmaxOp(y, flat, axis=1), node).output
        y = imp.emit(graph.ReshapeOp(y, x.type), node).output
    else:
        y = imp.emit(graph.SoftmaxOp(x, x.type, axis=axis), node).output
    if log:
        y = imp.emit(graph.UnaryOp(y, "log"), node).output
    imp.values[node.output[0]] = y


def _lrn(imp: _Importer, node: onnx.NodeProto) -> None:
    a = _attrs(node)
    x = imp.value(node.input[0], node)
    imp.set(
        node,
        graph.LrnOp(
            x,
            x.type,
            size=int(a["size"]),
            alpha=float(a.get("alpha", 1e-4)),
            beta=float(a.get("beta", 0.75)),
            bias=float(a.get("bias", 1.0)),
        ),
    )


# ---- layout ---------------------------------------------------------------------------------
def _reshape_like(imp: _Importer, node: onnx.NodeProto) -> None:
    """Reshape, Flatten, Squeeze, Unsqueeze: a row-major reshape to the inferred shape."""
    imp.set(node, graph.ReshapeOp(imp.value(node.input[0], node), imp.out_type(node)))


def _transpose(imp: _Importer, node: onnx.NodeProto) -> None:
    x = imp.value(node.input[0], node)
    perm = _attrs(node).get("perm", list(range(len(graph.shape_of(x))))[::-1])
    imp.set(node, graph.TransposeOp(x, imp.out_type(node), perm=list(perm)))


def _concat(imp: _Importer, node: onnx.NodeProto) -> None:
    out = imp.out_type(node)
    xs = [imp.value(n, node) for n in node.input if n]
    imp.set(node, graph.ConcatOp(xs, _attrs(node)["axis"] % len(out.get_shape()), out))


def _slice_op(imp, node, x, starts, ends, axes, steps, out_type) -> SSAValue:
    shape = graph.shape_of(x)
    rank = len(shape)
    full = [[0, shape[d], 1] for d in range(rank)]
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        d = axis % rank
        dim = shape[d]
        if step == 0:
            raise FrontendError("slice step cannot be 0", _where(node))
        start = start + dim if start < 0 else start
        end = end + dim if end < 0 else end
        if step > 0:
            start, end = min(max(start, 0), dim), min(max(end, 0), dim)
        else:
            start, end = min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)
        full[d] = [start, end if end >= 0 else -(2**63), step]
    return imp.emit(
        graph.SliceOp(
            x,
            out_type,
            starts=[f[0] for f in full],
            ends=[f[1] for f in full],
            steps=[f[2] for f in full],
        ),
        node,
    ).output


def _slice(imp: _Importer, node: onnx.NodeProto) -> None:
    x = imp.value(node.input[0], node)
    a = _attrs(node)
    if "starts" in a:  # opset < 10
        starts, ends = list(a["starts"]), list(a["ends"])
        axes = list(a.get("axes", range(len(starts))))
        steps = [1] * len(starts)
    else:
        starts = _ints_input(imp, node, 1, "_", "starts")
        ends = _ints_input(imp, node, 2, "_", "ends")
        axes = _ints_input(imp, node, 3, "_", "axes") or list(range(len(starts)))
        steps = _ints_input(imp, node, 4, "_", "steps") or [1] * len(starts)
    imp.values[node.output[0]] = _slice_op(
        imp, node, x, starts, ends, axes, steps, imp.out_type(node)
    )


def _split(imp: _Importer, node: onnx.NodeProto) -> None:
    x = imp.value(node.input[0], node)
    a = _attrs(node)
    rank = len(graph.shape_of(x))
    axis = a.get("axis", 0) % rank
    offset = 0
    for i, name in enumerate(node.output):
        out = imp.out_type(node, i)
        size = out.get_shape()[axis]
        if name:
            imp.values[name] = _slice_op(imp, node, x, [offset], [offset + size], [axis], [1], out)
        offset += size


def _gather(imp: _Importer, node: onnx.NodeProto) -> None:
    out = imp.out_type(node)
    data = imp.value(node.input[0], node)
    axis = _attrs(node).get("axis", 0) % len(graph.shape_of(data))
    imp.set(node, graph.GatherOp(data, imp.value(node.input[1], node), axis, out))


def _pad(imp: _Importer, node: onnx.NodeProto) -> None:
    a = _attrs(node)
    x = imp.value(node.input[0], node)
    rank = len(graph.shape_of(x))
    pads = _ints_input(imp, node, 1, "pads", "pads")
    value = a.get("value", 0.0)
    if _opt_input(node, 2):
        value = float(imp.const(node.input[2], node, "the pad value").reshape(-1)[0])
    axes = _ints_input(imp, node, 3, "_", "axes")
    if axes is not None:
        full = [0] * (2 * rank)
        for i, ax in enumerate(axes):
            full[ax % rank], full[ax % rank + rank] = pads[i], pads[i + len(axes)]
        pads = full
    mode = _str(a.get("mode"), "constant")
    if mode not in ("constant", "reflect", "edge"):
        raise _unsupported(node, f"mode={mode}")
    if any(p < 0 for p in pads):
        raise _unsupported(node, "negative pads")
    imp.set(node, graph.PadOp(x, imp.out_type(node), pads=pads, mode=mode, value=float(value)))


def _resize(imp: _Importer, node: onnx.NodeProto) -> None:
    a = _attrs(node)
    mode = _str(a.get("mode"), "nearest")
    if mode != "nearest":
        raise _unsupported(node, f"mode={mode} (only nearest)")
    if node.op_type == "Upsample":
        coord, nearest = "asymmetric", "floor"
    else:
        coord = _str(a.get("coordinate_transformation_mode"), "half_pixel")
        nearest = _str(a.get("nearest_mode"), "round_prefer_floor")
        if imp.opset < 11:
            coord, nearest = "asymmetric", "floor"
        if coord == "tf_crop_and_resize" or a.get("antialias", 0) or a.get("axes"):
            raise _unsupported(node, f"coordinate_transformation_mode={coord} / antialias / axes")
        if _str(a.get("keep_aspect_ratio_policy"), "stretch") != "stretch":
            raise _unsupported(node, "keep_aspect_ratio_policy")
    imp.set(
        node,
        graph.ResizeOp(
            imp.value(node.input[0], node), imp.out_type(node), coord=coord, nearest=nearest
        ),
    )


def _identity(imp: _Importer, node: onnx.NodeProto) -> None:
    if _extra_outputs_used(imp, node):
        raise _unsupported(node, "the mask output")
    if node.input[0] in imp.consts:
        imp.consts[node.output[0]] = imp.consts[node.input[0]]
    else:
        imp.values[node.output[0]] = imp.value(node.input[0], node)


def _constant(imp: _Importer, node: onnx.NodeProto) -> None:
    a = _attrs(node)
    key, value = next(iter(a.items()))
    if key == "value":
        imp.consts[node.output[0]] = numpy_helper.to_array(value)
    elif key in ("value_float", "value_int"):
        imp.consts[node.output[0]] = np.asarray(
            value, np.float32 if key == "value_float" else np.int64
        )
    elif key in ("value_floats", "value_ints"):
        imp.consts[node.output[0]] = np.asarray(
            value, np.float32 if key == "value_floats" else np.int64
        )
    else:
        raise _unsupported(node, f"attribute {key}")


def _folded_only(what: str):
    def convert(imp: _Importer, node: onnx.NodeProto) -> None:
        raise _unsupported(node, f"{what} needs constant inputs")

    return convert


def _shape(imp: _Importer, node: onnx.NodeProto) -> None:
    shape = list(graph.shape_of(imp.value(node.input[0], node)))
    a = _attrs(node)
    start, end = a.get("start", 0), a.get("end", len(shape))
    imp.consts[node.output[0]] = np.asarray(shape[start:end], np.int64)


# ---- quantization ---------------------------------------------------------------------------
def _quant_params(imp, node, scale_i: int, zp_i: int) -> tuple[float, int, np.dtype]:
    scale = imp.const(node.input[scale_i], node, "the scale")
    zp = imp.consts.get(node.input[zp_i]) if _opt_input(node, zp_i) else np.zeros((), np.uint8)
    if zp is None:
        raise _unsupported(node, "the zero point must be a constant")
    if scale.size != 1 or zp.size != 1:
        raise _unsupported(node, "per-axis quantization")
    s = float(scale.reshape(-1)[0])
    if not s > 0:
        raise FrontendError(f"scale must be > 0, got {s}", _where(node))
    if zp.dtype not in (np.int8, np.uint8, np.int32):
        raise _unsupported(node, f"{zp.dtype} quantization")
    return s, int(zp.reshape(-1)[0]), zp.dtype


def _quantize(imp: _Importer, node: onnx.NodeProto) -> None:
    scale, zp, dtype = _quant_params(imp, node, 1, 2)
    x = imp.value(node.input[0], node)
    out = TensorType(elem_of_numpy(dtype), graph.shape_of(x))
    imp.set(node, graph.QuantizeOp(x, scale, zp, out))


def _dequantize(imp: _Importer, node: onnx.NodeProto) -> None:
    scale_arr = imp.const(node.input[1], node, "the scale")
    if scale_arr.size > 1:  # per-axis (per-channel) weights or biases, as onnxruntime emits
        x = imp.value(node.input[0], node)
        zp = imp.consts.get(node.input[2]) if _opt_input(node, 2) else None
        if zp is not None and np.any(zp != 0):
            raise _unsupported(node, "per-axis quantization with non-zero zero points")
        if _attrs(node).get("block_size", 0):
            raise _unsupported(node, "blocked quantization")
        axis = _attrs(node).get("axis", 1) % len(graph.shape_of(x))
        if scale_arr.ndim != 1 or scale_arr.size != graph.shape_of(x)[axis]:
            raise _unsupported(node, "per-axis scales that do not match the axis")
        imp.set(node, graph.DequantizeChannelsOp(x, scale_arr.astype(np.float64), axis))
        return
    scale, zp, _ = _quant_params(imp, node, 1, 2)
    x = imp.value(node.input[0], node)
    imp.set(node, graph.DequantizeOp(x, scale, zp, TensorType(f32, graph.shape_of(x))))


def _dq(imp, node, name: str, scale_i: int, zp_i: int) -> SSAValue:
    scale, zp, _ = _quant_params(imp, node, scale_i, zp_i)
    x = imp.value(name, node)
    return imp.emit(
        graph.DequantizeOp(x, scale, zp, TensorType(f32, graph.shape_of(x))), node
    ).output


def _dq_weight(imp, node, name: str, scale_i: int, zp_i: int, axis: int) -> SSAValue:
    """Dequantized weights: per tensor, or per channel along `axis` (zero points 0)."""
    scale = imp.const(node.input[scale_i], node, "the weight scale")
    if scale.size == 1:
        return _dq(imp, node, name, scale_i, zp_i)
    zp = imp.consts.get(node.input[zp_i]) if _opt_input(node, zp_i) else None
    if zp is not None and np.any(zp != 0):
        raise _unsupported(node, "per-channel weights with non-zero zero points")
    value = imp.value(name, node)
    return imp.emit(graph.DequantizeChannelsOp(value, scale.reshape(-1), axis), node).output


def _qlinear(imp: _Importer, node: onnx.NodeProto) -> None:
    """QLinearConv / QLinearMatMul = quantize(op(dequantize(x), dequantize(w))): the QDQ form
    that import-qdq turns into integer arithmetic (weights per tensor or per output channel)."""
    conv = node.op_type == "QLinearConv"
    x = _dq(imp, node, node.input[0], 1, 2)
    w = _dq_weight(imp, node, node.input[3], 4, 5, axis=0 if conv else 1)
    y_scale, y_zp, y_dtype = _quant_params(imp, node, 6, 7)
    out = imp.out_type(node)
    ftype = TensorType(f32, out.get_shape())
    if conv:
        b = None
        if _opt_input(node, 8):
            bias = imp.const(node.input[8], node, "the bias")
            sx = float(imp.consts[node.input[1]].reshape(-1)[0])
            sw = imp.consts[node.input[4]].reshape(-1).astype(np.float64)
            scales = sx * np.broadcast_to(sw, bias.shape)
            b = imp.emit(
                graph.DequantizeChannelsOp(imp.value(node.input[8], node), scales, 0), node
            ).output
        a = _attrs(node)
        strides, dil = list(a.get("strides", [1, 1])), list(a.get("dilations", [1, 1]))
        pads = _conv_pads(
            a, graph.shape_of(x)[2:], graph.shape_of(w)[2:], strides, dil, out.get_shape()[2:]
        )
        y = imp.emit(
            graph.Conv2dOp(x, w, b, strides, pads, dil, a.get("group", 1), ftype), node
        ).output
    else:
        y = _binary(imp, node, graph.MatmulOp, x, w, ftype)
    imp.set(node, graph.QuantizeOp(y, y_scale, y_zp, out))


def _qgemm(imp: _Importer, node: onnx.NodeProto) -> None:
    """onnxruntime's com.microsoft.QGemm = [quantize](alpha · dequantize(A) · dequantize(B)ᵀ?
    + dequantize(C)), C int32 at scale s_A · s_B: the QDQ form import-qdq folds."""
    a = _attrs(node)
    if a.get("transA", 0) or float(a.get("alpha", 1.0)) != 1.0:
        raise _unsupported(node, "transA or alpha other than 1")
    x = _dq(imp, node, node.input[0], 1, 2)
    b_name = node.input[3]
    b_scale = imp.const(node.input[4], node, "the B scale")
    b_const = imp.const(b_name, node, "B")
    w = b_const if a.get("transB", 0) else b_const.T  # dense weights are [N, K]
    w_val = imp.value(_new_const(imp, b_name, np.ascontiguousarray(w)), node)
    if b_scale.size > 1:
        zp = imp.consts.get(node.input[5]) if _opt_input(node, 5) else None
        if zp is not None and np.any(zp != 0):
            raise _unsupported(node, "per-channel B with non-zero zero points")
        w_dq = imp.emit(graph.DequantizeChannelsOp(w_val, b_scale.reshape(-1), 0), node).output
    else:
        scale, zp, _ = _quant_params(imp, node, 4, 5)
        w_dq = imp.emit(graph.DequantizeOp(w_val, scale, zp, TensorType(f32, w.shape)), node).output
    n = w.shape[0]
    bias = None
    if _opt_input(node, 6):
        c = imp.const(node.input[6], node, "C").reshape(-1)
        sx = float(imp.consts[node.input[1]].reshape(-1)[0])
        scales = (sx * np.broadcast_to(b_scale.reshape(-1), (n,))).astype(np.float64)
        c_val = imp.value(
            _new_const(imp, node.input[6], np.broadcast_to(c, (n,)).astype(np.int32)), node
        )
        bias = imp.emit(graph.DequantizeChannelsOp(c_val, scales, 0), node).output
    out = imp.out_type(node)
    y = imp.emit(graph.DenseOp(x, w_dq, bias, TensorType(f32, out.get_shape())), node).output
    if _opt_input(node, 7):
        y_scale, y_zp, _ = _quant_params(imp, node, 7, 8)
        imp.set(node, graph.QuantizeOp(y, y_scale, y_zp, out))
    else:
        imp.values[node.output[0]] = y


def _converter(node: onnx.NodeProto):
    """The converter of a node (default domain, or supported contrib ops), or None."""
    if node.domain in ("", "ai.onnx"):
        return CONVERTERS.get(node.op_type)
    return CONTRIB_CONVERTERS.get((node.domain, node.op_type))


def _integer(imp: _Importer, node: onnx.NodeProto) -> None:
    """ConvInteger / MatMulInteger: (x - x_zp) op (w - w_zp) accumulated in int32."""

    def centered(i: int, zp_i: int) -> SSAValue:
        v = imp.value(node.input[i], node)
        v = imp.emit(graph.CastOp(v, TensorType(i32, graph.shape_of(v))), node).output
        if _opt_input(node, zp_i):
            zp = imp.value(node.input[zp_i], node)
            zp = imp.emit(graph.CastOp(zp, TensorType(i32, graph.shape_of(zp))), node).output
            if node.op_type == "MatMulInteger" and i == 1 and len(graph.shape_of(zp)) == 1:
                zp = imp.emit(
                    graph.ReshapeOp(zp, TensorType(i32, (1, graph.shape_of(zp)[0]))), node
                ).output
            elif node.op_type == "ConvInteger" and i == 1 and graph.shape_of(zp) not in ((), (1,)):
                zp = imp.emit(
                    graph.ReshapeOp(zp, TensorType(i32, (graph.shape_of(zp)[0], 1, 1, 1))), node
                ).output
            v = _binary(imp, node, graph.SubOp, v, zp, v.type)
        return v

    x, w = centered(0, 2), centered(1, 3)
    out = imp.out_type(node)
    if node.op_type == "ConvInteger":
        a = _attrs(node)
        strides, dil = list(a.get("strides", [1, 1])), list(a.get("dilations", [1, 1]))
        pads = _conv_pads(
            a, graph.shape_of(x)[2:], graph.shape_of(w)[2:], strides, dil, out.get_shape()[2:]
        )
        imp.set(node, graph.Conv2dOp(x, w, None, strides, pads, dil, a.get("group", 1), out))
    else:
        imp.values[node.output[0]] = _binary(imp, node, graph.MatmulOp, x, w, out)


CONVERTERS: dict[str, Callable[[_Importer, onnx.NodeProto], None]] = {
    "Conv": _conv,
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Add": _elementwise(graph.AddOp),
    "Sub": _elementwise(graph.SubOp),
    "Mul": _elementwise(graph.MulOp),
    "Div": _elementwise(graph.DivOp),
    "Pow": _elementwise(graph.PowOp),
    "Max": _elementwise(graph.MaxOp),
    "Min": _elementwise(graph.MinOp),
    "Sum": _elementwise(graph.AddOp),
    "Mean": _mean,
    "Relu": _relu,
    "LeakyRelu": _leaky,
    "PRelu": _prelu,
    "Clip": _clip,
    "Sigmoid": _unary("sigmoid"),
    "Tanh": _unary("tanh"),
    "Erf": _unary("erf"),
    "Sqrt": _unary("sqrt"),
    "Reciprocal": _unary("reciprocal"),
    "Exp": _unary("exp"),
    "Log": _unary("log"),
    "Abs": _unary("abs"),
    "Neg": _unary("neg"),
    "Floor": _unary("floor"),
    "Ceil": _unary("ceil"),
    "Sin": _unary("sin"),
    "Cos": _unary("cos"),
    "HardSigmoid": _hard_sigmoid,
    "HardSwish": _hard_swish,
    "Gelu": _gelu,
    "BatchNormalization": _batch_norm,
    "LayerNormalization": _layer_norm,
    "MaxPool": _pool("max"),
    "AveragePool": _pool("avg"),
    "GlobalAveragePool": _global_pool("mean"),
    "GlobalMaxPool": _global_pool("max"),
    "LRN": _lrn,
    "Softmax": _softmax,
    "LogSoftmax": lambda imp, node: _softmax(imp, node, log=True),
    "ReduceMean": _reduce("mean"),
    "ReduceSum": _reduce("sum"),
    "ReduceMax": _reduce("max"),
    "ReduceMin": _reduce("min"),
    "ReduceProd": _reduce("prod"),
    "Concat": _concat,
    "Split": _split,
    "Slice": _slice,
    "Gather": _gather,
    "Reshape": _reshape_like,
    "Flatten": _reshape_like,
    "Squeeze": _reshape_like,
    "Unsqueeze": _reshape_like,
    "Transpose": _transpose,
    "Pad": _pad,
    "Resize": _resize,
    "Upsample": _resize,
    "Cast": _cast,
    "Dropout": _identity,
    "Identity": _identity,
    "Constant": _constant,
    "Shape": _shape,
    "ConstantOfShape": _folded_only("ConstantOfShape"),
    "Range": _folded_only("Range"),
    "QuantizeLinear": _quantize,
    "DequantizeLinear": _dequantize,
    "QLinearConv": _qlinear,
    "QLinearMatMul": _qlinear,
    "ConvInteger": _integer,
    "MatMulInteger": _integer,
}


CONTRIB_CONVERTERS = {("com.microsoft", "QGemm"): _qgemm}


def load_onnx(path: str | Path) -> onnx.ModelProto:
    """Read an ONNX file; external data is loaded only from inside the model's folder."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FrontendError(f"cannot read model: {exc.strerror}", str(path)) from None
    try:
        model = onnx.load_from_string(data)
    except Exception as exc:  # protobuf raises DecodeError and friends
        raise FrontendError(f"not a valid ONNX model ({type(exc).__name__})", str(path)) from None
    if not model.graph.node:
        raise FrontendError("the model's graph has no nodes", str(path))
    _load_external_data(model, path.parent.resolve(), str(path))
    return model


def _load_external_data(model: onnx.ModelProto, base: Path, where: str) -> None:
    from onnx.external_data_helper import load_external_data_for_tensor, uses_external_data

    for tensor in model.graph.initializer:
        if not uses_external_data(tensor):
            continue
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        target = (base / location).resolve()
        if Path(location).is_absolute() or base not in target.parents:
            raise FrontendError(
                f"initializer '{tensor.name}' points at external data "
                f"'{location}' outside the model's folder: refused",
                where,
            )
        if not target.is_file():
            raise FrontendError(
                f"external data file '{location}' of initializer '{tensor.name}' is missing", where
            )
        load_external_data_for_tensor(tensor, str(base))
        tensor.data_location = onnx.TensorProto.DEFAULT
        del tensor.external_data[:]


def import_onnx(
    model: onnx.ModelProto | str | Path, input_shapes: dict[str, tuple[int, ...]] | None = None
) -> ModuleOp:
    """Import an ONNX model (or the path of one) into a graph-dialect module."""
    if not isinstance(model, onnx.ModelProto):
        model = load_onnx(model)
    for init in model.graph.initializer:
        if init.data_location == onnx.TensorProto.EXTERNAL:
            raise FrontendError(
                f"initializer '{init.name}' uses external data: load the model "
                "from its file so the data can be found beside it"
            )
    return _Importer(model, input_shapes or {}).run()
