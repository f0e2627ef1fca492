"""A tiny phone-to-codec-token generator, one model family for every serialization order.

The generator reads a phone per codec frame (the phones expanded by their eSpeak durations)
and writes the first :data:`N_LEVELS` levels of the course's codec (notebook 06) for those
frames. The toy is *given* the alignment; VALL-E learns it itself, from phones that are not
expanded.

One network, :class:`CodeGenerator`, serves all five orders of :mod:`course_lib.serialize`.
It sees the whole (n_frames, N_LEVELS) code matrix with :data:`course_lib.serialize.MASK`
wherever no code is known yet, plus each frame's phone, and gives log-probabilities for every
code. Which codes are known when a code is chosen is exactly what an order decides, so an
order's generator is this network trained on the contexts that order's decode loop produces
(:func:`training_context`), and decoded by :func:`course_lib.serialize.decode`::

    frame:        0   1   2   3   4   5        step s of the delay order, K = 4:
    phone:        h   h   ə   ə   l   l        the codes fixed before s are visible,
    level 1:      a0  a1  a2  a3  ?   ?        the rest are MASK (?), and the network
    level 2:      b0  b1  b2  ?   ?   ?        scores the step's targets: a4 b3 c2 d1
    level 3:      c0  c1  ?   ?   ?   ?
    level 4:      d0  ?   ?   ?   ?   ?

The RQ order splits the network as the RQ-Transformer does: the transformer over frames (the
*temporal* model) runs once per frame step, and a small per-frame *depth* block, which adds
the codes fixed since then for the same frame, runs once per level (:meth:`CodeGenerator.encode`
and :meth:`CodeGenerator.depth`). Every other order runs the whole network at every step.

``python -m course_lib.generate`` trains one generator per order and a phone-blind one, all
with the same budget, runs the bake-off and writes ``data/generators.pt``.

Explained in notebook 10, section "A generator over the code matrix".
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from course_lib import codec, metrics, serialize, validate
from course_lib.ctc import runs
from course_lib import phones as phone_inventory
from course_lib.data import CACHE_DIR, TRAINING_CORPORA, WEIGHTS_DIR, build_corpus, build_held_out
from course_lib.threads import limited_threads

N_LEVELS = 4  # the generator makes the codec's first 4 levels
D_MODEL = 96
N_LAYERS = 3
N_HEADS = 4
MAX_FRAMES = 1024  # longest code matrix a generator accepts (20.48 s)
WEIGHTS_PATH = WEIGHTS_DIR / "generators.pt"
PHONE_BLIND = "phone-blind"  # the baseline: delay order, trained and run on shuffled phones
BASELINE_ORDER = "delay"
GENERATORS = serialize.PATTERNS + (PHONE_BLIND,)


def frame_phones(phone_sequence, n_frames: int | None = None) -> np.ndarray:
    """Each codec frame's phone index (into :data:`course_lib.phones.LABELS`).

    ``phone_sequence`` is a non-empty sequence of :class:`course_lib.synth.Phone` with eSpeak
    times. The number of frames is ``n_frames`` if given (a recording's codec frames), else
    ``ceil(last end * 50)``; frame i gets the phone at its centre
    (:func:`course_lib.codec.frame_centres`, :func:`course_lib.phones.phones_at`).
    Returns (n_frames,) int64. Raises ValueError for an empty sequence, an unknown phone or
    more than :data:`MAX_FRAMES` frames.
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
    if n_frames is None:
        n_frames = int(np.ceil(end * codec.FRAMES_PER_SECOND - 1e-9))
    n_frames = validate.integer(n_frames, "n_frames", minimum=1)
    if n_frames > MAX_FRAMES:
        raise ValueError(f"phone_sequence must last at most {MAX_FRAMES} frames, got {n_frames}")
    labels = phone_inventory.phones_at(phone_sequence, codec.frame_centres(n_frames))
    return np.asarray(phone_inventory.phones_to_indices(labels), dtype=np.int64)


def sinusoidal_positions(n_positions: int, dim: int = D_MODEL, *, start: int = 0,
                         device=None) -> torch.Tensor:
    """(n_positions, dim) sinusoidal codes of positions start .. start + n_positions - 1, as in
    "Attention is all you need": sin and cos pairs at geometrically spaced rates. The frame
    positions of the generators, and the token positions of notebook 09's native model.
    Explained in notebook 10, section "A generator over the code matrix"."""
    position = torch.arange(start, start + n_positions, dtype=torch.float32, device=device)[:, None]
    rate = torch.exp(torch.arange(0, dim, 2, device=device) * (-math.log(10_000.0) / dim))
    code = torch.zeros(n_positions, dim, device=device)
    code[:, 0::2], code[:, 1::2] = torch.sin(position * rate), torch.cos(position * rate)
    return code


class CodeGenerator(nn.Module):
    """Phones per frame + a partly known code matrix -> log-probabilities of every code.

    Temporal model (:meth:`encode`): per frame, phone embedding + sinusoidal position + one
    embedding per level of its code (a row of its own stands for MASK), then a transformer
    encoder over frames (bidirectional: the phones ahead are known; codes ahead are MASK).
    Depth block (:meth:`depth`): for each level k, the frame's hidden vector + a level
    embedding + the embeddings of the frame's codes at levels below k that ``depth_codes``
    holds, then a residual MLP; its dot product with level k's code embeddings gives the logits
    (input and output embeddings are tied). Shapes: ``phones`` (B, T) int64, ``codes``
    (B, T, N_LEVELS) int64 with MASK = -2; returns (B, T, N_LEVELS, CODEBOOK_SIZE).
    Explained in notebook 10, section "A generator over the code matrix".
    """

    def __init__(self):
        super().__init__()
        self.phone_embedding = nn.Embedding(len(phone_inventory.LABELS), D_MODEL)
        self.code_embedding = nn.Parameter(0.02 * torch.randn(N_LEVELS, codec.CODEBOOK_SIZE + 1,
                                                              D_MODEL))
        self.level_embedding = nn.Parameter(0.02 * torch.randn(N_LEVELS, D_MODEL))
        layer = nn.TransformerEncoderLayer(D_MODEL, N_HEADS, 2 * D_MODEL, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, N_LAYERS, enable_nested_tensor=False)
        self.depth_mlp = nn.Sequential(nn.LayerNorm(D_MODEL), nn.Linear(D_MODEL, 2 * D_MODEL),
                                       nn.GELU(), nn.Linear(2 * D_MODEL, D_MODEL))
        self.output_norm = nn.LayerNorm(D_MODEL)

    def _code_vectors(self, codes: torch.Tensor) -> torch.Tensor:
        """(B, T, N_LEVELS) codes with MASK -> (B, T, N_LEVELS, D_MODEL) embeddings."""
        rows = torch.where(codes < 0, torch.full_like(codes, codec.CODEBOOK_SIZE), codes)
        levels = torch.arange(N_LEVELS, device=codes.device)
        return self.code_embedding[levels, rows]

    def encode(self, phones: torch.Tensor, codes: torch.Tensor,
               padding: torch.Tensor | None = None) -> torch.Tensor:
        """The temporal model: (B, T) phones, (B, T, N_LEVELS) codes -> (B, T, D_MODEL);
        ``padding`` (B, T) bool is True on frames past an item's end."""
        hidden = (self.phone_embedding(phones) + sinusoidal_positions(phones.shape[1], device=phones.device)
                  + self._code_vectors(codes).sum(dim=2))
        return self.encoder(hidden, src_key_padding_mask=padding)

    def depth(self, hidden: torch.Tensor, depth_codes: torch.Tensor | None = None
              ) -> torch.Tensor:
        """The depth block: (B, T, D_MODEL) hidden and optional (B, T, N_LEVELS) codes fixed
        since the temporal model ran (MASK elsewhere) -> (B, T, N_LEVELS, CODEBOOK_SIZE)
        log-probabilities; level k adds only the codes below k."""
        x = hidden[:, :, None, :] + self.level_embedding
        if depth_codes is not None:
            known = (depth_codes >= 0)[..., None]
            below = torch.where(known, self._code_vectors(depth_codes), 0.0).cumsum(dim=2)
            x = x + torch.cat([torch.zeros_like(below[:, :, :1]), below[:, :, :-1]], dim=2)
        x = self.output_norm(x + self.depth_mlp(x))
        logits = torch.einsum("btkd,kcd->btkc", x, self.code_embedding[:, :codec.CODEBOOK_SIZE])
        return torch.log_softmax(logits, dim=-1)

    def forward(self, phones: torch.Tensor, codes: torch.Tensor,
                depth_codes: torch.Tensor | None = None,
                padding: torch.Tensor | None = None) -> torch.Tensor:
        return self.depth(self.encode(phones, codes, padding), depth_codes)


def model_function(generator: CodeGenerator, frame_phone_indices: np.ndarray):
    """Wrap ``generator`` as the model function that :func:`course_lib.serialize.decode` calls.

    It scores ``step.targets`` given ``step.codes`` and the frames' phones. For the RQ order
    it runs the temporal model only when ``step.temporal_step`` changes, and the depth block,
    with the codes fixed since then, on every call. ``step.codes`` may hold fewer than
    N_LEVELS levels (K = 1..4); the missing levels are MASK.
    Returns a callable DecodeStep -> (n_targets, CODEBOOK_SIZE) float64 log-probabilities.
    Explained in notebook 10, section "A generator over the code matrix".
    """
    phones = torch.as_tensor(frame_phone_indices, dtype=torch.int64)[None]
    cached = {}

    def full(codes: np.ndarray) -> torch.Tensor:
        padded = np.full((len(codes), N_LEVELS), serialize.MASK, dtype=np.int64)
        padded[:, :codes.shape[1]] = codes
        return torch.from_numpy(padded)[None]

    def score(step: serialize.DecodeStep) -> np.ndarray:
        frames, levels = step.targets[:, 0], step.targets[:, 1]
        with torch.no_grad():
            if step.pattern != "rq":
                hidden, depth_codes = generator.encode(phones, full(step.codes)), None
            else:
                if cached.get("temporal_step") != step.temporal_step:
                    cached.update(temporal_step=step.temporal_step, codes=step.codes,
                                  hidden=generator.encode(phones, full(step.codes)))
                hidden = cached["hidden"]
                since = np.where(cached["codes"] == serialize.MASK, step.codes, serialize.MASK)
                depth_codes = full(since)[:, frames]
            # the depth block runs on the target frames only: (1, n_targets, N_LEVELS, C)
            log_probs = generator.depth(hidden[:, frames], depth_codes)[0]
        return log_probs[np.arange(len(frames)), levels].double().numpy()

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


# --- training ----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=512)
def _order(pattern: str, n_frames: int) -> np.ndarray:
    """:func:`course_lib.serialize.generation_order` for N_LEVELS levels, computed once."""
    step_of = serialize.generation_order(pattern, n_frames, N_LEVELS)
    step_of.setflags(write=False)
    return step_of


def _temporal_step_of(n_frames: int) -> np.ndarray:
    """(n_frames, N_LEVELS): the RQ order's frame step of each code (level 1 of frame t at
    step t, the levels above it one step later)."""
    frames = np.arange(n_frames)[:, None]
    return np.where(np.arange(N_LEVELS) == 0, frames, frames + 1)


def training_context(codes, pattern: str, rng: np.random.Generator):
    """One training example in ``pattern``'s order: the context one of its decode steps sees.

    ``codes`` is (n_frames, N_LEVELS) int64, the true codes. A step is drawn, and every code
    the order fixes at that step or later is hidden:

    * ``"flattening"``, ``"delay"``: a step drawn uniformly from the order's steps;
    * ``"valle"``: half the time a step of the autoregressive first level, half the time one
      of the parallel passes over the later levels (so both stages get the same share);
    * ``"masked"``: a level drawn uniformly, the levels below it known, the levels above it
      hidden, and a share cos(pi/2 u) of the level's codes hidden, u uniform (MaskGIT's and
      SoundStorm's training);
    * ``"rq"``: a frame step drawn uniformly; the hidden codes of the step's frames that lie
      below a target's level go to the depth block (``depth_codes``), as the depth model
      would have fixed them.

    Returns ``(inputs, depth_codes, hidden)``: the codes with MASK where hidden, the codes the
    depth block sees (all MASK except for ``"rq"``), and an (n_frames, N_LEVELS) bool array of
    the hidden codes, the ones the loss scores.
    Explained in notebook 10, section "A generator over the code matrix".
    """
    pattern = validate.choice(pattern, "pattern", serialize.PATTERNS)
    codes = validate.array(codes, "codes", ndim=2, dtype=np.int64)
    if codes.shape[1] != N_LEVELS or len(codes) == 0:
        raise ValueError(f"codes must have shape (n_frames >= 1, {N_LEVELS}), got {codes.shape}")
    rng = validate.generator(rng, "rng")
    n_frames = len(codes)
    if pattern == "masked":
        level = int(rng.integers(N_LEVELS))
        n_hidden = max(1, math.ceil(n_frames * math.cos(math.pi / 2 * rng.random())))
        hidden = np.zeros(codes.shape, dtype=bool)
        hidden[rng.permutation(n_frames)[:n_hidden], level] = True
        hidden[:, level + 1:] = True
    elif pattern == "rq":
        step_of = _temporal_step_of(n_frames)
        hidden = step_of >= int(rng.integers(step_of.max() + 1))
    else:
        step_of = _order(pattern, n_frames)
        if pattern == "valle" and rng.random() < 0.5:
            step = int(rng.integers(n_frames, step_of.max() + 1))
        elif pattern == "valle":
            step = int(rng.integers(n_frames))
        else:
            step = int(rng.integers(step_of.max() + 1))
        hidden = step_of >= step
    inputs = np.where(hidden, serialize.MASK, codes)
    depth_codes = np.where(hidden, codes, serialize.MASK) if pattern == "rq" else \
        np.full_like(codes, serialize.MASK)
    return inputs, depth_codes, hidden


def training_codes(cache: bool = True) -> list[tuple[np.ndarray, np.ndarray]]:
    """(frame phone indices (T,), codes (T, N_LEVELS)) of every utterance of the codec
    corpus's training split (``data.TRAINING_CORPORA["codec"]``), coded by the shipped codec;
    cached in ``data/cache``.
    Explained in notebook 10, section "A generator over the code matrix"."""
    weights = codec.weights_path()
    key = hashlib.sha256(weights.read_bytes()).hexdigest()[:12]
    path = CACHE_DIR / f"generator-codes-{key}.npz"
    if cache and path.exists():
        with np.load(path) as saved:
            phones, codes, lengths = saved["phones"], saved["codes"], saved["lengths"]
        bounds = np.cumsum(np.r_[0, lengths])
        return [(phones[a:b], codes[a:b]) for a, b in zip(bounds, bounds[1:])]
    codec_model = codec.load_codec()
    utterances = build_corpus(**TRAINING_CORPORA["codec"]).train
    pairs = []
    with limited_threads(1):
        for utterance in tqdm(utterances, desc="coding the training split", unit="utt"):
            codes = codec_model.encode(utterance.waveform)[:, :N_LEVELS]
            pairs.append((frame_phones(utterance.phones, len(codes)), codes))
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, phones=np.concatenate([p for p, _ in pairs]),
                 codes=np.concatenate([c for _, c in pairs]),
                 lengths=np.array([len(p) for p, _ in pairs]))
    return pairs


