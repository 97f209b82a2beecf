"""`graph-quantize`: post-training quantization of a float graph from calibration data.

Takes: a float graph module (from the ONNX importer, no QuantizeLinear/DequantizeLinear).
Produces: the same graph in QDQ form — every conv2d/dense reads `dequantize(quantize(x))`
activations and dequantized int8 weights and int32 biases, and its result (after a following
relu) is re-quantized; residual adds, pooling and channel concatenation read and produce
quantized activations too — which `import-qdq` then folds into integer arithmetic.

Activations are symmetric int8, one scale per tensor, from the calibration samples' absolute
maximum (`method=minmax`) or a high percentile of |x| (`method=percentile`, ignores outliers).
Weights are symmetric int8, per tensor (`per_channel=0`, the VTA-compatible choice) or per output
channel. `mode=pow2` rounds every scale up to a power of two, so requantization is a pure
shift; `mode=fixed` keeps exact scales (fixed-point multipliers). Biases are int32 at scale
s_x * s_w. Calibration data: an .npz with one array per model input, shaped [samples, ...] (or a
single sample); without it, `samples` random inputs are used, with a warning.
"""

from __future__ import annotations

import itertools
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr, TensorType, f32, i8, i32
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from canopy_ir.dialects import graph
from canopy_ir.errors import QuantizationError
from canopy_ir.hw.sim_blas import single_blas_thread
from canopy_ir.interpreters.graph import GraphProgram
from canopy_ir.ir import load_npz, pool_of, string_list
from canopy_ir.quant import (
    exact_weight_scales,
    quantize_bias,
    ratio_bits,
    symmetric_scale,
    symmetric_weight_scales,
    weights_at_scales,
)

SAMPLES_AT_ONCE = 4  # calibration samples run side by side at most (each holds its activations)


class CalibrationWarning(UserWarning):
    """Calibration ran on synthetic inputs: accuracy will not reflect real data."""


def load_calibration(path: str, module: ModuleOp) -> list[tuple[np.ndarray, ...]]:
    """Calibration samples as tuples of model inputs, validated against the model."""
    main = next(op for op in module.ops if isinstance(op, func.FuncOp))
    names = string_list(module, "canopy.inputs")
    arrays = load_npz(path, "calibration data", QuantizationError)
    missing = [n for n in names if n not in arrays]
    if missing:
        raise QuantizationError(
            f"calibration data has no array for input(s) {missing} (it has {sorted(arrays)})", path
        )
    per_input = []
    for name, arg in zip(names, main.args, strict=True):
        shape = graph.shape_of(arg)
        array = arrays[name]
        if array.dtype.kind not in "fiu":
            raise QuantizationError(
                f"calibration input '{name}' has dtype {array.dtype}; expected numbers", path
            )
        if tuple(array.shape) == shape:
            array = array[None]
        elif shape and shape[0] == 1 and tuple(array.shape[1:]) == shape[1:]:
            array = array[:, None]  # samples stacked along the batch axis of a batch-1 model
        if tuple(array.shape[1:]) != shape:
            raise QuantizationError(
                f"calibration input '{name}' has shape {array.shape}; expected "
                f"[samples, {', '.join(map(str, shape))}] (or samples along the batch axis)",
                path,
            )
        per_input.append(array.astype(np.float32))
    return list(zip(*per_input, strict=True))


def synthetic_calibration(module: ModuleOp, samples: int) -> list[tuple[np.ndarray, ...]]:
    warnings.warn(
        f"no calibration data given: calibrating on {samples} random inputs; give "
        "real samples with --calibrate data.npz for accurate scales",
        CalibrationWarning,
        stacklevel=2,
    )
    main = next(op for op in module.ops if isinstance(op, func.FuncOp))
    rng = np.random.default_rng(0)
    return [
        tuple(rng.uniform(-1, 1, graph.shape_of(a)).astype(np.float32) for a in main.args)
        for _ in range(samples)
    ]


