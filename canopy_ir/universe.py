"""Publishes canopy-ir's dialects and passes to xDSL tools (`xdsl-opt`) via the `xdsl.universe`
entry point declared in pyproject.toml."""

from xdsl.universe import Universe

from canopy_ir.passes import ALL_PASSES


def _graph():
    from canopy_ir.dialects.graph import Graph

    return Graph


def _tile():
    from canopy_ir.dialects.tile import Tile

    return Tile


def _accel():
    from canopy_ir.dialects.accel import Accel

    return Accel


def _host():
    from canopy_ir.dialects.host import Host

    return Host


UNIVERSE = Universe(
    all_dialects={"graph": _graph, "tile": _tile, "accel": _accel, "host": _host},
    all_passes=dict(ALL_PASSES),
)
