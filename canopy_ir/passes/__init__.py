"""The compiler's passes, one per file, by name; `DEFAULT_PIPELINE` is what canopy-compile runs."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.passes import ModulePass


def _quantize():
    from canopy_ir.passes.quantize import QuantizePass

    return QuantizePass


def _import_qdq():
    from canopy_ir.passes.import_qdq import ImportQdqPass

    return ImportQdqPass


def _partition():
    from canopy_ir.passes.partition import PartitionPass

    return PartitionPass


def _graph_to_tile():
    from canopy_ir.passes.graph_to_tile import GraphToTilePass

    return GraphToTilePass


def _tile_to_accel():
    from canopy_ir.passes.tile_to_accel import TileToAccelPass

    return TileToAccelPass


def _insert_deps():
    from canopy_ir.passes.insert_deps import InsertDepsPass

    return InsertDepsPass


def _encode():
    from canopy_ir.passes.encode import EncodePass

    return EncodePass


def _decode():
    from canopy_ir.passes.encode import DecodePass

    return DecodePass


def _canonicalize():
    from canopy_ir.passes.canonicalize import CanonicalizePass

    return CanonicalizePass


def _fold_batchnorm():
    from canopy_ir.passes.fold_batchnorm import FoldBatchNormPass

    return FoldBatchNormPass


def _constant_fold():
    from canopy_ir.passes.constant_fold import ConstantFoldPass

    return ConstantFoldPass


def _dce():
    from canopy_ir.passes.dce import DeadCodeEliminationPass

    return DeadCodeEliminationPass


ALL_PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    "graph-canonicalize": _canonicalize,
    "graph-fold-batchnorm": _fold_batchnorm,
    "graph-constant-fold": _constant_fold,
    "graph-dce": _dce,
    "graph-quantize": _quantize,
    "import-qdq": _import_qdq,
    "graph-partition": _partition,
    "graph-to-tile": _graph_to_tile,
    "tile-to-accel": _tile_to_accel,
    "insert-deps": _insert_deps,
    "encode": _encode,
    "decode": _decode,
}

GRAPH_PIPELINE = ("graph-canonicalize", "graph-fold-batchnorm", "graph-constant-fold", "graph-dce")
DEFAULT_PIPELINE = (
    "import-qdq",
    "graph-partition",
    "graph-to-tile",
    "tile-to-accel",
    "insert-deps",
    "encode",
)
