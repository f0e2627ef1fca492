"""A native speech-to-speech toy: one small causal transformer over text AND audio tokens.

The model reads a spoken question of :mod:`course_lib.world` as level-1 codes of the course
codec (:mod:`course_lib.codec`, 256 codes at 50 frames/s) and writes the reply as tokens of the
same single vocabulary: audio codes (speech mode) or the world's words (text mode)::

    <bos> c c c ... c <answer> <speech> c c c ... c <eos>      speech reply
    <bos> c c c ... c <answer> <text>   w w w <eos>            text reply
    |--- question ---|         |------ reply: the loss ------|

Vocabulary: the specials, then the world's words, then the 256 codes; audio code c is token
``V_TEXT + c``, as notebook 07 extends a text vocabulary. The question is spoken by one of the
ten training voices at a slow, normal or fast rate (:data:`PROMPT_RATES`); the reply is always
the one reply voice of the world, but at the prompt's rate category, so a model that hears the
question can carry its speaking rate into the reply, which a cascade's text boundary drops.

Besides the two plain layouts, a quarter of the training replies are in Spirit LM's word-level
interleaving (:func:`interleaved_reply`); :func:`inner_monologue` lays out Moshi's time-aligned
text stream (for plots; no model here trains on it).

``python -m course_lib.native`` builds the dialogues (cached), trains the model, evaluates it
and writes ``data/native_model.pt``.

Explained in notebook 09, section "The native model".
"""

from __future__ import annotations

import argparse
import hashlib
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from course_lib import codec, data, generate, synth, validate, world
from course_lib.data import CACHE_DIR, CORPUS_VARIANTS, HELD_OUT_VARIANTS, WEIGHTS_DIR
from course_lib.threads import limited_threads

# --- the vocabulary --------------------------------------------------------------------------

PAD, BOS, ANSWER, TEXT, SPEECH, EOS, EPAD = range(7)
# <epad> is Moshi's end-of-padding token, used by inner_monologue only
SPECIALS = ("<pad>", "<bos>", "<answer>", "<text>", "<speech>", "<eos>", "<epad>")
WORDS = tuple(sorted({word for sentence in world.QUESTIONS + world.REPLIES
                      for word in world.words(sentence)}))
V_TEXT = len(SPECIALS) + len(WORDS)  # text rows first ...
VOCAB_SIZE = V_TEXT + codec.CODEBOOK_SIZE  # ... then the 256 audio rows
_WORD_ID = {word: len(SPECIALS) + i for i, word in enumerate(WORDS)}
MODALITIES = ("text", "speech")

# --- the dialogues ---------------------------------------------------------------------------

PROMPT_RATES = (120, 175, 230)  # words per minute: slow, normal, fast
RATE_NAMES = ("slow", "normal", "fast")
RATE_JITTER = 15  # a training question's rate is its category's +- up to this many wpm
TRAIN_PITCHES = (30, 50, 70)
EVAL_PITCH = 50  # the held-out voices speak at the default pitch
UNSEEN_PITCH = 60  # the training voices of evaluation set (b) speak at a pitch never trained on
UNSEEN_PITCH_VARIANTS = ("m1", "f2")
DIALOGUE_SEED = 0

# --- the model -------------------------------------------------------------------------------

D_MODEL = 96
N_LAYERS = 3
N_HEADS = 4
MAX_LENGTH = 640  # longest token sequence: the longest dialogue is about 360 tokens
MAX_REPLY_FRAMES = 300  # speech-mode frame cap (6 s; the slowest reply lasts about 3.5 s)
MAX_REPLY_WORDS = 16
WEIGHTS_PATH = WEIGHTS_DIR / "native_model.pt"
LAYOUT_SHARES = dict(speech=0.5, interleaved=0.25, text=0.25)


def word_ids(words) -> list[int]:
    """Token ids of world words (case ignored). Raises ValueError for a word outside the world.
    Explained in notebook 09, section "The native model"."""
    if isinstance(words, str):
        raise TypeError(f"words must be a sequence of words, not one string, got {words!r}")
    ids = []
    for word in words:
        key = validate.text(word, "word").lower()
        if key not in _WORD_ID:
            raise ValueError(f"word must be one of the world's {len(WORDS)} words "
                             f"({', '.join(WORDS[:4])}, ...), got {word!r}")
        ids.append(_WORD_ID[key])
    return ids


