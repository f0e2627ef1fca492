import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import chi2
from sklearn.cluster import KMeans

from course_lib.quantize import (
    GumbelProductQuantizer,
    ResidualVectorQuantizer,
    VectorQuantizer,
    bitrate,
    codebook_usage,
    deduplicate,
    ema_step,
    kmeans,
    kmeans_plus_plus,
    n_combinations,
    nearest_code,
    perplexity,
    product_quantize,
    replace_dead_codes,
    rvq_decode,
    rvq_encode,
    straight_through,
    train_rvq,
)

finite = st.floats(-10, 10, allow_nan=False, width=32)


def vectors_and_codebook(dim_max=4, n_max=12, k_max=6):
    return st.tuples(st.integers(1, dim_max), st.integers(1, n_max), st.integers(1, k_max)).flatmap(
        lambda s: st.tuples(arrays(np.float64, (s[1], s[0]), elements=finite),
                            arrays(np.float64, (s[2], s[0]), elements=finite)))


# --- nearest code and k-means ----------------------------------------------------------------

@given(vectors_and_codebook())
def test_nearest_code_matches_brute_force(pair):
    vectors, codebook = pair
    indices = nearest_code(vectors, codebook)
    assert indices.shape == (len(vectors),) and indices.dtype == np.int64
    for vector, index in zip(vectors, indices):
        distances = [((vector - code) ** 2).sum() for code in codebook]
        assert distances[index] <= min(distances) + 1e-7 * (1 + min(distances))


def test_kmeans_matches_scikit_learn_from_the_same_initialization():
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=5, size=(6, 3))
    vectors = np.concatenate([c + rng.normal(size=(80, 3)) for c in centres])
    init = kmeans_plus_plus(vectors, 6, seed=1)
    centroids, labels = kmeans(vectors, 6, init=init)
    reference = KMeans(6, init=init, n_init=1, algorithm="lloyd", tol=0, max_iter=100).fit(vectors)
    np.testing.assert_allclose(centroids, reference.cluster_centers_, atol=1e-8)
    np.testing.assert_array_equal(labels, reference.labels_)


@given(arrays(np.float64, st.tuples(st.integers(3, 30), st.integers(1, 3)), elements=finite),
       st.integers(1, 3))
def test_kmeans_labels_point_to_nearest_centroid_and_inertia_beats_init(vectors, k):
    init = kmeans_plus_plus(vectors, k, seed=0)
    centroids, labels = kmeans(vectors, k, init=init)
    assert centroids.shape == (k, vectors.shape[1]) and labels.shape == (len(vectors),)
    np.testing.assert_array_equal(labels, nearest_code(vectors, centroids))
    inertia = ((vectors - centroids[labels]) ** 2).sum()
    start = ((vectors - init[nearest_code(vectors, init)]) ** 2).sum()
    assert inertia <= start + 1e-9


def kmeans_plus_plus_distribution(points, n_clusters, power):
    """Exact probability of every ordered choice of centroids among 1-D ``points``: the first
    uniform, each next one with probability proportional to distance ** power from the nearest
    centroid chosen so far (power 2 is k-means++)."""
    probabilities = {}
    for order in itertools.permutations(range(len(points)), n_clusters):
        probability = 1 / len(points)
        weights = np.abs(points - points[order[0]]) ** power
        for chosen in order[1:]:
            probability *= weights[chosen] / weights.sum()
            weights = np.minimum(weights, np.abs(points - points[chosen]) ** power)
        if probability > 0:
            probabilities[order] = probability
    return probabilities


def test_kmeans_plus_plus_draws_in_proportion_to_the_squared_distance():
    """2,000 seeds against the exact distribution of (first, second, third) centroid: a
    chi-square test that plain distances (power 1) fail by far, as the test itself checks."""
    points = np.array([0.0, 1.0, 2.0, 6.0])
    n_draws = 2_000
    observed = {}
    for seed in range(n_draws):
        centroids = kmeans_plus_plus(points[:, None], 3, seed=seed)[:, 0]
        order = tuple(int(np.flatnonzero(points == c)[0]) for c in centroids)
        observed[order] = observed.get(order, 0) + 1

    def chi_square(expected):
        assert set(observed) <= set(expected)
        return sum((observed.get(o, 0) - n_draws * p) ** 2 / (n_draws * p)
                   for o, p in expected.items())

    squared = kmeans_plus_plus_distribution(points, 3, power=2)
    critical = chi2.ppf(1 - 1e-6, len(squared) - 1)  # fails a correct sampler once in 10^6
    assert chi_square(squared) < critical
    assert chi_square(kmeans_plus_plus_distribution(points, 3, power=1)) > 3 * critical


