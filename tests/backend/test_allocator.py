"""The card memory allocator (`OffsetAllocator`): fits, coalescing, errors with sizes, and a
property test against a byte-map model of card memory."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canopy_ir.backend.pcie import DeviceMemoryError, DevicePtr, OffsetAllocator, SimCard
from canopy_ir.errors import DeviceError


def test_first_fit_takes_the_lowest_block_and_best_fit_the_smallest():
    for policy, expected in (("first", 0), ("best", 600)):
        a = OffsetAllocator(1000, policy)
        a.alloc(100, 1)  # [0, 100)
        a.alloc(100, 1)  # [100, 200)
        a.alloc(400, 1)  # [200, 600)
        a.alloc(50, 1)  # [600, 650)
        a.alloc(350, 1)  # [650, 1000)
        a.free(0, 100)
        a.free(600, 50)  # free blocks: [0, 100) and [600, 650)
        assert a.alloc(40, 1) == expected, policy


def test_freed_neighbours_coalesce_into_one_block():
    a = OffsetAllocator(4096)
    addrs = [a.alloc(1024, 1) for _ in range(4)]
    assert a.free_list == []
    a.free(addrs[1], 1024)
    a.free(addrs[3], 1024)
    assert a.free_list == [(1024, 2048), (3072, 4096)]
    a.free(addrs[2], 1024)  # joins both neighbours
    assert a.free_list == [(1024, 4096)]
    a.free(addrs[0], 1024)
    assert a.free_list == [(0, 4096)] and a.used_bytes == 0 and a.live == {}
    assert a.alloc(4096, 4096) == 0  # the whole card again


def test_alignment_padding_stays_free_and_any_alignment_is_kept():
    a = OffsetAllocator(1000)
    assert a.alloc(10, 1) == 0
    assert a.alloc(10, 48) == 48  # not a power of two
    assert a.free_list == [(10, 48), (58, 1000)]
    assert a.alloc(30, 1) == 10  # the padding is used


def test_out_of_memory_names_the_sizes():
    a = OffsetAllocator(10_000)
    blocks = [a.alloc(1000, 1) for _ in range(10)]
    for addr in blocks[::2]:
        a.free(addr, 1000)  # 5000 bytes free, in blocks of 1000
    with pytest.raises(DeviceMemoryError) as info:
        a.alloc(1500, 64)
    err = info.value
    assert (err.requested, err.largest_free, err.free, err.size) == (1500, 1000, 5000, 10_000)
    assert str(err) == (
        "card memory exhausted: cannot allocate 1500 bytes (aligned to 64); the largest free "
        "block is 1000 bytes, 5000 bytes free in 5 block(s), card memory 10000 bytes"
    )
    assert isinstance(err, DeviceError)


def test_bad_requests_and_frees_are_refused():
    a = OffsetAllocator(1000)
    addr = a.alloc(100, 8)
    with pytest.raises(DeviceError, match="cannot allocate 0 bytes aligned to 8"):
        a.alloc(0, 8)
    with pytest.raises(DeviceError, match="cannot allocate 10 bytes aligned to 0"):
        a.alloc(10, 0)
    with pytest.raises(DeviceError, match="free of 50 bytes at card address 0x0: no such alloc"):
        a.free(addr, 50)  # wrong size
    a.free(addr, 100)
    with pytest.raises(DeviceError, match="freed twice"):
        a.free(addr, 100)
    with pytest.raises(DeviceError, match="unknown allocation policy 'worst'"):
        OffsetAllocator(1000, "worst")


def test_a_card_refuses_pointers_from_before_its_restart():
    card = SimCard(memory_bytes=1 << 16, alloc_policy="best")
    ptr = card.alloc(1000)
    card.dma_to_device(ptr, b"\x01" * 1000)
    card.restart()
    assert card.allocator.live == {} and card.generation == 1
    assert card.dma_from_device(card.alloc(1000), 4) == b"\0" * 4  # memory lost
    with pytest.raises(DeviceError, match="allocated before the card was restarted"):
        card.free(ptr)
    with pytest.raises(DeviceError, match="outside the card's 65536 bytes of memory"):
        card.dma_to_device(DevicePtr(65_000, 1000, 1), b"x" * 1000)


def _runs(used: bytearray) -> list[tuple[int, int]]:
    """The maximal free runs [start, end) of a byte map (1: allocated)."""
    runs, start = [], None
    for i, u in enumerate([*used, 1]):
        if not u and start is None:
            start = i
        elif u and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _expected(runs, nbytes: int, align: int, policy: str) -> int | None:
    fits = []
    for start, end in runs:
        addr = -(-start // align) * align
        if addr + nbytes <= end:
            fits.append((end - start, addr))
    if not fits:
        return None
    return fits[0][1] if policy == "first" else min(fits)[1]


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("alloc"), st.integers(1, 600), st.sampled_from([1, 2, 8, 48, 64, 256])),
        st.tuples(st.just("free"), st.integers(0, 1 << 16), st.just(0)),
    ),
    max_size=60,
)


@settings(max_examples=max(300, settings.default.max_examples))
@given(st.integers(64, 2048), st.sampled_from(["first", "best"]), OPS)
def test_allocator_matches_a_byte_map(size, policy, ops):
    """No overlaps, alignment kept, the free list is exactly the maximal free runs (frees
    coalesce), the chosen block is the policy's, and OOM only when no free block fits."""
    a = OffsetAllocator(size, policy)
    used = bytearray(size)
    live: list[tuple[int, int]] = []
    for op, x, align in ops:
        if op == "alloc":
            want = _expected(_runs(used), x, align, policy)
            if want is None:
                with pytest.raises(DeviceMemoryError) as info:
                    a.alloc(x, align)
                runs = _runs(used)
                assert info.value.largest_free == max((e - s for s, e in runs), default=0)
                assert info.value.free == size - sum(used)
                continue
            addr = a.alloc(x, align)
            assert addr == want and addr % align == 0
            assert not any(used[addr : addr + x])  # no overlap with a live allocation
            used[addr : addr + x] = b"\1" * x
            live.append((addr, x))
        elif live:
            addr, n = live.pop(x % len(live))
            a.free(addr, n)
            used[addr : addr + n] = bytes(n)
        assert a.free_list == _runs(used)
        assert a.used_bytes == sum(used) and a.free_bytes == size - sum(used)
    for addr, n in live:
        a.free(addr, n)
    assert a.free_list == [(0, size)] and a.live == {}