def ids_to_words(ids) -> list[str]:
    """The words of word token ids. Raises ValueError for an id that is not a word's.
    Explained in notebook 09, section "The native model"."""
    ids = validate.array(ids, "ids", ndim=1, dtype=np.int64, min_length=0)
    bad = ids[(ids < len(SPECIALS)) | (ids >= V_TEXT)]
    if len(bad):
        raise ValueError(f"ids must be word tokens in [{len(SPECIALS)}, {V_TEXT}), got {bad[0]}")
    return [WORDS[i - len(SPECIALS)] for i in ids]


def code_ids(codes) -> np.ndarray:
    """Token ids ``V_TEXT + c`` of level-1 codes ``codes`` (n,) in [0, 256). Raises ValueError
    outside that range. Explained in notebook 09, section "The native model"."""
    codes = validate.array(codes, "codes", ndim=1, dtype=np.int64, min_length=0)
    if len(codes) and (codes.min() < 0 or codes.max() >= codec.CODEBOOK_SIZE):
        raise ValueError(f"codes must lie in [0, {codec.CODEBOOK_SIZE}), got values from "
                         f"{codes.min()} to {codes.max()}")
    return codes + V_TEXT


def ids_to_codes(ids) -> np.ndarray:
    """Level-1 codes (n,) of audio token ids. Raises ValueError for an id that is not audio.
    Explained in notebook 09, section "The native model"."""
    ids = validate.array(ids, "ids", ndim=1, dtype=np.int64, min_length=0)
    if len(ids) and (ids.min() < V_TEXT or ids.max() >= VOCAB_SIZE):
        raise ValueError(f"ids must be audio tokens in [{V_TEXT}, {VOCAB_SIZE}), got values "
                         f"from {ids.min()} to {ids.max()}")
    return ids - V_TEXT


def is_audio(ids) -> np.ndarray:
    """Whether each token id is an audio token.
    Explained in notebook 09, section "The native model"."""
    ids = np.asarray(ids)
    return (ids >= V_TEXT) & (ids < VOCAB_SIZE)


# --- layouts ---------------------------------------------------------------------------------

def speech_reply(codes) -> np.ndarray:
    """The speech reply layout: level-1 ``codes`` (n,) -> token ids (n + 3,)::

        <answer> <speech> c0 c1 c2 ... c(n-1) <eos>

    Explained in notebook 09, section "The native model".
    """
    return np.concatenate([[ANSWER, SPEECH], code_ids(codes), [EOS]]).astype(np.int64)


def text_reply(words) -> np.ndarray:
    """The text reply layout: world ``words`` (k,) -> token ids (k + 3,)::

        <answer> <text> w0 w1 ... w(k-1) <eos>

    Explained in notebook 09, section "The native model".
    """
    return np.array([ANSWER, TEXT] + word_ids(words) + [EOS], dtype=np.int64)


def word_frame_starts(word_times, n_frames: int) -> np.ndarray:
    """Each word's first codec frame: the frame holding its start time (frame i covers
    [i, i + 1) / 50 s), clipped to [0, n_frames); ``word_times`` is (k, 2) start and end
    seconds or a sequence of :class:`course_lib.synth.Word`. Returns (k,) int64, never
    decreasing. Explained in notebook 09, section "Spirit LM's interleaving"."""
    n_frames = validate.integer(n_frames, "n_frames", minimum=1)
    starts = np.array([float(w[1]) if isinstance(w, synth.Word) else float(w[0])
                       for w in word_times])
    frames = np.floor(starts * codec.FRAMES_PER_SECOND + 1e-9).astype(np.int64)
    return np.maximum.accumulate(np.clip(frames, 0, n_frames - 1)) if len(frames) else frames


def word_spans(starts, n_frames: int) -> list[tuple[int, int]]:
    """(first, end) frames of each word, from its start frame to the next word's (the first
    word from frame 0, the last to ``n_frames``): the spans cover every frame once, pauses
    going to the word before them. Explained in notebook 09, section "Spirit LM's interleaving"."""
    starts = validate.array(starts, "starts", ndim=1, dtype=np.int64)
    if np.any(np.diff(starts) < 0) or starts[0] < 0 or starts[-1] >= n_frames:
        raise ValueError(f"starts must be non-decreasing frames in [0, {n_frames}), got "
                         f"{starts.tolist()}")
    bounds = np.r_[0, starts[1:], n_frames]
    return [(int(a), int(b)) for a, b in zip(bounds, bounds[1:])]


