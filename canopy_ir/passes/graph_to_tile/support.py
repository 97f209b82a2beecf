"""What the accelerator can run: the one place that decides, for `graph-partition` (which
assigns ops to the accelerator or the host) and `graph-to-tile` (which lowers the accelerator's
ops).

`accel_reason(op, cfg)` is None when `graph-to-tile` lowers `op` to tile kernels, and otherwise
the reason it runs on the host, as the user reads it in dumps and in the compile summary. The
accelerator runs int8 convolutions (grouped and depthwise too) and dense layers with their
requantization, max and average pooling, residual adds, rescales, channel concatenation, constant
padding of H and W, and reshapes that keep the packed layout or feed dense layers.
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr, i8
from xdsl.ir import BlockArgument

from canopy_ir.dialects import graph
from canopy_ir.errors import LoweringError
from canopy_ir.hw.config import HwConfig
from canopy_ir.ir import module_config
from canopy_ir.passes.graph_to_tile.pool import avg_reason

PAD_MAX = 15  # 4-bit pad fields of LOAD

BOUNDARY = "float <-> int8 conversion at the model boundary runs on the host"
ISLAND = "int8 <-> float conversion around a float op runs on the host"


def _weight_reason(op) -> str | None:
    if not isinstance(op.weight.owner, graph.ConstOp):
        return "its weights are not constants"
    if graph.elem_of(op.weight) != i8:
        return "its weights are not int8"
    if op.bias is not None and not isinstance(op.bias.owner, graph.ConstOp):
        return "its bias is not a constant"
    return None


def _requantized(op) -> bool:
    users = [u.operation for u in op.output.uses]
    return len(users) == 1 and isinstance(users[0], graph.RequantizeOp)


def linear_reason(op: graph.Conv2dOp | graph.DenseOp) -> str | None:
    """Why an int8 convolution or dense layer cannot run on the accelerator (None: it can)."""
    if graph.elem_of(op.input) != i8:
        return "its input is not int8 (float layers need a quantized model)"
    if not _requantized(op):
        return "its int32 result is not requantized to int8 by its only user"
    reason = _weight_reason(op)
    if reason:
        return reason
    if isinstance(op, graph.Conv2dOp):
        if max(op.pads.get_values()) > PAD_MAX:
            return f"padding over {PAD_MAX} does not fit LOAD's pad fields"
    else:
        shape = graph.shape_of(op.input)
        if len(shape) != 2:
            return "dense input is not 2-D"
    return None


def _activation(value) -> bool:
    """An int8 tensor in the packed activation layout (2-D, or 4-D NCHW)."""
    return graph.elem_of(value) == i8 and len(graph.shape_of(value)) in (2, 4)


def _nchw(shape) -> tuple[int, ...]:
    return tuple(shape) if len(shape) == 4 else (*shape, 1, 1)


def window_reason(op, kernel, strides, pads, dilations) -> str | None:
    """Why a windowed op's input windows do not fit LOAD's 4-bit pad fields (None: they do)."""
    _, _, h, w = graph.shape_of(op.input)
    _, _, oh, ow = graph.shape_of(op.output)
    over_h = (oh - 1) * strides[0] + (kernel[0] - 1) * dilations[0] + 1 - pads[0] - h
    over_w = (ow - 1) * strides[1] + (kernel[1] - 1) * dilations[1] + 1 - pads[1] - w
    if max(*pads[:2], over_h, over_w) > PAD_MAX:
        return f"padding over {PAD_MAX} does not fit LOAD's pad fields"
    return None


def _window_of(op):
    return [getattr(op, k).get_values() for k in ("kernel", "strides", "pads", "dilations")]


def pool_reason(op: graph.PoolOp | graph.QAvgPoolOp, cfg: HwConfig) -> str | None:
    if isinstance(op, graph.PoolOp) and (op.kind.data != "max" or graph.elem_of(op.input) != i8):
        return "only int8 max pooling runs on the accelerator (averages are graph.qavg_pool)"
    if len(graph.shape_of(op.input)) != 4:
        return "pooling input is not 4-D"
    reason = window_reason(op, *_window_of(op))
    if reason is None and isinstance(op, graph.QAvgPoolOp):
        reason = avg_reason(op, cfg.ALU_MUL_BITS)
    return reason


def layout_reshape(op: graph.ReshapeOp) -> bool:
    """A reshape that keeps the packed layout (same N and C, same H·W): no data moves."""
    a, b = graph.shape_of(op.input), graph.shape_of(op.output)
    if len(a) not in (2, 4) or len(b) not in (2, 4):
        return False
    (n, c, h, w), (n2, c2, h2, w2) = _nchw(a), _nchw(b)
    return (n, c, h * w) == (n2, c2, h2 * w2)


def reshape_reason(op: graph.ReshapeOp, cfg: HwConfig) -> str | None:
    users = [u.operation for u in op.output.uses]
    flat = len(graph.shape_of(op.input)) == 4 and len(graph.shape_of(op.output)) == 2
    if (
        flat
        and graph.elem_of(op.input) == i8
        and users
        and all(isinstance(u, graph.DenseOp) and linear_reason(u) is None for u in users)
    ):
        return None  # a flatten read directly by dense layers: folded into their weights
    if (
        graph.elem_of(op.input) == i8
        and layout_reshape(op)
        and op.input.has_one_use()
        and not isinstance(op.input.owner, graph.QuantizeOp)
        and users
        and all(
            (isinstance(u, graph.DequantizeOp) and is_boundary(u)) or accel_reason(u, cfg) is None
            for u in users
        )
    ):
        return None  # the same bytes: both sides share one DRAM tensor
    return (
        "a reshape is a host copy unless dense layers read it as their flattened input or it "
        "keeps the packed layout between accelerator ops"
    )


def concat_reason(op: graph.ConcatOp) -> str | None:
    shapes = [graph.shape_of(x) for x in op.inputs]
    rank = len(shapes[0])
    if not all(_activation(x) for x in op.inputs) or any(len(s) != rank for s in shapes):
        return "only int8 2-D or 4-D concatenation runs on the accelerator"
    if op.axis.value.data % rank != 1:
        return "only concatenation along channels runs on the accelerator"
    if len({(s[0], *s[2:]) for s in shapes}) != 1:
        return "concatenated tensors differ in batch or spatial size"
    return None


def pad_reason(op: graph.PadOp) -> str | None:
    p = op.pads.get_values()
    value = op.value.value.data
    if op.mode.data != "constant" or not _activation(op.input) or len(p) != 8:
        return "only constant padding of int8 NCHW tensors runs on the accelerator"
    if p[0] or p[1] or p[4] or p[5] or min(p) < 0:
        return "only non-negative padding of H and W runs on the accelerator"
    if value != int(value) or not -128 <= value <= 127:
        return "the pad value is not an int8 value"
    return None


def eltwise_reason(op) -> str | None:
    if isinstance(op, graph.QAddOp):
        if not (graph.shape_of(op.lhs) == graph.shape_of(op.rhs) == graph.shape_of(op.output)):
            return "broadcasting additions run on the host"
        value = op.lhs
    else:
        value = op.input
    if not _activation(value):
        return "only 2-D and 4-D tensors run on the accelerator"
    return None


def accel_reason(op, cfg: HwConfig | None = None) -> str | None:
    """None if the accelerator runs `op` (on hardware `cfg`, VTA's default if None), else why
    the host does."""
    cfg = cfg or HwConfig()
    if isinstance(op, graph.Conv2dOp | graph.DenseOp):
        return linear_reason(op)
    if isinstance(op, graph.RequantizeOp):
        producer = op.input.owner
        if isinstance(producer, graph.Conv2dOp | graph.DenseOp) and linear_reason(producer) is None:
            return None
        return "only a convolution's or dense layer's requantization runs on the accelerator"
    if isinstance(op, graph.PoolOp | graph.QAvgPoolOp):
        return pool_reason(op, cfg)
    if isinstance(op, graph.QAddOp | graph.RescaleOp | graph.QAffineOp):
        return eltwise_reason(op)
    if isinstance(op, graph.ConcatOp):
        return concat_reason(op)
    if isinstance(op, graph.PadOp):
        return pad_reason(op)
    if isinstance(op, graph.ReshapeOp):
        return reshape_reason(op, cfg)
    if isinstance(op, graph.QuantizeOp | graph.DequantizeOp):
        return BOUNDARY if is_boundary(op) else ISLAND
    if isinstance(op, func.ReturnOp | graph.ConstOp):
        return None
    return f"{op.name} has no accelerator lowering"


ACCELERATOR = "accelerator"
HOST = "host"
TARGET = "canopy.target"
REASON = "canopy.reason"


def is_boundary(op) -> bool:
    """The model's input quantization or output dequantization."""
    if isinstance(op, graph.QuantizeOp):
        return isinstance(op.input, BlockArgument)
    if isinstance(op, graph.DequantizeOp):
        return all(isinstance(u.operation, func.ReturnOp) for u in op.output.uses)
    return False


def target_of(op) -> str | None:
    """The target `graph-partition` recorded on `op` (None before it ran)."""
    attr = op.attributes.get(TARGET)
    return attr.data if isinstance(attr, StringAttr) else None


def annotate(module: ModuleOp, accel_only: bool = False) -> None:
    main = next((op for op in module.ops if isinstance(op, func.FuncOp)), None)
    if main is None:
        raise LoweringError("graph-partition expects a graph module with func.func @main")
    cfg = module_config(module)
    for op in main.body.block.ops:
        if isinstance(op, func.ReturnOp | graph.ConstOp):
            continue
        reason = accel_reason(op, cfg)
        if reason is None:
            op.attributes[TARGET] = StringAttr(ACCELERATOR)
            op.attributes.pop(REASON, None)
            continue
        if accel_only and not is_boundary(op):
            raise LoweringError(
                f"{op.name} would run on the host ({reason}) and --accel-only is set",
                f"node '{getattr(op, 'node_name', op.name)}'",
            )
        op.attributes[TARGET] = StringAttr(HOST)
        op.attributes[REASON] = StringAttr(reason)