def test_kmeans_rejects_bad_input():
    with pytest.raises(ValueError, match="n_clusters"):
        kmeans(np.zeros((3, 2)), 5)
    with pytest.raises(ValueError, match="init"):
        kmeans(np.zeros((3, 2)), 2, init=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="vectors"):
        kmeans(np.zeros((0, 2)), 1)


def test_nearest_code_rejects_mismatched_and_empty_codebooks():
    with pytest.raises(ValueError, match="dim 3"):
        nearest_code(np.zeros((4, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="non-empty"):
        nearest_code(np.zeros((4, 2)), np.zeros((0, 2)))
    with pytest.raises(TypeError, match="vectors must be"):  # integers are taken as numbers
        nearest_code(np.zeros((4, 2), dtype=np.complex128), np.zeros((1, 2)))


@given(st.lists(st.integers(0, 3), max_size=40))
def test_deduplicate_is_itertools_groupby(units):
    expected = [k for k, _ in itertools.groupby(units)]
    assert deduplicate(np.array(units, dtype=np.int64)).tolist() == expected


# --- vector quantization ---------------------------------------------------------------------

def test_straight_through_gradient_is_the_identity():
    vectors = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    codebook = torch.randn(4, 3, dtype=torch.float64)
    quantized = straight_through(vectors, codebook[torch.tensor([0, 1, 2, 3, 0])])
    jacobian = torch.autograd.functional.jacobian(
        lambda v: straight_through(v, codebook[torch.tensor([0, 1, 2, 3, 0])]), vectors)
    np.testing.assert_array_equal(jacobian.reshape(15, 15).numpy(), np.eye(15))
    # the value is the codeword (up to the rounding of v + (q - v))
    torch.testing.assert_close(quantized, codebook[torch.tensor([0, 1, 2, 3, 0])],
                               rtol=0, atol=1e-12)


def test_vector_quantizer_picks_nearest_code_and_passes_gradient_straight_through():
    quantizer = VectorQuantizer(8, 3, seed=0).double()
    vectors = torch.randn(10, 3, dtype=torch.float64, requires_grad=True)
    quantized, indices, loss = quantizer(vectors)
    expected = nearest_code(vectors.detach().numpy(), quantizer.codebook.detach().numpy())
    np.testing.assert_array_equal(indices.numpy(), expected)
    upstream = torch.randn(10, 3, dtype=torch.float64)
    (quantized * upstream).sum().backward()
    np.testing.assert_array_equal(vectors.grad.numpy(), upstream.numpy())
    codes = quantizer.codebook[indices].detach()
    assert loss.item() == pytest.approx(1.25 * ((codes - vectors.detach()) ** 2).mean().item())


def test_vector_quantizer_loss_pulls_codes_toward_inputs_and_inputs_toward_codes():
    """The gradients of |sg[z] - e|^2 + beta |z - sg[e]|^2 (means over all n x dim entries):
    each used code e_k gets 2 sum_{i -> k} (e_k - z_i) / (n dim), unused codes get none, and
    each input z_i gets 2 beta (z_i - e_k) / (n dim) from the loss alone."""
    quantizer = VectorQuantizer(6, 3, commitment=0.25, seed=1).double()
    vectors = torch.randn(10, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2),
                          requires_grad=True)
    _, indices, loss = quantizer(vectors)
    loss.backward()
    codebook, z = quantizer.codebook.detach(), vectors.detach()
    n_entries = z.numel()
    expected_codebook_grad = torch.zeros_like(codebook)
    expected_codebook_grad.index_add_(0, indices, 2 * (codebook[indices] - z) / n_entries)
    torch.testing.assert_close(quantizer.codebook.grad, expected_codebook_grad, rtol=1e-12,
                               atol=1e-15)
    assert len(set(indices.tolist())) < 6 and torch.all(quantizer.codebook.grad[
        [k for k in range(6) if k not in indices.tolist()]] == 0)
    assert quantizer.codebook.grad.abs().sum() > 0
    torch.testing.assert_close(vectors.grad, 2 * 0.25 * (z - codebook[indices]) / n_entries,
                               rtol=1e-12, atol=1e-15)


@given(st.integers(1, 3), st.integers(1, 5), st.integers(1, 4))
def test_vector_quantizer_shapes_and_dtypes(batch, time, dim):
    quantizer = VectorQuantizer(6, dim)
    quantized, indices, loss = quantizer(torch.randn(batch, time, dim))
    assert quantized.shape == (batch, time, dim) and quantized.dtype == torch.float32
    assert indices.shape == (batch, time) and indices.dtype == torch.int64
    assert loss.shape == ()


def test_vector_quantizer_rejects_wrong_dim():
    with pytest.raises(ValueError, match="dim 4"):
        VectorQuantizer(6, 3)(torch.randn(2, 4))
    with pytest.raises(ValueError, match="codebook_size"):
        VectorQuantizer(0, 3)


@given(st.lists(st.integers(0, 7), min_size=1, max_size=60))
def test_usage_and_perplexity(indices):
    counts = codebook_usage(indices, 8)
    assert counts.sum() == len(indices) and counts.tolist() == [indices.count(i) for i in range(8)]
    assert 1 - 1e-9 <= perplexity(indices, 8) <= len(set(indices)) + 1e-9


def test_perplexity_extremes_and_errors():
    assert perplexity([3] * 10, 8) == pytest.approx(1.0)
    assert perplexity(list(range(8)) * 3, 8) == pytest.approx(8.0)
    with pytest.raises(ValueError, match="indices"):
        codebook_usage([9], 8)
    with pytest.raises(ValueError, match="empty"):
        perplexity([], 8)


def test_replace_dead_codes_moves_only_dead_codes_onto_inputs():
    quantizer = VectorQuantizer(4, 2)
    before = quantizer.codebook.detach().clone()
    vectors = torch.randn(20, 2)
    n = replace_dead_codes(quantizer, vectors, np.array([3, 0, 5, 0]))
    after = quantizer.codebook.detach()
    assert n == 2
    assert torch.equal(after[[0, 2]], before[[0, 2]])
    for row in after[[1, 3]]:
        assert any(torch.equal(row, v) for v in vectors)
    with pytest.raises(ValueError, match="counts"):
        replace_dead_codes(quantizer, vectors, np.zeros(3))


def test_a_code_used_once_is_alive():
    """Only codes with zero uses are dead: one use, however rare, keeps a code in place."""
    quantizer = VectorQuantizer(5, 2)
    before = quantizer.codebook.detach().clone()
    assert replace_dead_codes(quantizer, torch.randn(20, 2), np.array([1, 0, 1, 2, 0])) == 2
    after = quantizer.codebook.detach()
    assert torch.equal(after[[0, 2, 3]], before[[0, 2, 3]])
    assert not torch.equal(after[1], before[1]) and not torch.equal(after[4], before[4])
    assert replace_dead_codes(quantizer, torch.randn(20, 2), np.ones(5, np.int64)) == 0
    assert torch.equal(quantizer.codebook.detach(), after)


# --- product and Gumbel quantizers -----------------------------------------------------------

def test_wav2vec2_product_codebook_size():
    assert n_combinations(2, 320) == 102_400
    with pytest.raises(ValueError):
        n_combinations(0, 320)


@given(arrays(np.float64, st.tuples(st.integers(1, 10), st.just(4)), elements=finite))
def test_product_quantize_is_nearest_code_per_slice(vectors):
    rng = np.random.default_rng(0)
    codebooks = [rng.normal(size=(5, 2)), rng.normal(size=(3, 2))]
    codes = product_quantize(vectors, codebooks)
    assert codes.shape == (len(vectors), 2)
    # brute force over all 5 x 3 concatenations: the product code is the nearest of them
    full = np.array([np.concatenate([a, b]) for a in codebooks[0] for b in codebooks[1]])
    best = ((vectors[:, None] - full[None]) ** 2).sum(-1).min(1)
    chosen = np.concatenate([codebooks[0][codes[:, 0]], codebooks[1][codes[:, 1]]], axis=1)
    np.testing.assert_allclose(((vectors - chosen) ** 2).sum(1), best, atol=1e-9)


def test_product_quantize_rejects_uneven_split():
    with pytest.raises(ValueError, match="groups"):
        product_quantize(np.zeros((2, 5)), [np.zeros((3, 2)), np.zeros((3, 3))])


def test_gumbel_product_quantizer_outputs_and_gradient():
    quantizer = GumbelProductQuantizer(6, n_groups=2, entries_per_group=5, code_dim=4)
    inputs = torch.randn(3, 7, 6)
    quantized, indices = quantizer(inputs, tau=0.5)
    assert quantized.shape == (3, 7, 4) and indices.shape == (3, 7, 2)
    expected = torch.cat([quantizer.codebooks[0][indices[..., 0]],
                          quantizer.codebooks[1][indices[..., 1]]], dim=-1)
    torch.testing.assert_close(quantized, expected)
    quantized.sum().backward()
    assert quantizer.to_logits.weight.grad.abs().sum() > 0  # the soft relaxation passes gradient
    quantizer.eval()
    _, greedy = quantizer(inputs)
    logits = quantizer.to_logits(inputs).unflatten(-1, (2, 5))
    assert torch.equal(greedy, logits.argmax(-1))
    with pytest.raises(ValueError, match="dim 5"):
        quantizer(torch.randn(2, 5))


# --- residual vector quantization ------------------------------------------------------------

@given(arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(1, 3)), elements=finite),
       st.integers(1, 4))
