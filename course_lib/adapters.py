"""Adapters: from a frozen audio encoder's frames to vectors a frozen text LM reads.

Every adapter has one interface::

    adapter(hidden, mask, log_probs=None) -> (tokens, token_mask)

    hidden     (batch, T, D_enc)   encoder states at 50 frames/s (the recognizer's, D_enc = 192)
    mask       (batch, T) bool     True on real frames, False on padding
    log_probs  (batch, T, labels)  the recognizer's CTC outputs (only ``ctc_merge`` reads them)
    tokens     (batch, T', D_llm)  what goes in front of the text embeddings
    token_mask (batch, T') bool    True on real tokens

and T' follows ``rates.adapter_tokens``. The families, after the systems that use them:

* ``linear`` / ``mlp``: one token per frame (LLaVA-style projection; T' = T);
* ``stack``: concatenate ``factor`` adjacent frames, then a SwiGLU MLP (Ultravox: 8 frames,
  50 -> 6.25 tokens/s);
* ``pool``: average ``factor`` adjacent frames, then an MLP (Qwen-Audio: 2, 50 -> 25/s);
* ``conv``: a strided 1-D convolution, stride ``factor``, kernel 2 (factor // 2) + 1 (SpeechVerse downsamples so);
* ``qformer``: ``n_queries`` learned queries cross-attend to all frames (BLIP-2: 32); the
  frames get their place in the clip (:func:`place_code`) and query i starts at place
  i / (n_queries - 1);
* ``window_qformer``: one query per ``window`` frames, attending only to its window, whose
  frames get their place in it (SALMONN: 17 frames, about 0.33 s);
* ``ctc_merge``: one token per run of the recognizer's greedy CTC path, the mean of its
  frames (``ctc.merge_by_ctc_segments``), then an MLP.

A padded batch gives each item what the item alone gives: padding is zeroed or masked
before anything mixes frames. Explained in notebook 08, section "Six adapter families".
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from course_lib import ctc, rates, validate

D_ENCODER = 192   # the recognizer's hidden size (2 x 96, bidirectional GRU)
D_LLM = 128       # the tiny LM's width
DEFAULT_SETTINGS = {"linear": {}, "mlp": {}, "stack": {"factor": 8}, "pool": {"factor": 2},
                    "conv": {"factor": 4}, "qformer": {"n_queries": 32},
                    "window_qformer": {"window": 17}, "ctc_merge": {}}


def check_batch(hidden, mask, d_encoder: int = D_ENCODER):
    """``hidden`` as float32 (batch, T, d_encoder) and ``mask`` as bool (batch, T), every item
    with at least one real frame, the real frames first. Raises ValueError/TypeError naming the
    argument otherwise. Explained in notebook 08, section "Six adapter families"."""
    hidden = validate.tensor(hidden, "hidden", dtype=torch.float32, min_ndim=1)
    if hidden.ndim != 3 or hidden.shape[2] != d_encoder:
        raise ValueError(f"hidden must have shape (batch, n_frames, {d_encoder}), got "
                         f"{validate.describe(hidden)}")
    if not isinstance(mask, torch.Tensor):
        mask = torch.as_tensor(validate.array(mask, "mask", ndim=2, dtype=bool))
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be a bool tensor (True on real frames), got "
                        f"{validate.describe(mask)}")
    if tuple(mask.shape) != tuple(hidden.shape[:2]):
        raise ValueError(f"mask must have shape {tuple(hidden.shape[:2])} (batch, n_frames), "
                         f"got {tuple(mask.shape)}")
    lengths = mask.sum(1)
    if bool((lengths == 0).any()):
        raise ValueError("mask must mark at least one real frame in every item, got an item "
                         "with none")
    if not torch.equal(mask, torch.arange(mask.shape[1])[None] < lengths[:, None]):
        raise ValueError("mask must mark each item's real frames first, then padding, got "
                         "a mask with gaps")
    return hidden, mask


def _mlp(d_in: int, d_out: int, d_hidden: int = 256) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, d_hidden), nn.GELU(), nn.Linear(d_hidden, d_out))


class SwiGLU(nn.Module):
    """Ultravox's projector: ``W_out (silu(W_gate x) * (W_up x))``.
    Explained in notebook 08, section "Six adapter families"."""

    def __init__(self, d_in: int, d_out: int, d_hidden: int = 256):
        super().__init__()
        self.gate, self.up = nn.Linear(d_in, d_hidden), nn.Linear(d_in, d_hidden)
        self.out = nn.Linear(d_hidden, d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(F.silu(self.gate(x)) * self.up(x))


def _groups(hidden: torch.Tensor, mask: torch.Tensor, size: int):
    """Zero the padding, pad T up to a multiple of ``size`` and fold: (batch, T', size, D)
    frames and (batch, T', size) mask."""
    batch, n_frames, dim = hidden.shape
    n_groups = rates.pooled_tokens(n_frames, size)
    extra = n_groups * size - n_frames
    hidden = F.pad(hidden * mask[..., None], (0, 0, 0, extra))
    mask = F.pad(mask, (0, extra))
    return hidden.reshape(batch, n_groups, size, dim), mask.reshape(batch, n_groups, size)


def place_code(place: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoids of a place between 0 and 1: (...,) -> (..., dim), pairs sin(pi k place),
    cos(pi k place) for k = 1 .. dim / 2. Cross-attention alone reads its frames as a bag; a
    Q-Former's keys need their place, as Whisper's frames carry their positions and a ViT's
    patches theirs. A clip's place (not the frame index) because clips here are not padded to a
    fixed 30 s as Whisper's are. Explained in notebook 08, section "Six adapter families"."""
    angles = math.pi * place[..., None] * torch.arange(1, dim // 2 + 1, dtype=torch.float32)
    return torch.cat([angles.sin(), angles.cos()], dim=-1)


class Adapter(nn.Module):
    """One adapter of ``family`` (see the module's docstring), D_enc -> D_llm.

    ``factor`` for stack, pool and conv; ``n_queries`` for qformer; ``window`` for
    window_qformer. ``forward(hidden, mask, log_probs=None) -> (tokens, token_mask)``.
    Explained in notebook 08, section "Six adapter families".
    """

    def __init__(self, family: str, *, factor: int = 1, n_queries: int = 32, window: int = 17,
                 d_encoder: int = D_ENCODER, d_llm: int = D_LLM):
        super().__init__()
        self.family = validate.choice(family, "family", rates.ADAPTER_FAMILIES)
        self.factor = validate.integer(factor, "factor", minimum=1)
        self.n_queries = validate.integer(n_queries, "n_queries", minimum=1)
        self.window = validate.integer(window, "window", minimum=1)
        self.d_encoder = validate.integer(d_encoder, "d_encoder", minimum=1)
        self.d_llm = validate.integer(d_llm, "d_llm", minimum=1)
        if family == "linear":
            self.project = nn.Linear(d_encoder, d_llm)
        elif family in ("mlp", "pool", "ctc_merge"):
            self.project = _mlp(d_encoder, d_llm)
        elif family == "stack":
            self.project = SwiGLU(factor * d_encoder, d_llm)
        elif family == "conv":
            self.conv = nn.Conv1d(d_encoder, 256, kernel_size=2 * (factor // 2) + 1,
                                  stride=factor, padding=factor // 2)
            self.project = nn.Sequential(nn.GELU(), nn.Linear(256, d_llm))
        else:
            self.queries = nn.Parameter(0.02 * torch.randn(
                n_queries if family == "qformer" else 1, 128))
            self.frames_in = nn.Linear(d_encoder, 128)
            self.blocks = nn.ModuleList(_QueryBlock(128) for _ in range(2))
            self.project = nn.Linear(128, d_llm)
            if family == "qformer":
                self._spread_queries()

    @torch.no_grad()
    def _spread_queries(self):
        """Start query i at the place code of i / (n_queries - 1) and let every cross-attention
        start by comparing places (its query and key projections the identity, doubled): at
        step 0 the queries tile the clip in order; training moves them from there."""
        self.queries.copy_(place_code(torch.linspace(0, 1, self.n_queries), 128))
        for block in self.blocks:
            block.cross_attention.in_proj_weight[:256] = 2 * torch.eye(128).repeat(2, 1)

    def n_tokens(self, n_frames: int, n_segments: int | None = None) -> int:
        """T' for ``n_frames`` (``rates.adapter_tokens`` with this adapter's settings).
        Explained in notebook 08, section "Six adapter families"."""
        return rates.adapter_tokens(self.family, n_frames, factor=self.factor,
                                    n_queries=self.n_queries, window=self.window,
                                    n_segments=n_segments)

    def forward(self, hidden, mask, log_probs=None):
        hidden, mask = check_batch(hidden, mask, self.d_encoder)
        family = self.family
        if family in ("linear", "mlp"):
            return self.project(hidden) * mask[..., None], mask
        if family in ("stack", "pool"):
            frames, frame_mask = _groups(hidden, mask, self.factor)
            if family == "stack":
                merged = frames.flatten(2)
            else:
                merged = frames.sum(2) / frame_mask.sum(2, keepdim=True).clamp(min=1)
            token_mask = frame_mask.any(2)
            return self.project(merged) * token_mask[..., None], token_mask
        if family == "conv":
            out = self.conv((hidden * mask[..., None]).transpose(1, 2)).transpose(1, 2)
            lengths = torch.tensor([self.n_tokens(int(n)) for n in mask.sum(1)])
            token_mask = torch.arange(out.shape[1])[None] < lengths[:, None]
            return self.project(out) * token_mask[..., None], token_mask
        if family == "ctc_merge":
            return self._ctc_merge(hidden, mask, log_probs)
        return self._queries(hidden, mask)

    def _queries(self, hidden, mask):
        batch, n_frames, _ = hidden.shape
        frames = self.frames_in(hidden)
        if self.family == "qformer":   # each frame's place in its clip, 0 (first) to 1 (last)
            place = torch.arange(n_frames) / (mask.sum(1, keepdim=True) - 1).clamp(min=1)
            keys, key_mask = frames + place_code(place, frames.shape[-1]), mask
            queries = self.queries.expand(batch, -1, -1)
        else:  # every window is a little batch item of its own, with one query
            grouped, grouped_mask = _groups(frames, mask, self.window)
            n_windows = grouped.shape[1]
            grouped = grouped + place_code(torch.arange(self.window) / max(1, self.window - 1),
                                           grouped.shape[-1])
            keys = grouped.reshape(batch * n_windows, self.window, -1)
            key_mask = grouped_mask.reshape(batch * n_windows, self.window).clone()
            key_mask[:, 0] = True   # an all-padding window attends to one zero frame; dropped
            queries = self.queries.expand(batch * n_windows, -1, -1)
        x = queries
        for block in self.blocks:
            x = block(x, keys, key_mask)
        if self.family == "qformer":
            return self.project(x), torch.ones(batch, self.n_queries, dtype=torch.bool)
        x = x.reshape(batch, -1, x.shape[-1])
        token_mask = grouped_mask.any(2)
        return self.project(x) * token_mask[..., None], token_mask

    def _ctc_merge(self, hidden, mask, log_probs):
        if log_probs is None:
            raise ValueError("log_probs must be given for the ctc_merge adapter (the "
                             "recognizer's CTC outputs, (batch, n_frames, labels)), got None")
        log_probs = validate.tensor(log_probs, "log_probs", dtype=torch.float32, min_ndim=3)
        if tuple(log_probs.shape[:2]) != tuple(hidden.shape[:2]):
            raise ValueError(f"log_probs must have shape {tuple(hidden.shape[:2])} + (labels,), "
                             f"got {tuple(log_probs.shape)}")
        merged = []
        for item, n in enumerate(mask.sum(1).tolist()):
            vectors, _ = ctc.merge_by_ctc_segments(hidden[item, :n].detach().numpy(),
                                                   log_probs[item, :n].detach().numpy())
            merged.append(torch.from_numpy(vectors))
        tokens = nn.utils.rnn.pad_sequence(merged, batch_first=True)
        lengths = torch.tensor([len(m) for m in merged])
        token_mask = torch.arange(tokens.shape[1])[None] < lengths[:, None]
        return self.project(tokens) * token_mask[..., None], token_mask


class _QueryBlock(nn.Module):
    """Q-Former block: queries self-attend, cross-attend to the frames, then an MLP."""

    def __init__(self, dim: int, n_heads: int = 4):
        super().__init__()
        self.norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(3))
        self.self_attention = nn.MultiheadAttention(dim, n_heads, batch_first=True)
        self.cross_attention = nn.MultiheadAttention(dim, n_heads, batch_first=True)
        self.mlp = _mlp(dim, dim, 2 * dim)
        self.last_attention = None

    def cross_attention_weights(self) -> torch.Tensor:
        """The last call's cross-attention, averaged over heads: (batch, queries, frames)."""
        return self.last_attention

    def forward(self, queries, frames, frame_mask):
        x = self.norms[0](queries)
        queries = queries + self.self_attention(x, x, x, need_weights=False)[0]
        attended, weights = self.cross_attention(self.norms[1](queries), frames, frames,
                                                 key_padding_mask=~frame_mask)
        self.last_attention = weights.detach()        # (batch, n_queries, n_frames)
        queries = queries + attended
        return queries + self.mlp(self.norms[2](queries))


def make_adapter(family: str, **settings) -> Adapter:
    """An :class:`Adapter` of ``family`` with the bake-off's settings
    (:data:`DEFAULT_SETTINGS`), any of them overridden by ``settings``.
    Explained in notebook 08, section "Six adapter families"."""
    family = validate.choice(family, "family", rates.ADAPTER_FAMILIES)
    return Adapter(family, **{**DEFAULT_SETTINGS[family], **settings})


def coverage(adapter: Adapter, hidden, log_probs=None) -> torch.Tensor:
    """Which frames each output token of ``adapter`` reads, for one utterance ``hidden``
    (n_frames, D_enc): a (T', n_frames) matrix whose rows sum to 1. A frame-based family gives
    equal weights over its frames (a stack's 8, a pool's 2, a convolution's kernel, a CTC run,
    a window); a Q-Former gives its queries' cross-attention maps, averaged over heads, from
    its last block.
    Explained in notebook 08, section "Explore: which frames each token reads".
    """
    if not isinstance(adapter, Adapter):
        raise TypeError(f"adapter must be an adapters.Adapter, got {validate.describe(adapter)}")
    hidden = validate.tensor(hidden, "hidden", dtype=torch.float32, min_ndim=2)
    if hidden.ndim != 2:
        raise ValueError(f"hidden must have shape (n_frames, D_enc), got "
                         f"{validate.describe(hidden)}")
    n_frames = hidden.shape[0]
    mask = torch.ones(1, n_frames, dtype=torch.bool)
    family = adapter.family
    if family in ("qformer", "window_qformer"):
        with torch.no_grad():
            adapter(hidden[None], mask)
        attention = adapter.blocks[-1].cross_attention_weights()
        if family == "qformer":
            return attention[0]
        n_windows, window = attention.shape[0], adapter.window
        spread = torch.zeros(n_windows, n_windows * window)
        for w in range(n_windows):
            spread[w, w * window:(w + 1) * window] = attention[w, 0]
        return spread[:, :n_frames] / spread[:, :n_frames].sum(1, keepdim=True)
    if family in ("linear", "mlp"):
        return torch.eye(n_frames)
    if family == "ctc_merge":
        if log_probs is None:
            raise ValueError("log_probs must be given for the ctc_merge adapter, got None")
        spans = [(start, end) for _, start, end in ctc.ctc_segments(
            validate.array(log_probs, "log_probs", ndim=2))]
    else:
        factor = adapter.factor
        if family == "conv":   # output t reads frames t*factor - p .. t*factor + p, p = factor // 2
            before, after = factor // 2, factor // 2 + 1
        else:                  # a stack or a pool reads its own group of factor frames
            before, after = 0, factor
        spans = [(max(0, t * factor - before), min(n_frames, t * factor + after))
                 for t in range(adapter.n_tokens(n_frames))]
    weights = torch.zeros(len(spans), n_frames)
    for row, (start, end) in enumerate(spans):
        weights[row, start:end] = 1.0 / (end - start)
    return weights
