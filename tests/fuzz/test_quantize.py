"""Fuzzing course_lib.quantize: brute-force nearest codes, k-means and RVQ invariants, the torch
modules with every input a learner might hand them, and refusals by name."""

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_lib import quantize
from tests.fuzz.common import CORRUPTIONS, assert_refused, bad_integers, bad_reals, corrupt

torch.set_num_threads(1)
coordinates = st.floats(-100, 100, width=32)


def vector_sets(max_vectors=12, max_dim=4, dim=None):
    shape = st.tuples(st.integers(1, max_vectors),
                      st.just(dim) if dim else st.integers(1, max_dim))
    return arrays(np.float64, shape, elements=coordinates)


@given(vector_sets(), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_nearest_code_is_the_brute_force_argmin(vectors, codebook_size, seed):
    codebook = np.random.default_rng(seed).normal(scale=50, size=(codebook_size,
                                                                  vectors.shape[1]))
    distances = ((vectors[:, None, :] - codebook[None]) ** 2).sum(axis=2)
    chosen = quantize.nearest_code(vectors, codebook)
    np.testing.assert_allclose(distances[np.arange(len(vectors)), chosen],
                               distances.min(axis=1), rtol=1e-9, atol=1e-6)


@given(vector_sets(), st.data())
def test_kmeans_never_ends_worse_than_it_starts(vectors, data):
    n_clusters = data.draw(st.integers(1, len(vectors)))
    init = quantize.kmeans_plus_plus(vectors, n_clusters, seed=1)
    centroids, labels = quantize.kmeans(vectors, np.int64(n_clusters), init=init)
    assert centroids.shape == (n_clusters, vectors.shape[1]) and np.isfinite(centroids).all()
    inertia = ((vectors - centroids[labels]) ** 2).sum()
    start = ((vectors - init[quantize.nearest_code(vectors, init)]) ** 2).sum()
    assert inertia <= start * (1 + 1e-9) + 1e-9


@given(vector_sets(), st.integers(1, 3), st.integers(1, 4))
def test_rvq_decode_of_encode_never_gets_worse_with_more_levels(vectors, n_levels, size):
    size = min(size, len(vectors))
    codebooks = quantize.train_rvq(vectors, n_levels, size, n_iter=5)
    codes = quantize.rvq_encode(vectors, codebooks)
    assert codes.shape == (len(vectors), n_levels)
    assert ((codes >= 0) & (codes < size)).all()
    errors = [((vectors - quantize.rvq_decode(codes[:, :n], codebooks)) ** 2).sum()
              for n in range(1, n_levels + 1)]
    assert all(b <= a * (1 + 1e-9) + 1e-6 for a, b in zip(errors, errors[1:]))


@given(st.lists(st.integers(0, 7), max_size=40))
def test_usage_perplexity_and_deduplication(indices):
    counts = quantize.codebook_usage(indices, 8)
    assert counts.tolist() == [indices.count(i) for i in range(8)]
    kept = quantize.deduplicate(indices)
    assert len(kept) <= len(indices) and all(a != b for a, b in zip(kept, kept[1:]))
    if indices:
        assert 1 - 1e-9 <= quantize.perplexity(indices, 8) <= len(set(indices)) + 1e-9


@given(vector_sets(max_vectors=6, dim=3),
       st.sampled_from(["float32", "float64", "numpy", "list"]))
def test_vector_quantizer_takes_any_natural_input(vectors, kind):
    quantizer = quantize.VectorQuantizer(5, 3, seed=2)
    reference = quantizer(torch.tensor(vectors, dtype=torch.float32))
    given_vectors = {"float32": torch.tensor(vectors, dtype=torch.float32),
                     "float64": torch.tensor(vectors), "numpy": vectors.astype(np.float32),
                     "list": vectors.astype(np.float32).tolist()}[kind]
    quantized, indices, loss = quantizer(given_vectors)
    torch.testing.assert_close(indices, reference[1])
    torch.testing.assert_close(quantized, reference[0])
    assert torch.isfinite(loss)


@given(vector_sets(max_vectors=6, dim=2), st.integers(1, 3))
def test_residual_quantizer_decode_matches_its_codes(vectors, n_levels):
    rvq = quantize.ResidualVectorQuantizer(3, 4, 2, seed=0).eval()
    quantized, codes, loss = rvq(vectors, n_levels=n_levels)
    assert codes.shape == (len(vectors), n_levels) and torch.isfinite(loss)
    torch.testing.assert_close(rvq.decode(codes.numpy()), quantized)


@given(st.sampled_from(CORRUPTIONS))
def test_corrupted_vectors_are_refused_by_name(how):
    vectors = corrupt(np.ones((4, 2)), how)
    codebooks = [np.ones((2, 2))]
    assert_refused(lambda: quantize.nearest_code(vectors, codebooks[0]), "vectors")
    assert_refused(lambda: quantize.kmeans(vectors, 1), "vectors")
    assert_refused(lambda: quantize.rvq_encode(vectors, codebooks), "vectors")
    assert_refused(lambda: quantize.product_quantize(vectors, codebooks), "vectors")
    assert_refused(lambda: quantize.train_rvq(vectors, 1, 1), "vectors")
    if how in ("more dims", "fewer dims"):
        return  # the torch modules take (..., dim): any number of leading axes is fine
    if how not in ("strings", "text", "ragged", "none"):  # torch cannot hold these anyway
        as_tensor = torch.as_tensor(np.asarray(vectors))
        assert_refused(lambda: quantize.VectorQuantizer(2, 2)(as_tensor), "vectors")
        assert_refused(lambda: quantize.ResidualVectorQuantizer(2, 2, 2)(as_tensor), "vectors")
    assert_refused(lambda: quantize.VectorQuantizer(2, 2)(vectors), "vectors")


@given(st.sampled_from(CORRUPTIONS))
def test_corrupted_codebooks_are_refused_by_name(how):
    codebook = corrupt(np.ones((2, 2)), how)
    assert_refused(lambda: quantize.nearest_code(np.ones((3, 2)), codebook), "codebook")
    assert_refused(lambda: quantize.rvq_encode(np.ones((3, 2)), [codebook]), "codebooks[0]")


@given(st.one_of(st.integers(-10**6, -1), st.integers(4, 10**6)))
def test_codes_outside_the_codebook_are_refused(code):
    codebooks = [np.ones((4, 2)), np.ones((4, 2))]
    assert_refused(lambda: quantize.rvq_decode(np.array([[0, code]]), codebooks), "codes")
    rvq = quantize.ResidualVectorQuantizer(2, 4, 2)
    assert_refused(lambda: rvq.decode(torch.tensor([[code, 0]])), "codes")


@given(bad_reals(above=0))
def test_bad_temperatures_are_refused_by_name(tau):
    gumbel = quantize.GumbelProductQuantizer(4, 2, 3, 4)
    assert_refused(lambda: gumbel(torch.ones(2, 4), tau=tau), "tau")


@given(st.data())
def test_bad_sizes_are_refused_by_name(data):
    call, name, minimum = data.draw(st.sampled_from([
        (lambda bad: quantize.kmeans(np.ones((4, 2)), bad), "n_clusters", 1),
        (lambda bad: quantize.train_rvq(np.ones((4, 2)), bad, 2), "n_levels", 1),
        (lambda bad: quantize.bitrate(75, bad, 1024), "n_levels", 1),
        (lambda bad: quantize.bitrate(75, 8, bad), "codebook_size", 2),
        (lambda bad: quantize.VectorQuantizer(bad, 2), "codebook_size", 1),
        (lambda bad: quantize.ResidualVectorQuantizer(bad, 4, 2), "n_levels", 1),
        (lambda bad: quantize.n_combinations(bad, 320), "n_groups", 1),
        (lambda bad: quantize.codebook_usage([0], bad), "codebook_size", 1),
    ]))
    assert_refused(lambda: call(data.draw(bad_integers(minimum))), name)


def test_minimum_sizes():
    assert quantize.nearest_code([[0.0]], [[1.0]]).tolist() == [0]
    centroids, labels = quantize.kmeans([[2.0]], 1)
    assert centroids.tolist() == [[2.0]] and labels.tolist() == [0]
    assert quantize.deduplicate([]).tolist() == []
    quantized, indices, loss = quantize.VectorQuantizer(1, 1)([[0.5]])
    assert indices.tolist() == [0] and torch.isfinite(loss)