def test_rvq_decode_of_encode_is_sum_of_chosen_codewords_and_error_never_grows(vectors, n_levels):
    rng = np.random.default_rng(0)
    # each codebook holds the zero vector, so a level can always leave its residual as it is
    codebooks = [np.vstack([np.zeros(vectors.shape[1]),
                            rng.normal(scale=3 / (level + 1), size=(4, vectors.shape[1]))])
                 for level in range(n_levels)]
    codes = rvq_encode(vectors, codebooks)
    assert codes.shape == (len(vectors), n_levels) and codes.dtype == np.int64
    expected = sum(codebooks[level][codes[:, level]] for level in range(n_levels))
    np.testing.assert_allclose(rvq_decode(codes, codebooks), expected)
    previous = (vectors ** 2).sum(1)
    for n in range(1, n_levels + 1):
        error = ((vectors - rvq_decode(codes[:, :n], codebooks)) ** 2).sum(1)
        assert np.all(error <= previous + 1e-9 * (1 + previous))
        previous = error


def test_trained_rvq_error_falls_with_every_level():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(400, 4))
    codebooks = train_rvq(vectors, 4, 16)
    codes = rvq_encode(vectors, codebooks)
    errors = [((vectors - rvq_decode(codes[:, :n], codebooks)) ** 2).mean() for n in range(1, 5)]
    assert all(b < a for a, b in zip(errors, errors[1:]))


