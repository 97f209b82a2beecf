"""The OpenCLCard as a `Device`: memory and DMA (direct and through the pinned staging buffer),
registers, errors and timeouts worded as the simulated card words them, device selection, the
program cache, build errors that show the failing line, prebuilt binaries, and the one-line
message of a machine without OpenCL."""

import numpy as np
import pytest
from opencl_harness import CONFIGS, card_run, make_image, require_opencl

from canopy_ir.backend.opencl import OpenCLCard, runtime
from canopy_ir.backend.opencl.defines import build_options, kernel_source
from canopy_ir.backend.pcie import SimCard
from canopy_ir.backend.pcie.device import (
    CTRL_START,
    REG_CTRL,
    REG_INSN_ADDR,
    REG_INSN_COUNT,
    REG_STATUS,
    STATUS_DONE,
    STATUS_ERROR,
    DevicePtr,
)
from canopy_ir.errors import DeviceError, DeviceTimeout
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import MemId

CFG = HwConfig()


@pytest.fixture(scope="module")
def card():
    require_opencl()  # a module fixture is made before the per-test availability check
    return OpenCLCard(CFG, memory_bytes=1 << 20)


def _start(dev, stream: bytes, at: int = 1 << 19):
    dev.dma_to_device(DevicePtr(at, len(stream)), stream)
    dev.write_reg(REG_INSN_ADDR, at)
    dev.write_reg(REG_INSN_COUNT, len(stream) // isa.INSN_BYTES)
    dev.write_reg(REG_CTRL, CTRL_START)


def _errors(stream: bytes):
    """(the card's error, the simulated card's error) for one stream."""
    found = []
    for dev in (OpenCLCard(CFG, memory_bytes=1 << 20), SimCard(CFG, memory_bytes=1 << 20)):
        _start(dev, stream)
        with pytest.raises(DeviceError) as info:
            dev.wait(30)
        found.append((type(info.value), str(info.value)))
    return found


@pytest.mark.parametrize("staged", [False, True], ids=["direct", "pinned"])
def test_dma_round_trip(card, staged, monkeypatch):
    """Through pinned slots: more pieces than slots, each slot filled by several threads."""
    from canopy_ir.backend.opencl import staging

    monkeypatch.setattr(staging, "THREAD_MIN", 1 << 12)
    stage = staging.PinnedStaging(
        card.stage.context, card.queue, pinned=staged, chunk=1 << 16, slots=2, threads=3
    )
    monkeypatch.setattr(card, "stage", stage)
    ptr = card.alloc(300_000, align=4096)
    data = np.random.default_rng(1).integers(0, 256, 250_000, dtype=np.uint8).tobytes()
    card.dma_to_device(ptr, data, offset=1234)
    assert card.dma_from_device(ptr, len(data), offset=1234) == data
    assert card.dma_from_device(ptr, 10, offset=1234 + 5) == data[5:15]
    again = bytes(reversed(data))  # slots reused at once: each waits for its last copy
    card.dma_to_device(ptr, again, offset=1234)
    card.dma_to_device(ptr, data[:70_000], offset=1234 + 9)
    want = again[:9] + data[:70_000] + again[70_009:]
    assert card.dma_from_device(ptr, len(data), offset=1234) == want
    with pytest.raises(DeviceError, match="overruns a 300000-byte allocation"):
        card.dma_to_device(ptr, b"x" * 10, offset=299_995)
    card.free(ptr)


def test_allocation_is_first_fit_and_runs_out(card):
    a = card.alloc(1000, align=64)
    b = card.alloc(1000, align=4096)
    assert b.addr % 4096 == 0 and b.addr >= a.addr + 1000
    card.free(a)
    card.free(b)
    with pytest.raises(DeviceError, match="card memory exhausted"):
        card.alloc(2 << 20)


def test_registers_status_and_reset(card):
    with pytest.raises(DeviceError, match="no register at offset 0x40"):
        card.write_reg(0x40, 1)
    _start(card, isa.encode_insns([isa.FinishInsn()], CFG))
    card.wait(30)
    assert card.read_reg(REG_STATUS) == STATUS_DONE
    _start(card, isa.encode_insns([isa.LoadInsn()], CFG))  # moves nothing, never finishes
    with pytest.raises(DeviceTimeout, match="the stream ended without FINISH"):
        card.wait(30)
    assert card.read_reg(REG_STATUS) == STATUS_ERROR
    with pytest.raises(DeviceError, match="error state; reset it first"):
        card.write_reg(REG_CTRL, CTRL_START)
    card.reset()
    _start(card, isa.encode_insns([isa.FinishInsn()], CFG))
    card.wait(30)


def test_a_run_that_outlives_its_timeout(card):
    """A long stream, waited on for no time at all: the card reports the timeout and stays in
    the error state until reset, which lets the run drain."""
    image = make_image(CFG, 0)
    insns = [
        isa.LoadInsn(memory_type=MemId.UOP, dram_base=8192 // 4, y_size=1, x_size=64, x_stride=64)
    ]
    insns += [isa.GemmInsn(uop_bgn=0, uop_end=64, iter_out=64, iter_in=64)] * 8
    stream = isa.encode_insns([*insns, isa.FinishInsn()], CFG)
    card.dma_to_device(DevicePtr(0, len(image)), image.tobytes())
    _start(card, stream)
    with pytest.raises(DeviceTimeout, match="did not finish within 0 s"):
        card.wait(0)
    assert card.read_reg(REG_STATUS) == STATUS_ERROR
    card.reset()
    _start(card, isa.encode_insns([isa.FinishInsn()], CFG))
    card.wait(30)


@pytest.mark.parametrize(
    "words",
    [
        [(5, 0)],  # unknown opcode
        [(isa.Opcode.FINISH | 1 << 40, 0)],  # FINISH with stray bits
        [(isa.Opcode.STORE | 1 << 60, 0)],  # STORE with a bit between dram_base and y_size
    ],
    ids=["opcode", "stray-finish", "stray-store"],
)
def test_corrupted_instructions_are_reported_as_the_simulated_card_does(words):
    stream = np.array([*words, (isa.Opcode.FINISH, 0)], "<u8").tobytes()
    try:
        isa.decode_insns(stream, CFG)
    except isa.IsaError:
        pass
    else:
        pytest.skip("that word decodes in this configuration")
    (got_type, got), (want_type, want) = _errors(stream)
    assert got == want and got_type is want_type


@pytest.mark.parametrize(
    "insn, message",
    [
        (isa.AluInsn(uop_end=1, alu_opcode=6), "instruction 0: unknown ALU opcode 6"),
        (
            isa.LoadInsn(memory_type=7, y_size=1, x_size=1, x_stride=1),
            "instruction 0: LOAD of unknown memory type 7",
        ),
    ],
    ids=["alu-opcode", "memory-type"],
)
def test_encodable_but_meaningless_fields_stop_the_card(card, insn, message):
    card.reset()
    error = card_run_on(card, [insn, isa.FinishInsn()])
    assert error == f"card stopped with an error: {message}"


def card_run_on(dev, insns):
    _start(dev, isa.encode_insns(insns, CFG))
    try:
        dev.wait(30)
    except DeviceError as exc:
        dev.reset()
        return str(exc)
    return None


def test_misaligned_stream_address(card):
    card.reset()
    card.write_reg(REG_INSN_ADDR, 8)
    card.write_reg(REG_INSN_COUNT, 1)
    card.write_reg(REG_CTRL, CTRL_START)
    with pytest.raises(DeviceError, match="must be 16-byte aligned and lie in card memory"):
        card.wait(1)
    card.reset()


def test_device_selection(monkeypatch):
    found = runtime.devices()
    assert runtime.pick_device(0) is found[0] or runtime.pick_device(0) == found[0]
    name = found[-1].name.strip()
    assert runtime.pick_device(name[:6].upper()) == runtime.pick_device(name[:6])
    monkeypatch.setenv(runtime.ENV_DEVICE, str(len(found) - 1))
    assert runtime.pick_device() == found[-1]
    no_match = r"no OpenCL device matches 'no such card'; available: \[0\]"
    with pytest.raises(DeviceError, match=no_match):
        runtime.pick_device("no such card")
    with pytest.raises(DeviceError, match=f"no OpenCL device {len(found)};"):
        runtime.pick_device(len(found))
    card = OpenCLCard(CFG, memory_bytes=1 << 16)
    assert card.name == f"opencl:{found[-1].name.strip()}"


@pytest.mark.no_opencl
def test_no_platform_says_how_to_install_one(monkeypatch):
    pyopencl = pytest.importorskip("pyopencl")
    monkeypatch.setattr(pyopencl, "get_platforms", lambda: [])
    with pytest.raises(DeviceError) as info:
        OpenCLCard(CFG)
    message = str(info.value)
    assert "\n" not in message
    assert "apt-get install -y pocl-opencl-icd" in message and "pip install pyopencl" in message


@pytest.mark.no_opencl
def test_no_pyopencl_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "pyopencl", None)  # import fails
    with pytest.raises(DeviceError, match=r"pyopencl is not installed: .*pip install pyopencl"):
        OpenCLCard(CFG)


def test_build_errors_show_the_failing_line():
    device = runtime.pick_device()
    source = kernel_source().replace("return s;   /* |s|", "return s +;   /* |s|")
    with pytest.raises(DeviceError) as info:
        runtime.program(device, source, build_options(CFG))
    message = str(info.value)
    line = next(i for i, text in enumerate(source.splitlines(), 1) if "return s +;" in text)
    assert f"vta.cl:{line}:" in message and "`return s +;" in message
    assert "\n" not in message


def test_programs_are_cached_by_source_and_device():
    device = runtime.pick_device()
    a = runtime.program(device, kernel_source(), build_options(CFG))
    assert runtime.program(device, kernel_source(), build_options(CFG)) is a
    assert runtime.program(device, kernel_source(), build_options(CONFIGS["tiny"])) is not a


def test_a_prebuilt_binary_of_the_fpga_form_runs(tmp_path):
    """What the FPGA scripts produce is loaded as a binary; here PoCL's own binary stands in."""
    cfg = CONFIGS["tiny"]
    built = runtime.program(runtime.pick_device(), kernel_source(), build_options(cfg, "fpga"))
    path = tmp_path / "vta_tiny.bin"
    path.write_bytes(built.binaries[0])
    dev = OpenCLCard(cfg, memory_bytes=1 << 16, form="fpga", binary=path)
    from opencl_harness import STREAM_AT, preamble

    insns = [
        *preamble(cfg),
        isa.StoreInsn(sram_base=0, dram_base=100, y_size=2, x_size=8, x_stride=8),
        isa.FinishInsn(),
    ]
    image = make_image(cfg, 5)
    assert card_run(dev, image, isa.encode_insns(insns, cfg)) is None
    sim = SimCard(cfg, memory_bytes=1 << 16)
    image[STREAM_AT : STREAM_AT + 16 * len(insns)] = np.frombuffer(
        isa.encode_insns(insns, cfg), np.uint8
    )
    assert card_run(sim, image, isa.encode_insns(insns, cfg)) is None
    whole = DevicePtr(0, 1 << 16)
    assert dev.dma_from_device(whole, 1 << 16) == sim.dma_from_device(whole, 1 << 16)
    with pytest.raises(DeviceError, match="pass form='fpga'"):
        OpenCLCard(cfg, binary=path)
