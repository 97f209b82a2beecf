"""The FPGA form and its build scripts: the source compiles as OpenCL C for every preset (the
vendor compilers are not available here; PoCL's compiler stands in), the defines follow the
instruction layouts, and the scripts hand aoc / v++ the kernel with exactly those defines."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from canopy_ir.backend.opencl import defines, runtime
from canopy_ir.hw import isa
from canopy_ir.hw.config import PRESETS, HwConfig
from canopy_ir.hw.isa import Opcode

ACCEL = Path(defines.SOURCE).parent
ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("form", defines.FORMS)
def test_the_kernel_compiles_for_every_preset(preset, form):
    prog = runtime.program(
        runtime.pick_device(), defines.kernel_source(), defines.build_options(PRESETS[preset], form)
    )
    names = {k.function_name for k in prog.all_kernels()}
    assert names == ({"vta_core"} if form == "fpga" else {"vta_run", "vta_gemm"})


@pytest.mark.no_opencl
def test_defines_follow_the_instruction_layouts():
    cfg = PRESETS["stratix10-vu9p"]
    d = defines.defines(cfg, "fpga")
    lay = isa.layouts(cfg)
    assert (
        d["VTA_FPGA"] == "1"
        and d["VTA_BLOCK_IN"] == "32"
        and d["VTA_ACC_DEPTH"] == str(cfg.depth("acc"))
    )
    for f in lay.insn[Opcode.GEMM]:
        assert d[f"VTA_GEMM_{f.name.upper()}_O"] == str(f.offset)
        assert d[f"VTA_GEMM_{f.name.upper()}_W"] == str(f.width)
    used = sum(f.mask for f in lay.insn[Opcode.ALU])
    assert int(d["VTA_ALU_USED1"].removesuffix("UL"), 16) == used >> 64
    assert d["VTA_UOP_SRC_W"] == str(max(cfg.log_depth("acc"), cfg.log_depth("inp")))
    with pytest.raises(Exception, match="unknown accelerator form 'asic'"):
        defines.defines(HwConfig(), "asic")


def _cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "canopy_ir.backend.opencl.defines", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )


@pytest.mark.no_opencl
def test_defines_cli_reads_a_vta_config(tmp_path):
    config = tmp_path / "vta_config.json"
    config.write_text(
        '{"TARGET": "intelfocl", "LOG_BLOCK": 3, "LOG_BATCH": 1, "LOG_UOP_BUFF_SIZE": 12,'
        ' "LOG_INP_BUFF_SIZE": 12, "LOG_WGT_BUFF_SIZE": 12, "LOG_ACC_BUFF_SIZE": 13}'
    )
    out = _cli(str(config), "--form", "fpga")
    assert out.returncode == 0, out.stderr
    flags = out.stdout.split()
    assert flags == defines.build_options(HwConfig.load(config), "fpga")
    assert "-DVTA_BLOCK_OUT=8" in flags and "-DVTA_BATCH=2" in flags
    bad = _cli(str(tmp_path / "missing.json"))
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "cannot read" in bad.stderr


def _fake_tool(folder: Path, name: str) -> Path:
    """A stand-in for a vendor compiler that records its arguments and writes its -o file."""
    tool = folder / name
    tool.write_text(
        "#!/usr/bin/env bash\n"
        f'printf "%s\\n" "$@" >> "{folder}/{name}.args"\n'
        'while [[ $# -gt 0 ]]; do [[ $1 == -o ]] && touch "$2"; shift; done\n'
    )
    tool.chmod(0o755)
    return tool


@pytest.mark.no_opencl
@pytest.mark.parametrize("script, tool", [("build_aoc.sh", "aoc"), ("build_vpp.sh", "v++")])
def test_build_scripts_pass_the_kernel_and_its_defines(tmp_path, script, tool):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_tool(bin_dir, tool)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PYTHON": sys.executable,
        "PLATFORM": "xilinx_aws-vu9p-f1_shell-v04261818_201920_3",
        "BOARD": "a10gx",
    }
    run = subprocess.run(
        ["bash", str(ACCEL / script), "arria10"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    args = (bin_dir / f"{tool}.args").read_text().split("\n")
    for flag in defines.build_options(PRESETS["arria10"], "fpga"):
        assert flag in args
    assert str(ACCEL / "vta.cl") in args
    if tool == "aoc":
        assert "-board=a10gx" in args and (tmp_path / "vta_arria10.aocx").exists()
    else:
        assert args.count("-c") == 1 and args.count("-l") == 1 and "vta_core" in args
        assert (tmp_path / "vta_arria10.hw.xclbin").exists()
    # without the tool, a clear message and exit status 2
    env["PATH"] = "/usr/bin:/bin"
    missing = subprocess.run(
        ["bash", str(ACCEL / script)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert missing.returncode == 2 and f"{tool} not found" in missing.stderr