@dataclass(frozen=True)
class QuantizePass(ModulePass):
    """Post-training quantization of a float graph from calibration data (to QDQ form)."""

    name = "graph-quantize"
    calibration: str = ""  # .npz of inputs; empty: synthetic samples (with a warning)
    samples: int = 16
    method: str = "minmax"  # or "percentile"
    percentile: float = 99.99
    mode: str = "fixed"  # or "pow2"
    per_channel: int = 0

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.method not in ("minmax", "percentile") or self.mode not in ("pow2", "fixed"):
            raise QuantizationError("quantize: method is minmax|percentile, mode is pow2|fixed")
        if self.per_channel and self.mode == "pow2":
            raise QuantizationError(
                "per-channel weights need mode=fixed (a power-of-two scale "
                "per channel would need a shift per channel)"
            )
        if any(isinstance(o, graph.QuantizeOp | graph.DequantizeOp) for o in op.walk()):
            raise QuantizationError(
                "the model is already quantized (it has QuantizeLinear/"
                "DequantizeLinear); use import-qdq"
            )
        samples = (
            load_calibration(self.calibration, op)
            if self.calibration
            else synthetic_calibration(op, self.samples)
        )
        if not samples:
            raise QuantizationError(
                "calibration needs at least one sample", self.calibration or "samples=0"
            )
        amax = self._ranges(op, samples)
        self._rewrite(op, amax)
        op.verify()

    def _ranges(self, module: ModuleOp, samples) -> dict:
        """Each float32 value's calibration range: the largest |x| over the samples (`minmax`)
        or the `percentile` of |x| over all of them. The graph is read once (GraphProgram) and
        runs each sample exactly as on its own, samples side by side on the machine's cores
        (numpy and BLAS release the GIL; BLAS itself on one thread, since its threads only
        contend with the samples'); per value and sample, minmax keeps only the maximum
        (keeping every sample's activations took gigabytes on ResNet-50)."""
        program = GraphProgram(module)
        minmax = self.method == "minmax"

        def observe(inputs) -> dict:
            """One sample's contribution per float32 value: max |x| (minmax), else all |x|."""
            found = {}
            values = itertools.chain(
                zip(program.args, inputs, strict=True), program.values(*inputs)
            )
            if not minmax:
                values = itertools.chain(program.constants.items(), values)
            for value, array in values:
                if _is_float32(array):
                    found[value] = np.max(np.abs(array)) if minmax else np.abs(array).reshape(-1)
            return found

        seen: dict = {}
        if minmax:  # the constants are the same for every sample
            for value, array in program.constants.items():
                if _is_float32(array):
                    seen[value] = [np.max(np.abs(array))]
        pool = ThreadPoolExecutor(min(len(samples), _cores(), SAMPLES_AT_ONCE))
        try:
            with single_blas_thread():
                for found in pool.map(observe, samples):  # in sample order
                    for value, x in found.items():
                        seen.setdefault(value, []).append(x)
        finally:  # on an error (or ^C), the samples not started yet never start
            pool.shutdown(cancel_futures=True)
        if minmax:
            return {v: float(np.max(tops)) for v, tops in seen.items()}
        return {
            v: float(np.percentile(np.concatenate(a), self.percentile)) for v, a in seen.items()
        }

    def _rewrite(self, module: ModuleOp, amax: dict) -> None:
        pool = pool_of(module)
        pow2 = self.mode == "pow2"
        quantized: dict = {}  # float value -> its dequantize(quantize(value)) replacement

        def named(op, name: str):
            op.attributes["onnx_node"] = StringAttr(name)
            return op

        def qdq(value, where_op):
            if value in quantized:
                return quantized[value]
            if isinstance(value.owner, graph.DequantizeOp):  # already quantized upstream
                return value.owner
            scale = symmetric_scale(amax[value], pow2)
            label = f"{where_op.node_name}.input"
            q = named(
                graph.QuantizeOp(value, scale, 0, TensorType(i8, graph.shape_of(value))),
                f"{label}_Q",
            )
            dq = named(graph.DequantizeOp(q.output, scale, 0, value.type), f"{label}_DQ")
            Rewriter.insert_op([q, dq], InsertPoint.before(where_op))
            quantized[value] = dq
            return dq

        def requantized_output(op):
            """The value that is re-quantized after `op`: its result, or that of a relu only it
            feeds; None when nothing consumes it or calibration did not see it."""
            out = op.results[0]
            users = list(out.uses)
            if len(users) == 1 and isinstance(users[0].operation, graph.ReluOp):
                out = users[0].operation.output
            return out if list(out.uses) and out in amax else None

        def requantize_output(op, name: str) -> None:
            """The op's result, after a relu that only it feeds, is re-quantized."""
            out = requantized_output(op)
            if out is None:
                return
            consumers = list(out.uses)
            scale = symmetric_scale(amax[out], pow2)
            q = named(
                graph.QuantizeOp(out, scale, 0, TensorType(i8, graph.shape_of(out))),
                f"{name}.output_Q",
            )
            dq = named(graph.DequantizeOp(q.output, scale, 0, out.type), f"{name}.output_DQ")
            Rewriter.insert_op([q, dq], InsertPoint.after(out.owner))
            for use in consumers:
                use.operation.operands[use.index] = dq.output
            quantized[out] = dq

        for layer in list(module.walk()):
            if _int8_friendly(layer):
                # residual adds, pooling, concatenation, batch norms: int8 in, int8 out
                # (import-qdq turns them into graph.qadd / int8 max pooling / graph.qavg_pool /
                # concat / graph.qaffine); a batch norm's statistics stay float constants
                for i, operand in enumerate(layer.operands):
                    if not isinstance(operand.owner, graph.ConstOp):
                        layer.operands[i] = qdq(operand, layer).output
                requantize_output(layer, layer.node_name)
                continue
            if not isinstance(layer, graph.Conv2dOp | graph.DenseOp):
                continue
            if graph.elem_of(layer.output) != f32 or not isinstance(
                layer.weight.owner, graph.ConstOp
            ):
                continue
            name = layer.node_name
            x_dq = qdq(layer.input, layer)
            layer.operands[0] = x_dq.output
            w = pool[layer.weight.owner.weight.data]
            sw = symmetric_weight_scales(w, bool(self.per_channel), pow2)
            out = requantized_output(layer)
            if not pow2 and out is not None:
                # Weight scales raised by < 1/64 so that the requantization ratio is an exact
                # short fixed-point number: one ALU multiply per output, not three.
                sx, sy = x_dq.scale.value.data, symmetric_scale(amax[out], False)
                sw = exact_weight_scales(sx, sw, sy, ratio_bits(sx * sw / sy))
            qw = weights_at_scales(w, sw)
            w_const = graph.ConstOp(pool.add(f"{name}.weight.q", qw), TensorType(i8, w.shape))
            if self.per_channel:
                w_dq = graph.DequantizeChannelsOp(w_const.output, sw, 0)
            else:
                w_dq = graph.DequantizeOp(w_const.output, float(sw[0]), 0, TensorType(f32, w.shape))
            new_ops = [w_const, w_dq]
            layer.operands[1] = w_dq.output
            if layer.bias is not None and isinstance(layer.bias.owner, graph.ConstOp):
                b = pool[layer.bias.owner.weight.data].astype(np.float64)
                acc_scale = x_dq.scale.value.data * np.broadcast_to(sw, b.shape)
                qb = quantize_bias(b, acc_scale, f"node '{name}'")
                b_const = graph.ConstOp(pool.add(f"{name}.bias.q", qb), TensorType(i32, b.shape))
                b_dq = graph.DequantizeChannelsOp(b_const.output, acc_scale, 0)
                new_ops += [b_const, b_dq]
                layer.operands[2] = b_dq.output
            Rewriter.insert_op(new_ops, InsertPoint.before(layer))
            requantize_output(layer, name)


