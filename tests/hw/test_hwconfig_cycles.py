"""HW config presets and VTA config files, the cycle model, and canopy-disasm."""

import json
from importlib import resources

import numpy as np
import onnx
import pytest
from small_cnn import build_small_cnn, sample_input
from stages import graph_output, integer_graph

import canopy_ir
from canopy_ir.errors import HardwareConfigError
from canopy_ir.hw import isa
from canopy_ir.hw.config import PRESETS, HwConfig
from canopy_ir.hw.cycles import cycle_model, instruction_cost
from canopy_ir.hw.isa import MemId
from canopy_ir.tools.compile import main as compile_main
from canopy_ir.tools.disasm import main as disasm_main


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_compile_and_run_the_example_bit_exactly(name, tmp_path):
    cfg = HwConfig.preset(name)
    cfg.validate()
    onnx.save(build_small_cnn(), tmp_path / "m.onnx")
    assert (
        compile_main(
            [str(tmp_path / "m.onnx"), "-o", str(tmp_path / "m.canopy"), "--config", name, "-q"]
        )
        == 0
    )
    x = sample_input()
    (y,) = canopy_ir.InferenceSession(str(tmp_path / "m.canopy")).run(None, {"input": x})
    np.testing.assert_array_equal(y, graph_output(integer_graph(build_small_cnn()), x))


def test_presets_are_json_files_citing_their_sources():
    folder = resources.files("canopy_ir.hw") / "presets"
    names = sorted(f.name.removesuffix(".json") for f in folder.iterdir())
    assert names == sorted(PRESETS) == ["arria10", "stratix10-vu9p", "vta-default"]
    for name in names:
        raw = json.loads((folder / f"{name}.json").read_text())
        assert raw["_source"], f"{name}.json does not say where its figures come from"
        assert HwConfig.from_dict(raw) == HwConfig.preset(name)
    # the figures canopy-ir has always used
    assert HwConfig.preset("vta-default") == HwConfig()
    assert HwConfig.preset("arria10") == HwConfig(
        TARGET="intelfocl", HW_VER="0.0.1", LOG_BUS_WIDTH=9, CLOCK_MHZ=200
    )
    assert HwConfig.preset("stratix10-vu9p") == HwConfig(
        TARGET="xilinxvitis", LOG_BLOCK_IN=5, LOG_BLOCK_OUT=5, LOG_BUS_WIDTH=9, CLOCK_MHZ=250
    )
    assert HwConfig.from_spec("arria10") is HwConfig.preset("arria10")  # read once


def test_vta_config_json_round_trip_and_vta_keys(tmp_path):
    path = tmp_path / "vta_config.json"
    HwConfig.preset("stratix10-vu9p").save(path)
    assert HwConfig.load(path) == HwConfig.preset("stratix10-vu9p")
    # VTA's own files use LOG_BLOCK for square blocks and may carry keys we do not use
    path.write_text(
        json.dumps({"TARGET": "pynq", "LOG_BLOCK": 5, "LOG_ACC_BUFF_SIZE": 17, "HW_FREQ": 100})
    )
    cfg = HwConfig.load(path)
    assert (cfg.block_in, cfg.block_out, cfg.TARGET) == (32, 32, "pynq")
    with pytest.raises(HardwareConfigError, match="unknown preset 'nope'"):
        HwConfig.preset("nope")
    with pytest.raises(HardwareConfigError, match="missing.json: cannot read"):
        HwConfig.from_spec(str(tmp_path / "missing.json"))
    path.write_text("{not json")
    with pytest.raises(HardwareConfigError, match="not valid JSON"):
        HwConfig.load(path)


