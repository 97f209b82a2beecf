"""OpenCL backend: the accelerator written in OpenCL C (`accel/vta.cl`) and `OpenCLCard`, which
runs it on any OpenCL device behind the same `Device` protocol as the simulated card; kernels
generated from tile IR live in `codegen/` (with `host_kernels.py`).

`accel/` holds the kernel source and the FPGA build scripts (Intel `aoc`, Xilinx `v++`);
`defines.py` turns a hardware configuration into the kernel's `-D` defines; `runtime.py` finds
devices and caches built programs (for the card and the generated kernels alike); `stream.py`
cuts a run into launches and reads the kernel's status; `card.py` is the card; `staging.py`
moves bytes across the bus through pinned memory. Host ops run in `host_values.py` (the store),
planned by `host_plan.py` (fusions, layouts) with kernels chosen by `host_ops.py`, their launch
sequences replayed through `command_buffer.py` where the device offers it. pyopencl is
imported only when a card is made (the `opencl` extra). The simulated card
(`backend.pcie.simcard`) is the reference every OpenCL device must match bit for bit.
"""

__all__ = ["OpenCLCard"]


def __getattr__(name: str):
    # Imported on first use, so that `python -m canopy_ir.backend.opencl.defines` (the FPGA
    # build scripts) does not import the module it runs twice.
    if name == "OpenCLCard":
        from canopy_ir.backend.opencl.card import OpenCLCard

        return OpenCLCard
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
