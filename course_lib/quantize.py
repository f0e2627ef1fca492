"""Tokenization invented: k-means units, vector quantization, product and residual quantizers.

Audio has no alphabet, so an audio tokenizer has to make one up. Every method here maps a
continuous vector to one or more integers by choosing entries of a learned *codebook*:

* :func:`kmeans` and :func:`nearest_code`: HuBERT-style units, one cluster index per frame;
* :class:`VectorQuantizer`: a codebook learned by backpropagation through the straight-through
  estimator, with a commitment loss, :func:`perplexity` of its usage and
  :func:`replace_dead_codes` as a remedy for entries nobody picks, learned either by gradient
  descent (VQ-VAE) or by moving averages, :func:`ema_step` (SoundStream, EnCodec);
* :func:`product_quantize` and :class:`GumbelProductQuantizer`: several small codebooks, one
  per slice of the vector, the second picked with Gumbel-softmax as in wav2vec 2.0;
* :func:`train_rvq`, :func:`rvq_encode`, :func:`rvq_decode` and
  :class:`ResidualVectorQuantizer`: residual vector quantization as in SoundStream and
  EnCodec, with quantizer dropout, and :func:`bitrate` for what its codes cost.

Arrays are time-major: vectors ``(n_vectors, dim)``, codebooks ``(codebook_size, dim)``, RVQ
codes ``(n_vectors, n_levels)``. NumPy functions hold the from-scratch algorithms; the torch
modules are the trainable versions that ``course_lib.codec`` uses.

Explained in notebook 05, sections "k-means, one step at a time" to "Gumbel-softmax"
(k-means, VQ, product and Gumbel quantizers), notebook 06, sections "RVQ from scratch" to
"Quantizer dropout" (RVQ), and notebook 07, section "Snapping versus projecting".
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import sparse
from torch import nn
from torch.nn import functional as F

from course_lib import validate
from course_lib.ctc import runs


# --- validation ------------------------------------------------------------------------------

def _vectors(value, name: str = "vectors", dtype=np.float64) -> np.ndarray:
    """``(n, dim)`` finite real vectors with n, dim >= 1 (``dtype=None`` keeps float32)."""
    return validate.array(value, name, ndim=2, dtype=dtype)


def _codebook(value, dim: int | None = None, name: str = "codebook",
              dtype=np.float64) -> np.ndarray:
    """A non-empty ``(codebook_size, dim)`` array whose vectors have the input's ``dim``."""
    codebook = validate.array(value, name, ndim=2, min_length=0, dtype=dtype)
    if codebook.shape[0] == 0 or codebook.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty (codebook_size, dim) array, "
                         f"got shape {codebook.shape}")
    if dim is not None and codebook.shape[1] != dim:
        raise ValueError(f"{name} must hold vectors of the input's dim {dim}, "
                         f"got vectors of dim {codebook.shape[1]}")
    return codebook


def _codebook_list(codebooks, dim: int | None) -> list[np.ndarray]:
    """One checked codebook per level or group: ``codebooks[i]`` names a bad one. With
    ``dim=None`` every codebook must have the dim of the first."""
    if isinstance(codebooks, np.ndarray) and codebooks.ndim == 3:
        codebooks = list(codebooks)
    if not isinstance(codebooks, (list, tuple)):
        raise TypeError(f"codebooks must be a list of (codebook_size, dim) arrays, "
                        f"got {validate.describe(codebooks)}")
    if len(codebooks) == 0:
        raise ValueError("codebooks must hold at least one codebook, got an empty list")
    checked = []
    for i, book in enumerate(codebooks):
        checked.append(_codebook(book, dim, name=f"codebooks[{i}]"))
        dim = checked[0].shape[1]
    return checked


# --- k-means units ---------------------------------------------------------------------------

def nearest_code(vectors: np.ndarray, codebook: np.ndarray) -> np.ndarray:
    """Index of the nearest codebook entry (squared Euclidean distance) for every vector.

    Args:
        vectors: ``(n_vectors, dim)`` floats.
        codebook: ``(codebook_size, dim)`` floats.

    Returns:
        ``(n_vectors,)`` int64 indices; ties go to the lowest index.
        Explained in notebook 05, section "k-means, one step at a time".
    """
    vectors = _vectors(vectors, dtype=None)
    codebook = _codebook(codebook, vectors.shape[1], dtype=None)
    # |x - c|^2 = |x|^2 - 2 x.c + |c|^2; |x|^2 is the same for every code, so it can be dropped
    distances = -2.0 * vectors @ codebook.T + (codebook ** 2).sum(axis=1)
    return distances.argmin(axis=1).astype(np.int64)


