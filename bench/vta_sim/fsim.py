"""apache/tvm-vta's functional simulator, built from its sources and driven from Python.

VTA's simulator is `src/sim/sim_driver.cc` (the device), `src/sim/sim_tlpp.cc` (the three modules
and their dependency queues) and `src/vmem/virtual_memory.cc` (its paged DRAM). `build` compiles
them with g++ -O2 into a shared library under `bench/vta_sim/build/` (git-ignored), with the
configuration's `VTA_LOG_*` keys as -D flags, as VTA's config/pkg_config.py passes them. The TVM
and dmlc headers they include are replaced by the two small headers in `shim/`; nothing of TVM
is needed. `VtaFsim` calls the library through VTA's C driver API (`include/vta/driver.h`):
VTAMemAlloc / VTAMemGetPhyAddr for DRAM, VTADeviceRun to run a stream.

The sources come from a tvm-vta checkout or a bare clone of it (`git archive`); the benchmark
was written against commit d4a15f6, the one `tests/hw/test_isa.py` mirrors the structs of.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import shutil
import subprocess
import tarfile
from pathlib import Path

from canopy_ir.hw.config import HwConfig

HERE = Path(__file__).resolve().parent
BUILD = HERE / "build"
SOURCES = ("src/sim/sim_driver.cc", "src/sim/sim_tlpp.cc", "src/vmem/virtual_memory.cc")
PATHS = ("include", "src/sim", "src/vmem")  # what the build needs of the repository
TESTED_COMMIT = "d4a15f6"


def vta_defines(cfg: HwConfig) -> list[str]:
    """-D flags for the configuration keys (VTA_LOG_OUT_WIDTH derived as pkg_config does)."""
    keys = {k: v for k, v in cfg.to_dict().items() if k.startswith("LOG_")}
    keys["LOG_OUT_WIDTH"] = cfg.LOG_INP_WIDTH
    return [f"-DVTA_{k}={v}" for k, v in sorted(keys.items())]


def _git(repo: Path, *args: str) -> bytes:
    git_dir = repo / ".git" if (repo / ".git").exists() else repo
    cmd = ["git", f"--git-dir={git_dir}", *args]
    return subprocess.run(cmd, check=True, capture_output=True).stdout


def source_commit(repo: Path) -> str:
    return _git(repo, "rev-parse", "HEAD").decode().strip()


def extract(repo: Path, dest: Path) -> None:
    """The sources the simulator needs, from a checkout (its files) or a bare clone (HEAD)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    if (repo / "include" / "vta" / "driver.h").exists():
        for p in PATHS:
            shutil.copytree(repo / p, dest / p)
        return
    with tarfile.open(fileobj=io.BytesIO(_git(repo, "archive", "HEAD", *PATHS))) as tar:
        tar.extractall(dest, filter="data")


def build(repo: Path, cfg: HwConfig, cxx: str = "g++") -> Path:
    """The simulator library for `cfg`, built once per configuration and source commit."""
    flags = ["-O2", "-std=c++17", "-fPIC", "-shared", *vta_defines(cfg)]
    commit = source_commit(repo)
    tag = hashlib.sha256(" ".join([commit, cxx, *flags]).encode()).hexdigest()[:12]
    lib = BUILD / f"libvta_fsim-{tag}.so"
    if lib.exists():
        return lib
    src = BUILD / f"src-{tag}"
    extract(repo, src)
    cmd = [cxx, *flags, f"-I{HERE / 'shim'}", f"-I{src / 'include'}"]
    cmd += [str(src / s) for s in SOURCES] + ["-o", str(lib)]
    subprocess.run(cmd, check=True)
    (BUILD / f"libvta_fsim-{tag}.cmd").write_text(f"commit {commit}\n" + " ".join(cmd) + "\n")
    return lib


class VtaFsim:
    """One simulated VTA device (and VTA's global simulated DRAM) from the built library."""

    def __init__(self, lib: Path):
        self.lib = L = ctypes.CDLL(str(lib))
        L.VTAMemAlloc.restype = ctypes.c_void_p
        L.VTAMemAlloc.argtypes = [ctypes.c_size_t, ctypes.c_int]
        L.VTAMemGetPhyAddr.restype = ctypes.c_uint32  # vta_phy_addr_t without USE_VTA64
        L.VTAMemGetPhyAddr.argtypes = [ctypes.c_void_p]
        L.VTADeviceAlloc.restype = ctypes.c_void_p
        L.VTADeviceAlloc.argtypes = []
        L.VTADeviceRun.restype = ctypes.c_int
        L.VTADeviceRun.argtypes = [
            ctypes.c_void_p,
            ctypes.c_uint32,
            ctypes.c_uint32,
            ctypes.c_uint32,
        ]
        self.device = L.VTADeviceAlloc()

    def alloc(self, nbytes: int) -> tuple[int, int]:
        """(host pointer, simulated physical address) of `nbytes` of VTA DRAM, page aligned."""
        ptr = self.lib.VTAMemAlloc(nbytes, 0)
        return ptr, self.lib.VTAMemGetPhyAddr(ptr)

    def write(self, ptr: int, data: bytes) -> None:
        ctypes.memmove(ptr, data, len(data))

    def read(self, ptr: int, nbytes: int) -> bytes:
        return ctypes.string_at(ptr, nbytes)

    def run(self, insn_phy: int, count: int) -> None:
        """VTADeviceRun: executes `count` instructions at `insn_phy` until FINISH."""
        if self.lib.VTADeviceRun(self.device, insn_phy, count, 0):
            raise RuntimeError("VTADeviceRun reported a timeout")