def test_rvq_rejects_bad_codes_and_codebooks():
    codebooks = [np.zeros((4, 2)), np.zeros((4, 2))]
    with pytest.raises(ValueError, match="n_levels"):
        rvq_decode(np.zeros((3, 3), dtype=np.int64), codebooks)
    with pytest.raises(TypeError, match="integers"):
        rvq_decode(np.zeros((3, 1)), codebooks)
    with pytest.raises(ValueError, match=r"codebooks\[1\]"):
        rvq_encode(np.zeros((3, 2)), [np.zeros((4, 2)), np.zeros((4, 3))])
    with pytest.raises(ValueError, match="at least one"):
        rvq_encode(np.zeros((3, 2)), [])


# --- issue 9: complex input, empty batches, dtypes, codes and tau checked by name ---

@pytest.mark.parametrize("call, error, name", [
    (lambda: kmeans(np.ones((4, 2)) + 1j, 2), TypeError, "vectors"),
    (lambda: kmeans(np.ones((4, 2)), "2"), TypeError, "n_clusters"),
    (lambda: kmeans(np.full((4, 2), np.nan), 2), ValueError, "vectors"),
    (lambda: nearest_code(np.ones((4, 2)) + 1j, np.ones((2, 2))), TypeError, "vectors"),
    (lambda: rvq_encode(np.ones((4, 2)) + 1j, [np.ones((2, 2))]), TypeError, "vectors"),
    (lambda: rvq_encode(np.ones((4, 2)), [np.ones((2, 2)) + 1j]), TypeError, r"codebooks\[0\]"),
    (lambda: rvq_decode(np.array([[-1]]), [np.ones((2, 2))]), ValueError, "codes"),
    (lambda: rvq_decode(np.array([[2]]), [np.ones((2, 2))]), ValueError, "codes"),
    (lambda: train_rvq(np.ones((4, 2)), None, 2), TypeError, "n_levels"),
    (lambda: bitrate("75", 8, 1024), TypeError, "frames_per_second"),
    (lambda: bitrate(float("nan"), 8, 1024), ValueError, "frames_per_second"),
    (lambda: codebook_usage([1.5], 4), TypeError, "indices"),
    (lambda: deduplicate("aab"), TypeError, "units"),
    (lambda: VectorQuantizer(8, 2)(torch.ones(3, 2, dtype=torch.complex64)), TypeError,
     "vectors"),
    (lambda: VectorQuantizer(8, 2)(torch.ones(0, 2)), ValueError, "vectors"),
    (lambda: VectorQuantizer(8, 2)(torch.ones(2, 0, 2)), ValueError, "vectors"),
    (lambda: VectorQuantizer(8, 2)(torch.full((3, 2), float("nan"))), ValueError, "vectors"),
    (lambda: VectorQuantizer("8", 2), TypeError, "codebook_size"),
    (lambda: VectorQuantizer(8, 2, commitment=-1.0), ValueError, "commitment"),
    (lambda: ResidualVectorQuantizer(2, 8, 2)(torch.ones(3, 2) + 0j), TypeError, "vectors"),
    (lambda: ResidualVectorQuantizer(2, 8, 2).decode(torch.tensor([[-1, 0]])), ValueError,
     "codes"),
    (lambda: ResidualVectorQuantizer(2, 8, 2).decode(torch.tensor([[0, 8]])), ValueError,
     "codes"),
    (lambda: ResidualVectorQuantizer(2, 8, 2).decode(torch.tensor([[0.0, 1.0]])), TypeError,
     "codes"),
    (lambda: ResidualVectorQuantizer(0, 8, 2), ValueError, "n_levels"),
    (lambda: GumbelProductQuantizer(4, 2, 3, 4)(torch.ones(2, 4), tau=0.0), ValueError, "tau"),
    (lambda: GumbelProductQuantizer(4, 2, 3, 4)(torch.ones(2, 4), tau=-1), ValueError, "tau"),
    (lambda: GumbelProductQuantizer(4, 2, 3, 4)(torch.ones(2, 4) + 0j), TypeError, "inputs"),
    (lambda: GumbelProductQuantizer(4, 2, 3, 4)(torch.ones(0, 4)), ValueError, "inputs"),
])
def test_bad_arguments_are_refused_by_name(call, error, name):
    with pytest.raises(error, match=f"{name} must"):
        call()


