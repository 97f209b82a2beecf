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
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException


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
    if x == f32:
        if w != f32 or y != f32 or b not in (None, f32):
            raise VerifyException(f"{op.name}: a float op needs f32 weight, bias and result")
    elif _is_int(x, 8):
        if not _is_int(w, 8) or not _is_int(y, 32) or (b is not None and not _is_int(b, 32)):
            raise VerifyException(f"{op.name}: an integer op takes i8 x i8 (+ i32 bias) -> i32")
    else:
        raise VerifyException(f"{op.name}: unsupported element type {x}")


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
            raise VerifyException("quantize maps f32 to i8")
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
class RequantizeOp(GraphOp):
    """int32 → int8: clip(((x + 2^(shift-1)) >> shift) + zero_point, clip_min, clip_max).

    The rounding shift (half away from -inf: round half up) is what the accelerator's ALU does
    with ADD + SHR; shift ≤ 0 multiplies by 2^-shift without rounding. A fused ReLU is a clip.
    """

    name = "graph.requantize"
    input = operand_def(TensorType)
    shift = prop_def(IntegerAttr)
    zero_point = prop_def(IntegerAttr)
    clip_min = prop_def(IntegerAttr)
    clip_max = prop_def(IntegerAttr)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, x: SSAValue, shift: int, zero_point: int, clip_min: int, clip_max: int):
        out = TensorType(i8, shape_of(x))
        super().__init__(
            operands=[x],
            properties={
                "shift": int_attr(shift),
                "zero_point": int_attr(zero_point),
                "clip_min": int_attr(clip_min),
                "clip_max": int_attr(clip_max),
            },
            result_types=[out],
        )

    def verify_(self) -> None:
        if not _is_int(elem_of(self.input), 32) or not _is_int(elem_of(self.output), 8):
            raise VerifyException("requantize maps i32 to i8")
        lo, hi = self.clip_min.value.data, self.clip_max.value.data
        if not -128 <= lo <= hi <= 127:
            raise VerifyException(f"requantize clip range [{lo}, {hi}] is not inside int8")
        if not -31 <= self.shift.value.data <= 31:
            raise VerifyException("requantize shift must be within -31..31")


Graph = Dialect(
    "graph",
    [ConstOp, Conv2dOp, DenseOp, AddOp, ReluOp, ReshapeOp, QuantizeOp, DequantizeOp, RequantizeOp],
    [],
)

__all__ = ["Graph", "f32", "i8", "i32"]