def interleaved_reply(words, codes, starts, modalities) -> np.ndarray:
    """Spirit LM's word-level interleaving of one reply: each word is written either as its
    text token or as the audio codes of its frames (:func:`word_spans`), a ``<text>`` or
    ``<speech>`` marker wherever the modality changes (and first)::

        words:       the     red     box     is     behind   the   house
        modalities:  text    text    speech  speech text     text  speech
        tokens:  <answer> <text> the red <speech> c c c c c c <text> behind the <speech> c c c <eos>

    ``words`` (k,), ``codes`` (n_frames,), ``starts`` (k,) the words' first frames,
    ``modalities`` (k,) of "text" / "speech". Returns token ids.
    Explained in notebook 09, section "Spirit LM's interleaving".
    """
    words, codes = list(words), np.asarray(codes)
    modalities = [validate.choice(m, "modality", MODALITIES) for m in modalities]
    if not (len(words) == len(modalities) == len(starts)) or not words:
        raise ValueError(f"words, starts and modalities must have one equal, non-zero length, "
                         f"got {len(words)}, {len(starts)} and {len(modalities)}")
    tokens, current = [ANSWER], None
    for word, (first, end), modality in zip(words, word_spans(starts, len(codes)), modalities):
        if modality != current:
            tokens.append(TEXT if modality == "text" else SPEECH)
            current = modality
        tokens.extend(word_ids([word]) if modality == "text" else code_ids(codes[first:end]))
    return np.array(tokens + [EOS], dtype=np.int64)


def draw_modalities(n_words: int, rng: np.random.Generator) -> list[str]:
    """Random switches at word boundaries, as Spirit LM draws its spans: 1 to 3 switch points
    among the ``n_words - 1`` boundaries, the first span's modality a coin flip.
    Explained in notebook 09, section "Spirit LM's interleaving"."""
    n_words = validate.integer(n_words, "n_words", minimum=1)
    rng = validate.generator(rng, "rng")
    n_switches = min(n_words - 1, int(rng.integers(1, 4)))
    switches = set(rng.choice(np.arange(1, n_words), n_switches, replace=False).tolist()) \
        if n_switches else set()
    current, out = int(rng.integers(2)), []
    for i in range(n_words):
        current ^= i in switches
        out.append(MODALITIES[current])
    return out


def strip_markers(tokens) -> tuple[list[str], np.ndarray]:
    """The words and the level-1 codes of a reply layout, in order, without its markers
    (``<answer> <text> <speech> <eos>``).
    Explained in notebook 09, section "Spirit LM's interleaving"."""
    tokens = validate.array(tokens, "tokens", ndim=1, dtype=np.int64, min_length=0)
    content = tokens[~np.isin(tokens, (ANSWER, TEXT, SPEECH, EOS))]
    audio = is_audio(content)
    return ids_to_words(content[~audio]), ids_to_codes(content[audio])


def inner_monologue(word_spans, n_frames: int) -> np.ndarray:
    """Moshi's inner monologue: a text stream (n_frames,) time-aligned with the audio frames.

    ``word_spans`` is a sequence of ``(word, first_frame)`` (or ``(word, first, end)``) in
    order. Each word's token sits at its first frame (if two words start in one frame the
    later one moves on to the next free frame, as Moshi queues a word's extra tokens); every
    other frame holds ``<pad>``, and the padding frame just before a word becomes ``<epad>``
    (end of padding), the rule of Kyutai's moshi-finetune ``Interleaver``::

        frame:   0     1      2     3      4     5      6      7
        audio:   c     c      c     c      c     c      c      c
        text:  <pad> <epad>  the  <pad> <epad>  red  <epad>   box

    Returns int64 token ids. Explained in notebook 09, section "Moshi's inner monologue".
    """
    n_frames = validate.integer(n_frames, "n_frames", minimum=1)
    stream = np.full(n_frames, PAD, dtype=np.int64)
    free = 0
    for item in word_spans:
        word, first = item[0], validate.integer(item[1], "first_frame", minimum=0)
        frame = max(first, free)
        if frame >= n_frames:
            raise ValueError(f"word {word!r} starts at frame {first}, past the stream's "
                             f"{n_frames} frames")
        if frame > 0 and stream[frame - 1] == PAD:
            stream[frame - 1] = EPAD
        stream[frame] = word_ids([word])[0]
        free = frame + 1
    return stream