def test_costs_follow_the_documented_model():
    cfg = HwConfig()  # 64-bit bus: 8 bytes per cycle; latency 64
    load = isa.LoadInsn(memory_type=MemId.WGT, y_size=1, x_size=4, x_stride=4)
    assert instruction_cost(load, cfg).cycles == 64 + 4 * 256 // 8
    gemm = isa.GemmInsn(uop_bgn=0, uop_end=9, iter_out=12, iter_in=12)
    cost = instruction_cost(gemm, cfg)
    assert cost.cycles == 9 * 144 + 4 and cost.macs == 9 * 144 * 256
    alu = isa.AluInsn(uop_end=1, iter_out=2, iter_in=3)
    assert instruction_cost(alu, cfg).cycles == 2 * 6 + 1  # two operands: two cycles each


def test_tokens_serialise_and_independent_modules_overlap():
    cfg = HwConfig()
    load = isa.LoadInsn(memory_type=MemId.INP, y_size=1, x_size=64, x_stride=64, push_next=1)
    gemm = isa.GemmInsn(uop_end=1, iter_out=10, iter_in=10, pop_prev=1)
    dependent = cycle_model([load, gemm, isa.FinishInsn()], cfg)
    assert dependent.total_cycles >= instruction_cost(load, cfg).cycles + 100
    load.push_next, gemm.pop_prev = 0, 0
    independent = cycle_model([load, gemm, isa.FinishInsn()], cfg)
    assert independent.total_cycles == max(
        instruction_cost(load, cfg).cycles, instruction_cost(gemm, cfg).cycles + 1
    )


def test_compute_bound_gemm_is_nearly_fully_utilised():
    cfg = HwConfig()
    gemm = isa.GemmInsn(uop_end=64, iter_out=100, iter_in=100)
    report = cycle_model([gemm, isa.FinishInsn()], cfg)
    assert report.utilization > 0.99


def test_disasm_cli(tmp_path, capsys):
    onnx.save(build_small_cnn(), tmp_path / "m.onnx")
    compile_main([str(tmp_path / "m.onnx"), "-o", str(tmp_path / "m.canopy"), "-q"])
    assert disasm_main([str(tmp_path / "m.canopy")]) == 0
    out = capsys.readouterr().out
    assert "; ---- conv1" in out and "GEMM" in out and "FINISH" in out
    assert disasm_main([str(tmp_path / "m.canopy"), "--mlir"]) == 0
    from canopy_ir.ir import parse_module

    parse_module(capsys.readouterr().out).verify()
    import zipfile

    with zipfile.ZipFile(tmp_path / "m.canopy") as z:
        (tmp_path / "insns.bin").write_bytes(z.read("insns.bin"))
    assert disasm_main([str(tmp_path / "insns.bin")]) == 0
    (tmp_path / "bad.bin").write_bytes(b"\x07" + bytes(15))
    assert disasm_main([str(tmp_path / "bad.bin")]) == 2
    assert "unknown opcode 7" in capsys.readouterr().err


def test_padding_only_load_costs_its_written_elements_without_dram_latency():
    from canopy_ir.hw.cycles import instruction_cost

    cfg = HwConfig()
    pad_rows = isa.LoadInsn(memory_type=isa.MemId.INP, y_size=0, x_size=12, y_pad_0=2, x_pad_0=1)
    assert instruction_cost(pad_rows, cfg).cycles == 2 * 13
    assert instruction_cost(pad_rows, cfg).dram_bytes == 0
    assert instruction_cost(isa.LoadInsn(memory_type=isa.MemId.INP), cfg).cycles == 1
    assert instruction_cost(isa.StoreInsn(memory_type=isa.MemId.OUT), cfg).cycles == 1


def test_layer_bound_names_the_busiest_unit():
    from canopy_ir.hw.cycles import LayerCycles

    assert LayerCycles("a", dma_cycles=10, gemm_cycles=30, alu_cycles=5).bound == "compute"
    assert LayerCycles("b", dma_cycles=40, gemm_cycles=30, alu_cycles=5).bound == "memory"
    assert LayerCycles("c", dma_cycles=1, gemm_cycles=2, alu_cycles=9).bound == "ALU"
    assert LayerCycles("d").bound == ""


