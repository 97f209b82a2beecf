"""ONNX → `graph` dialect.

Produces `func.func @main` whose arguments are the model's inputs and whose results are its outputs,
with weights in a `WeightPool` (never in the IR text). Shapes are computed per op so every value has
a static type; inputs with symbolic dimensions need `input_shapes`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper
from xdsl.builder import ImplicitBuilder
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr, TensorType, f32, i8, i32
from xdsl.ir import Operation, SSAValue
from xdsl.utils.exceptions import VerifyException

from canopy_ir.dialects import graph
from canopy_ir.errors import FrontendError, UnsupportedOpError
from canopy_ir.ir import WeightPool, attach_pool, set_string_list

_NP_TO_ELEM = {np.dtype(np.float32): f32, np.dtype(np.int8): i8, np.dtype(np.int32): i32}


class _Importer:
    def __init__(self, model: onnx.ModelProto, input_shapes: dict[str, tuple[int, ...]]):
        self.model = model
        self.input_shapes = input_shapes
        self.pool = WeightPool()
        self.values: dict[str, SSAValue] = {}
        self.consts: dict[str, np.ndarray] = {}

    # ---- helpers --------------------------------------------------------------------------
    def emit(self, op: Operation, node: onnx.NodeProto) -> Operation:
        op.attributes["onnx_node"] = StringAttr(node.name or node.output[0])
        return op

    def value(self, name: str, node: onnx.NodeProto) -> SSAValue:
        """The SSA value of tensor `name`, materialising constants as `graph.const`."""
        if name in self.values:
            return self.values[name]
        if name in self.consts:
            array = self.consts[name]
            elem = _NP_TO_ELEM.get(array.dtype)
            if elem is None:
                raise FrontendError(
                    f"constant '{name}' has unsupported dtype {array.dtype}", _where(node)
                )
            if array.dtype == np.float64:
                array = array.astype(np.float32)
            key = self.pool.add(name, array)
            op = graph.ConstOp(key, TensorType(elem, array.shape or (1,)))
            self.values[name] = op.output
            return op.output
        raise FrontendError(f"input tensor '{name}' is not produced by any node", _where(node))

    def const(self, name: str, node: onnx.NodeProto, what: str) -> np.ndarray:
        if name not in self.consts:
            raise UnsupportedOpError(
                [(node.name or node.output[0], node.op_type, f"{what} must be a constant")]
            )
        return self.consts[name]

    # ---- driver -----------------------------------------------------------------------------
    def run(self) -> ModuleOp:
        g = self.model.graph
        for init in g.initializer:
            self.consts[init.name] = _to_array(init)
        unsupported = [
            (n.name or n.output[0], n.op_type, "") for n in g.node if n.op_type not in CONVERTERS
        ]
        if unsupported:
            raise UnsupportedOpError(unsupported)

        inits = set(self.consts)
        inputs = [i for i in g.input if i.name not in inits]
        arg_types = [TensorType(_elem_of_value_info(i), self._input_shape(i)) for i in inputs]
        module = ModuleOp([])
        with ImplicitBuilder(module.body):
            main = func.FuncOp("main", (arg_types, []))
        with ImplicitBuilder(main.body) as args:
            for info, arg in zip(inputs, args, strict=True):
                self.values[info.name] = arg
            for node in g.node:
                CONVERTERS[node.op_type](self, node)
            results = []
            for out in g.output:
                if out.name not in self.values and out.name not in self.consts:
                    raise FrontendError(f"graph output '{out.name}' is never produced")
                results.append(self.value(out.name, g.node[-1]))
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

    def _input_shape(self, info: onnx.ValueInfoProto) -> tuple[int, ...]:
        if info.name in self.input_shapes:
            return tuple(self.input_shapes[info.name])
        dims = info.type.tensor_type.shape.dim
        shape = []
        for d in dims:
            if d.HasField("dim_value") and d.dim_value > 0:
                shape.append(d.dim_value)
            else:
                example = "x".join(
                    str(x.dim_value) if x.HasField("dim_value") and x.dim_value > 0 else "N"
                    for x in dims
                )
                raise FrontendError(
                    f"input '{info.name}' has a dynamic dimension ({d.dim_param or '?'}); give a "
                    f"fixed shape with --input-shape {info.name}={example.replace('N', '1')}"
                )
        return tuple(shape)


def _where(node: onnx.NodeProto) -> str:
    return f"node '{node.name or node.output[0]}' ({node.op_type})"


def _to_array(tensor: onnx.TensorProto) -> np.ndarray:
    if tensor.data_location == onnx.TensorProto.EXTERNAL:
        raise FrontendError(f"initializer '{tensor.name}' uses external data, which is not loaded")
    return numpy_helper.to_array(tensor)


def _elem_of_value_info(info: onnx.ValueInfoProto):
    dtype = info.type.tensor_type.elem_type
    if dtype != onnx.TensorProto.FLOAT:
        raise FrontendError(f"input '{info.name}' must be float32 (got ONNX type {dtype})")
    return f32


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _out_type(value: SSAValue, shape) -> TensorType:
    return TensorType(graph.elem_of(value), tuple(int(s) for s in shape))


# ---- converters ---------------------------------------------------------------------------------
def _conv(imp: _Importer, node: onnx.NodeProto) -> None:
    a = _attrs(node)
    x = imp.value(node.input[0], node)
    w = imp.value(node.input[1], node)
    b = imp.value(node.input[2], node) if len(node.input) > 2 and node.input[2] else None
    xs, ws = graph.shape_of(x), graph.shape_of(w)
    if len(xs) != 4:
        raise UnsupportedOpError(
            [(node.name, node.op_type, f"only 2-D convolution ({len(xs) - 2}-D given)")]
        )
    kh, kw = ws[2], ws[3]
    strides = list(a.get("strides", [1, 1]))
    dil = list(a.get("dilations", [1, 1]))
    group = a.get("group", 1)
    auto_pad = a.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        pads = [0, 0, 0, 0]
        for d, (size, k) in enumerate(((xs[2], kh), (xs[3], kw))):
            out = -(-size // strides[d])
            total = max(0, (out - 1) * strides[d] + (k - 1) * dil[d] + 1 - size)
            small, big = total // 2, total - total // 2
            pads[d], pads[d + 2] = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
    elif auto_pad == "VALID":
        pads = [0, 0, 0, 0]
    else:
        p = list(a.get("pads", [0, 0, 0, 0]))
        pads = [p[0], p[1], p[2], p[3]]
    oh, ow = graph.conv_output_hw(xs[2], xs[3], kh, kw, strides, pads, dil)
    out = _out_type(x, (xs[0], ws[0], oh, ow))
    op = imp.emit(graph.Conv2dOp(x, w, b, strides, pads, dil, group, out), node)
    imp.values[node.output[0]] = op.results[0]


def _gemm(imp: _Importer, node: onnx.NodeProto) -> None:
    a = _attrs(node)
    if a.get("transA", 0):
        raise UnsupportedOpError([(node.name, node.op_type, "transA=1")])
    if a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
        raise UnsupportedOpError([(node.name, node.op_type, "alpha/beta other than 1")])
    x = imp.value(node.input[0], node)
    w = _weight_operand(imp, node, node.input[1], transpose=not a.get("transB", 0))
    b = None
    if len(node.input) > 2 and node.input[2]:
        b = _weight_operand(imp, node, node.input[2], flatten=True)
    _emit_dense(imp, node, x, w, b)


def _matmul(imp: _Importer, node: onnx.NodeProto) -> None:
    x = imp.value(node.input[0], node)
    if len(graph.shape_of(x)) != 2:
        raise UnsupportedOpError([(node.name, node.op_type, "only 2-D MatMul")])
    w = _weight_operand(imp, node, node.input[1], transpose=True)
    _emit_dense(imp, node, x, w, None)


def _emit_dense(imp, node, x, w, b) -> None:
    xs, ws = graph.shape_of(x), graph.shape_of(w)
    if len(xs) != 2 or len(ws) != 2 or xs[1] != ws[1]:
        raise FrontendError(f"matrix shapes {xs} and {ws} (as [N, K]) do not match", _where(node))
    op = imp.emit(graph.DenseOp(x, w, b, _out_type(x, (xs[0], ws[0]))), node)
    imp.values[node.output[0]] = op.results[0]


def _weight_operand(imp, node, name, transpose=False, flatten=False) -> SSAValue:
    """A constant matrix operand, transposed/flattened at import time. Works on plain constants
    and on DequantizeLinear(constant) of QDQ models (the integer constant is rewritten)."""

    def fix(array: np.ndarray) -> np.ndarray:
        if transpose:
            array = array.T
        return array.reshape(-1) if flatten else array

    if name in imp.consts:
        return imp.value(_new_const(imp, name, fix(imp.consts[name])), node)
    value = imp.value(name, node)
    owner = value.owner
    if isinstance(owner, graph.DequantizeOp) and isinstance(owner.input.owner, graph.ConstOp):
        if not transpose and (not flatten or len(graph.shape_of(value)) == 1):
            return value
        const = owner.input.owner
        array = fix(imp.pool[const.weight.data])
        key = imp.pool.add(const.weight.data, array)
        new_const = graph.ConstOp(key, TensorType(graph.elem_of(const.output), array.shape))
        deq = graph.DequantizeOp(
            new_const.output,
            owner.scale.value.data,
            owner.zero_point.value.data,
            TensorType(f32, array.shape),
        )
        deq.attributes.update(owner.attributes)
        return deq.output
    if transpose or flatten:
        raise UnsupportedOpError([(node.name, node.op_type, f"operand '{name}' must be constant")])
    return value


def _new_const(imp: _Importer, name: str, array: np.ndarray) -> str:
    key = f"{name}.{len(imp.consts)}"
    imp.consts[key] = np.ascontiguousarray(array)
    return key


def _add(imp: _Importer, node: onnx.NodeProto) -> None:
    lhs, rhs = imp.value(node.input[0], node), imp.value(node.input[1], node)
    shape = np.broadcast_shapes(graph.shape_of(lhs), graph.shape_of(rhs))
    op = imp.emit(graph.AddOp(lhs, rhs, _out_type(lhs, shape)), node)
    imp.values[node.output[0]] = op.results[0]


def _relu(imp: _Importer, node: onnx.NodeProto) -> None:
    op = imp.emit(graph.ReluOp(imp.value(node.input[0], node)), node)
    imp.values[node.output[0]] = op.results[0]


def _reshape_to(imp, node, shape) -> None:
    x = imp.value(node.input[0], node)
    op = imp.emit(graph.ReshapeOp(x, _out_type(x, shape)), node)
    imp.values[node.output[0]] = op.results[0]


def _flatten(imp: _Importer, node: onnx.NodeProto) -> None:
    shape = graph.shape_of(imp.value(node.input[0], node))
    axis = _attrs(node).get("axis", 1)
    axis = axis + len(shape) if axis < 0 else axis
    _reshape_to(imp, node, (int(np.prod(shape[:axis])), int(np.prod(shape[axis:]))))


def _reshape(imp: _Importer, node: onnx.NodeProto) -> None:
    in_shape = graph.shape_of(imp.value(node.input[0], node))
    target = [int(d) for d in imp.const(node.input[1], node, "the shape")]
    if not _attrs(node).get("allowzero", 0):
        target = [in_shape[i] if d == 0 else d for i, d in enumerate(target)]
    if -1 in target:
        known = int(np.prod([d for d in target if d != -1]))
        target[target.index(-1)] = int(np.prod(in_shape)) // max(known, 1)
    if np.prod(target) != np.prod(in_shape):
        raise FrontendError(f"cannot reshape {in_shape} to {target}", _where(node))
    _reshape_to(imp, node, target)


def _quant_params(imp, node, with_zp_dtype=True):
    scale = imp.const(node.input[1], node, "the scale")
    zp = (
        imp.const(node.input[2], node, "the zero point")
        if len(node.input) > 2 and node.input[2]
        else np.zeros((), np.uint8)
    )
    if scale.size != 1 or zp.size != 1:
        raise UnsupportedOpError([(node.name, node.op_type, "per-axis quantization")])
    if zp.dtype != np.int8 and with_zp_dtype:
        raise UnsupportedOpError(
            [(node.name, node.op_type, f"{zp.dtype} quantization (only int8 is supported yet)")]
        )
    if not float(scale.reshape(-1)[0]) > 0:
        raise FrontendError(f"scale must be > 0, got {float(scale.reshape(-1)[0])}", _where(node))
    return float(scale.reshape(-1)[0]), int(zp.reshape(-1)[0])


def _quantize(imp: _Importer, node: onnx.NodeProto) -> None:
    scale, zp = _quant_params(imp, node)
    x = imp.value(node.input[0], node)
    op = imp.emit(graph.QuantizeOp(x, scale, zp, TensorType(i8, graph.shape_of(x))), node)
    imp.values[node.output[0]] = op.results[0]


def _dequantize(imp: _Importer, node: onnx.NodeProto) -> None:
    x_name = node.input[0]
    is_int32 = x_name in imp.consts and imp.consts[x_name].dtype == np.int32
    scale, zp = _quant_params(imp, node, with_zp_dtype=not is_int32)
    x = imp.value(x_name, node)
    op = imp.emit(graph.DequantizeOp(x, scale, zp, TensorType(f32, graph.shape_of(x))), node)
    imp.values[node.output[0]] = op.results[0]


def _identity(imp: _Importer, node: onnx.NodeProto) -> None:
    if node.input[0] in imp.consts:
        imp.consts[node.output[0]] = imp.consts[node.input[0]]
    else:
        imp.values[node.output[0]] = imp.value(node.input[0], node)


def _constant(imp: _Importer, node: onnx.NodeProto) -> None:
    a = node.attribute[0]
    if a.name != "value":
        raise UnsupportedOpError([(node.name, node.op_type, f"attribute {a.name}")])
    imp.consts[node.output[0]] = _to_array(a.t)


CONVERTERS: dict[str, Callable[[_Importer, onnx.NodeProto], None]] = {
    "Conv": _conv,
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Add": _add,
    "Relu": _relu,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "QuantizeLinear": _quantize,
    "DequantizeLinear": _dequantize,
    "Identity": _identity,
    "Dropout": _identity,
    "Constant": _constant,
}


def load_onnx(path: str | Path) -> onnx.ModelProto:
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
    return model


def import_onnx(
    model: onnx.ModelProto | str | Path, input_shapes: dict[str, tuple[int, ...]] | None = None
) -> ModuleOp:
    """Import an ONNX model (or the path of one) into a graph-dialect module."""
    if not isinstance(model, onnx.ModelProto):
        model = load_onnx(model)
    return _Importer(model, input_shapes or {}).run()