def test_torch_modules_accept_float64_tensors_and_numpy_arrays():
    quantizer = VectorQuantizer(8, 3, seed=1)
    vectors = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    quantized, indices, loss = quantizer(vectors)
    for given_vectors in (vectors.double(), vectors.numpy(), vectors.tolist()):
        other_quantized, other_indices, other_loss = quantizer(given_vectors)
        torch.testing.assert_close(other_indices, indices)
        torch.testing.assert_close(other_quantized, quantized)
        torch.testing.assert_close(other_loss, loss)
    leaf = vectors.double().requires_grad_()
    quantizer(leaf)[0].sum().backward()  # the straight-through gradient reaches a float64 leaf
    torch.testing.assert_close(leaf.grad, torch.ones(5, 3, dtype=torch.float64))
    residual = ResidualVectorQuantizer(2, 8, 3).eval()
    torch.testing.assert_close(residual(vectors.numpy())[1], residual(vectors)[1])
    gumbel = GumbelProductQuantizer(3, 2, 4, 4).eval()
    torch.testing.assert_close(gumbel(vectors.double())[1], gumbel(vectors)[1])


def test_residual_quantizer_loss_and_gradients_are_its_levels_on_their_residuals():
    """Level l quantizes the residual r_l its predecessors left (r_1 = z); the module's loss is
    the sum of the levels' VQ losses, each level's codebook is pulled only toward its own
    residuals, and z gets the commitment pulls of every level (means over n x dim entries)."""
    quantizer = ResidualVectorQuantizer(3, 8, 2, commitment=0.25, seed=0).double().eval()
    vectors = torch.randn(30, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(4),
                          requires_grad=True)
    n_entries = vectors.numel()
    for n_levels in (1, 2, 3):
        quantizer.zero_grad()
        vectors.grad = None
        _, codes, loss = quantizer(vectors, n_levels)
        loss.backward()
        residual = vectors.detach().clone()
        expected_loss, expected_vector_grad = 0.0, torch.zeros_like(residual)
        for level, quantizer_level in enumerate(quantizer.levels):
            codebook = quantizer_level.codebook.detach()
            if level >= n_levels:
                assert quantizer_level.codebook.grad is None  # unused levels take no part
                continue
            chosen = codebook[codes[:, level]]
            expected_loss += 1.25 * float(((chosen - residual) ** 2).mean())
            expected_grad = torch.zeros_like(codebook).index_add_(
                0, codes[:, level], 2 * (chosen - residual) / n_entries)
            torch.testing.assert_close(quantizer_level.codebook.grad, expected_grad,
                                       rtol=1e-12, atol=1e-15)
            expected_vector_grad += 2 * 0.25 * (residual - chosen) / n_entries
            residual = residual - chosen
        assert loss.item() == pytest.approx(expected_loss, rel=1e-12)
        torch.testing.assert_close(vectors.grad, expected_vector_grad, rtol=1e-12, atol=1e-15)