# --- building the dialogues ------------------------------------------------------------------

def _codes(utterance, codec_model) -> np.ndarray:
    return codec_model.encode(utterance.waveform, utterance.sample_rate)[:, 0]


def speak_reply(question: str, rate: int):
    """The intended reply to ``question`` in the world's reply voice at ``rate`` words per
    minute. Explained in notebook 09, section "The native model"."""
    return synth.synthesize(world.reply_for(question),
                            **{**world.REPLY_VOICE, "words_per_minute": int(rate)})


def _dialogue_key() -> str:
    recipe = repr((world.QUESTIONS, world.REPLIES, world.REPLY_VOICE, PROMPT_RATES, RATE_JITTER,
                   TRAIN_PITCHES, CORPUS_VARIANTS, DIALOGUE_SEED, "native-1"))
    digest = hashlib.sha256(recipe.encode() + codec.weights_path().read_bytes())
    return digest.hexdigest()[:12]


def training_dialogues(cache: bool = True) -> list[dict]:
    """Every training dialogue: the 12 questions x 10 training voices x 3 rate categories x 3
    pitches, each question at its category's rate plus a seeded jitter of up to
    :data:`RATE_JITTER` wpm, with the intended reply at the category's exact rate. Each is a
    dict: ``question`` (index), ``rate`` (category index), ``question_codes`` (T_q,),
    ``reply_codes`` (T_r,), ``reply_words`` (k,), ``word_starts`` (k,). Cached in
    ``data/cache`` under a hash of what builds it.
    Explained in notebook 09, section "The native model".
    """
    path = CACHE_DIR / f"native-dialogues-{_dialogue_key()}.npz"
    if cache and path.exists():
        return _load_dialogues(path)
    codec_model, rng = codec.load_codec(), np.random.default_rng(DIALOGUE_SEED)
    replies = {}
    for rate_index, rate in enumerate(PROMPT_RATES):
        for reply_index in range(len(world.REPLIES)):
            spoken = speak_reply(world.QUESTIONS[reply_index], rate)
            codes = _codes(spoken, codec_model)
            replies[reply_index, rate_index] = (codes, word_frame_starts(spoken.words, len(codes)))
    dialogues = []
    plan = [(q, v, r, p) for q in range(len(world.QUESTIONS)) for v in CORPUS_VARIANTS
            for r in range(len(PROMPT_RATES)) for p in TRAIN_PITCHES]
    with limited_threads(1):
        for q, variant, r, pitch in tqdm(plan, desc="speaking the dialogues", unit="dialogue"):
            wpm = PROMPT_RATES[r] + int(rng.integers(-RATE_JITTER, RATE_JITTER + 1))
            question_codes = _codes(world.speak_question(world.QUESTIONS[q], variant=variant,
                                                        words_per_minute=wpm, pitch=pitch),
                                    codec_model)
            reply_codes, starts = replies[q % len(world.REPLIES), r]
            dialogues.append(dict(question=q, rate=r, question_codes=question_codes,
                                  reply_codes=reply_codes, word_starts=starts,
                                  reply_words=list(world.words(world.reply_for(
                                      world.QUESTIONS[q])))))
    if cache:
        _save_dialogues(dialogues, path)
    return dialogues


