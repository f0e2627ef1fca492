"""A tiny phone-to-codec-token generator, one model family for every serialization order.

Work in progress for issue 13 (notebook 10, part 2). What is here: the conditioning (phones
expanded to codec frames by their eSpeak durations), one small transformer over the code
matrix, and the glue that lets :func:`course_lib.serialize.decode` drive it in any order.
Not here yet: training, shipped weights, the bake-off measurements.

Design: the generator sees the whole (n_frames, N_LEVELS) code matrix with
:data:`course_lib.serialize.MASK` where no code is known yet, plus each frame's phone, and
gives log-probabilities for every code. Which codes are known when it scores a target is what
an order decides, so one network serves all five orders; an order's training would show it the
contexts that order produces (codes fixed before a step of
:func:`course_lib.serialize.generation_order`). The toy is given the alignment (eSpeak
durations); VALL-E learns it itself.

Explained in notebook 10, section "A generator over the code matrix".
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from torch import nn

from course_lib import codec, phones as phone_inventory, serialize, validate

N_LEVELS = 4  # the generator makes the codec's first 4 levels
D_MODEL = 128
N_LAYERS = 2
N_HEADS = 4
MAX_FRAMES = 1024  # longest code matrix the position table covers (20.48 s)


def frame_phones(phone_sequence) -> np.ndarray:
    """Each codec frame's phone index (into :data:`course_lib.phones.LABELS`).

    ``phone_sequence`` is a non-empty sequence of :class:`course_lib.synth.Phone` with eSpeak
    times; the number of frames is ``ceil(last end * 50)``, and frame i gets the phone at its
    centre (:func:`course_lib.codec.frame_centres`, :func:`course_lib.phones.phones_at`).
    Returns (n_frames,) int64. Raises ValueError for an empty sequence or an unknown phone.
    Explained in notebook 10, section "A generator over the code matrix".
    """
    if isinstance(phone_sequence, (str, bytes)) or not hasattr(phone_sequence, "__len__"):
        raise TypeError("phone_sequence must be a non-empty sequence of Phone, got "
                        f"{validate.describe(phone_sequence)}")
    if len(phone_sequence) == 0:
        raise ValueError("phone_sequence must be a non-empty sequence of Phone, got an empty one")
    end = float(phone_sequence[-1].end)
    if not end > 0:
        raise ValueError(f"phone_sequence must end after 0 s, got a last end of {end}")
    n_frames = int(np.ceil(end * codec.FRAMES_PER_SECOND - 1e-9))
    if n_frames > MAX_FRAMES:
        raise ValueError(f"phone_sequence must last at most {MAX_FRAMES} frames, got {n_frames}")
    labels = phone_inventory.phones_at(phone_sequence, codec.frame_centres(n_frames))
    return np.asarray(phone_inventory.phones_to_indices(labels), dtype=np.int64)


class CodeGenerator(nn.Module):
    """Phones per frame + a partly known code matrix -> log-probabilities of every code.

    Input per frame: phone embedding + position embedding + one embedding per level of its
    code (an extra entry stands for MASK). A transformer encoder over frames, then one linear
    head per level. Shapes: ``phones`` (B, T) int64, ``codes`` (B, T, N_LEVELS) int64 with
    MASK = -2; returns (B, T, N_LEVELS, CODEBOOK_SIZE) log-probabilities.
    Explained in notebook 10, section "A generator over the code matrix".
    """

    def __init__(self):
        super().__init__()
        self.phone_embedding = nn.Embedding(len(phone_inventory.LABELS), D_MODEL)
        self.position_embedding = nn.Embedding(MAX_FRAMES, D_MODEL)
        self.code_embeddings = nn.ModuleList(
            nn.Embedding(codec.CODEBOOK_SIZE + 1, D_MODEL) for _ in range(N_LEVELS))
        layer = nn.TransformerEncoderLayer(D_MODEL, N_HEADS, 4 * D_MODEL, dropout=0.0,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, N_LAYERS, enable_nested_tensor=False)
        self.heads = nn.Linear(D_MODEL, N_LEVELS * codec.CODEBOOK_SIZE)

    def forward(self, phones: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        n_batch, n_frames = phones.shape
        positions = torch.arange(n_frames, device=phones.device)
        hidden = self.phone_embedding(phones) + self.position_embedding(positions)
        known = torch.where(codes < 0, torch.full_like(codes, codec.CODEBOOK_SIZE), codes)
        for level, embedding in enumerate(self.code_embeddings):
            hidden = hidden + embedding(known[..., level])
        logits = self.heads(self.encoder(hidden))
        logits = logits.view(n_batch, n_frames, N_LEVELS, codec.CODEBOOK_SIZE)
        return torch.log_softmax(logits, dim=-1)


def model_function(generator: CodeGenerator, frame_phone_indices: np.ndarray):
    """Wrap ``generator`` as the model function that :func:`course_lib.serialize.decode` calls:
    it scores ``step.targets`` given ``step.codes`` and the frames' phones.
    Returns a callable DecodeStep -> (n_targets, CODEBOOK_SIZE) float64 log-probabilities.
    Explained in notebook 10, section "A generator over the code matrix".
    """
    phones = torch.as_tensor(frame_phone_indices, dtype=torch.int64)[None]

    def score(step: serialize.DecodeStep) -> np.ndarray:
        with torch.no_grad():
            log_probs = generator(phones, torch.as_tensor(step.codes, dtype=torch.int64)[None])[0]
        frames, levels = step.targets[:, 0], step.targets[:, 1]
        return log_probs[frames, levels].double().numpy()

    return score


def generate(generator: CodeGenerator, phone_sequence, pattern: str, *,
             seed: int | None = None) -> np.ndarray:
    """Codec codes for ``phone_sequence`` decoded in ``pattern``'s order.

    Greedy when ``seed`` is None, else sampled with ``numpy.random.default_rng(seed)``.
    Returns (n_frames, N_LEVELS) int64 codes in [0, CODEBOOK_SIZE), n_frames as in
    :func:`frame_phones`. Raises ValueError for an unknown pattern, an empty sequence or an
    unknown phone.
    Explained in notebook 10, section "A generator over the code matrix".
    """
    if not isinstance(generator, CodeGenerator):
        raise TypeError(f"generator must be a CodeGenerator, got {validate.describe(generator)}")
    pattern = validate.choice(pattern, "pattern", serialize.PATTERNS)
    indices = frame_phones(phone_sequence)
    rng = None if seed is None else np.random.default_rng(validate.integer(seed, "seed", minimum=0))
    generator.eval()
    return serialize.decode(model_function(generator, indices), pattern, len(indices),
                            N_LEVELS, rng=rng).codes


@functools.lru_cache(maxsize=64)
def _order(pattern: str, n_frames: int) -> np.ndarray:
    """:func:`course_lib.serialize.generation_order` for N_LEVELS levels, computed once."""
    step_of = serialize.generation_order(pattern, n_frames, N_LEVELS)
    step_of.setflags(write=False)
    return step_of


def training_context(codes, pattern: str, rng: np.random.Generator):
    """One training example in ``pattern``'s order: the context one of its decode steps sees.

    Draws a step s uniformly from the order's steps (:func:`course_lib.serialize
    .generation_order`; for ``"masked"`` that order is one seeded stand-in run, so which codes
    a pass fixes is random, as in MaskGIT-style training). ``codes`` is (n_frames, N_LEVELS)
    int64. Returns ``(inputs, targets)``: inputs are the codes with MASK wherever the step is
    s or later, targets an (n_frames, N_LEVELS) bool array of the codes fixed at step s (the
    ones the loss scores).
    Explained in notebook 10, section "A generator over the code matrix".
    """
    pattern = validate.choice(pattern, "pattern", serialize.PATTERNS)
    codes = validate.array(codes, "codes", ndim=2, dtype=np.int64)
    if codes.shape[1] != N_LEVELS or len(codes) == 0:
        raise ValueError(f"codes must have shape (n_frames >= 1, {N_LEVELS}), got {codes.shape}")
    rng = validate.generator(rng, "rng")
    step_of = _order(pattern, len(codes))
    step = int(rng.integers(step_of.max() + 1))
    inputs = np.where(step_of >= step, serialize.MASK, codes)
    return inputs, step_of == step


def context_loss(generator: CodeGenerator, phones: torch.Tensor, inputs: torch.Tensor,
                 codes: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood of the target codes given their context.

    Shapes: ``phones`` (B, T) int64; ``inputs`` (B, T, N_LEVELS) int64 with MASK (from
    :func:`training_context`); ``codes`` (B, T, N_LEVELS) the true codes; ``targets``
    (B, T, N_LEVELS) bool, the codes scored. Returns a scalar tensor.
    Explained in notebook 10, section "A generator over the code matrix".
    """
    if not bool(targets.any()):
        raise ValueError("targets must mark at least one code, got none")
    log_probs = generator(phones, inputs)
    picked = log_probs.gather(-1, codes.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return -picked[targets].mean()