def test_residual_quantizer_uses_every_level_in_evaluation_and_decodes_any_leading_levels():
    quantizer = ResidualVectorQuantizer(3, 8, 2, dropout=1.0, seed=0).eval()
    vectors = torch.randn(30, 2, generator=torch.Generator().manual_seed(5))
    assert all(quantizer(vectors)[1].shape == (30, 3) for _ in range(12))  # no dropout in eval
    _, codes, _ = quantizer(vectors)
    for n_levels in (1, 2, 3):
        expected = sum(quantizer.levels[level].codebook[codes[:, level]]
                       for level in range(n_levels))
        torch.testing.assert_close(quantizer.decode(codes[:, :n_levels]), expected)
        torch.testing.assert_close(quantizer(vectors, n_levels)[0], expected)


def test_codebook_usage_refuses_indices_just_outside_the_codebook():
    assert codebook_usage([0, 7, 7], 8).tolist() == [1, 0, 0, 0, 0, 0, 0, 2]
    for outside in ([8], [-1], [0, 8]):
        with pytest.raises(ValueError, match="indices"):
            codebook_usage(outside, 8)


def test_bitrate_of_the_essays_codecs():
    assert bitrate(75, 8, 1024) == 6_000  # EnCodec 24 kHz, 8 codebooks: 6 kbps
    assert bitrate(75, 32, 1024) == 24_000  # EnCodec's largest setting
    assert bitrate(25, 4, 1024) == 1_000  # 4 levels x 25 fps
    assert bitrate(50, 1, 2) == 50
    with pytest.raises(ValueError):
        bitrate(50, 0, 1024)


def test_residual_quantizer_module_matches_numpy_rvq_and_dropout_varies_levels():
    quantizer = ResidualVectorQuantizer(3, 8, 2, seed=0).double()
    vectors = torch.randn(30, 2, dtype=torch.float64, requires_grad=True)
    quantizer.eval()
    quantized, codes, _ = quantizer(vectors)
    codebooks = [level.codebook.detach().numpy() for level in quantizer.levels]
    np.testing.assert_array_equal(codes.numpy(), rvq_encode(vectors.detach().numpy(), codebooks))
    torch.testing.assert_close(quantized, quantizer.decode(codes))
    quantized.sum().backward()
    np.testing.assert_array_equal(vectors.grad.numpy(), np.ones((30, 2)))  # straight-through
    quantizer.train()
    kept_counts = set()
    for _ in range(10):
        quantized, codes, _ = quantizer(vectors)
        kept = (codes >= 0).sum(dim=-1)  # per example: its leading levels, then -1s
        assert codes.shape == (30, 3) and (codes[:, 0] >= 0).all()
        assert ((codes >= 0) == (torch.arange(3) < kept[:, None])).all()
        for row in range(30):
            torch.testing.assert_close(quantized[row], quantizer.decode(codes[row, :kept[row]]))
        kept_counts |= set(kept.tolist())
    assert kept_counts == {1, 2, 3}  # drawn per example, not per batch
    quantizer.dropout = 0.0
    assert (quantizer(vectors)[1] >= 0).all()  # no dropout: every example keeps every level
    with pytest.raises(ValueError, match="n_levels"):
        quantizer(vectors, n_levels=4)
    with pytest.raises(ValueError, match="levels"):
        quantizer.decode(torch.zeros(5, 4, dtype=torch.int64))