def _save_dialogues(dialogues, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    flat = {key: np.concatenate([d[key] for d in dialogues])
            for key in ("question_codes", "reply_codes", "word_starts")}
    lengths = {f"{key}_lengths": np.array([len(d[key]) for d in dialogues]) for key in flat}
    np.savez(path, **flat, **lengths, question=np.array([d["question"] for d in dialogues]),
             rate=np.array([d["rate"] for d in dialogues]))


def _load_dialogues(path: Path) -> list[dict]:
    with np.load(path) as saved:
        parts = {}
        for key in ("question_codes", "reply_codes", "word_starts"):
            bounds = np.cumsum(np.r_[0, saved[f"{key}_lengths"]])
            parts[key] = [saved[key][a:b] for a, b in zip(bounds, bounds[1:])]
        questions, rates = saved["question"], saved["rate"]
    return [dict(question=int(q), rate=int(r), question_codes=parts["question_codes"][i],
                 reply_codes=parts["reply_codes"][i], word_starts=parts["word_starts"][i],
                 reply_words=list(world.words(world.reply_for(world.QUESTIONS[q]))))
            for i, (q, r) in enumerate(zip(questions, rates))]


def prompt_tokens(question_codes) -> np.ndarray:
    """``<bos>`` + the question's audio tokens: (T_q,) codes -> (T_q + 1,) ids.
    Explained in notebook 09, section "The native model"."""
    return np.concatenate([[BOS], code_ids(question_codes)]).astype(np.int64)


def training_sequence(dialogue: dict, layout: str, rng: np.random.Generator
                      ) -> tuple[np.ndarray, int]:
    """One training sequence ``<bos> question <answer> reply <eos>`` with the reply in
    ``layout`` ("speech", "interleaved" or "text"), and the index of the first token the loss
    scores (the one after the reply's first marker: the marker itself is the caller's choice).
    Explained in notebook 09, section "The native model"."""
    layout = validate.choice(layout, "layout", tuple(LAYOUT_SHARES))
    if layout == "speech":
        reply = speech_reply(dialogue["reply_codes"])
    elif layout == "text":
        reply = text_reply(dialogue["reply_words"])
    else:
        reply = interleaved_reply(dialogue["reply_words"], dialogue["reply_codes"],
                                  dialogue["word_starts"],
                                  draw_modalities(len(dialogue["reply_words"]), rng))
    prompt = prompt_tokens(dialogue["question_codes"])
    return np.concatenate([prompt, reply]), len(prompt) + 2


# --- the model -------------------------------------------------------------------------------

class Block(nn.Module):
    """A pre-norm transformer block: x + attention(norm(x)), then x + MLP(norm(x)); causal,
    with an optional key/value cache. Explained in notebook 09, section "The native model"."""

    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(D_MODEL), nn.LayerNorm(D_MODEL)
        self.qkv = nn.Linear(D_MODEL, 3 * D_MODEL)
        self.out = nn.Linear(D_MODEL, D_MODEL)
        self.mlp = nn.Sequential(nn.Linear(D_MODEL, 4 * D_MODEL), nn.GELU(),
                                 nn.Linear(4 * D_MODEL, D_MODEL))

    def forward(self, x: torch.Tensor, cache: dict | None = None) -> torch.Tensor:
        batch, length, _ = x.shape                                     # (B, T, D)
        q, k, v = self.qkv(self.norm1(x)).split(D_MODEL, dim=-1)       # 3 x (B, T, D)
        q, k, v = (t.view(batch, length, N_HEADS, -1).transpose(1, 2) for t in (q, k, v))
        if cache is not None and "k" in cache:                         # (B, H, T_past + T, d)
            k, v = torch.cat([cache["k"], k], dim=2), torch.cat([cache["v"], v], dim=2)
        if cache is not None:
            cache["k"], cache["v"] = k, v
        n_past = k.shape[2] - length
        # query i (absolute n_past + i) sees keys 0 .. n_past + i
        mask = torch.ones(length, k.shape[2], dtype=torch.bool).tril(diagonal=n_past)
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # (B, H, T, d)
        x = x + self.out(attended.transpose(1, 2).reshape(batch, length, D_MODEL))
        return x + self.mlp(self.norm2(x))


class NativeModel(nn.Module):
    """The native speech-to-speech model: token ids (B, T) -> next-token logits
    (B, T, VOCAB_SIZE). Token embedding + sinusoidal position, N_LAYERS pre-norm causal blocks
    of width D_MODEL with N_HEADS heads, a final norm, the output tied to the embedding.
    ``caches`` (one dict per block) keeps keys and values for token-by-token decoding.
    Explained in notebook 09, section "The native model".
    """

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB_SIZE, D_MODEL)
        nn.init.normal_(self.embedding.weight, std=0.02)
        self.blocks = nn.ModuleList(Block() for _ in range(N_LAYERS))
        self.norm = nn.LayerNorm(D_MODEL)

    def forward(self, tokens: torch.Tensor, caches: list[dict] | None = None) -> torch.Tensor:
        start = caches[0]["k"].shape[2] if caches and "k" in caches[0] else 0
        if start + tokens.shape[1] > MAX_LENGTH:
            raise ValueError(f"tokens must fit in {MAX_LENGTH} positions, got "
                             f"{start + tokens.shape[1]}")
        x = self.embedding(tokens) + generate.sinusoidal_positions(   # (B, T, D)
            tokens.shape[1], D_MODEL, start=start)
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i])
        return self.norm(x) @ self.embedding.weight.T                    # (B, T, V)


