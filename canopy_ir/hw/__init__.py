"""The hardware model: configuration, ISA, DRAM layouts, token scheduling, simulator, cycle model,
stream verifier. Numpy only, no xDSL; imports run config → isa → the rest.

`isa` is imported here so that the ISA's field-fit check is installed in `config` before any code
can reach `HwConfig` (see `canopy_ir.hw.config`).
"""

from canopy_ir.hw import isa

__all__ = ["isa"]
