"""The fitted entry vectors (assistant.vectors): block CSC arrays, unit rows, compact index arrays, checked on load."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.vectors import EntryVectors, block_csc, csc_values, take_ragged


def _dense(csc, n_rows):
    indptr, indices, data = csc
    out = np.zeros((n_rows, len(indptr) - 1))
    for col in range(len(indptr) - 1):
        out[indices[indptr[col]:indptr[col + 1]], col] = data[indptr[col]:indptr[col + 1]]
    return out


def test_take_ragged_gathers_each_items_run_in_order():
    start = np.array([0, 2, 2, 5, 6])
    items = np.arange(10) * 10
    lens, take = take_ragged(start, np.array([3, 0, 2, 0, 1]))
    assert lens.tolist() == [1, 2, 3, 2, 0] and items[take].tolist() == [50, 0, 10, 20, 30, 40, 0, 10]
    lens, take = take_ragged(start, np.array([1, 2, 3]))  # a run: a slice, indexing gives a view
    assert isinstance(take, slice) and lens.tolist() == [0, 3, 1] and items[take].tolist() == [20, 30, 40, 50]
    assert items[take_ragged(start, np.array([1]))[1]].tolist() == []
    assert items[take_ragged(start, np.array([], dtype=int))[1]].tolist() == []


def test_block_csc_repeats_each_rows_text_normalises_and_weights_it():
    # Texts: 0 -> {col 3: 3.0, col 0: 4.0}, 1 -> {col 70000: 1.0}, 2 -> nothing; rows use texts 1, 0, 0, 2.
    start, col, val = np.array([0, 2, 3, 3]), np.array([3, 0, 70000], dtype=np.int32), np.array([3.0, 4.0, 1.0])
    csc = block_csc(np.array([1, 0, 0, 2]), start, col, val, 70001, 0.25)
    dense = _dense(csc, 4)
    assert dense[1, [0, 3]].tolist() == [0.5 * 0.8, 0.5 * 0.6] and dense[2].tolist() == dense[1].tolist()
    assert dense[0, 70000] == 0.5 and not dense[3].any()
    indptr, indices, _ = csc
    assert indices.dtype == np.int32 and indptr[-1] == 5
    for c in (0, 3):
        assert indices[indptr[c]:indptr[c + 1]].tolist() == [1, 2]  # rows sorted inside a column


@pytest.mark.parametrize("n_cols", [50, 70_000])
def test_block_csc_sorts_rows_inside_columns_for_any_number_of_columns(n_cols):
    rng = np.random.default_rng(3)
    lens = rng.integers(0, 6, 300)
    start = np.r_[0, np.cumsum(lens)]
    col = np.concatenate([rng.choice(n_cols, k, replace=False) for k in lens]).astype(np.int32)
    val = rng.random(len(col)) + 0.1
    pos = rng.integers(0, 300, 500)
    indptr, indices, data = block_csc(pos, start, col, val, n_cols, 1.0)
    for c in np.flatnonzero(np.diff(indptr))[:200]:
        rows = indices[indptr[c]:indptr[c + 1]]
        assert (np.diff(rows) > 0).all()
        for r in rows[:3]:
            k = pos[r]
            items = dict(zip(col[start[k]:start[k + 1]].tolist(), val[start[k]:start[k + 1]].tolist()))
            norm = np.sqrt(sum(v * v for v in items.values()))
            assert csc_values((indptr, indices, data), int(r), np.array([c]))[0] == pytest.approx(items[c] / norm)


def test_build_gives_unit_rows_with_the_page_block_and_compact_index_arrays():
    start, col, val = np.array([0, 2, 3]), np.array([0, 1, 1], dtype=np.int32), np.array([1.0, 2.0, 5.0])
    blocks = [block_csc(np.array([0, 1, 1]), start, col, val, 2, 0.4),
              block_csc(np.array([1, 0, 0]), start, col, val, 2, 0.3)]
    pages = block_csc(np.array([0, 1]), start, col, val, 2, 0.3)
    vectors = EntryVectors.build(3, blocks, np.array([0, 0, 1]), pages, 4, 6)
    assert blocks == []  # consumed
    full = vectors.to_matrix().toarray()
    assert full.shape == (3, 6) and np.allclose((full * full).sum(axis=1), 1.0)
    arrays = vectors.to_arrays()
    index_arrays = ("csc_indptr", "csc_indices", "page_indptr", "page_indices")
    assert {arrays[k].dtype for k in index_arrays} == {np.dtype(np.int32)}
    again = EntryVectors.from_arrays(arrays, 3, 4, 6)
    assert np.array_equal(again.to_matrix().toarray(), full)
    q = np.array([0, 3, 5]), np.array([1.0, 0.5, 2.0])
    assert np.allclose(vectors.scores(*q), full[:, q[0]] @ q[1])


def test_build_without_a_page_block_or_rows():
    vectors = EntryVectors.build(2, [], np.zeros(2, np.int64), None, 3, 3)
    assert not vectors.to_matrix().toarray().any() and vectors.scale.tolist() == [1.0, 1.0]


def test_index_arrays_that_are_not_integers_are_refused():
    start, col, val = np.array([0, 1]), np.array([0], dtype=np.int32), np.array([1.0])
    block = block_csc(np.array([0]), start, col, val, 1, 1.0)
    vectors = EntryVectors.build(1, [block], np.zeros(1, np.int64), None, 1, 1)
    arrays = vectors.to_arrays()
    assert EntryVectors.from_arrays(arrays, 1, 1, 1).n_rows == 1
    for name in ("csc_indices", "csc_indptr"):
        with pytest.raises(ValueError, match="inconsistent"):
            EntryVectors.from_arrays({**arrays, name: arrays[name].astype(float)}, 1, 1, 1)
