"""Execution backends: `backend.pcie` (host runtime for cards behind PCIe) and `backend.opencl`."""
