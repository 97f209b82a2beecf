"""Converters of tensor ops: layout (Reshape, Flatten, Squeeze, Unsqueeze, Transpose),
Concat, Split, Slice, Gather, Pad, Resize/Upsample, Identity/Dropout, and the ops that only make
constants (Constant, Shape; ConstantOfShape and Range, which import only when folded)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper
from xdsl.ir import SSAValue

from canopy_ir.dialects import graph
from canopy_ir.errors import FrontendError
from canopy_ir.frontends.onnx.importer import _Importer, register
from canopy_ir.frontends.onnx.nodes import attributes, opt_input, str_attr, unsupported, where
from canopy_ir.frontends.onnx.ops.common import extra_outputs_used, ints_input


# ---- layout ---------------------------------------------------------------------------------
def _reshape_like(imp: _Importer, node: onnx.NodeProto) -> None:
    """Reshape, Flatten, Squeeze, Unsqueeze: a row-major reshape to the inferred shape."""
    imp.set(node, graph.ReshapeOp(imp.value(node.input[0], node), imp.out_type(node)))


def _transpose(imp: _Importer, node: onnx.NodeProto) -> None:
    x = imp.value(node.input[0], node)
    perm = attributes(node).get("perm", list(range(len(graph.shape_of(x))))[::-1])
    imp.set(node, graph.TransposeOp(x, imp.out_type(node), perm=list(perm)))


def _concat(imp: _Importer, node: onnx.NodeProto) -> None:
    out = imp.out_type(node)
    xs = [imp.value(n, node) for n in node.input if n]
    imp.set(node, graph.ConcatOp(xs, attributes(node)["axis"] % len(out.get_shape()), out))


def _slice_op(imp, node, x, starts, ends, axes, steps, out_type) -> SSAValue:
    shape = graph.shape_of(x)
    rank = len(shape)
    full = [[0, shape[d], 1] for d in range(rank)]
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        d = axis % rank
        dim = shape[d]
        if step == 0:
            raise FrontendError("slice step cannot be 0", where(node))
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
    a = attributes(node)
    if "starts" in a:  # opset < 10
        starts, ends = list(a["starts"]), list(a["ends"])
        axes = list(a.get("axes", range(len(starts))))
        steps = [1] * len(starts)
    else:
        starts = ints_input(imp, node, 1, "_", "starts")
        ends = ints_input(imp, node, 2, "_", "ends")
        axes = ints_input(imp, node, 3, "_", "axes") or list(range(len(starts)))
        steps = ints_input(imp, node, 4, "_", "steps") or [1] * len(starts)
    imp.values[node.output[0]] = _slice_op(
        imp, node, x, starts, ends, axes, steps, imp.out_type(node)
    )


def _split(imp: _Importer, node: onnx.NodeProto) -> None:
    x = imp.value(node.input[0], node)
    a = attributes(node)
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
    axis = attributes(node).get("axis", 0) % len(graph.shape_of(data))
    imp.set(node, graph.GatherOp(data, imp.value(node.input[1], node), axis, out))


def _pad(imp: _Importer, node: onnx.NodeProto) -> None:
    a = attributes(node)
    x = imp.value(node.input[0], node)
    rank = len(graph.shape_of(x))
    pads = ints_input(imp, node, 1, "pads", "pads")
    value = a.get("value", 0.0)
    if opt_input(node, 2):
        value = float(imp.const(node.input[2], node, "the pad value").reshape(-1)[0])
    axes = ints_input(imp, node, 3, "_", "axes")
    if axes is not None:
        full = [0] * (2 * rank)
        for i, ax in enumerate(axes):
            full[ax % rank], full[ax % rank + rank] = pads[i], pads[i + len(axes)]
        pads = full
    mode = str_attr(a.get("mode"), "constant")
    if mode not in ("constant", "reflect", "edge"):
        raise unsupported(node, f"mode={mode}")
    if any(p < 0 for p in pads):
        raise unsupported(node, "negative pads")
    imp.set(node, graph.PadOp(x, imp.out_type(node), pads=pads, mode=mode, value=float(value)))


def _resize(imp: _Importer, node: onnx.NodeProto) -> None:
    a = attributes(node)
    mode = str_attr(a.get("mode"), "nearest")
    if mode != "nearest":
        raise unsupported(node, f"mode={mode} (only nearest)")
    if node.op_type == "Upsample":
        coord, nearest = "asymmetric", "floor"
    else:
        coord = str_attr(a.get("coordinate_transformation_mode"), "half_pixel")
        nearest = str_attr(a.get("nearest_mode"), "round_prefer_floor")
        if imp.opset < 11:
            coord, nearest = "asymmetric", "floor"
        if coord == "tf_crop_and_resize" or a.get("antialias", 0) or a.get("axes"):
            raise unsupported(node, f"coordinate_transformation_mode={coord} / antialias / axes")
        if str_attr(a.get("keep_aspect_ratio_policy"), "stretch") != "stretch":
            raise unsupported(node, "keep_aspect_ratio_policy")
    imp.set(
        node,
        graph.ResizeOp(
            imp.value(node.input[0], node), imp.out_type(node), coord=coord, nearest=nearest
        ),
    )


# ---- identities and constants ---------------------------------------------------------------
def _identity(imp: _Importer, node: onnx.NodeProto) -> None:
    if extra_outputs_used(imp, node):
        raise unsupported(node, "the mask output")
    if node.input[0] in imp.consts:
        imp.consts[node.output[0]] = imp.consts[node.input[0]]
    else:
        imp.values[node.output[0]] = imp.value(node.input[0], node)


def _constant(imp: _Importer, node: onnx.NodeProto) -> None:
    a = attributes(node)
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
        raise unsupported(node, f"attribute {key}")


def _folded_only(what: str):
    def convert(imp: _Importer, node: onnx.NodeProto) -> None:
        raise unsupported(node, f"{what} needs constant inputs")

    return convert


def _shape(imp: _Importer, node: onnx.NodeProto) -> None:
    shape = list(graph.shape_of(imp.value(node.input[0], node)))
    a = attributes(node)
    start, end = a.get("start", 0), a.get("end", len(shape))
    imp.consts[node.output[0]] = np.asarray(shape[start:end], np.int64)


register(
    {
        "Reshape": _reshape_like,
        "Flatten": _reshape_like,
        "Squeeze": _reshape_like,
        "Unsqueeze": _reshape_like,
        "Transpose": _transpose,
        "Concat": _concat,
        "Split": _split,
        "Slice": _slice,
        "Gather": _gather,
        "Pad": _pad,
        "Resize": _resize,
        "Upsample": _resize,
        "Dropout": _identity,
        "Identity": _identity,
        "Constant": _constant,
        "Shape": _shape,
        "ConstantOfShape": _folded_only("ConstantOfShape"),
        "Range": _folded_only("Range"),
    }
)
