"""The fitted entry vectors and their dot products with query vectors, in numpy (scipy only for batches).

Every phrasing row's vector is its blocks stacked (see :mod:`assistant.features`) and
L2-normalised. The ``page`` block is the same for every row of a page, so it is kept once per
page: :class:`EntryVectors` holds the other blocks row by row (``rows``: CSC arrays, each row
already divided by its norm), the page block page by page (``pages``: CSC arrays), each row's
page and ``scale`` (1 / the row's norm). A row's score for a query vector ``q`` is

    rows[r] . q  +  scale[r] * (pages[page[r]] . q)

which equals the cosine with the full stacked row (``to_matrix()``) at a fraction of the memory:
a page's terms are stored once, not once per question of the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

__all__ = ["EntryVectors", "block_csc", "take_ragged", "top_columns", "csc_dot", "csc_values"]

#: Matrices up to this many cells are also kept dense (columns x rows), for fast column gathers.
DENSE_CELLS = 4_000_000


class EntryVectors:
    """Row vectors of the non-page blocks, page vectors, and how rows map to pages (see the module docstring).

    ``rows`` and ``pages`` are ``(indptr, indices, data)`` CSC arrays (int32 indices and indptr
    where they fit, float64 data) over the columns
    ``[0, page_offset)`` and ``[page_offset, n_columns)`` respectively (the page matrix's own
    column 0 is ``page_offset``); ``page`` (int, per row) and ``scale`` (float, per row).
    """

    def __init__(self, rows: tuple, pages: tuple, page: np.ndarray, scale: np.ndarray, page_offset: int):
        self.rows, self.pages = rows, pages
        self.page = np.asarray(page, dtype=np.intp)
        self.scale = np.asarray(scale, dtype=float)
        self.page_offset = int(page_offset)
        self.n_rows, self.n_pages = len(self.page), int(self.page.max()) + 1 if len(self.page) else 0
        self.dense_rows = _dense(rows, self.n_rows)
        self.dense_pages = _dense(pages, self.n_pages)

    @classmethod
    def build(cls, n_rows: int, blocks: list[tuple], page: np.ndarray, pages: tuple | None, page_offset: int,
              n_columns: int) -> "EntryVectors":
        """From each non-page block's CSC arrays (:func:`block_csc`; ``blocks`` in column order, their
        columns below ``page_offset``; the list is emptied as it is used, to free memory), the page
        block's (rows: pages; ``None`` when there is no page block) and each row's ``page``. Every row
        ends up with unit norm."""
        norm2 = _sums_of_squares(blocks, n_rows)
        page = np.asarray(page, dtype=np.int64)
        n_pages = int(page.max()) + 1 if len(page) else 0
        if pages is not None:
            norm2 = norm2 + np.bincount(pages[1], weights=pages[2] * pages[2], minlength=n_pages)[page]
        scale = 1.0 / np.where(norm2 > 0, np.sqrt(norm2), 1.0)
        rows = _stack(blocks, n_rows, page_offset, scale)
        pages = _stack([pages] if pages is not None else [], n_pages, n_columns - page_offset)
        return cls(rows, pages, page, scale, page_offset)

    def scores(self, cols: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """``matrix @ q`` for the query vector with non-zeros ``vals`` at ``cols`` (sorted or not); shape ``(n_rows,)``."""
        low = cols < self.page_offset
        c, v = cols[low], vals[low]
        if self.dense_rows is not None:
            out = v @ self.dense_rows[c]
        else:
            out = csc_dot(self.rows, c, v, self.n_rows)
        c, v = cols[~low] - self.page_offset, vals[~low]
        if len(c):
            page = v @ self.dense_pages[c] if self.dense_pages is not None else csc_dot(self.pages, c, v, self.n_pages)
            out = out + page[self.page] * self.scale
        return out

    def batch_scores(self, queries) -> np.ndarray:
        """``matrix @ Q.T`` for a scipy CSR matrix of query vectors; dense, shape ``(n_queries, n_rows)``."""
        import scipy.sparse as sp

        low, high = queries[:, :self.page_offset], queries[:, self.page_offset:]
        out = _product(low, self.rows, self.dense_rows, self.n_rows, sp)
        if high.nnz:
            out += _product(high, self.pages, self.dense_pages, self.n_pages, sp)[:, self.page] * self.scale
        return out

    def values(self, rows: list[int], cols: np.ndarray) -> np.ndarray:
        """``matrix[rows][:, cols]``: the entries' side of each column's share of a score; shape ``(len(rows), len(cols))``."""
        out = np.zeros((len(rows), len(cols)))
        low = cols < self.page_offset
        for k, row in enumerate(rows):
            if self.dense_rows is not None:
                out[k, low] = self.dense_rows[cols[low], row]
            else:
                out[k, low] = csc_values(self.rows, row, cols[low])
            high = cols[~low] - self.page_offset
            if len(high):
                p = self.page[row]
                page = self.dense_pages[high, p] if self.dense_pages is not None else csc_values(self.pages, p, high)
                out[k, ~low] = page * self.scale[row]
        return out

    def to_matrix(self):
        """The full stacked matrix (scipy CSR, shape ``(n_rows, n_columns)``, unit rows): for inspection."""
        import scipy.sparse as sp

        rows = sp.csc_matrix(self.rows[::-1], shape=(self.n_rows, len(self.rows[0]) - 1))
        pages = sp.csc_matrix(self.pages[::-1], shape=(self.n_pages, len(self.pages[0]) - 1)).tocsr()
        return sp.hstack([rows, sp.diags(self.scale) @ pages[self.page]]).tocsr()

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The arrays to save (see :mod:`assistant.retriever_state`)."""
        return {"csc_indptr": self.rows[0], "csc_indices": self.rows[1], "csc_data": self.rows[2],
                "page_indptr": self.pages[0], "page_indices": self.pages[1], "page_data": self.pages[2],
                "row_page": self.page.astype(np.int64), "row_scale": self.scale}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], n_rows: int, page_offset: int, n_columns: int) -> "EntryVectors":
        """The vectors :meth:`to_arrays` saved. Raises ``ValueError`` when the arrays are inconsistent."""
        page = np.asarray(arrays["row_page"], dtype=np.intp)
        scale = np.asarray(arrays["row_scale"], dtype=float)
        if len(page) != n_rows or len(scale) != n_rows or (n_rows and page.min() < 0):
            raise ValueError("row_page and row_scale do not match the rows")
        n_pages = int(page.max()) + 1 if n_rows else 0
        rows = _checked(arrays, "csc", page_offset, n_rows)
        pages = _checked(arrays, "page", n_columns - page_offset, n_pages)
        return cls(rows, pages, page, scale, page_offset)


