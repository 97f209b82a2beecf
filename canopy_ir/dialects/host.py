"""The `host` dialect: the part of a partitioned model that runs on the host, beside the card.

`partition` assigns every graph op to the accelerator or the host; `graph-to-tile` lowers the
accelerator's ops to tile kernels and turns each host op into a `host.op`, which then travels
unchanged through `tile-to-accel`, `insert-deps` and `encode` into the artefact. A `host.op` names
the graph op it runs (`op`), its properties as plain values (`attrs`), and its operands and results
by tensor name: a `host.tensor` (host memory: a model input or output, a constant, a value only
host ops touch) or a card tensor (`tile.tensor` / `accel.region`: the runtime moves it across
PCIe). `segment` orders it against the card: it runs once `segment` instruction segments (each
ending in FINISH) have finished. The runtime runs it with `canopy_ir.kernels`.

    host.tensor "probs" {role = "output", type = tensor<1x10xf32>, onnx_name = "probs"}
    host.op "softmax" {op = "graph.softmax", attrs = {axis = 1 : i64}, inputs = ["fc.out"],
                       outputs = ["probs"], segment = 1 : i64, reason = "..."}
"""

from __future__ import annotations

from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntegerAttr, StringAttr, TensorType
from xdsl.ir import Dialect
from xdsl.irdl import IRDLOperation, ParsePropInAttrDict, irdl_op_definition, prop_def
from xdsl.utils.exceptions import VerifyException

TENSOR_ROLES = ("input", "output", "const", "value")


@irdl_op_definition
class TensorOp(IRDLOperation):
    """A tensor in host memory, in its logical (ONNX) shape. `role`: a model `input` or `output`
    (`onnx_name` says which), a `const` (`weight` names the weight-pool entry), or a `value`
    passed between host ops."""

    name = "host.tensor"
    sym_name = prop_def(StringAttr)
    type = prop_def(TensorType)
    role = prop_def(StringAttr)
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$sym_name attr-dict"

    def verify_(self) -> None:
        if self.role.data not in TENSOR_ROLES:
            raise VerifyException(f"host tensor role {self.role.data!r} is not in {TENSOR_ROLES}")
        if self.role.data == "const" and "weight" not in self.attributes:
            raise VerifyException(f"host constant {self.sym_name.data} names no pool entry")


@irdl_op_definition
class HostOp(IRDLOperation):
    """One graph op run on the host (see the module docstring)."""

    name = "host.op"
    layer = prop_def(StringAttr)
    op = prop_def(StringAttr)
    attrs = prop_def(DictionaryAttr)
    inputs = prop_def(ArrayAttr[StringAttr])
    outputs = prop_def(ArrayAttr[StringAttr])
    segment = prop_def(IntegerAttr)
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$layer attr-dict"

    @property
    def input_names(self) -> list[str]:
        return [a.data for a in self.inputs.data]

    @property
    def output_names(self) -> list[str]:
        return [a.data for a in self.outputs.data]

    def verify_(self) -> None:
        if not self.op.data.startswith("graph."):
            raise VerifyException(f"host.op runs a graph op, not {self.op.data!r}")
        if self.segment.value.data < 0:
            raise VerifyException("host.op segment must be non-negative")


Host = Dialect("host", [TensorOp, HostOp], [])
