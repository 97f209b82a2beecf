"""What the accelerator can run: the one place that decides, for `graph-partition` (which
assigns ops to the accelerator or the host) and `graph-to-tile` (which lowers the accelerator's
ops).

`accel_reason(op)` is None when `graph-to-tile` lowers `op` to tile kernels, and otherwise the
reason it runs on the host, as the user reads it in dumps and in the compile summary.
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr, i8
from xdsl.ir import BlockArgument

from canopy_ir.dialects import graph
from canopy_ir.errors import LoweringError

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
        if op.group.value.data != 1:
            return "grouped convolution is not lowered yet"
        if max(op.pads.get_values()) > PAD_MAX:
            return f"padding over {PAD_MAX} does not fit LOAD's pad fields"
    else:
        shape = graph.shape_of(op.input)
        if len(shape) != 2:
            return "dense input is not 2-D"
    return None


def accel_reason(op) -> str | None:
    """None if the accelerator runs `op`, else why the host does."""
    if isinstance(op, graph.Conv2dOp | graph.DenseOp):
        return linear_reason(op)
    if isinstance(op, graph.RequantizeOp):
        producer = op.input.owner
        if isinstance(producer, graph.Conv2dOp | graph.DenseOp) and linear_reason(producer) is None:
            return None
        return "only a convolution's or dense layer's requantization runs on the accelerator"
    if isinstance(op, graph.ReshapeOp):
        users = [u.operation for u in op.output.uses]
        flat = len(graph.shape_of(op.input)) == 4 and len(graph.shape_of(op.output)) == 2
        if (
            flat
            and graph.elem_of(op.input) == i8
            and users
            and all(isinstance(u, graph.DenseOp) and linear_reason(u) is None for u in users)
        ):
            return None  # a flatten read directly by dense layers: folded into their weights
        return "a reshape is a host copy unless dense layers read it as their flattened input"
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
    for op in main.body.block.ops:
        if isinstance(op, func.ReturnOp | graph.ConstOp):
            continue
        reason = accel_reason(op)
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