def test_bitrate_is_monotone_in_every_argument():
    assert bitrate(50, 2, 256) < bitrate(75, 2, 256) < bitrate(75, 3, 256) < bitrate(75, 3, 1024)
    assert math.isclose(bitrate(12.5, 8, 2048), 1_100)


# --- the explorers of notebooks 05 and 07 ----------------------------------------------------

def test_unit_explorer_redraws_for_each_k():
    from matplotlib.figure import Figure

    from course_lib.synth import Phone
    from course_lib.widgets import unit_explorer
    phones = (Phone("sil", 0.0, 0.05), Phone("a", 0.05, 0.1))
    units_by_k = {4: np.array([0, 0, 1, 1, 2, 3, 3, 3, 1, 1]), 8: np.arange(10)}
    explorer = unit_explorer(phones, units_by_k, 100)
    assert isinstance(explorer.result, Figure)
    assert "-> 5 units after" in explorer.result.get_suptitle()
    explorer.children[0].value = 8
    assert "10 units after" in explorer.result.get_suptitle()


def test_snap_explorer_draws_one_star_per_codeword():
    from course_lib.widgets import snap_explorer
    points = np.random.default_rng(0).normal(size=(30, 2))
    books = {2: points[:2], 5: points[:5]}
    explorer = snap_explorer(points, books, np.eye(2))
    stars = [c for c in explorer.result.axes[0].collections if len(c.get_offsets()) in (2, 5)]
    assert len(stars[-1].get_offsets()) == 2
    explorer.children[0].value = 5
    stars = [c for c in explorer.result.axes[0].collections if len(c.get_offsets()) in (2, 5)]
    assert len(stars[-1].get_offsets()) == 5


def test_gumbel_quantizer_init_is_seeded_without_touching_the_global_generator():
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    first = GumbelProductQuantizer(in_dim=8, n_groups=2, entries_per_group=4, code_dim=6, seed=5)
    assert torch.equal(torch.rand(3), expected_next)
    second = GumbelProductQuantizer(in_dim=8, n_groups=2, entries_per_group=4, code_dim=6, seed=5)
    assert torch.equal(first.codebooks, second.codebooks)
    assert torch.equal(first.to_logits.weight, second.to_logits.weight)


# --- codebooks learned by exponential moving averages ---------------------------------------

@given(arrays(np.float64, st.tuples(st.integers(1, 25), st.integers(1, 3)), elements=finite),
       st.integers(1, 5), st.integers(0, 2**16))
def test_ema_step_with_no_memory_is_one_kmeans_update(vectors, codebook_size, seed):
    """decay = 0: each used code becomes the mean of the vectors that chose it (brute force);
    an unused code keeps its entry (up to the Laplace smoothing, tiny here)."""
    rng = np.random.default_rng(seed)
    indices = rng.integers(codebook_size, size=len(vectors))
    old_codebook = rng.normal(size=(codebook_size, vectors.shape[1]))
    cluster_size = torch.ones(codebook_size, dtype=torch.float64)
    _, _, codebook = ema_step(cluster_size, torch.from_numpy(old_codebook),
                              torch.from_numpy(vectors), torch.from_numpy(indices),
                              decay=0.0, epsilon=1e-12)
    for code in range(codebook_size):
        chosen = vectors[indices == code]
        expected = chosen.mean(axis=0) if len(chosen) else np.zeros(vectors.shape[1])
        np.testing.assert_allclose(codebook[code].numpy(), expected, rtol=1e-6, atol=1e-6)