def _cores() -> int:
    """CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no sched_getaffinity (macOS, Windows)
        return max(1, os.cpu_count() or 1)


def _is_float32(array) -> bool:
    return isinstance(array, np.ndarray) and array.dtype == np.float32


def _int8_friendly(op) -> bool:
    """Float ops that run on int8 tensors once their inputs and result are quantized: residual
    adds of two same-shaped activations, max/average/global average pooling, channel
    concatenation, batch norms with constant statistics."""
    if isinstance(op, graph.AddOp):
        a, b = op.operands
        return (
            graph.elem_of(op.output) == f32
            and graph.shape_of(a) == graph.shape_of(b)
            and not isinstance(a.owner, graph.ConstOp)
            and not isinstance(b.owner, graph.ConstOp)
        )
    if isinstance(op, graph.PoolOp | graph.ConcatOp):
        return graph.elem_of(op.results[0]) == f32 and all(
            not isinstance(v.owner, graph.ConstOp) for v in op.operands
        )
    if isinstance(op, graph.BatchNormOp):  # not after a convolution: graph.qaffine
        return (
            graph.elem_of(op.output) == f32
            and len(graph.shape_of(op.input)) == 4
            and all(isinstance(v.owner, graph.ConstOp) for v in op.operands[1:])
        )
    if isinstance(op, graph.ReduceOp):  # global average pooling: a mean over H and W
        return (
            op.fn.data == "mean"
            and graph.elem_of(op.output) == f32
            and len(graph.shape_of(op.input)) == 4
            and sorted(a % 4 for a in op.axes.get_values()) == [2, 3]
        )
    return False
