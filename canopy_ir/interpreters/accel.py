"""Interpreter of the `accel` dialect: lay out the DRAM arena and run the functional simulator.

Before `insert-deps` a program means sequential execution (`policy="sequential"`); afterwards any
module scheduling policy must give the same result.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from canopy_ir.accel_program import read_program
from canopy_ir.hw import isa
from canopy_ir.hw.program import weights_image
from canopy_ir.hw.simulator import PIPELINE_ORDER, FunctionalSimulator
from canopy_ir.ir import pool_of


def run_accel(
    module: ModuleOp, inputs: dict[str, np.ndarray], policy=PIPELINE_ORDER
) -> dict[str, np.ndarray]:
    """Run an accel module; `inputs`/result map region names to packed arrays."""
    program = read_program(module)
    if policy is None:
        policy = PIPELINE_ORDER
    dram = np.zeros(program.arena_bytes, np.uint8)
    image = weights_image(program.regions, pool_of(module))
    dram[: len(image)] = np.frombuffer(image, np.uint8)
    uops = np.frombuffer(isa.encode_uops(program.uops, program.config), np.uint8)
    dram[program.uop_offset : program.uop_offset + len(uops)] = uops
    for r in program.regions:
        if r.role == "input":
            data = np.ascontiguousarray(inputs[r.name]).view(np.uint8).reshape(-1)
            dram[r.offset : r.offset + r.nbytes] = data
    FunctionalSimulator(program.config, dram).run(program.insns, policy)
    return {
        r.name: dram[r.offset : r.offset + r.nbytes].view(np.int8).reshape(r.packed_shape).copy()
        for r in program.regions
        if r.role == "output"
    }