# --- training --------------------------------------------------------------------------------

def _draw_layout(rng: np.random.Generator) -> str:
    return str(rng.choice(list(LAYOUT_SHARES), p=list(LAYOUT_SHARES.values())))


def _batch(dialogues, rng):
    """Pad a list of dialogues, each in a drawn layout: (B, T) inputs, targets, loss mask."""
    sequences = [training_sequence(d, _draw_layout(rng), rng) for d in dialogues]
    length = max(len(s) for s, _ in sequences) - 1
    inputs = np.full((len(sequences), length), PAD, dtype=np.int64)
    targets = np.full((len(sequences), length), PAD, dtype=np.int64)
    scored = np.zeros((len(sequences), length), dtype=bool)
    for i, (sequence, first) in enumerate(sequences):
        n = len(sequence) - 1
        inputs[i, :n], targets[i, :n] = sequence[:-1], sequence[1:]
        scored[i, first - 1:n] = True  # target j is token j + 1
    return torch.from_numpy(inputs), torch.from_numpy(targets), torch.from_numpy(scored)


def reply_loss(model: NativeModel, inputs, targets, scored) -> torch.Tensor:
    """Mean cross-entropy of the scored reply tokens. Shapes: (B, T) int64 inputs and
    targets, (B, T) bool ``scored``. Explained in notebook 09, section "The native model"."""
    logits = model(inputs)
    return F.cross_entropy(logits[scored], targets[scored])


def train(steps: int = 3000, batch_size: int = 16, learning_rate: float = 2e-3, seed: int = 0,
          *, out: str | Path | None = None) -> tuple[NativeModel, dict]:
    """Train the native model on :func:`training_dialogues` for ``steps`` batches, one layout
    drawn per example (:data:`LAYOUT_SHARES`); AdamW, linear warmup then cosine decay, one
    thread. Returns the model (eval mode) and a record; with ``out``, also writes them there.
    Explained in notebook 09, section "The native model".
    """
    steps = validate.integer(steps, "steps", minimum=1)
    batch_size = validate.integer(batch_size, "batch_size", minimum=1)
    learning_rate = validate.real(learning_rate, "learning_rate", above=0)
    seed = validate.integer(seed, "seed", minimum=0)
    dialogues = training_dialogues()
    with limited_threads(1):
        started = time.process_time()
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        model = NativeModel()
        optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
        warmup = max(1, steps // 20)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(
            (s + 1) / warmup, 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps)))))
        losses = []
        progress = tqdm(range(steps), desc="native model", unit="batch")
        for _ in progress:
            picked = rng.choice(len(dialogues), batch_size, replace=False)
            loss = reply_loss(model, *_batch([dialogues[i] for i in picked], rng))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
            progress.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
        record = dict(steps=steps, batch_size=batch_size, learning_rate=learning_rate, seed=seed,
                      n_dialogues=len(dialogues), final_loss=float(np.mean(losses[-100:])),
                      loss_curve=[float(np.mean(losses[i:i + 50]))
                                  for i in range(0, steps, 50)],
                      cpu_seconds=time.process_time() - started)
    model.eval()
    if out is not None:
        save(model, record, out)
    return model, record


