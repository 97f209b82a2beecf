"""pyopencl plumbing shared by the OpenCL card and the generated kernels: the one device chooser
(`pick_device`), one context per device, and the one program cache, keyed by source hash,
options and device, whose build errors name the failing line.

pyopencl is optional (the `opencl` extra): it is imported on first use, and a machine without it
or without any OpenCL platform gets one `DeviceError` line saying what to install.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import warnings

from canopy_ir.errors import DeviceError

ENV_DEVICE = "CANOPY_OPENCL_DEVICE"
INSTALL_HINT = (
    "install an OpenCL platform and pyopencl, e.g. PoCL for the CPU: "
    "`apt-get install -y pocl-opencl-icd` and `pip install pyopencl` "
    "(or the extra: `pip install 'canopy-ir[opencl]'`)"
)

_LOCK = threading.Lock()
_CONTEXTS: dict[tuple, object] = {}
_PROGRAMS: dict[tuple, object] = {}


def cl():
    """The pyopencl module, or a DeviceError saying how to install it."""
    try:
        import pyopencl
    except ImportError:
        raise DeviceError(f"pyopencl is not installed: {INSTALL_HINT}") from None
    return pyopencl


def devices() -> list:
    """Every OpenCL device of every platform, in platform order."""
    pcl = cl()
    try:
        platforms = pcl.get_platforms()
    except pcl.Error:  # no ICD registered: clGetPlatformIDs reports PLATFORM_NOT_FOUND_KHR
        platforms = []
    found = []
    for platform in platforms:
        try:
            found.extend(platform.get_devices())
        except pcl.Error:  # a platform whose driver finds no device
            continue
    if not found:
        raise DeviceError(f"no OpenCL platform or device found: {INSTALL_HINT}")
    return found


def describe(device) -> str:
    return f"{device.platform.name.strip()}: {device.name.strip()}"


def pick_device(spec: str | int | None = None):
    """A device by index (into `devices()`) or by case-insensitive substring of "platform:
    device"; without `spec`, the CANOPY_OPENCL_DEVICE environment variable, else the first GPU,
    else the first device."""
    found = devices()
    if spec is None:
        spec = os.environ.get(ENV_DEVICE) or None
    if spec is None:
        gpus = [d for d in found if d.type & cl().device_type.GPU]
        return (gpus or found)[0]
    listing = "; ".join(f"[{i}] {describe(d)}" for i, d in enumerate(found))
    if isinstance(spec, int) or str(spec).strip().isdigit():
        index = int(spec)
        if not 0 <= index < len(found):
            raise DeviceError(f"no OpenCL device {index}; available: {listing}")
        return found[index]
    matches = [d for d in found if str(spec).lower() in describe(d).lower()]
    if not matches:
        raise DeviceError(f"no OpenCL device matches '{spec}'; available: {listing}")
    return matches[0]


def context(device):
    """One context per device, shared by every card and kernel runtime on it."""
    with _LOCK:
        key = device.int_ptr
        if key not in _CONTEXTS:
            _CONTEXTS[key] = cl().Context([device])
        return _CONTEXTS[key]


def program(device, source: str, options, filename: str = "vta.cl", error=None):
    """The program built from `source` with `options` for `device`, built once per process
    (pyopencl also keeps binaries on disk across processes). A failed build raises
    `error(log)` if given (the generated kernels show their whole source), else a one-line
    DeviceError naming `filename`'s failing line."""
    pcl = cl()
    options = list(options)
    digest = hashlib.sha256("\0".join([source, *options]).encode()).hexdigest()
    key = (digest, device.int_ptr)  # a program belongs to its device's one context
    with _LOCK:
        built = _PROGRAMS.get(key)
    if built is not None:
        return built
    prog = pcl.Program(context(device), source)
    try:
        with warnings.catch_warnings():  # pyopencl warns about any non-empty build log
            warnings.simplefilter("ignore")
            prog.build(options=options, devices=[device])
    except pcl.Error as exc:
        log = ""
        try:
            log = prog.get_build_info(device, pcl.program_build_info.LOG)
        except pcl.Error:
            pass
        log = log or str(exc)
        if error is not None:
            raise error(log) from None
        raise DeviceError(build_error(log, source, filename, describe(device))) from None
    with _LOCK:
        _PROGRAMS[key] = prog
    return prog


def program_from_binary(device, binary: bytes, name: str):
    """A program from a prebuilt device binary (an FPGA image: .aocx, .xclbin / .awsxclbin)."""
    pcl = cl()
    key = (hashlib.sha256(binary).hexdigest(), device.int_ptr)
    with _LOCK:
        built = _PROGRAMS.get(key)
    if built is not None:
        return built
    try:
        prog = pcl.Program(context(device), [device], [binary])
        prog.build()
    except pcl.Error as exc:
        raise DeviceError(
            f"cannot load the device binary {name} on {describe(device)}: {exc}"
        ) from None
    with _LOCK:
        _PROGRAMS[key] = prog
    return prog


# clang's "file:line:col: error: what", and PoCL's "error: file:line:col: what"
_DIAG = re.compile(
    r"^(?:[^\s:]*:(\d+):(\d+): (?:fatal )?error: (.*)"
    r"|(?:fatal )?error: \S*?:(\d+):(\d+): (.*))$",
    re.M,
)


def build_error(log: str, source: str, filename: str, device: str) -> str:
    """One line: the first compiler error with the source line it points at."""
    match = _DIAG.search(log)
    if not match:
        first = next((line.strip() for line in log.splitlines() if line.strip()), "no log")
        return f"OpenCL build of {filename} failed on {device}: {first}"
    groups = match.groups()
    line, col, what = groups[:3] if groups[0] else groups[3:]
    line, col, what = int(line), int(col), what.strip()
    lines = source.splitlines()
    text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    where = f"{filename}:{line}:{col}"
    return f"OpenCL build of {filename} failed on {device}: {where}: {what}: `{text}`"
