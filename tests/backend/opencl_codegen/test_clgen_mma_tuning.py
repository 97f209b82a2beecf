"""The tensor-core dense kernel's fragment bookkeeping (its PTX instruction emulated through local
memory, so it runs on any device) and the GEMM tile search with its cache."""

import json

import numpy as np
import pytest
from clgen_support import apply, int8, int32

from canopy_ir.backend.opencl.codegen import GemmTiles, tuning
from canopy_ir.backend.opencl.codegen.mma import MmaTiles, dense_mma
from canopy_ir.errors import CanopyError
from canopy_ir.kernels import dense as dense_ref
from canopy_ir.quant import Requant


@pytest.mark.parametrize(
    "m, n, k, tiles, requant",
    [
        (32, 16, 64, MmaTiles(2, 1, 1, 2, 32), None),  # whole tiles, two k-tiles
        (45, 37, 80, MmaTiles(1, 2, 2, 1, 64), Requant(13, 2, -128, 127, 1, (5000,))),
        (20, 70, 48, MmaTiles(1, 2, 1, 3, 32), Requant(9, 0, 0, 127, 0, tuple(range(1, 71)))),
    ],
)
def test_emulated_tensor_core_dense_equals_reference(rt, m, n, k, tiles, requant):
    rng = np.random.default_rng(m)
    x, w, b = int8(rng, (m, k)), int8(rng, (n, k)), int32(rng, (n,))
    y = rt.run(dense_mma(m, n, k, True, requant, tiles, emulate=True), x, w, b)
    np.testing.assert_array_equal(y, apply(requant, dense_ref(x, w, b)))


def test_tensor_core_source_and_limits():
    source = dense_mma(256, 256, 256).source
    assert "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32" in source
    assert "mma_part" not in source and "< 256" not in source  # whole tiles: no guards
    with pytest.raises(CanopyError, match="multiples of 16 and 32"):
        dense_mma(16, 16, 20)


SMALL = (GemmTiles(16, 16, 16, 4, 4), GemmTiles(32, 32, 32, 4, 4))


def test_search_times_checks_and_ranks_candidates(rt):
    m, n, k = 48, 40, 64
    rng = np.random.default_rng(0)
    x, w, b = int8(rng, (m, k)), int8(rng, (n, k)), int32(rng, (n,), 20)
    want = dense_ref(x, w, b)
    too_big = GemmTiles(128, 128, 16, 4, 4)  # 1024 work-items
    trials = tuning.search_dense(
        rt, (x, w, b), m, n, k, lambda y: np.array_equal(y, want), True, None,
        (*SMALL, too_big), dots=("mad",), repeats=2, mma_candidates=(),
    )  # fmt: skip
    assert [t.exact for t in trials[:2]] == [True, True]
    assert trials[0].seconds <= trials[1].seconds
    if rt.device.max_work_group_size < 1024:
        assert "work-items" in trials[-1].error and trials[-1].seconds is None
    wrong = tuning.search_dense(rt, (x, w, b), m, n, k, lambda y: False, True, None, SMALL[:1],
                                dots=("mad",), repeats=1, mma_candidates=())  # fmt: skip
    assert wrong[0].exact is False


def test_best_tiles_are_searched_once_and_cached(rt, tmp_path, monkeypatch):
    cache = tmp_path / "tiles.json"
    rq = Requant(10, 0, -128, 127, 0, tuple(range(100, 124)))
    best = tuning.best_dense_tiles(rt, 24, 24, 32, True, rq, cache, candidates=SMALL,
                                   mma_candidates=())  # fmt: skip
    assert best[0] in SMALL and best[1] in (rt.dot, "ptx")  # ptx: tried on NVIDIA only
    stored = json.loads(cache.read_text())
    assert list(stored) == [tuning.cache_key(rt, 24, 24, 32, True, rq)]

    def no_search(*args, **kwargs):
        raise AssertionError("searched again")

    monkeypatch.setattr(tuning, "search_dense", no_search)
    assert tuning.best_dense_tiles(rt, 24, 24, 32, True, rq, cache) == best  # from memory
    tuning._BEST.clear()
    assert tuning.best_dense_tiles(rt, 24, 24, 32, True, rq, cache) == best  # from the file