def save(model: NativeModel, record: dict, out) -> Path:
    """Write the model (float16) with its training record to ``out``.
    Explained in notebook 09, section "The native model"."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(dict(state_dict={k: v.half() for k, v in model.state_dict().items()},
                    record=record, config=dict(d_model=D_MODEL, n_layers=N_LAYERS,
                                               n_heads=N_HEADS, vocab_size=VOCAB_SIZE)), out)
    return out


def load_native(path=None) -> NativeModel:
    """The trained native model in eval mode, from ``data/native_model.pt`` (``path=None``)
    or a file :func:`save` wrote. Explained in notebook 09, section "The native model"."""
    saved = _load(path)
    model = NativeModel()
    model.load_state_dict({k: v.float() for k, v in saved["state_dict"].items()})
    return model.eval()


def shipped_record(path=None) -> dict:
    """The training (and evaluation) record stored with the model.
    Explained in notebook 09, section "The native model"."""
    return _load(path)["record"]


def _load(path) -> dict:
    path = WEIGHTS_PATH if path is None else Path(path)
    if not path.is_file():
        raise ValueError(f"no native model at {path}: run `python -m course_lib.native`")
    return torch.load(path, map_location="cpu", weights_only=True)


# --- answering -------------------------------------------------------------------------------

def encode_question(question_waveform, codec_model) -> np.ndarray:
    """The native model's hearing: a spoken question (16 kHz) -> its codec level-1 codes
    (T_q,). Refuses empty, silent or non-finite audio, and a question too long to leave room
    for a reply (ValueError). Explained in notebook 09, section "The native model"."""
    waveform = validate.waveform(question_waveform, "question_waveform")
    data.check_audible(waveform, "question_waveform")
    codes = codec_model.encode(waveform)[:, 0]
    if len(codes) + 3 + MAX_REPLY_FRAMES > MAX_LENGTH:
        raise ValueError(f"question_waveform must last at most "
                         f"{(MAX_LENGTH - 3 - MAX_REPLY_FRAMES) / 50:.1f} s, got "
                         f"{len(waveform) / 16_000:.1f} s")
    return codes


def _allowed(mode: str) -> torch.Tensor:
    """(VOCAB_SIZE,) bool: the tokens a reply in ``mode`` may emit (its content or <eos>)."""
    allowed = torch.zeros(VOCAB_SIZE, dtype=torch.bool)
    if mode == "speech":
        allowed[V_TEXT:] = True
    else:
        allowed[len(SPECIALS):V_TEXT] = True
    allowed[EOS] = True
    return allowed


def answer_tokens(model: NativeModel, question_waveform, mode: str = "speech", *,
                  codec_model=None):
    """Greedy, constrained decoding, one token at a time: yields each emitted token id (an
    audio token or a word in ``mode``, then ``<eos>``), after at most MAX_REPLY_FRAMES
    (speech) or MAX_REPLY_WORDS (text) tokens. Uses a key/value cache. Raises ValueError for
    empty, silent or non-finite audio. Explained in notebook 09, section "The native model".
    """
    codec_model = codec.load_codec() if codec_model is None else codec_model
    return reply_tokens(model, encode_question(question_waveform, codec_model), mode)


def reply_tokens(model: NativeModel, question_codes, mode: str = "speech"):
    """:func:`answer_tokens` for a question already turned into level-1 codes
    ``question_codes`` (T_q,): the generator the streaming pipeline of notebook 09 times.
    Explained in notebook 09, section "The native model"."""
    if not isinstance(model, NativeModel):
        raise TypeError(f"model must be a NativeModel, got {validate.describe(model)}")
    mode = validate.choice(mode, "mode", ("speech", "text"))
    prompt = np.concatenate([prompt_tokens(question_codes),
                             [ANSWER, SPEECH if mode == "speech" else TEXT]])
    cap = MAX_REPLY_FRAMES if mode == "speech" else MAX_REPLY_WORDS
    return _decode(model, prompt, _allowed(mode), cap)


def _decode(model, prompt, allowed, cap):
    caches = [{} for _ in model.blocks]
    step = torch.from_numpy(prompt)[None]
    with torch.no_grad():
        for i in range(cap + 1):
            logits = model(step, caches)[0, -1].masked_fill(~allowed, float("-inf"))
            token = EOS if i == cap else int(logits.argmax())
            yield token
            if token == EOS:
                return
            step = torch.tensor([[token]])


def answer(model: NativeModel, question_waveform, mode: str = "speech", *,
           codec_model=None) -> dict:
    """Answer a spoken question (16 kHz waveform) in ``mode`` ("speech" or "text").

    Returns a dict: ``tokens`` (the emitted ids, <eos> last), and in speech mode ``codes``
    (n,) level-1 codes and ``waveform`` (n * 320,) float32, their codec decoding; in text
    mode ``words``. Greedy and deterministic. Raises ValueError for empty, silent or NaN audio.
    Explained in notebook 09, section "The native model".
    """
    codec_model = codec.load_codec() if codec_model is None else codec_model
    tokens = np.array(list(answer_tokens(model, question_waveform, mode,
                                         codec_model=codec_model)), dtype=np.int64)
    content = tokens[:-1]
    if mode == "text":
        return dict(tokens=tokens, words=ids_to_words(content))
    codes = ids_to_codes(content)
    waveform = codec_model.decode(codes[:, None]) if len(codes) else np.zeros(0, np.float32)
    return dict(tokens=tokens, codes=codes, waveform=waveform)


# --- evaluation ------------------------------------------------------------------------------

EVALUATION_SETS = {
    "held-out voices": (HELD_OUT_VARIANTS, EVAL_PITCH),
    "training voices, unseen pitch": (UNSEEN_PITCH_VARIANTS, UNSEEN_PITCH),
}


def evaluate(model: NativeModel, which: str = "held-out voices", *, recognizer=None,
             codec_model=None, questions=None) -> dict:
    """Score the model on ``which`` (:data:`EVALUATION_SETS`): every question (or the indices
    ``questions``) x the set's voices x the 3 rate categories at the exact category rate.

    Returns a dict: ``speech_right`` and ``text_right`` (shares of right replies; speech
    scored by :func:`course_lib.world.score_reply`), ``speech_per`` (mean PER of the spoken
    replies), ``ceiling_right`` and ``ceiling_per`` (the codec's level-1 decoding of the
    eSpeak reply, scored alike), ``duration`` (mean reply seconds per rate name),
    ``ceiling_duration`` likewise, and ``n``.
    Explained in notebook 09, section "The native model".
    """
    from course_lib.recognizer import load_recognizer
    variants, pitch = EVALUATION_SETS[validate.choice(which, "which", tuple(EVALUATION_SETS))]
    recognizer = load_recognizer() if recognizer is None else recognizer
    codec_model = codec.load_codec() if codec_model is None else codec_model
    questions = range(len(world.QUESTIONS)) if questions is None else [
        validate.integer(q, "question index", minimum=0, maximum=len(world.QUESTIONS) - 1)
        for q in questions]
    rows = []
    with limited_threads(1):
        for r, rate in enumerate(PROMPT_RATES):
            for q in questions:
                question = world.QUESTIONS[q]
                ceiling = _ceiling(question, rate, codec_model)
                ceiling_score = world.score_reply(ceiling, question, recognizer)
                for variant in variants:
                    waveform = world.speak_question(question, variant=variant,
                                                    words_per_minute=rate, pitch=pitch).waveform
                    spoken = answer(model, waveform, "speech", codec_model=codec_model)
                    written = answer(model, waveform, "text", codec_model=codec_model)
                    score = (world.score_reply(spoken["waveform"], question, recognizer)
                             if len(spoken["codes"]) else dict(right=False, per=1.0))
                    rows.append(dict(rate=RATE_NAMES[r], speech_right=score["right"],
                                     speech_per=score["per"],
                                     text_right=world.is_right(" ".join(written["words"]),
                                                               question),
                                     duration=len(spoken["codes"]) / codec.FRAMES_PER_SECOND,
                                     ceiling_right=ceiling_score["right"],
                                     ceiling_per=ceiling_score["per"],
                                     ceiling_duration=len(ceiling) / 16_000))
    mean = {key: float(np.mean([row[key] for row in rows]))
            for key in ("speech_right", "speech_per", "text_right", "ceiling_right",
                        "ceiling_per")}
    for key in ("duration", "ceiling_duration"):
        mean[key] = {name: float(np.mean([row[key] for row in rows if row["rate"] == name]))
                     for name in RATE_NAMES}
    return dict(mean, n=len(rows))


def _ceiling(question: str, rate: int, codec_model) -> np.ndarray:
    """The codec's level-1 decoding of the eSpeak reply at ``rate``: the best a level-1 model
    could say."""
    spoken = speak_reply(question, rate)
    return codec_model.decode(_codes(spoken, codec_model)[:, None])


def main(argv: list[str] | None = None) -> None:
    """Command line: train the native model (``--steps``), evaluate it on both evaluation
    sets and write ``--out`` (``data/native_model.pt`` by default).
    Explained in notebook 09, section "The native model"."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--no-evaluation", action="store_true")
    args = parser.parse_args(argv)
    model, record = train(args.steps)
    save(model, record, args.out)
    print({k: v for k, v in record.items() if k != "loss_curve"}, flush=True)
    if args.no_evaluation:
        return
    model = load_native(args.out)  # score the float16 weights that ship, not the float32 ones
    started = time.process_time()
    record["evaluation"] = {which: evaluate(model, which) for which in EVALUATION_SETS}
    record["evaluation_cpu_seconds"] = time.process_time() - started
    print(record["evaluation"], flush=True)
    save(model, record, args.out)


if __name__ == "__main__":
    main()
