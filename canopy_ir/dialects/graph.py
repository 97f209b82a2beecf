"""The `graph` dialect: what a model computes, as tensor ops (NCHW, f32 or int8/int32).

Weights are `graph.const` ops naming an entry of the weight pool (never dense attributes). Integer
convolutions/dense ops take int8 operands and an int32 bias and produce int32; `graph.requantize`
narrows int32 to int8 (rounding shift, zero point, clip). Every op may carry the ONNX node it came
from as the `onnx_node` attribute.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import (
    DenseArrayBase,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    Signedness,
    StringAttr,
    TensorType,
    f32,
    f64,
    i8,
    i32,
    i64,
)
from xdsl.ir import Attribute, Dialect, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from canopy_ir.qaffine import MAX_MULTIPLIER as AFFINE_MAX_MULTIPLIER
from canopy_ir.qaffine import MAX_OFFSET as MAX_AFFINE_OFFSET


def shape_of(value: SSAValue | Attribute) -> tuple[int, ...]:
    t = value.type if isinstance(value, SSAValue) else value
    assert isinstance(t, TensorType)
    return tuple(t.get_shape())


def elem_of(value: SSAValue) -> Attribute:
    assert isinstance(value.type, TensorType)
    return value.type.get_element_type()


def ints(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, [int(v) for v in values])


def int_attr(value: int) -> IntegerAttr:
    return IntegerAttr(int(value), i64)


def conv_output_hw(h, w, kh, kw, strides, pads, dilations) -> tuple[int, int]:
    """Output spatial size; pads are (top, left, bottom, right) as in ONNX."""
    oh = (h + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (w + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) // strides[1] + 1
    return oh, ow


def _is_int(t: Attribute, width: int) -> bool:
    return isinstance(t, IntegerType) and t.width.data == width


def is_unsigned(t: Attribute) -> bool:
    return isinstance(t, IntegerType) and t.signedness.data == Signedness.UNSIGNED


class GraphOp(IRDLOperation):
    """Common options: properties may appear in the attribute dictionary of the custom format."""

    irdl_options = (ParsePropInAttrDict(),)

    @property
    def node_name(self) -> str:
        attr = self.attributes.get("onnx_node")
        return attr.data if isinstance(attr, StringAttr) else self.name


@irdl_op_definition
class ConstOp(GraphOp):
    """A weight-pool entry, by name: `graph.const "conv1.weight" : tensor<8x3x3x3xi8>`."""

    name = "graph.const"
    weight = prop_def(StringAttr)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$weight attr-dict `:` type($output)"

    def __init__(self, weight: str, result_type: TensorType):
        super().__init__(properties={"weight": StringAttr(weight)}, result_types=[result_type])


@irdl_op_definition
class Conv2dOp(GraphOp):
    """2-D convolution, NCHW × OIHW (+ bias) → NCHW. Pads are (top, left, bottom, right).

    f32 operands give f32; int8 input/weight with an int32 bias give int32 (exact accumulation).
    """

    name = "graph.conv2d"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    strides = prop_def(DenseArrayBase)
    pads = prop_def(DenseArrayBase)
    dilations = prop_def(DenseArrayBase)
    group = prop_def(IntegerAttr)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = (
        "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)"
    )

    def __init__(self, x, w, b, strides, pads, dilations, group, result_type):
        super().__init__(
            operands=[x, w, [b] if b is not None else []],
            properties={
                "strides": ints(strides),
                "pads": ints(pads),
                "dilations": ints(dilations),
                "group": int_attr(group),
            },
            result_types=[result_type],
        )

    def with_operands(self, x, w, b, result_type) -> Conv2dOp:
        """The same convolution (strides, pads, dilations, groups) over other operands."""
        return Conv2dOp(
            x,
            w,
            b,
            self.strides.get_values(),
            self.pads.get_values(),
            self.dilations.get_values(),
            self.group.value.data,
            result_type,
        )

    def verify_(self) -> None:
        xs, ws, ys = shape_of(self.input), shape_of(self.weight), shape_of(self.output)
        if len(xs) != 4 or len(ws) != 4 or len(ys) != 4:
            raise VerifyException("conv2d takes 4-D input (NCHW) and weight (OIHW)")
        strides, pads, dil = (
            self.strides.get_values(),
            self.pads.get_values(),
            self.dilations.get_values(),
        )
        if len(strides) != 2 or len(pads) != 4 or len(dil) != 2:
            raise VerifyException("conv2d needs 2 strides, 4 pads and 2 dilations")
        group = self.group.value.data
        if xs[1] != ws[1] * group or ws[0] % group:
            raise VerifyException(
                f"conv2d channels do not match: input {xs[1]}, weight {ws}, group {group}"
            )
        oh, ow = conv_output_hw(xs[2], xs[3], ws[2], ws[3], strides, pads, dil)
        if ys != (xs[0], ws[0], oh, ow):
            raise VerifyException(f"conv2d result shape {ys} should be {(xs[0], ws[0], oh, ow)}")
        if self.bias is not None and shape_of(self.bias) != (ws[0],):
            raise VerifyException(f"conv2d bias shape {shape_of(self.bias)} should be ({ws[0]},)")
        _verify_arith_types(self)


@irdl_op_definition
class DenseOp(GraphOp):
    """Fully connected layer: y[M, N] = x[M, K] · w[N, K]ᵀ (+ bias[N])."""

    name = "graph.dense"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = (
        "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)"
    )

    def __init__(self, x, w, b, result_type):
        super().__init__(operands=[x, w, [b] if b is not None else []], result_types=[result_type])

    def with_operands(self, x, w, b, result_type) -> DenseOp:
        """A dense layer over other operands (the same interface as Conv2dOp.with_operands)."""
        return DenseOp(x, w, b, result_type)

    def verify_(self) -> None:
        xs, ws, ys = shape_of(self.input), shape_of(self.weight), shape_of(self.output)
        if len(xs) != 2 or len(ws) != 2 or xs[1] != ws[1] or ys != (xs[0], ws[0]):
            raise VerifyException(f"dense shapes do not match: x {xs}, w {ws}, y {ys}")
        if self.bias is not None and shape_of(self.bias) != (ws[0],):
            raise VerifyException(f"dense bias shape {shape_of(self.bias)} should be ({ws[0]},)")
        _verify_arith_types(self)


def _verify_arith_types(op: Conv2dOp | DenseOp) -> None:
    x, w, y = elem_of(op.input), elem_of(op.weight), elem_of(op.output)
    b = elem_of(op.bias) if op.bias is not None else None
    if isinstance(x, IntegerType):
        if (
            not isinstance(w, IntegerType)
            or not _is_int(y, 32)
            or (b is not None and not _is_int(b, 32))
        ):
            raise VerifyException(f"{op.name}: an integer op takes integers (+ i32 bias) -> i32")
    elif w != x or y != x or b not in (None, x):
        raise VerifyException(f"{op.name}: a float op needs one element type throughout")


class _ElementwiseBinary(GraphOp):
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    def __init__(self, lhs: SSAValue, rhs: SSAValue, result_type: TensorType):
        super().__init__(operands=[lhs, rhs], result_types=[result_type])

    def verify_(self) -> None:
        try:
            shape = np.broadcast_shapes(shape_of(self.lhs), shape_of(self.rhs))
        except ValueError:
            raise VerifyException(
                f"{self.name}: shapes {shape_of(self.lhs)} and {shape_of(self.rhs)} do not "
                "broadcast"
            ) from None
        if tuple(shape) != shape_of(self.output):
            raise VerifyException(f"{self.name}: result shape should be {tuple(shape)}")


@irdl_op_definition
class AddOp(_ElementwiseBinary):
    """Elementwise addition with numpy broadcasting."""

    name = "graph.add"


@irdl_op_definition
class ReluOp(GraphOp):
    name = "graph.relu"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, x: SSAValue):
        super().__init__(operands=[x], result_types=[x.type])


@irdl_op_definition
class ReshapeOp(GraphOp):
    """Row-major reshape (ONNX Reshape/Flatten); the target shape is the result type."""

    name = "graph.reshape"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, x: SSAValue, result_type: TensorType):
        super().__init__(operands=[x], result_types=[result_type])

    def verify_(self) -> None:
        if np.prod(shape_of(self.input)) != np.prod(shape_of(self.output)):
            raise VerifyException("reshape must keep the number of elements")
        if elem_of(self.input) != elem_of(self.output):
            raise VerifyException("reshape must keep the element type")


class _QuantOp(GraphOp):
    """Per-tensor quantization parameters shared by quantize and dequantize."""

    input = operand_def(TensorType)
    scale = prop_def(FloatAttr)
    zero_point = prop_def(IntegerAttr)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, x: SSAValue, scale: float, zero_point: int, result_type: TensorType):
        super().__init__(
            operands=[x],
            properties={"scale": FloatAttr(scale, f64), "zero_point": int_attr(zero_point)},
            result_types=[result_type],
        )

    @property
    def params(self) -> dict[str, float | int]:
        return {"scale": self.scale.value.data, "zero_point": self.zero_point.value.data}


@irdl_op_definition
class QuantizeOp(_QuantOp):
    """f32 → int8: saturate(round_half_even(x / scale) + zero_point), as ONNX QuantizeLinear."""

    name = "graph.quantize"

    def verify_(self) -> None:
        if elem_of(self.input) != f32 or not _is_int(elem_of(self.output), 8):
            raise VerifyException("quantize maps f32 to an 8-bit integer type")
        _verify_scale(self)


@irdl_op_definition
class DequantizeOp(_QuantOp):
    """int8/int32 → f32: (x - zero_point) * scale, as ONNX DequantizeLinear."""

    name = "graph.dequantize"

    def verify_(self) -> None:
        if elem_of(self.output) != f32 or not isinstance(elem_of(self.input), IntegerType):
            raise VerifyException("dequantize maps an integer tensor to f32")
        _verify_scale(self)


def _verify_scale(op: QuantizeOp | DequantizeOp) -> None:
    if not op.scale.value.data > 0:
        raise VerifyException(f"{op.name}: scale must be > 0, got {op.scale.value.data}")


@irdl_op_definition
class DequantizeChannelsOp(GraphOp):
    """Per-channel (per-axis) dequantization of symmetric integers: x * scales[c] along `axis`,
    as ONNX DequantizeLinear with a scale vector and zero points of 0."""

    name = "graph.dequantize_channels"
    input = operand_def(TensorType)
    scales = prop_def(DenseArrayBase)
    axis = prop_def(IntegerAttr)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, x: SSAValue, scales, axis: int):
        super().__init__(
            operands=[x],
            properties={
                "scales": DenseArrayBase.from_list(f64, [float(v) for v in scales]),
                "axis": int_attr(axis),
            },
            result_types=[TensorType(f32, shape_of(x))],
        )

    def verify_(self) -> None:
        shape, axis = shape_of(self.input), self.axis.value.data
        if not 0 <= axis < len(shape) or len(self.scales.get_values()) != shape[axis]:
            raise VerifyException("dequantize_channels needs one scale per index of its axis")
        if not all(v > 0 for v in self.scales.get_values()):
            raise VerifyException("dequantize_channels scales must be > 0")


@irdl_op_definition
class RequantizeOp(GraphOp):
    """int32 → int8 by a fixed-point multiplier, as the accelerator's ALU computes it:

        t = (x + 2^(pre_shift-1)) >> pre_shift          (if pre_shift > 0)
        u = t * multipliers[c]                          (c: index along axis 1; one entry = all)
        y = clip(((u + 2^(shift-1)) >> shift) + zero_point, clip_min, clip_max)

    Shifts round half up (ADD + arithmetic SHR); shift ≤ 0 multiplies by 2^-shift. Without
    `multipliers` and `pre_shift` it is a rounding shift (power-of-two scales). A fused ReLU is a
    clip. The compiler picks pre_shift so that t * multiplier fits 32 bits.
    """

    name = "graph.requantize"
    input = operand_def(TensorType)
    shift = prop_def(IntegerAttr)
    zero_point = prop_def(IntegerAttr)
    clip_min = prop_def(IntegerAttr)
    clip_max = prop_def(IntegerAttr)
    pre_shift = opt_prop_def(IntegerAttr)
    multipliers = opt_prop_def(DenseArrayBase)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(
        self,
        x: SSAValue,
        shift: int,
        zero_point: int,
        clip_min: int,
        clip_max: int,
        multipliers=None,
        pre_shift: int = 0,
    ):
        out = TensorType(i8, shape_of(x))
        props = {
            "shift": int_attr(shift),
            "zero_point": int_attr(zero_point),
            "clip_min": int_attr(clip_min),
            "clip_max": int_attr(clip_max),
        }
        if multipliers is not None:
            props["multipliers"] = ints(multipliers)
        if pre_shift:
            props["pre_shift"] = int_attr(pre_shift)
        super().__init__(operands=[x], properties=props, result_types=[out])

    @property
    def multiplier_values(self) -> tuple[int, ...]:
        return tuple(self.multipliers.get_values()) if self.multipliers is not None else (1,)

    @property
    def params(self) -> tuple[int, int, int, int, int, tuple[int, ...]]:
        """(shift, zero_point, clip_min, clip_max, pre_shift, multipliers)."""
        return (
            self.shift.value.data,
            self.zero_point.value.data,
            self.clip_min.value.data,
            self.clip_max.value.data,
            self.pre_shift_value,
            self.multiplier_values,
        )

    @property
    def pre_shift_value(self) -> int:
        return self.pre_shift.value.data if self.pre_shift is not None else 0

    def with_clip(self, clip_min: int, clip_max: int | None = None) -> RequantizeOp:
        """A copy whose clip is narrowed (a fused ReLU, ReLU6 or Clip)."""
        hi = self.clip_max.value.data
        return RequantizeOp(
            self.input,
            self.shift.value.data,
            self.zero_point.value.data,
            max(self.clip_min.value.data, clip_min),
            hi if clip_max is None else min(hi, clip_max),
            self.multiplier_values if self.multipliers is not None else None,
            self.pre_shift_value,
        )

    def verify_(self) -> None:
        if not _is_int(elem_of(self.input), 32) or not _is_int(elem_of(self.output), 8):
            raise VerifyException("requantize maps i32 to i8")
        if shape_of(self.input) != shape_of(self.output):
            raise VerifyException("requantize keeps the shape of its input")
        lo, hi = self.clip_min.value.data, self.clip_max.value.data
        if not -128 <= lo <= hi <= 127:
            raise VerifyException(f"requantize clip range [{lo}, {hi}] is not inside int8")
        if not -31 <= self.shift.value.data <= 31 or not 0 <= self.pre_shift_value <= 31:
            raise VerifyException("requantize shifts must be within -31..31 (pre_shift 0..31)")
        m = self.multiplier_values
        shape = shape_of(self.input)
        if len(m) != 1 and (len(shape) < 2 or len(m) != shape[1]):
            raise VerifyException("requantize needs one multiplier, or one per channel (axis 1)")
        if any(not 0 < v < 2**31 for v in m):
            raise VerifyException("requantize multipliers must be positive 31-bit integers")


# ---- the rest of the core: elementwise math, layout, pooling, normalisation -----------------


@irdl_op_definition
class SubOp(_ElementwiseBinary):
    name = "graph.sub"


@irdl_op_definition
class MulOp(_ElementwiseBinary):
    name = "graph.mul"


@irdl_op_definition
class DivOp(_ElementwiseBinary):
    """Division; integer division truncates toward zero as in ONNX."""

    name = "graph.div"


@irdl_op_definition
class PowOp(_ElementwiseBinary):
    name = "graph.pow"


@irdl_op_definition
class MaxOp(_ElementwiseBinary):
    name = "graph.max"


@irdl_op_definition
class MinOp(_ElementwiseBinary):
    name = "graph.min"


@irdl_op_definition
class MatmulOp(_ElementwiseBinary):
    """Batched matrix product with numpy broadcasting of the batch dimensions."""

    name = "graph.matmul"

    def verify_(self) -> None:
        a, b = shape_of(self.lhs), shape_of(self.rhs)
        if not a or not b:
            raise VerifyException("graph.matmul needs operands of rank >= 1")


UNARY_FUNCTIONS = (
    "exp",
    "log",
    "sqrt",
    "tanh",
    "erf",
    "sigmoid",
    "abs",
    "neg",
    "reciprocal",
    "floor",
    "ceil",
    "sin",
    "cos",
    "round",
    "sign",
)


class _Unary(GraphOp):
    input = operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"


@irdl_op_definition
class UnaryOp(_Unary):
    """Elementwise math function `fn` (one of UNARY_FUNCTIONS)."""

    name = "graph.unary"
    fn = prop_def(StringAttr)

    def __init__(self, x: SSAValue, fn: str):
        super().__init__(operands=[x], properties={"fn": StringAttr(fn)}, result_types=[x.type])

    def verify_(self) -> None:
        if self.fn.data not in UNARY_FUNCTIONS:
            raise VerifyException(f"unknown unary function {self.fn.data!r}")


@irdl_op_definition
class ClipOp(_Unary):
    name = "graph.clip"
    min = opt_prop_def(FloatAttr)
    max = opt_prop_def(FloatAttr)

    def __init__(self, x: SSAValue, lo: float | None, hi: float | None):
        props = {}
        if lo is not None:
            props["min"] = FloatAttr(float(lo), f64)
        if hi is not None:
            props["max"] = FloatAttr(float(hi), f64)
        super().__init__(operands=[x], properties=props, result_types=[x.type])


@irdl_op_definition
class CastOp(_Unary):
    """Element type conversion (the result type says to what), as ONNX Cast."""

    name = "graph.cast"

    def __init__(self, x: SSAValue, result_type: TensorType):
        super().__init__(operands=[x], result_types=[result_type])


class _Shaped(_Unary):
    """Unary ops whose result shape the importer computed (ONNX shape inference)."""

    def __init__(self, x: SSAValue, result_type: TensorType, **props):
        super().__init__(operands=[x], properties=_props(props), result_types=[result_type])


def _props(values: dict) -> dict:
    out = {}
    for key, value in values.items():
        if isinstance(value, str):
            out[key] = StringAttr(value)
        elif isinstance(value, float):
            out[key] = FloatAttr(value, f64)
        elif isinstance(value, int):
            out[key] = int_attr(value)
        else:
            out[key] = ints(value)
    return out


@irdl_op_definition
class TransposeOp(_Shaped):
    name = "graph.transpose"
    perm = prop_def(DenseArrayBase)


@irdl_op_definition
class SliceOp(_Shaped):
    """x[starts[i]:ends[i]:steps[i]] on every axis (normalised, Python slice semantics)."""

    name = "graph.slice"
    starts = prop_def(DenseArrayBase)
    ends = prop_def(DenseArrayBase)
    steps = prop_def(DenseArrayBase)


@irdl_op_definition
class PadOp(_Shaped):
    """Pad by (begin..., end...) per axis with `mode` constant (value), reflect or edge."""

    name = "graph.pad"
    pads = prop_def(DenseArrayBase)
    mode = prop_def(StringAttr)
    value = prop_def(FloatAttr)


@irdl_op_definition
class PoolOp(_Shaped):
    """2-D max or average pooling over NCHW (`kind` max|avg); pads (top, left, bottom, right).
    The result shape may exceed the padded input (ceil_mode): extra windows are clipped.

    On integers only `max` is defined: the maximum over the window's positions inside the input,
    so the padding never wins (as padding with the type's minimum, −128 for int8); it is exact
    on quantized tensors because dequantization is increasing. Integer averages are
    `graph.qavg_pool`."""

    name = "graph.pool"
    kind = prop_def(StringAttr)
    kernel = prop_def(DenseArrayBase)
    strides = prop_def(DenseArrayBase)
    pads = prop_def(DenseArrayBase)
    dilations = prop_def(DenseArrayBase)
    count_include_pad = prop_def(IntegerAttr)


@irdl_op_definition
class ReduceOp(_Shaped):
    """Reduction `fn` (sum, mean, max, min, prod) over `axes`, keeping them if keepdims."""

    name = "graph.reduce"
    fn = prop_def(StringAttr)
    axes = prop_def(DenseArrayBase)
    keepdims = prop_def(IntegerAttr)


@irdl_op_definition
class SoftmaxOp(_Shaped):
    name = "graph.softmax"
    axis = prop_def(IntegerAttr)


@irdl_op_definition
class LrnOp(_Shaped):
    """Local response normalisation across channels (ONNX LRN)."""

    name = "graph.lrn"
    size = prop_def(IntegerAttr)
    alpha = prop_def(FloatAttr)
    beta = prop_def(FloatAttr)
    bias = prop_def(FloatAttr)


@irdl_op_definition
class ResizeOp(_Shaped):
    """Nearest-neighbour resize; `coord` and `nearest` are ONNX's coordinate_transformation_mode
    and nearest_mode; the output size is the result type."""

    name = "graph.resize"
    coord = prop_def(StringAttr)
    nearest = prop_def(StringAttr)


class _WithParams(GraphOp):
    traits = traits_def(Pure())
    assembly_format = "operands attr-dict `:` functional-type(operands, results)"


@irdl_op_definition
class ConcatOp(_WithParams):
    name = "graph.concat"
    inputs = var_operand_def(TensorType)
    axis = prop_def(IntegerAttr)
    output = result_def(TensorType)

    def __init__(self, xs, axis: int, result_type: TensorType):
        super().__init__(
            operands=[list(xs)], properties={"axis": int_attr(axis)}, result_types=[result_type]
        )


@irdl_op_definition
class GatherOp(_WithParams):
    """numpy.take(data, indices, axis) with negative indices wrapping, as ONNX Gather."""

    name = "graph.gather"
    data = operand_def(TensorType)
    indices = operand_def(TensorType)
    axis = prop_def(IntegerAttr)
    output = result_def(TensorType)

    def __init__(self, data, indices, axis: int, result_type: TensorType):
        super().__init__(
            operands=[data, indices],
            properties={"axis": int_attr(axis)},
            result_types=[result_type],
        )


@irdl_op_definition
class BatchNormOp(_WithParams):
    """Inference batch normalisation over axis 1; folded into a preceding conv by fold-batchnorm."""

    name = "graph.batch_norm"
    input = operand_def(TensorType)
    scale = operand_def(TensorType)
    bias = operand_def(TensorType)
    mean = operand_def(TensorType)
    var = operand_def(TensorType)
    epsilon = prop_def(FloatAttr)
    output = result_def(TensorType)

    def __init__(self, x, scale, bias, mean, var, epsilon: float):
        super().__init__(
            operands=[x, scale, bias, mean, var],
            properties={"epsilon": FloatAttr(epsilon, f64)},
            result_types=[x.type],
        )


@irdl_op_definition
class LayerNormOp(_WithParams):
    """(x - mean) / sqrt(var + epsilon) * scale (+ bias) over the axes from `axis` on."""

    name = "graph.layer_norm"
    input = operand_def(TensorType)
    scale = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    axis = prop_def(IntegerAttr)
    epsilon = prop_def(FloatAttr)
    output = result_def(TensorType)

    def __init__(self, x, scale, bias, axis: int, epsilon: float):
        super().__init__(
            operands=[x, scale, [bias] if bias is not None else []],
            properties={"axis": int_attr(axis), "epsilon": FloatAttr(epsilon, f64)},
            result_types=[x.type],
        )


# ---- integer forms of quantized Add, requantization and average pooling (import-qdq) ---------
# Their int8 operands carry zero points; each op documents its exact integer formula. Rounding
# shifts round half up (ADD 2^(s-1), arithmetic SHR), as graph.requantize's: ONNX's float
# QuantizeLinear rounds half to even, so results differ by one step at most, at (near-)ties.

# |x - zero point| <= 255 for int8, so a multiplier below 2^22 keeps each product and the sum of
# two under 2^31: the ALU forms them exactly (MUL in pieces, SHR by -p, ADD).
MAX_RESCALE_MULTIPLIER = 1 << 22


def _verify_int8(op: GraphOp, *values: SSAValue) -> None:
    for v in values:
        t = elem_of(v)
        if not _is_int(t, 8) or is_unsigned(t):
            raise VerifyException(f"{op.name} takes and gives int8 tensors")


def _verify_requant_tail(op: GraphOp, zero_points: Sequence[str]) -> None:
    lo, hi = op.clip_min.value.data, op.clip_max.value.data
    if not -128 <= lo <= hi <= 127:
        raise VerifyException(f"{op.name}: clip range [{lo}, {hi}] is not inside int8")
    if not 0 <= op.shift.value.data <= 31:
        raise VerifyException(f"{op.name}: shift must be within 0..31")
    for name in (*zero_points, "zero_point"):
        if not -128 <= getattr(op, name).value.data <= 127:
            raise VerifyException(f"{op.name}: {name} must be an int8 value")


def _narrowed(op: GraphOp, clip_min: int, clip_max: int | None) -> GraphOp:
    """A copy of `op` whose clip is narrowed (a fused ReLU, ReLU6 or Clip)."""
    props = dict(op.properties)
    props["clip_min"] = int_attr(max(op.clip_min.value.data, clip_min))
    if clip_max is not None:
        props["clip_max"] = int_attr(min(op.clip_max.value.data, clip_max))
    return type(op).create(
        operands=list(op.operands), result_types=[op.output.type], properties=props
    )


@irdl_op_definition
class QAddOp(_ElementwiseBinary):
    """Addition of two int8 tensors with their own scales and zero points, to int8 (a quantized
    residual Add; numpy broadcasting):

        u = lhs_multiplier · (lhs − lhs_zero_point) + rhs_multiplier · (rhs − rhs_zero_point)
        y = clip(((u + 2^(shift−1)) >> shift) + zero_point, clip_min, clip_max)

    with multiplier / 2^shift ≈ s_operand / s_y. u is exact: multipliers below
    MAX_RESCALE_MULTIPLIER keep it inside 31 bits (ALU steps: canopy_ir.quant.qadd_steps).
    """

    name = "graph.qadd"
    lhs_zero_point = prop_def(IntegerAttr)
    rhs_zero_point = prop_def(IntegerAttr)
    lhs_multiplier = prop_def(IntegerAttr)
    rhs_multiplier = prop_def(IntegerAttr)
    shift = prop_def(IntegerAttr)
    zero_point = prop_def(IntegerAttr)
    clip_min = prop_def(IntegerAttr)
    clip_max = prop_def(IntegerAttr)

    def __init__(self, lhs: SSAValue, rhs: SSAValue, result_type: TensorType, **params: int):
        IRDLOperation.__init__(
            self, operands=[lhs, rhs], properties=_props(params), result_types=[result_type]
        )

    def with_clip(self, clip_min: int, clip_max: int | None = None) -> QAddOp:
        return _narrowed(self, clip_min, clip_max)

    def verify_(self) -> None:
        super().verify_()
        _verify_int8(self, self.lhs, self.rhs, self.output)
        _verify_requant_tail(self, ("lhs_zero_point", "rhs_zero_point"))
        for m in (self.lhs_multiplier, self.rhs_multiplier):
            if not 0 <= m.value.data < MAX_RESCALE_MULTIPLIER:
                raise VerifyException(f"{self.name}: multipliers must be in [0, 2^22)")


@irdl_op_definition
class RescaleOp(_Shaped):
    """int8 → int8 with other scale and zero point (a QuantizeLinear of a DequantizeLinear whose
    parameters differ, e.g. a Concat input):

        y = clip((((x − input_zero_point) · multiplier + 2^(shift−1)) >> shift) + zero_point,
                 clip_min, clip_max)

    with multiplier / 2^shift ≈ s_x / s_y; the product is exact (multiplier below
    MAX_RESCALE_MULTIPLIER; ALU steps: canopy_ir.quant.rescale_steps).
    """

    name = "graph.rescale"
    input_zero_point = prop_def(IntegerAttr)
    multiplier = prop_def(IntegerAttr)
    shift = prop_def(IntegerAttr)
    zero_point = prop_def(IntegerAttr)
    clip_min = prop_def(IntegerAttr)
    clip_max = prop_def(IntegerAttr)

    def with_clip(self, clip_min: int, clip_max: int | None = None) -> RescaleOp:
        return _narrowed(self, clip_min, clip_max)

    def verify_(self) -> None:
        _verify_int8(self, self.input, self.output)
        if shape_of(self.input) != shape_of(self.output):
            raise VerifyException("rescale keeps the shape of its input")
        _verify_requant_tail(self, ("input_zero_point",))
        if not 0 <= self.multiplier.value.data < MAX_RESCALE_MULTIPLIER:
            raise VerifyException(f"{self.name}: the multiplier must be in [0, 2^22)")


@irdl_op_definition
class QAvgPoolOp(_Shaped):
    """Average pooling of an int8 tensor to int8 (quantized AveragePool, GlobalAveragePool and
    ReduceMean over H, W): a sum, then a requantization by the window's element count. For the
    output position (i, j), W = the (dilated) window's positions:

        u = Σ_{p ∈ W ∩ input} (x[p] − input_zero_point)     (padding is the real value 0)
        c = |W ∩ padded input| if count_include_pad else |W ∩ input|
        t = (u + 2^(pre_shift−1)) >> pre_shift              (if pre_shift > 0)
        y = clip(((t · M(c) + 2^(shift−1)) >> shift) + zero_point, clip_min, clip_max)

    M(c) = multipliers[0] when there is one (every window has the same count), else
    multipliers[c − 1] (one per possible count, kernel area entries); M(c) / 2^(pre_shift + shift)
    ≈ s_x / (s_y · c). Positions past the padded input (ceil_mode) never count. The requantization
    is graph.requantize's (canopy_ir.quant.Requant), with a multiplier chosen per position.
    """

    name = "graph.qavg_pool"
    kernel = prop_def(DenseArrayBase)
    strides = prop_def(DenseArrayBase)
    pads = prop_def(DenseArrayBase)
    dilations = prop_def(DenseArrayBase)
    count_include_pad = prop_def(IntegerAttr)
    input_zero_point = prop_def(IntegerAttr)
    multipliers = prop_def(DenseArrayBase)
    pre_shift = prop_def(IntegerAttr)
    shift = prop_def(IntegerAttr)
    zero_point = prop_def(IntegerAttr)
    clip_min = prop_def(IntegerAttr)
    clip_max = prop_def(IntegerAttr)

    def with_clip(self, clip_min: int, clip_max: int | None = None) -> QAvgPoolOp:
        return _narrowed(self, clip_min, clip_max)

    def verify_(self) -> None:
        _verify_int8(self, self.input, self.output)
        xs, ys = shape_of(self.input), shape_of(self.output)
        if len(xs) != 4 or len(ys) != 4 or xs[:2] != ys[:2]:
            raise VerifyException("qavg_pool maps N x C x H x W to N x C x OH x OW")
        kh, kw = self.kernel.get_values()
        m = self.multipliers.get_values()
        if len(m) not in (1, kh * kw) or any(not 0 <= v < 2**31 for v in m):
            raise VerifyException(
                "qavg_pool needs one multiplier, or one per possible count (kernel area), "
                "each in [0, 2^31)"
            )
        if not 0 <= self.pre_shift.value.data <= 31:
            raise VerifyException("qavg_pool pre_shift must be within 0..31")
        _verify_requant_tail(self, ("input_zero_point",))


@irdl_op_definition
class QAffineOp(_Shaped):
    """A per-channel affine map of an int8 tensor, to int8 (a BatchNormalization between a
    DequantizeLinear and a QuantizeLinear): for c, the index along axis 1,

        u = multipliers[c] · (x − input_zero_point) + offsets[c]
        y = clip(((u + 2^(shift−1)) >> shift) + zero_point, clip_min, clip_max)

    with multipliers[c] / 2^shift ≈ s_x · a_c / s_y and offsets[c] / 2^shift ≈ b_c / s_y for the
    normalisation's y = a_c · x + b_c. Multipliers are signed, below 2^22 in magnitude (u is exact
    in 31 bits); offsets below MAX_AFFINE_OFFSET. Arithmetic: canopy_ir.qaffine.
    """

    name = "graph.qaffine"
    input_zero_point = prop_def(IntegerAttr)
    multipliers = prop_def(DenseArrayBase)
    offsets = prop_def(DenseArrayBase)
    shift = prop_def(IntegerAttr)
    zero_point = prop_def(IntegerAttr)
    clip_min = prop_def(IntegerAttr)
    clip_max = prop_def(IntegerAttr)

    def with_clip(self, clip_min: int, clip_max: int | None = None) -> QAffineOp:
        return _narrowed(self, clip_min, clip_max)

    def verify_(self) -> None:
        _verify_int8(self, self.input, self.output)
        shape = shape_of(self.input)
        if shape != shape_of(self.output) or len(shape) < 2:
            raise VerifyException("qaffine keeps the shape of its input, which has a channel axis")
        m, o = self.multipliers.get_values(), self.offsets.get_values()
        if len(m) != shape[1] or len(o) != shape[1]:
            raise VerifyException("qaffine needs one multiplier and one offset per channel")
        if any(abs(v) >= AFFINE_MAX_MULTIPLIER for v in m):
            raise VerifyException(f"{self.name}: multipliers must be in (-2^22, 2^22)")
        if any(abs(v) >= MAX_AFFINE_OFFSET for v in o):
            raise VerifyException(f"{self.name}: offsets must be in (-2^29, 2^29)")
        _verify_requant_tail(self, ("input_zero_point",))
        if self.shift.value.data > 30:
            raise VerifyException(f"{self.name}: shift must be within 0..30")


Graph = Dialect(
    "graph",
    [
        ConstOp,
        Conv2dOp,
        DenseOp,
        AddOp,
        ReluOp,
        ReshapeOp,
        QuantizeOp,
        DequantizeOp,
        RequantizeOp,
        DequantizeChannelsOp,
        SubOp,
        MulOp,
        DivOp,
        PowOp,
        MaxOp,
        MinOp,
        MatmulOp,
        UnaryOp,
        ClipOp,
        CastOp,
        TransposeOp,
        SliceOp,
        PadOp,
        PoolOp,
        ReduceOp,
        SoftmaxOp,
        LrnOp,
        ResizeOp,
        ConcatOp,
        GatherOp,
        BatchNormOp,
        LayerNormOp,
        QAddOp,
        RescaleOp,
        QAvgPoolOp,
        QAffineOp,
    ],
    [],
)

__all__ = ["Graph", "f32", "i8", "i32"]
