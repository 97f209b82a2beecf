"""OpenCL backend: the accelerator in OpenCL C and kernels generated from tile IR.

Not built yet: `canopy-run --device opencl` reports that clearly. The simulated card
(`backend.pcie.simcard`) is the reference every OpenCL device must match bit for bit.
"""