def _shuffle_runs(frame_phone: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Frame phones with the labels of their runs (one run per phone segment) shuffled, as
    :func:`shuffled_phones` shuffles segments."""
    starts, ends = runs(frame_phone)
    return np.repeat(frame_phone[starts][rng.permutation(len(starts))], ends - starts)


def _batch(pairs, pattern: str, rng: np.random.Generator, phone_blind: bool):
    """Pad a list of (phones, codes) into tensors, each item in one drawn context."""
    n_batch, n_frames = len(pairs), max(len(p) for p, _ in pairs)
    phones = np.zeros((n_batch, n_frames), dtype=np.int64)
    arrays = {name: np.full((n_batch, n_frames, N_LEVELS), serialize.MASK, dtype=np.int64)
              for name in ("inputs", "depth", "codes")}
    hidden = np.zeros((n_batch, n_frames, N_LEVELS), dtype=bool)
    padding = np.ones((n_batch, n_frames), dtype=bool)
    for i, (frame_phone, codes) in enumerate(pairs):
        n = len(codes)
        phones[i, :n] = _shuffle_runs(frame_phone, rng) if phone_blind else frame_phone
        inputs, depth_codes, hidden[i, :n] = training_context(codes, pattern, rng)
        arrays["inputs"][i, :n], arrays["depth"][i, :n], arrays["codes"][i, :n] = \
            inputs, depth_codes, codes
        padding[i, :n] = False
    tensors = {name: torch.from_numpy(value) for name, value in arrays.items()}
    return (torch.from_numpy(phones), tensors["inputs"], tensors["depth"], tensors["codes"],
            torch.from_numpy(hidden), torch.from_numpy(padding))


def context_loss(generator: CodeGenerator, phones, inputs, depth_codes, codes, hidden,
                 padding=None) -> torch.Tensor:
    """Mean negative log-likelihood of the hidden codes given their context.

    Shapes: ``phones`` (B, T) int64; ``inputs``, ``depth_codes``, ``codes`` (B, T, N_LEVELS)
    int64 (from :func:`training_context`); ``hidden`` (B, T, N_LEVELS) bool, the codes scored;
    ``padding`` (B, T) bool. Returns a scalar tensor.
    Explained in notebook 10, section "A generator over the code matrix".
    """
    if not bool(hidden.any()):
        raise ValueError("hidden must mark at least one code, got none")
    log_probs = generator(phones, inputs, depth_codes, padding)
    picked = log_probs.gather(-1, codes.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return -picked[hidden].mean()


def _length_buckets(lengths, steps: int, batch_size: int, seed: int) -> np.ndarray:
    """(steps, batch_size) item indices: a seeded shuffle of every item, repeated as needed;
    each run of 16 batches is sorted by length before it is cut, so a batch pads little, and
    the batches are then shuffled."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(np.resize(np.arange(len(lengths)), steps * batch_size))
    lengths = np.asarray(lengths)
    chunk = 16 * batch_size
    for start in range(0, len(order), chunk):
        part = order[start:start + chunk]
        order[start:start + chunk] = part[np.argsort(lengths[part], kind="stable")]
    return order.reshape(steps, batch_size)[rng.permutation(steps)]


def train(name: str, steps: int = 2000, batch_size: int = 16, learning_rate: float = 2e-3,
          seed: int = 0, *, out: str | Path | None = None) -> tuple[CodeGenerator, dict]:
    """Train the generator ``name`` (an order of :data:`course_lib.serialize.PATTERNS`, or
    :data:`PHONE_BLIND`: the delay order with every utterance's frame phones shuffled) for
    ``steps`` batches of ``batch_size`` whole utterances of :func:`training_codes`. Every
    generator gets the same utterances in the same batches for the same ``seed``; only the
    contexts differ. One thread. Returns the model and a record (steps, final loss, CPU s);
    with ``out``, also writes them there (:func:`save`, no bake-off rows).
    Explained in notebook 10, section "Training one generator per order".
    """
    name = validate.choice(name, "name", GENERATORS)
    steps = validate.integer(steps, "steps", minimum=1)
    batch_size = validate.integer(batch_size, "batch_size", minimum=1)
    learning_rate = validate.real(learning_rate, "learning_rate", above=0)
    seed = validate.integer(seed, "seed", minimum=0)
    pattern = BASELINE_ORDER if name == PHONE_BLIND else name
    pairs = training_codes()
    with limited_threads(1):
        started = time.process_time()
        torch.manual_seed(seed)
        generator = CodeGenerator()
        optimizer = torch.optim.AdamW(generator.parameters(), lr=learning_rate, weight_decay=0.01)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, learning_rate,
                                                       total_steps=steps, pct_start=0.05)
        batches = _length_buckets([len(codes) for _, codes in pairs], steps, batch_size, seed)
        context_rng = np.random.default_rng([seed, GENERATORS.index(name)])
        losses = []
        progress = tqdm(batches, desc=f"generator {name}", unit="batch")
        for batch in progress:
            tensors = _batch([pairs[i] for i in batch], pattern, context_rng,
                             phone_blind=name == PHONE_BLIND)
            loss = context_loss(generator, *tensors)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(generator.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
            progress.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
        record = dict(steps=steps, batch_size=batch_size, learning_rate=learning_rate, seed=seed,
                      final_loss=float(np.mean(losses[-100:])),
                      cpu_seconds=time.process_time() - started)
    if out is not None:
        save({name: generator}, {name: record}, out)
    return generator.eval(), record


# --- saving and loading ------------------------------------------------------------------------

def save(generators: dict[str, CodeGenerator], records: dict[str, dict], out,
         bake_off_rows=None) -> Path:
    """Write the generators (float16), their training records and the bake-off rows to ``out``.
    Explained in notebook 10, section "Training one generator per order"."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(dict(state_dicts={name: {k: v.half() for k, v in g.state_dict().items()}
                                 for name, g in generators.items()},
                    records=records, bake_off=bake_off_rows or [],
                    config=dict(n_levels=N_LEVELS, d_model=D_MODEL, n_layers=N_LAYERS)), out)
    return out


def _load(path) -> dict:
    path = WEIGHTS_PATH if path is None else Path(path)
    if not path.is_file():
        raise ValueError(f"no generator weights at {path}: run `python -m course_lib.generate`")
    return torch.load(path, map_location="cpu", weights_only=True)


def load_generator(name: str, path=None) -> CodeGenerator:
    """The trained generator ``name`` (an order, or :data:`PHONE_BLIND`) in eval mode, from
    ``data/generators.pt`` (``path=None``) or a file :func:`save` wrote.
    Explained in notebook 10, section "Training one generator per order"."""
    name = validate.choice(name, "name", GENERATORS)
    saved = _load(path)
    if name not in saved["state_dicts"]:
        raise ValueError(f"{path or WEIGHTS_PATH} holds no generator {name!r}; it holds "
                         f"{sorted(saved['state_dicts'])}")
    return _from_state_dict(saved["state_dicts"][name])


def _from_state_dict(state_dict: dict) -> CodeGenerator:
    """A generator in eval mode from a saved (float16) state dict."""
    generator = CodeGenerator()
    generator.load_state_dict({k: v.float() for k, v in state_dict.items()})
    return generator.eval()


def shipped_records(path=None) -> tuple[dict, list[dict]]:
    """The training records and the bake-off rows stored with the generators.
    Explained in notebook 10, section "The bake-off"."""
    saved = _load(path)
    return saved["records"], saved["bake_off"]


# --- the bake-off ------------------------------------------------------------------------------

EVALUATION_SETS = ("test split", "held-out sentences")


def evaluation_utterances(which: str, n_utterances: int = 40) -> list:
    """The first ``n_utterances`` of the codec corpus's test split (``"test split"``: generated
    text, never trained on) or of the held-out sentences (``"held-out sentences"``: text no
    model of the course trained on).
    Explained in notebook 10, section "The bake-off"."""
    which = validate.choice(which, "which", EVALUATION_SETS)
    n_utterances = validate.integer(n_utterances, "n_utterances", minimum=1)
    if which == "test split":
        return build_corpus(**TRAINING_CORPORA["codec"]).test[:n_utterances]
    return build_held_out("sentences")[:n_utterances]


def shuffled_phones(phone_sequence, seed: int = 0) -> list:
    """The phone-blind baseline's input: the same phone segments with their labels shuffled
    (same durations and count, order lost); seeded.
    Explained in notebook 10, section "The bake-off"."""
    labels = [p.label for p in phone_sequence]
    order = np.random.default_rng(seed).permutation(len(labels))
    return [p._replace(label=labels[j]) for p, j in zip(phone_sequence, order)]


def score(generator: CodeGenerator, pattern: str, utterances, recognizer, codec_model, *,
          phone_blind: bool = False) -> dict:
    """Generate every utterance's codes from its phones in ``pattern``'s order (greedy),
    decode them with the codec, and score the audio: the recognizer's phone error rate
    against the utterance's phones, the log-mel distance to its eSpeak rendering
    (``course_lib.metrics``) and the decode's wall time per second of audio.
    Returns a dict: ``per``, ``log_mel``, ``seconds_per_second``.
    Explained in notebook 10, section "The bake-off".
    """
    references, hypotheses, distances = [], [], []
    seconds = 0.0
    for i, utterance in enumerate(utterances):
        sequence = shuffled_phones(utterance.phones, i) if phone_blind else utterance.phones
        started = time.perf_counter()
        codes = generate(generator, sequence, pattern)
        seconds += time.perf_counter() - started
        waveform = codec_model.decode(codes)[:len(utterance.waveform)]
        references.append(utterance.phone_labels)
        hypotheses.append(recognizer.transcribe(waveform))
        distances.append(metrics.log_mel_distance(utterance.waveform, waveform))
    duration = sum(u.duration for u in utterances)
    return dict(per=metrics.phone_error_rate(references, hypotheses),
                log_mel=float(np.mean(distances)), seconds_per_second=seconds / duration)



def bake_off(generators: dict[str, CodeGenerator], n_utterances: int = 40) -> list[dict]:
    """One row per generator and evaluation set: PER, log-mel distance and decode time per
    second of audio (:func:`score`), plus a row for the codec itself (the true codes' first
    N_LEVELS levels, the ceiling of every generator).
    Explained in notebook 10, section "The bake-off"."""
    from course_lib.recognizer import load_recognizer
    recognizer, codec_model = load_recognizer(), codec.load_codec()
    rows = []
    with limited_threads(1):
        for which in EVALUATION_SETS:
            utterances = evaluation_utterances(which, n_utterances)
            true_audio = [codec_model.decode(codec_model.encode(u.waveform)[:, :N_LEVELS])
                          [:len(u.waveform)] for u in utterances]
            per = metrics.phone_error_rate([u.phone_labels for u in utterances],
                                           [recognizer.transcribe(a) for a in true_audio])
            distance = np.mean([metrics.log_mel_distance(u.waveform, a)
                                for u, a in zip(utterances, true_audio)])
            rows.append(dict(generator="codec (true codes)", set=which, per=per,
                             log_mel=float(distance), seconds_per_second=0.0))
            for name in tqdm(generators, desc=f"bake-off on the {which}", unit="generator"):
                pattern = BASELINE_ORDER if name == PHONE_BLIND else name
                result = score(generators[name], pattern, utterances, recognizer, codec_model,
                               phone_blind=name == PHONE_BLIND)
                rows.append(dict(generator=name, set=which, **result))
                print(rows[-1], flush=True)
    return rows


def merge(paths, out) -> Path:
    """Join generator files of separate runs (one or more generators each) into ``out``, and
    run the bake-off on all of them.
    Explained in notebook 10, section "Training one generator per order"."""
    generators, records = {}, {}
    for path in paths:
        saved = _load(path)
        for name, state_dict in saved["state_dicts"].items():
            generators[name] = _from_state_dict(state_dict)
            records[name] = saved["records"][name]
    started = time.process_time()
    rows = bake_off(generators)
    records["bake-off"] = dict(cpu_seconds=time.process_time() - started)
    return save(generators, records, out, rows)


def main(argv: list[str] | None = None) -> None:
    """Command line: train the ``--generators`` (all by default; same budget, data and seed),
    run the bake-off and write ``--out`` (by default ``data/generators.pt``); ``--merge A B``
    joins the files of separate runs into ``--out`` and runs the bake-off instead.
    Explained in notebook 10, section "Training one generator per order"."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--generators", nargs="*", default=list(GENERATORS))
    parser.add_argument("--merge", nargs="*", type=Path)
    parser.add_argument("--no-bake-off", action="store_true")
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    args = parser.parse_args(argv)
    if args.merge:
        merge(args.merge, args.out)
        return
    generators, records = {}, {}
    for name in args.generators:
        generators[name], records[name] = train(name, args.steps)
        print(name, records[name], flush=True)
    if args.no_bake_off:
        save(generators, records, args.out)
        return
    started = time.process_time()
    rows = bake_off(generators)
    records["bake-off"] = dict(cpu_seconds=time.process_time() - started)
    save(generators, records, args.out, rows)


if __name__ == "__main__":
    main()