@given(st.floats(0.0, 1.0), st.integers(0, 2**16))
def test_ema_step_statistics_are_running_averages_of_counts_and_sums(decay, seed):
    rng = np.random.default_rng(seed)
    vectors = torch.from_numpy(rng.normal(size=(20, 2)))
    indices = torch.from_numpy(rng.integers(4, size=20))
    cluster_size = torch.from_numpy(rng.uniform(0.5, 3, size=4))
    code_sum = torch.from_numpy(rng.normal(size=(4, 2)))
    new_size, new_sum, codebook = ema_step(cluster_size, code_sum, vectors, indices, decay)
    counts = torch.bincount(indices, minlength=4).double()
    sums = torch.stack([vectors[indices == code].sum(dim=0) for code in range(4)])
    torch.testing.assert_close(new_size, decay * cluster_size + (1 - decay) * counts)
    torch.testing.assert_close(new_sum, decay * code_sum + (1 - decay) * sums)
    assert new_size.sum().item() == pytest.approx(decay * cluster_size.sum().item()
                                                  + (1 - decay) * 20)
    # with counts well above epsilon, the codebook is the running sum over the running count
    torch.testing.assert_close(codebook, new_sum / new_size[:, None], rtol=1e-4, atol=1e-6)


def test_ema_quantizer_moves_its_codebook_only_in_training_and_its_loss_is_commitment_alone():
    quantizer = VectorQuantizer(4, 2, commitment=0.25, seed=0, ema_decay=0.5).double()
    assert not quantizer.codebook.requires_grad  # no optimizer step touches it
    quantizer.set_codebook(torch.tensor([[0.0, 0], [5, 5], [-5, 5], [5, -5]], dtype=torch.float64))
    vectors = torch.tensor([[1.0, 1.0], [1.0, -1.0], [4.0, 6.0]], dtype=torch.float64,
                           requires_grad=True)
    quantizer.eval()
    _, indices, loss = quantizer(vectors)
    assert indices.tolist() == [0, 0, 1]
    chosen = quantizer.codebook[indices]
    assert loss.item() == pytest.approx(0.25 * ((vectors - chosen) ** 2).mean().item())
    before = quantizer.codebook.clone()
    quantizer(vectors)
    torch.testing.assert_close(quantizer.codebook, before)  # evaluation leaves it alone
    quantizer.train()
    quantizer(vectors)
    # code 0: counts 0.5 * 1 + 0.5 * 2 = 1.5, sums 0.5 * (0, 0) + 0.5 * (2, 0) -> (2/3, 0)
    # (up to the Laplace smoothing of the counts)
    torch.testing.assert_close(quantizer.codebook[0], torch.tensor([2 / 3, 0.0],
                                                                   dtype=torch.float64),
                               rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(quantizer.codebook[2], before[2], rtol=1e-4, atol=1e-5)  # unused


def test_replace_dead_codes_restarts_the_ema_statistics_of_revived_codes():
    quantizer = VectorQuantizer(3, 2, ema_decay=0.99)
    quantizer.cluster_size.copy_(torch.tensor([5.0, 1e-6, 2.0]))
    vectors = torch.randn(10, 2, generator=torch.Generator().manual_seed(0))
    assert replace_dead_codes(quantizer, vectors, np.array([4, 0, 2])) == 1
    assert quantizer.cluster_size.tolist() == [5.0, 1.0, 2.0]
    torch.testing.assert_close(quantizer.code_sum[1], quantizer.codebook[1])
    assert any(torch.equal(quantizer.codebook[1], row) for row in vectors)


@pytest.mark.parametrize("call, match", [
    (lambda: ema_step(torch.ones(3), torch.ones(3, 2), torch.ones(4, 2),
                      torch.zeros(4, dtype=torch.int64), decay=1.5), "decay"),
    (lambda: ema_step(torch.ones(3), torch.ones(2, 2), torch.ones(4, 2),
                      torch.zeros(4, dtype=torch.int64)), "code_sum"),
    (lambda: ema_step(torch.ones(3), torch.ones(3, 2), torch.ones(4, 2),
                      torch.zeros(5, dtype=torch.int64)), "indices"),
    (lambda: VectorQuantizer(3, 2, ema_decay=-0.1), "ema_decay"),
    (lambda: VectorQuantizer(3, 2).set_codebook(torch.ones(2, 2)), "codebook"),
])
def test_ema_inputs_are_checked(call, match):
    with pytest.raises(ValueError, match=match):
        call()