def take_ragged(start: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray | slice]:
    """Items ``start[k]:start[k + 1]`` of each ``k`` of ``which``, in order: ``(lengths, positions)``
    (shape ``(len(which),)``, int64; positions: int64 array, or a ``slice`` when ``which`` is a run
    ``a, a + 1, ...``, so that indexing with it is a view)."""
    which = np.asarray(which, dtype=np.int64)
    lens = start[which + 1] - start[which]
    if len(which) and which[-1] - which[0] == len(which) - 1 and (np.diff(which) == 1).all():
        return lens, slice(int(start[which[0]]), int(start[which[-1] + 1]))
    total = int(lens.sum())
    if not total:
        return lens, np.zeros(0, np.int64)
    return lens, np.repeat(start[which] - np.cumsum(lens) + lens, lens) + np.arange(total)


def block_csc(pos: np.ndarray, start: np.ndarray, col: np.ndarray, val: np.ndarray, n_cols: int,
              weight: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSC arrays ``(indptr, indices, data)`` of a block whose row ``r`` holds the non-zeros
    ``col[start[k]:start[k + 1]]``, ``val[...]`` of text ``k = pos[r]`` (``col`` below ``n_cols``),
    L2-normalised and times ``sqrt(weight)``; rows sorted inside each column (:func:`csc_values`
    needs it). ``indptr`` is int64, ``indices`` int32 (int64 past 2**31 rows)."""
    lens, take = take_ragged(start, pos)
    c = col[take]
    order = _by_column(c, n_cols)
    indptr = np.zeros(n_cols + 1, dtype=np.int64)
    np.cumsum(np.bincount(c, minlength=n_cols), out=indptr[1:])
    del c
    indices = np.repeat(np.arange(len(pos), dtype=_index_dtype(len(pos))), lens)[order]
    data = val[take][order]
    del take, order
    norm = np.sqrt(np.bincount(indices, weights=data * data, minlength=len(pos)))  # a row's columns in order
    data /= np.where(norm > 0, norm, 1.0)[indices]
    data *= math.sqrt(weight)
    return indptr, indices, data


def _by_column(col: np.ndarray, n_cols: int) -> np.ndarray:
    """The stable sort order of ``col`` (values below ``n_cols`` <= 2**32), by 16-bit radix sorts."""
    if n_cols <= 1 << 16:
        return np.argsort(col.astype(np.uint16), kind="stable")
    order = np.argsort((col & 0xFFFF).astype(np.uint16), kind="stable")
    return order[np.argsort((col[order] >> 16).astype(np.uint16), kind="stable")]


def _index_dtype(n: int) -> type:
    return np.int32 if n < 2 ** 31 else np.int64


def _sums_of_squares(blocks: list[tuple], n_rows: int) -> np.ndarray:
    """Each row's sum of squares over the blocks' CSC arrays, added in place and in order: a row's
    values in column order, block after block."""
    norm2 = np.zeros(n_rows)
    for _, indices, data in blocks:
        np.add.at(norm2, indices, data * data)
    return norm2


def _stack(blocks: list[tuple], n_rows: int, n_cols: int, scale: np.ndarray | None = None) -> tuple:
    """The CSC arrays of the blocks side by side (``n_cols`` columns in all), each row times ``scale``;
    int32 indices and indptr where they fit. Empties ``blocks`` as it goes, to free memory."""
    ends = np.cumsum([0] + [len(b[1]) for b in blocks])
    dtype = _index_dtype(max(n_rows, int(ends[-1])))
    indptr = np.full(n_cols + 1, ends[-1], dtype=dtype)
    indices, data = np.empty(int(ends[-1]), dtype=dtype), np.empty(int(ends[-1]))
    col = 0
    for k, end in enumerate(ends[:-1].tolist()):
        ptr, idx, val = blocks[k]
        blocks[k] = None
        indptr[col:col + len(ptr)] = ptr + end
        col += len(ptr) - 1
        indices[end:end + len(idx)] = idx
        if scale is None:
            data[end:end + len(val)] = val
        else:
            np.multiply(val, scale[idx], out=data[end:end + len(val)])
        del ptr, idx, val
    blocks.clear()
    return indptr, indices, data


def _checked(arrays: Mapping[str, np.ndarray], name: str, n_cols: int, n_rows: int) -> tuple:
    indptr, indices = np.asarray(arrays[f"{name}_indptr"]), np.asarray(arrays[f"{name}_indices"])
    data = np.asarray(arrays[f"{name}_data"], dtype=float)
    if (indptr.dtype.kind != "i" or indices.dtype.kind != "i"  # int32 or int64, as saved
            or len(indptr) != n_cols + 1 or indptr[0] != 0 or indptr[-1] != len(indices) or len(indices) != len(data)
            or (len(indices) and (indices.min() < 0 or indices.max() >= n_rows))
            or (len(indptr) > 1 and (np.diff(indptr) < 0).any())):
        raise ValueError(f"the {name} matrix arrays are inconsistent")
    return indptr, indices, data


def _dense(csc: tuple, n_rows: int) -> np.ndarray | None:
    indptr, indices, data = csc
    n_cols = len(indptr) - 1
    if n_rows * n_cols > DENSE_CELLS:
        return None
    dense = np.zeros((n_cols, n_rows))  # a column's values are contiguous: a query gathers whole columns
    dense[np.repeat(np.arange(n_cols), np.diff(indptr)), indices] = data
    return dense


def _product(queries, csc: tuple, dense: np.ndarray | None, n_rows: int, sp) -> np.ndarray:
    if dense is not None:
        return np.asarray(queries @ dense)
    matrix = sp.csc_matrix(csc[::-1], shape=(n_rows, len(csc[0]) - 1))
    return (queries @ matrix.T).toarray()


def csc_dot(csc: tuple[np.ndarray, np.ndarray, np.ndarray], cols: np.ndarray, vals: np.ndarray,
            n_rows: int) -> np.ndarray:
    """``matrix[:, cols] @ vals`` for a CSC matrix given as ``(indptr, indices, data)``; shape ``(n_rows,)``."""
    indptr, indices, data = csc
    starts, ends = indptr[cols].tolist(), indptr[cols + 1].tolist()
    spans = [(a, b) for a, b in zip(starts, ends) if b > a]
    if not spans:
        return np.zeros(n_rows)
    lens = np.subtract(ends, starts)
    if len(spans) == 1:
        (a, b), = spans
        return np.bincount(indices[a:b], weights=vals[lens > 0][0] * data[a:b], minlength=n_rows)
    rows = np.concatenate([indices[a:b] for a, b in spans])  # the columns' slices, in order: no index arithmetic
    weights = np.concatenate([data[a:b] for a, b in spans])
    weights *= np.repeat(vals, lens)
    return np.bincount(rows, weights=weights, minlength=n_rows)


def csc_values(csc: tuple[np.ndarray, np.ndarray, np.ndarray], row: int, cols: np.ndarray) -> np.ndarray:
    """``matrix[row, cols]`` for a CSC matrix given as ``(indptr, indices, data)``: a binary search per column."""
    indptr, indices, data = csc
    out = np.zeros(len(cols))
    for k, col in enumerate(np.asarray(cols, dtype=np.intp).tolist()):
        lo, hi = indptr[col], indptr[col + 1]
        j = lo + int(np.searchsorted(indices[lo:hi], row))
        if j < hi and indices[j] == row:
            out[k] = data[j]
    return out


def top_columns(scores: np.ndarray, k: int) -> np.ndarray:
    """Column positions of the ``k`` largest values of each row of ``scores`` (shape ``(n, m)``), best
    first, ties in column order (what a stable sort of ``-scores`` gives); shape ``(n, min(k, m))``.

    Only the values that reach each row's ``k``-th largest are sorted, so a row of 100,000 entry
    scores costs a partition, not a sort.
    """
    n, m = scores.shape
    k = min(k, m)
    if m <= 4 * k or m <= 64:
        return np.argsort(-scores, axis=1, kind="stable")[:, :k]
    kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1]
    r, c = np.nonzero(scores >= kth[:, None])
    order = np.lexsort((c, -scores[r, c], r))
    r, c = r[order], c[order]
    rank = np.arange(len(r)) - np.searchsorted(r, np.arange(n))[r]
    keep = rank < k
    out = np.empty((n, k), dtype=np.int64)
    out[r[keep], rank[keep]] = c[keep]
    return out