def test_reads_of_the_load_and_compute_modules_share_the_read_channel():
    # VTA's memory engine serves every DRAM read (input and weight loads of the load module,
    # micro-op and accumulator loads of the compute module) over one AXI read channel: two
    # reads that overlap move their beats in turns, so together they take their beats' sum
    from canopy_ir.hw.cycles import cycle_model

    cfg = HwConfig()  # 8 bytes per beat, latency 64
    inp = isa.LoadInsn(memory_type=MemId.INP, y_size=1, x_size=100, x_stride=100)  # 200 beats
    acc = isa.LoadInsn(memory_type=MemId.ACC, y_size=1, x_size=10, x_stride=10)  # 80 beats
    report = cycle_model([inp, acc, isa.FinishInsn()], cfg)
    assert report.start[:2] == [0, 0]  # different modules, no tokens: both start at once
    # both move data from cycle 64; the shorter one gets every other beat until it is done
    assert report.end[1] == 64 + 2 * 80
    assert report.end[0] == 64 + 200 + 80
    alone = cycle_model([inp, isa.FinishInsn()], cfg)
    assert alone.end[0] == 64 + 200 == instruction_cost(inp, cfg).cycles


def test_a_store_does_not_share_the_read_channel():
    # stores go out over the AXI write channel, independent of the read channel
    from canopy_ir.hw.cycles import cycle_model

    cfg = HwConfig()
    inp = isa.LoadInsn(memory_type=MemId.INP, y_size=1, x_size=100, x_stride=100)
    out = isa.StoreInsn(memory_type=MemId.OUT, y_size=1, x_size=100, x_stride=100)
    report = cycle_model([inp, out, isa.FinishInsn()], cfg)
    assert report.end[:2] == [instruction_cost(inp, cfg).cycles, instruction_cost(out, cfg).cycles]


def test_a_later_read_shares_the_rest_of_an_earlier_one():
    from canopy_ir.hw.cycles import cycle_model

    cfg = HwConfig()
    # the compute module's read starts 100 cycles after the load module's, and its data 64
    # cycles later still: the first has 100 of its 200 beats left then, and the 16 beats of the
    # second go in turns with them
    gemm = isa.GemmInsn(uop_end=1, iter_out=1, iter_in=96)  # 100 cycles on compute
    inp = isa.LoadInsn(memory_type=MemId.INP, y_size=1, x_size=100, x_stride=100)
    uop = isa.LoadInsn(memory_type=MemId.UOP, y_size=1, x_size=32, x_stride=32)  # 16 beats
    report = cycle_model([inp, gemm, uop, isa.FinishInsn()], cfg)
    assert report.start[2] == 100
    assert report.end[2] == 164 + 2 * 16
    assert report.end[0] == 64 + 200 + 16


def test_a_push_waits_for_room_in_a_full_token_queue():
    # an instruction pops, runs, then pushes; a push to a full queue holds up its module (VTA's
    # modules write their dependency tokens into FIFOs when an instruction is done)
    from canopy_ir.hw.cycles import cycle_model

    cfg = HwConfig()
    loads = [
        isa.LoadInsn(memory_type=MemId.INP, y_size=1, x_size=4, x_stride=4, push_next=1)
        for _ in range(3)
    ]
    loads.append(isa.LoadInsn(memory_type=MemId.INP, y_size=1, x_size=4, x_stride=4))
    gemms = [isa.GemmInsn(uop_end=1, iter_out=10, iter_in=100, pop_prev=1) for _ in range(3)]
    stream = [*loads, *gemms, isa.FinishInsn()]
    c = instruction_cost(loads[0], cfg).cycles
    unbounded = cycle_model(stream, cfg)
    assert unbounded.start[:4] == [0, c, 2 * c, 3 * c]
    # with room for one token: the second load runs at once, but pushes only once the first
    # GEMM has taken the first token; the third load's push waits for the second GEMM to start,
    # and the fourth load for that push
    bounded = cycle_model(stream, cfg, queue_depth=1)
    assert bounded.start[:3] == [0, c, 2 * c]
    assert bounded.start[4] == c and bounded.start[5] == bounded.end[4]
    assert bounded.start[3] == bounded.start[5] > 3 * c