def kmeans_plus_plus(vectors: np.ndarray, n_clusters: int, seed: int = 0) -> np.ndarray:
    """k-means++ initial centroids: each next one drawn with probability ∝ squared distance.

    Returns ``(n_clusters, dim)`` rows of ``vectors``.
    Explained in notebook 05, section "k-means, one step at a time".
    """
    vectors = _vectors(vectors)
    n_clusters = validate.integer(n_clusters, "n_clusters", minimum=1, maximum=len(vectors))
    rng = np.random.default_rng(validate.integer(seed, "seed", minimum=0))
    chosen = [int(rng.integers(len(vectors)))]
    squared = ((vectors - vectors[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, n_clusters):
        total = squared.sum()
        index = int(rng.choice(len(vectors), p=squared / total)) if total > 0 else int(
            rng.integers(len(vectors)))
        chosen.append(index)
        squared = np.minimum(squared, ((vectors - vectors[index]) ** 2).sum(axis=1))
    return vectors[chosen].copy()


def kmeans(vectors: np.ndarray, n_clusters: int, *, n_iter: int = 100, seed: int = 0,
           init: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means: alternate nearest-centroid assignment and centroid = cluster mean.

    Args:
        vectors: ``(n_vectors, dim)`` floats, e.g. MFCC frames.
        n_clusters: number of units k.
        n_iter: at most this many iterations; stops early when the assignment stops changing.
        seed: seeds the k-means++ initialization (ignored when ``init`` is given).
        init: optional ``(n_clusters, dim)`` starting centroids.

    Returns:
        ``(centroids, labels)``: ``(n_clusters, dim)`` float64 and ``(n_vectors,)`` int64. An
        empty cluster keeps its previous centroid.
        Explained in notebook 05, section "k-means, one step at a time".
    """
    vectors = _vectors(vectors)
    n_clusters = validate.integer(n_clusters, "n_clusters", minimum=1, maximum=len(vectors))
    n_iter = validate.integer(n_iter, "n_iter", minimum=0)
    if init is None:
        centroids = kmeans_plus_plus(vectors, n_clusters, seed)
    else:
        centroids = _codebook(init, vectors.shape[1], name="init").copy()
        if len(centroids) != n_clusters:
            raise ValueError(f"init must have n_clusters={n_clusters} rows, got {len(centroids)}")
    labels = nearest_code(vectors, centroids)
    for _ in range(n_iter):
        # cluster sums in one sparse product: membership (n_clusters, n_vectors) @ vectors
        membership = sparse.csr_matrix((np.ones(len(labels)), (labels, np.arange(len(labels)))),
                                       shape=(n_clusters, len(labels)))
        counts = np.bincount(labels, minlength=n_clusters)
        filled = counts > 0
        centroids[filled] = (membership @ vectors)[filled] / counts[filled, None]
        new_labels = nearest_code(vectors, centroids)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return centroids, labels


def deduplicate(units: np.ndarray) -> np.ndarray:
    """Run-length de-duplication: ``[5, 5, 5, 2, 2, 5]`` -> ``[5, 2, 5]``.
    Explained in notebook 05, section "Units are opaque indices"."""
    units = validate.array(units, "units", ndim=1, dtype=np.int64, min_length=0)
    starts, _ = runs(units)
    return units[starts]


# --- vector quantization with the straight-through estimator ---------------------------------

def straight_through(vectors: torch.Tensor, quantized: torch.Tensor) -> torch.Tensor:
    """``quantized`` in the forward pass, identity gradient to ``vectors`` in the backward pass.

    ``vectors + (quantized - vectors).detach()``: the value is the codeword, the derivative with
    respect to ``vectors`` is exactly the identity.
    Explained in notebook 05, section "Learning a codebook by gradient descent".
    """
    vectors = validate.tensor(vectors, "vectors", min_ndim=0, finite=False)
    quantized = validate.tensor(quantized, "quantized", dtype=vectors.dtype, min_ndim=0,
                                finite=False)
    if vectors.shape != quantized.shape:
        raise ValueError(f"vectors {tuple(vectors.shape)} and quantized {tuple(quantized.shape)} "
                         "must have the same shape")
    return vectors + (quantized - vectors).detach()


def ema_step(cluster_size: torch.Tensor, code_sum: torch.Tensor, vectors: torch.Tensor,
             indices: torch.Tensor, decay: float = 0.99, epsilon: float = 1e-5):
    """One exponential-moving-average codebook update, as SoundStream and EnCodec train theirs.

    Each code keeps a running count of the vectors that chose it and a running sum of them::

        cluster_size <- decay * cluster_size + (1 - decay) * (how many vectors chose each code)
        code_sum     <- decay * code_sum     + (1 - decay) * (sum of the vectors that chose it)
        codebook      = code_sum / cluster_size   (the count Laplace-smoothed by ``epsilon``)

    With ``decay = 0`` it is exactly one k-means update on the batch; with ``decay`` near 1
    it is k-means averaged over many batches. A code nobody picks sees its count decay toward
    zero and its entry stay where it is: it is dead, and :func:`replace_dead_codes` revives it.

    Args:
        cluster_size: ``(codebook_size,)`` running counts; code_sum: ``(codebook_size, dim)``.
        vectors: ``(n, dim)``; indices: ``(n,)`` int64, the code each vector chose.
    Returns ``(cluster_size, code_sum, codebook)``, new tensors of the inputs' shapes.
    Explained in notebook 05, section "Codebooks by moving averages".
    """
    decay = validate.real(decay, "decay", minimum=0, maximum=1)
    epsilon = validate.real(epsilon, "epsilon", above=0)
    if cluster_size.ndim != 1 or code_sum.shape != (len(cluster_size), vectors.shape[-1]):
        raise ValueError(f"cluster_size must be (codebook_size,) and code_sum (codebook_size, "
                         f"dim), got {tuple(cluster_size.shape)} and {tuple(code_sum.shape)}")
    if vectors.ndim != 2 or indices.shape != vectors.shape[:1]:
        raise ValueError(f"vectors must be (n, dim) and indices (n,), got "
                         f"{tuple(vectors.shape)} and {tuple(indices.shape)}")
    one_hot = F.one_hot(indices, len(cluster_size)).to(vectors.dtype)  # (n, codebook_size)
    cluster_size = decay * cluster_size + (1 - decay) * one_hot.sum(dim=0)
    code_sum = decay * code_sum + (1 - decay) * one_hot.T @ vectors
    total = cluster_size.sum()
    smoothed = (cluster_size + epsilon) / (total + len(cluster_size) * epsilon) * total
    return cluster_size, code_sum, code_sum / smoothed[:, None]


def _mean_squared_error(estimate: torch.Tensor, target: torch.Tensor,
                        active: torch.Tensor | None) -> torch.Tensor:
    """``F.mse_loss`` over the vectors ``(..., dim)`` that ``active`` (a boolean mask over the
    leading axes) keeps, or over all of them when it is None; 0 when it keeps none."""
    if active is None:
        return F.mse_loss(estimate, target)
    weight = active.unsqueeze(-1).to(estimate.dtype)
    n_entries = (weight.sum() * estimate.shape[-1]).clamp_min(1)
    return ((estimate - target) ** 2 * weight).sum() / n_entries


class VectorQuantizer(nn.Module):
    """One learned codebook: nearest entry, straight-through gradient, commitment loss.

    ``forward(vectors)`` takes ``(..., dim)`` floats and returns ``(quantized, indices, loss)``:
    quantized ``(..., dim)`` (straight-through), indices ``(...)`` int64, and a scalar loss.
    Two ways to learn the codebook:

    * ``ema_decay=None`` (VQ-VAE): the loss is ``|sg[z] - e|^2 + beta |z - sg[e]|^2``; its
      codebook term moves codes toward the encoder outputs by gradient descent;
    * ``ema_decay=0.99`` (SoundStream, EnCodec): the codebook is no parameter of the optimizer;
      every training call moves it by :func:`ema_step`, and the loss is the commitment term
      ``beta |z - sg[e]|^2`` alone. :meth:`set_codebook` starts it (at k-means centroids, say).

    Explained in notebook 05, sections "Learning a codebook by gradient descent" and
    "Codebooks by moving averages"; used by the codec of notebook 06.
    """

    def __init__(self, codebook_size: int, dim: int, commitment: float = 0.25, seed: int = 0,
                 ema_decay: float | None = None):
        super().__init__()
        codebook_size = validate.integer(codebook_size, "codebook_size", minimum=1)
        dim = validate.integer(dim, "dim", minimum=1)
        commitment = validate.real(commitment, "commitment", minimum=0)
        generator = torch.Generator().manual_seed(validate.integer(seed, "seed"))
        self.codebook = nn.Parameter(torch.randn(codebook_size, dim, generator=generator))
        self.commitment = commitment
        self.ema_decay = None if ema_decay is None else validate.real(
            ema_decay, "ema_decay", minimum=0, maximum=1)
        if self.ema_decay is not None:
            self.codebook.requires_grad_(False)
            self.register_buffer("cluster_size", torch.ones(codebook_size))
            self.register_buffer("code_sum", self.codebook.detach().clone())

    @torch.no_grad()
    def set_codebook(self, codebook) -> None:
        """Replace the codebook ``(codebook_size, dim)`` (and restart the EMA statistics as if
        each entry had been chosen once by itself). Explained in notebook 06."""
        codebook = validate.tensor(codebook, "codebook", dtype=self.codebook.dtype)
        if codebook.shape != self.codebook.shape:
            raise ValueError(f"codebook must have shape {tuple(self.codebook.shape)}, "
                             f"got {tuple(codebook.shape)}")
        self.codebook.copy_(codebook)
        if self.ema_decay is not None:
            self.cluster_size.fill_(1.0)
            self.code_sum.copy_(codebook)

    def _vectors(self, vectors) -> torch.Tensor:
        """``(..., dim)`` vectors as a tensor of the codebook's dtype (float64 tensors, NumPy
        arrays and lists are converted; a tensor keeps its gradient through the cast)."""
        vectors = validate.tensor(vectors, "vectors", dtype=self.codebook.dtype)
        if vectors.shape[-1] != self.codebook.shape[1]:
            raise ValueError(f"vectors must have the codebook's dim {self.codebook.shape[1]} "
                             f"in the last axis, got vectors of dim {vectors.shape[-1]}")
        return vectors

    def indices(self, vectors: torch.Tensor) -> torch.Tensor:
        """Nearest-entry indices ``(...)`` for ``(..., dim)`` vectors. Explained in notebook 05."""
        return self._indices(self._vectors(vectors))

    def _indices(self, vectors: torch.Tensor) -> torch.Tensor:
        flat = vectors.detach().reshape(-1, vectors.shape[-1])
        distances = (-2 * flat @ self.codebook.detach().T
                     + (self.codebook.detach() ** 2).sum(dim=1))
        return distances.argmin(dim=1).reshape(vectors.shape[:-1])

    def lookup(self, vectors: torch.Tensor):
        """``(codes, indices, loss)`` without the straight-through step (RVQ applies it once).
        Explained in notebook 06."""
        return self._lookup(self._vectors(vectors))

    def _lookup(self, vectors: torch.Tensor, active: torch.Tensor | None = None):
        """As :meth:`lookup`; ``active`` (a boolean mask over the leading axes, or None for all)
        picks the vectors that count in the loss and in the EMA update."""
        indices = self._indices(vectors)
        if self.ema_decay is not None and self.training and torch.is_grad_enabled():
            self._ema_update(vectors, indices, active)
        codes = self.codebook[indices]
        commitment_loss = _mean_squared_error(vectors, codes.detach(), active)
        if self.ema_decay is not None:
            return codes, indices, self.commitment * commitment_loss
        codebook_loss = _mean_squared_error(codes, vectors.detach(), active)
        return codes, indices, codebook_loss + self.commitment * commitment_loss

    @torch.no_grad()
    def _ema_update(self, vectors, indices, active) -> None:
        flat, flat_indices = vectors.detach().reshape(-1, vectors.shape[-1]), indices.reshape(-1)
        if active is not None:
            keep = active.reshape(-1)
            flat, flat_indices = flat[keep], flat_indices[keep]
        if len(flat) == 0:
            return
        cluster_size, code_sum, codebook = ema_step(self.cluster_size, self.code_sum,
                                                    flat.to(self.code_sum.dtype), flat_indices,
                                                    self.ema_decay)
        self.cluster_size.copy_(cluster_size)
        self.code_sum.copy_(code_sum)
        self.codebook.copy_(codebook)

    def forward(self, vectors: torch.Tensor):
        """``(quantized, indices, loss)`` for ``(..., dim)`` vectors, as the class says.
        Explained in notebook 05."""
        vectors = self._vectors(vectors)
        codes, indices, loss = self._lookup(vectors)
        return straight_through(vectors, codes), indices, loss


def codebook_usage(indices, codebook_size: int) -> np.ndarray:
    """How often each entry was chosen: ``(codebook_size,)`` int64 counts.
    Explained in notebook 05, section "Learning a codebook by gradient descent"."""
    indices = validate.array(indices, "indices", dtype=np.int64, min_length=0).ravel()
    codebook_size = validate.integer(codebook_size, "codebook_size", minimum=1)
    if len(indices) == 0:
        return np.zeros(codebook_size, np.int64)
    if indices.min() < 0 or indices.max() >= codebook_size:
        raise ValueError(f"indices must lie in [0, {codebook_size}), got "
                         f"{indices.min()}..{indices.max()}")
    return np.bincount(indices, minlength=codebook_size).astype(np.int64)


def perplexity(indices, codebook_size: int) -> float:
    """exp(entropy of the usage distribution): the number of equally used codes it equals.

    1 when one code takes everything, ``codebook_size`` when all are used equally.
    Explained in notebook 05, section "Learning a codebook by gradient descent".
    """
    counts = codebook_usage(indices, codebook_size)
    if counts.sum() == 0:
        raise ValueError("indices must not be empty")
    p = counts[counts > 0] / counts.sum()
    return float(np.exp(-(p * np.log(p)).sum()))


@torch.no_grad()
def replace_dead_codes(quantizer: VectorQuantizer, vectors: torch.Tensor, counts,
                       seed: int = 0) -> int:
    """Move every code used zero times onto a randomly drawn input vector; return how many.

    The simplest remedy for dead codes (SoundStream and Jukebox do the same): a code that no
    vector picks receives no gradient and would stay dead forever.
    Explained in notebook 05, section "Learning a codebook by gradient descent".
    """
    if not isinstance(quantizer, VectorQuantizer):
        raise TypeError(f"quantizer must be a VectorQuantizer, got "
                        f"{validate.describe(quantizer)}")
    counts = validate.array(counts, "counts", min_length=0)
    if counts.shape != (quantizer.codebook.shape[0],):
        raise ValueError(f"counts must have shape ({quantizer.codebook.shape[0]},), "
                         f"got {counts.shape}")
    seed = validate.integer(seed, "seed")
    vectors = quantizer._vectors(vectors)
    flat = vectors.detach().reshape(-1, vectors.shape[-1])
    dead = np.flatnonzero(counts == 0)
    if len(dead):
        generator = torch.Generator().manual_seed(seed)
        picks = torch.randint(len(flat), (len(dead),), generator=generator)
        dead = torch.as_tensor(dead)
        quantizer.codebook[dead] = flat[picks].to(quantizer.codebook.dtype)
        if quantizer.ema_decay is not None:  # a revived code starts as if chosen once
            quantizer.cluster_size[dead] = 1.0
            quantizer.code_sum[dead] = quantizer.codebook[dead].to(quantizer.code_sum.dtype)
    return len(dead)


# --- product quantization and Gumbel-softmax -------------------------------------------------

def product_quantize(vectors: np.ndarray, codebooks: list[np.ndarray]) -> np.ndarray:
    """Split each vector into ``len(codebooks)`` equal slices and quantize each slice on its own.

    Args:
        vectors: ``(n_vectors, dim)``.
        codebooks: G arrays ``(entries, dim / G)``.

    Returns:
        ``(n_vectors, G)`` int64: one index per group. G groups of V entries name V**G distinct
        vectors while storing only G * V of them.
        Explained in notebook 05, section "Product quantization: many codes from small codebooks".
    """
    vectors = _vectors(vectors, dtype=None)
    if not isinstance(codebooks, (list, tuple)) or len(codebooks) == 0:
        raise ValueError(f"codebooks must be a non-empty list of codebooks, got "
                         f"{validate.describe(codebooks)}")
    n_groups = len(codebooks)
    if vectors.shape[1] % n_groups:
        raise ValueError(f"vectors must split into {n_groups} equal groups, got vectors of "
                         f"dim {vectors.shape[1]}")
    slices = np.split(vectors, n_groups, axis=1)
    return np.stack([nearest_code(s, c) for s, c in zip(slices, codebooks)], axis=1)


def n_combinations(n_groups: int, entries_per_group: int) -> int:
    """Distinct codes of a product quantizer: entries_per_group ** n_groups (320**2 = 102,400).

    Explained in notebook 05, section "Product quantization: many codes from small codebooks".
    """
    n_groups = validate.integer(n_groups, "n_groups", minimum=1)
    entries_per_group = validate.integer(entries_per_group, "entries_per_group", minimum=1)
    return entries_per_group ** n_groups


class GumbelProductQuantizer(nn.Module):
    """wav2vec 2.0's quantizer: G groups of V entries, each picked by a hard Gumbel-softmax.

    A linear layer maps each ``(..., in_dim)`` input to G x V logits. In training, each group
    adds Gumbel noise, takes the arg max in the forward pass and the softmax(logits / tau)
    gradient in the backward pass; in evaluation it takes the plain arg max. The chosen entries
    (``code_dim / G`` each) are concatenated. ``forward`` returns ``(quantized, indices)`` with
    shapes ``(..., code_dim)`` and ``(..., G)``.
    Explained in notebook 05, section "Gumbel-softmax: choosing a code by sampling".
    """

    def __init__(self, in_dim: int, n_groups: int, entries_per_group: int, code_dim: int,
                 seed: int = 0):
        super().__init__()
        in_dim = validate.integer(in_dim, "in_dim", minimum=1)
        n_groups = validate.integer(n_groups, "n_groups", minimum=1)
        entries_per_group = validate.integer(entries_per_group, "entries_per_group", minimum=1)
        code_dim = validate.integer(code_dim, "code_dim", minimum=1)
        seed = validate.integer(seed, "seed")
        if code_dim % n_groups:
            raise ValueError(f"code_dim={code_dim} must be divisible by n_groups={n_groups}")
        self.n_groups, self.entries_per_group = n_groups, entries_per_group
        with torch.random.fork_rng(devices=[]):  # seeded init, the caller's generator untouched
            torch.manual_seed(seed)
            self.to_logits = nn.Linear(in_dim, n_groups * entries_per_group)
            self.codebooks = nn.Parameter(
                torch.randn(n_groups, entries_per_group, code_dim // n_groups))

    def forward(self, inputs: torch.Tensor, tau: float = 1.0):
        """``(quantized, indices)`` for ``(..., in_dim)`` inputs; ``tau > 0`` is the softmax
        temperature of the training-time gradient. Explained in notebook 05."""
        inputs = validate.tensor(inputs, "inputs", dtype=self.codebooks.dtype)
        tau = validate.real(tau, "tau", above=0)
        if inputs.shape[-1] != self.to_logits.in_features:
            raise ValueError(f"inputs must have dim {self.to_logits.in_features} in the last "
                             f"axis, got inputs of dim {inputs.shape[-1]}")
        logits = self.to_logits(inputs).unflatten(-1, (self.n_groups, self.entries_per_group))
        if self.training:
            one_hot = F.gumbel_softmax(logits, tau=tau, hard=True)
        else:
            one_hot = F.one_hot(logits.argmax(-1), self.entries_per_group).to(logits.dtype)
        chosen = torch.einsum("...gv,gvd->...gd", one_hot, self.codebooks)
        return chosen.flatten(-2), one_hot.argmax(-1)


# --- residual vector quantization ------------------------------------------------------------

def rvq_encode(vectors: np.ndarray, codebooks: list[np.ndarray]) -> np.ndarray:
    """Residual VQ: level 1 quantizes the vector, each next level what the levels before missed.

    With codebooks ``C1, C2, C3`` (three levels)::

        x  -- level 1 -->  codes[:, 0] = nearest(x,  C1)   r1 = x  - C1[codes[:, 0]]
        r1 -- level 2 -->  codes[:, 1] = nearest(r1, C2)   r2 = r1 - C2[codes[:, 1]]
        r2 -- level 3 -->  codes[:, 2] = nearest(r2, C3)   r3 = r2 - C3[codes[:, 2]]

                     level 1  level 2  level 3
        codes = [ [    17,     201,      40  ],     vector 0 ~ C1[17] + C2[201] + C3[40]
                  [    17,      88,       3  ],     vector 1
                  [   140,       5,      77  ] ]    vector 2: one row per vector (frame)

    :func:`rvq_decode` adds the chosen entries back up; what it misses is the last residual.

    Args:
        vectors: ``(n_vectors, dim)``.
        codebooks: one ``(codebook_size, dim)`` array per level.

    Returns:
        ``(n_vectors, n_levels)`` int64 codes. Explained in notebook 06, section "RVQ from scratch".
    """
    vectors = _vectors(vectors)
    codebooks = _codebook_list(codebooks, vectors.shape[1])
    residual, codes = vectors.copy(), []
    for codebook in codebooks:
        indices = nearest_code(residual, codebook)
        residual -= codebook[indices]
        codes.append(indices)
    return np.stack(codes, axis=1)


def rvq_decode(codes: np.ndarray, codebooks: list[np.ndarray]) -> np.ndarray:
    """Sum of the chosen codewords of the levels present: ``(n_vectors, n_levels')`` -> vectors.

    ``codes`` may hold fewer levels than ``codebooks`` (the leading ones): decoding fewer levels
    is how one RVQ model serves several bitrates.
    Explained in notebook 06, section "RVQ from scratch".
    """
    codebooks = _codebook_list(codebooks, None)
    codes = validate.array(codes, "codes", ndim=2, dtype=np.int64, min_length=0)
    if not 1 <= codes.shape[1] <= len(codebooks):
        raise ValueError(f"codes must have shape (n_vectors, n_levels) with 1 <= n_levels <= "
                         f"{len(codebooks)}, got {codes.shape}")
    total = np.zeros((codes.shape[0], codebooks[0].shape[1]))
    for level in range(codes.shape[1]):
        total += codebooks[level][_level_codes(codes[:, level], len(codebooks[level]), level)]
    return total


def _level_codes(codes, codebook_size: int, level: int):
    """One level's codes, checked to index its codebook (a negative code would wrap around)."""
    n_codes = codes.numel() if isinstance(codes, torch.Tensor) else codes.size
    if n_codes and (codes.min() < 0 or codes.max() >= codebook_size):
        raise ValueError(f"codes must hold indices in [0, {codebook_size}) at level {level}, "
                         f"got values from {int(codes.min())} to {int(codes.max())}")
    return codes


def train_rvq(vectors: np.ndarray, n_levels: int, codebook_size: int, *, seed: int = 0,
              n_iter: int = 50) -> list[np.ndarray]:
    """Fit RVQ greedily: k-means on the vectors, then k-means on each level's residuals.

    Returns ``n_levels`` codebooks ``(codebook_size, dim)``.
    Explained in notebook 06, section "RVQ from scratch".
    """
    vectors = _vectors(vectors)
    n_levels = validate.integer(n_levels, "n_levels", minimum=1)
    seed = validate.integer(seed, "seed", minimum=0)
    residual, codebooks = vectors.copy(), []
    for level in range(n_levels):
        centroids, labels = kmeans(residual, codebook_size, seed=seed + level, n_iter=n_iter)
        residual -= centroids[labels]
        codebooks.append(centroids)
    return codebooks


def bitrate(frames_per_second: float, n_levels: int, codebook_size: int) -> float:
    """Bits per second of RVQ codes: frames_per_second x n_levels x log2(codebook_size).

    EnCodec at 75 fps with 8 levels of 1024 entries: 75 x 8 x 10 = 6,000 bit/s.
    Explained in notebook 06, section "What the codes cost: bitrate".
    """
    frames_per_second = validate.real(frames_per_second, "frames_per_second", above=0)
    n_levels = validate.integer(n_levels, "n_levels", minimum=1)
    codebook_size = validate.integer(codebook_size, "codebook_size", minimum=2)
    return frames_per_second * n_levels * math.log2(codebook_size)


class ResidualVectorQuantizer(nn.Module):
    """A stack of :class:`VectorQuantizer` levels on residuals, with quantizer dropout.

    ``forward(vectors, n_levels=None)`` on ``(..., dim)`` returns ``(quantized, codes, loss)``
    with codes ``(..., n_used)``. In training, a share ``dropout`` of the examples (index along
    the first axis) each keeps its own random number of leading levels, drawn uniformly from
    1..n_levels, so that the decoder learns to work from 1, 2, ... levels and one model serves
    every bitrate; the other examples keep every level. SoundStream draws for every example
    (``dropout=1.0``), DAC for half of them (0.5). A dropped level's codes are -1.
    ``ema_decay`` is passed to every level.
    Explained in notebook 06, section "Quantizer dropout: one model, many bitrates".
    """

    def __init__(self, n_levels: int, codebook_size: int, dim: int, commitment: float = 0.25,
                 dropout: float = 1.0, seed: int = 0, ema_decay: float | None = None):
        super().__init__()
        n_levels = validate.integer(n_levels, "n_levels", minimum=1)
        seed = validate.integer(seed, "seed")
        self.levels = nn.ModuleList(
            VectorQuantizer(codebook_size, dim, commitment, seed=seed + level,
                            ema_decay=ema_decay)
            for level in range(n_levels))
        self.dropout = validate.real(dropout, "dropout", minimum=0, maximum=1)
        self._generator = torch.Generator().manual_seed(seed)

    @property
    def n_levels(self) -> int:
        """How many levels (codebooks) the stack holds. Explained in notebook 06."""
        return len(self.levels)

    def forward(self, vectors: torch.Tensor, n_levels: int | None = None):
        """``(quantized, codes, loss)`` for ``(..., dim)`` vectors with the leading ``n_levels``
        levels (all, or per example a random number in training with dropout; codes of a
        dropped level are -1). Explained in notebook 06."""
        vectors = self.levels[0]._vectors(vectors)
        if n_levels is not None:
            n_levels = validate.integer(n_levels, "n_levels", minimum=1, maximum=self.n_levels)
        kept = None  # per example: how many leading levels it keeps
        if n_levels is None:
            n_levels = self.n_levels
            if self.training and self.dropout > 0:
                n_examples = vectors.shape[0] if vectors.ndim > 1 else 1
                kept = torch.randint(1, self.n_levels + 1, (n_examples,),
                                     generator=self._generator)
                dropping = torch.rand(n_examples, generator=self._generator) < self.dropout
                kept = torch.where(dropping, kept, self.n_levels)
                kept = kept.reshape(kept.shape[:vectors.ndim - 1] + (1,) * (vectors.ndim - 2))
        residual, total = vectors, torch.zeros_like(vectors)
        codes, loss = [], vectors.new_zeros(())
        for number, level in enumerate(self.levels[:n_levels]):
            active = None if kept is None else (number < kept).expand(vectors.shape[:-1])
            level_codes, indices, level_loss = level._lookup(residual, active)
            if active is not None:
                level_codes = level_codes * active.unsqueeze(-1).to(level_codes.dtype)
                indices = indices.masked_fill(~active, -1)
            residual = residual - level_codes.detach()
            total = total + level_codes.detach()
            codes.append(indices)
            loss = loss + level_loss
        # one straight-through step for the sum, so the encoder's gradient is the identity
        return straight_through(vectors, total), torch.stack(codes, dim=-1), loss

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Sum of the codewords of the leading ``codes.shape[-1]`` levels: ``(..., dim)``.

        ``codes`` is ``(..., n_used)`` integers (a tensor, array or list), level ``i``'s in
        ``[0, codebook_size)``. Explained in notebook 06.
        """
        codes = validate.tensor(codes, "codes", dtype=torch.int64)
        if not 1 <= codes.shape[-1] <= self.n_levels:
            raise ValueError(f"codes must have 1 to {self.n_levels} levels in the last axis, "
                             f"got {codes.shape[-1]}")
        levels = self.levels[:codes.shape[-1]]
        for i, level in enumerate(levels):
            _level_codes(codes[..., i], level.codebook.shape[0], i)
        return sum(level.codebook[codes[..., i]] for i, level in enumerate(levels))
