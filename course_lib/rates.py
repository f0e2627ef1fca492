"""The rate mismatch as arithmetic: how many tokens one utterance becomes under each strategy.

A text LLM reads a few tokens per second of speech; an audio encoder emits tens of frames per
second, and a multi-codebook codec emits levels x frames. Each function here counts the tokens
one strategy hands to the LLM; :func:`token_rows` lays them out in time for the figure of
notebook 00 (``course_lib.plots.plot_token_rows``).

The second half counts sequential steps instead of tokens: how many model calls each codebook
serialization of ``course_lib.serialize`` needs for T frames of K levels (notebook 10).

Explained in notebook 00, section "The essay's numbers, computed", and notebook 10, section
"Steps per second of audio". Notebook 11, section "Budgets for any duration", applies them
to the real systems (``course_lib.systems``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from course_lib import validate
from course_lib.ctc import runs
from course_lib.synth import Phone

_TOKEN_PATTERN = re.compile(r"\w+(?:'\w+)?|[^\w\s]")


def text_tokens(text: str) -> list[str]:
    """Split text into word and punctuation tokens: "The cat sat." -> ['The', 'cat', 'sat', '.'].

    A stand-in for a BPE tokenizer that needs no downloaded vocabulary: GPT-style BPE also
    gives one token to each common English word and one to each punctuation mark, so on
    everyday sentences the counts agree; rare words would split into more pieces.

    Explained in notebook 00, section "① Representation: numbers, not symbols".
    """
    return _TOKEN_PATTERN.findall(validate.text(text, "text", non_empty=False))


def encoder_frames(duration_s: float, frames_per_second: float) -> int:
    """Frames an encoder emits for ``duration_s`` seconds at ``frames_per_second``.

    One frame per started hop of 1/frames_per_second seconds (the encoder pads a last, partial
    hop), so 5 s at 50 fps is 250 frames and 6.5 s at 25 fps is 163. The product is rounded
    to 9 decimals before the ceiling: in floating point 1.1 * 50 is 55.00000000000001, which
    must still give 55 frames, not 56. A duration above zero, however short, starts a frame.

    Explained in notebook 00, section "② Rate: far more frames than tokens".
    """
    duration_s = validate.real(duration_s, "duration_s", above=0)
    frames_per_second = validate.real(frames_per_second, "frames_per_second", above=0)
    return max(1, math.ceil(round(duration_s * frames_per_second, 9)))


TEXT_TOKENS_PER_SECOND = 4.0
"""The essay's text rate for speech: "~4 text tokens for same content" as one second of audio."""


def text_tokens_for_duration(duration_s: float,
                             tokens_per_second: float = TEXT_TOKENS_PER_SECOND) -> int:
    """Text tokens that say what ``duration_s`` seconds of speech say, at ``tokens_per_second``
    (the essay's ~4 by default): ceil(duration_s x rate), at least 1, the rounding of
    :func:`encoder_frames`. 5 s -> 20 tokens, 2.6 s -> 11. The reference line that every audio
    rate is compared with.

    Explained in notebook 11, section "Budgets for any duration".
    """
    return encoder_frames(duration_s, validate.real(tokens_per_second, "tokens_per_second",
                                                    above=0))


def pooled_tokens(n_frames: int, pool_factor: int) -> int:
    """Tokens left after pooling (or stacking) every ``pool_factor`` frames into one.

    A last, partial group still makes a token: ceil(n_frames / pool_factor).

    Explained in notebook 00, section "The essay's numbers, computed".
    """
    n_frames = validate.integer(n_frames, "n_frames", minimum=0)
    pool_factor = validate.integer(pool_factor, "pool_factor", minimum=1)
    return -(-n_frames // pool_factor)  # integer ceiling: exact for any size


def merged_segments(labels: list[str]) -> list[str]:
    """Collapse runs of the same label into one: what CTC-guided merging keeps.

    ['sil', 'sil', 'k', 'k', 'æ', 'sil'] -> ['sil', 'k', 'æ', 'sil']. With per-frame labels from
    a CTC model this is the content-adaptive compression of
    notebook 03, section "CTC-guided compression": however long a silence or a vowel lasts, it
    becomes one token.

    Explained in notebook 00, section "The essay's numbers, computed".
    """
    labels = validate.labels(labels, "labels")
    starts, _ = runs(np.array(labels, dtype=object))
    return [labels[start] for start in starts]


def codec_tokens(duration_s: float, n_codebooks: int, frames_per_second: float) -> int:
    """Tokens of a residual-VQ codec: one per codebook level per codec frame.

    Explained in notebook 00, section "④ Output: what would a model have to generate?".
    """
    n_codebooks = validate.integer(n_codebooks, "n_codebooks", minimum=1)
    return n_codebooks * encoder_frames(duration_s, frames_per_second)


@dataclass(frozen=True)
class TokenRow:
    """One strategy's view of an utterance.

    Attributes:
        name: the strategy, e.g. ``"encoder frames (50 fps)"``.
        n_tokens: how many tokens the LLM receives.
        cells: (n_cells, 2) array of [start, end] times in seconds of each token's span, or
            None when tokens are not tied to time (text, Q-Former queries).
        n_lanes: tokens stacked per time cell (codebook levels for a codec, else 1).
        labels: readable token labels where there are any (text tokens, merged phones).

    Explained in notebook 00, section "The essay's numbers, computed".
    """

    name: str
    n_tokens: int
    cells: np.ndarray | None
    n_lanes: int = 1
    labels: tuple[str, ...] = ()


def token_rows(
    text: str,
    phones: list[Phone] | tuple[Phone, ...],
    duration_s: float,
    *,
    frames_per_second: float = 50,
    pool_factor: int = 5,
    n_queries: int = 32,
    n_codebooks: int = 4,
    codec_frames_per_second: float = 25,
) -> list[TokenRow]:
    """The rows of the rate-mismatch figure: one utterance under six strategies.

    The phone alignment is stretched to ``duration_s`` (as if the same sentence were spoken
    more slowly), so merged phones keep their count while frame-based strategies grow with
    time.

    Returns rows in order: text tokens, encoder frames, k-pooled frames, CTC-merged phones,
    Q-Former queries, codec tokens.

    Explained in notebook 00, section "The essay's numbers, computed".
    """
    text = validate.text(text, "text", non_empty=False)
    phones = _check_phones(phones)
    duration_s = validate.real(duration_s, "duration_s", above=0)
    frames_per_second = validate.real(frames_per_second, "frames_per_second", above=0)
    pool_factor = validate.integer(pool_factor, "pool_factor", minimum=1)
    n_queries = validate.integer(n_queries, "n_queries", minimum=1)
    n_codebooks = validate.integer(n_codebooks, "n_codebooks", minimum=1)
    codec_frames_per_second = validate.real(codec_frames_per_second, "codec_frames_per_second",
                                            above=0)
    scale = duration_s / phones[-1].end
    words = text_tokens(text)
    n_frames = encoder_frames(duration_s, frames_per_second)
    n_pooled = pooled_tokens(n_frames, pool_factor)
    merged = merged_segments([p.label for p in phones])
    n_codec_frames = encoder_frames(duration_s, codec_frames_per_second)
    phone_cells = np.array([[p.start * scale, p.end * scale] for p in phones])
    return [
        TokenRow("text tokens", len(words), None, labels=tuple(words)),
        TokenRow(f"encoder frames ({frames_per_second:g} fps)", n_frames,
                 _grid(n_frames, 1 / frames_per_second, duration_s)),
        TokenRow(f"pooled, k={pool_factor}", n_pooled,
                 _grid(n_pooled, pool_factor / frames_per_second, duration_s)),
        TokenRow("CTC-merged phones", len(merged), phone_cells, labels=tuple(merged)),
        TokenRow(f"Q-Former, {n_queries} queries", n_queries, None),
        TokenRow(f"codec, {n_codebooks} levels x {codec_frames_per_second:g} fps",
                 codec_tokens(duration_s, n_codebooks, codec_frames_per_second),
                 _grid(n_codec_frames, 1 / codec_frames_per_second, duration_s),
                 n_lanes=n_codebooks),
    ]


def _grid(n_cells: int, cell_seconds: float, duration_s: float) -> np.ndarray:
    """[start, end] of ``n_cells`` adjacent cells of ``cell_seconds``, clipped to the duration."""
    starts = np.arange(n_cells) * cell_seconds
    return np.stack([starts, np.minimum(starts + cell_seconds, duration_s)], axis=1)


def _check_phones(phones) -> list[Phone]:
    """A non-empty sequence of :class:`Phone` whose last one ends after time 0."""
    expected = "a non-empty list of synth.Phone (e.g. utterance.phones)"
    if isinstance(phones, (str, bytes)) or not hasattr(phones, "__len__"):
        raise TypeError(f"phones must be {expected}, got {validate.describe(phones)}")
    if not all(isinstance(phone, Phone) for phone in phones):
        raise TypeError(f"phones must be {expected}, got {validate.describe(phones)}")
    if len(phones) == 0 or not phones[-1].end > 0:
        raise ValueError(f"phones must be {expected} ending after 0 s, got "
                         f"{validate.describe(phones)}")
    return list(phones)


# --- adapters: T' for each family (notebook 08) ----------------------------------------------

ADAPTER_FAMILIES = ("linear", "mlp", "stack", "pool", "conv", "qformer", "window_qformer",
                    "ctc_merge")


def conv_tokens(n_frames: int, kernel_size: int, stride: int, padding: int = 0) -> int:
    """Outputs of a 1-D convolution over ``n_frames``: floor((n + 2 padding - kernel) / stride)
    + 1 (at least 0). Kernel 5, stride 4, padding 2 gives ceil(n / 4) for every n >= 1.
    Explained in notebook 08, section "Six adapter families"."""
    n_frames = validate.integer(n_frames, "n_frames", minimum=0)
    kernel_size = validate.integer(kernel_size, "kernel_size", minimum=1)
    stride = validate.integer(stride, "stride", minimum=1)
    padding = validate.integer(padding, "padding", minimum=0)
    return max(0, (n_frames + 2 * padding - kernel_size) // stride + 1)


def window_tokens(n_frames: int, window: int, keep_partial: bool = True) -> int:
    """Tokens of a window-level Q-Former with one query per ``window`` frames.

    ``keep_partial=True`` (the course's adapter) gives a last, partial window its token:
    ceil(n / window), so even one frame makes a token. SALMONN's released code cuts windows
    with ``F.unfold`` and no padding, dropping the partial one: floor(n / window), which for
    Whisper's 1500 frames (30 s) and 17-frame windows is 88.
    Explained in notebook 08, section "Six adapter families".
    """
    n_frames = validate.integer(n_frames, "n_frames", minimum=0)
    window = validate.integer(window, "window", minimum=1)
    keep_partial = validate.boolean(keep_partial, "keep_partial")
    return pooled_tokens(n_frames, window) if keep_partial else n_frames // window


def adapter_tokens(family: str, n_frames: int, *, factor: int = 1, n_queries: int = 32,
                   window: int = 17, n_segments: int | None = None) -> int:
    """T', the number of vectors an adapter of ``family`` hands the LM for ``n_frames``
    encoder frames:

    * ``linear``, ``mlp``: one per frame, T;
    * ``stack``, ``pool``: ceil(T / factor);
    * ``conv`` (stride factor, kernel 2 (factor // 2) + 1, padding factor // 2): by
      :func:`conv_tokens` floor((T - 1) / factor) + 1, which is ceil(T / factor);
    * ``qformer``: ``n_queries``, whatever T is;
    * ``window_qformer``: ceil(T / window);
    * ``ctc_merge``: ``n_segments``, the runs of the recognizer's greedy path (at least 1),
      which depends on what was said, not only on T.

    Explained in notebook 08, section "Six adapter families".
    """
    family = validate.choice(family, "family", ADAPTER_FAMILIES)
    n_frames = validate.integer(n_frames, "n_frames", minimum=1)
    factor = validate.integer(factor, "factor", minimum=1)
    n_queries = validate.integer(n_queries, "n_queries", minimum=1)
    if family in ("linear", "mlp"):
        return n_frames
    if family in ("stack", "pool", "conv"):
        return pooled_tokens(n_frames, factor)
    if family == "qformer":
        return n_queries
    if family == "window_qformer":
        return window_tokens(n_frames, window)
    if n_segments is None:
        raise ValueError("n_segments must be given for family 'ctc_merge' (the number of runs "
                         "of the recognizer's greedy path), got None")
    n_segments = validate.integer(n_segments, "n_segments", minimum=0, maximum=n_frames)
    return max(1, n_segments)


def attention_pairs(n_audio_tokens: int, n_text_tokens: int) -> int:
    """Query-key pairs one full self-attention layer scores over audio tokens and text:
    (T' + N)^2. It grows with the square of the length, so 500 frames + 40 text tokens cost
    about 180 times as much as 40 text tokens alone.
    Explained in notebook 08, section "The essay's numbers, computed"."""
    n_audio_tokens = validate.integer(n_audio_tokens, "n_audio_tokens", minimum=0)
    n_text_tokens = validate.integer(n_text_tokens, "n_text_tokens", minimum=0)
    return (n_audio_tokens + n_text_tokens) ** 2


# --- sequential steps of the codebook serializations (notebook 10) ---------------------------

SERIALIZATIONS = ("flattening", "valle", "delay", "masked", "rq")
"""The five orders of ``course_lib.serialize``, by the names its functions take."""


def flattening_steps(n_frames: int, n_codebooks: int) -> int:
    """Sequential steps to generate ``n_frames`` x ``n_codebooks`` tokens one at a time: T x K.

    Explained in notebook 10, section "1. Flattening: one token per step".
    """
    n_frames, n_codebooks = _grid_size(n_frames, n_codebooks)
    return n_frames * n_codebooks


def valle_steps(n_frames: int, n_codebooks: int) -> int:
    """VALL-E's steps: T autoregressive steps on level 1, then one parallel (non-autoregressive)
    pass per level 2..K: T + K - 1.

    Explained in notebook 10, section "2. VALL-E: level 1 in order, the rest in passes".
    """
    n_frames, n_codebooks = _grid_size(n_frames, n_codebooks)
    return n_frames + n_codebooks - 1


def delay_steps(n_frames: int, n_codebooks: int) -> int:
    """MusicGen's delay pattern: level k starts k steps late, so one autoregressive pass emits
    one token of every level per step and ends after T + K - 1 steps. (audiocraft's layout also
    has an empty first step, where the model reads only its start token; it emits no code and
    is not counted here.)

    Explained in notebook 10, section "3. The delay pattern: T + K - 1 steps".
    """
    n_frames, n_codebooks = _grid_size(n_frames, n_codebooks)
    return n_frames + n_codebooks - 1


def masked_passes(n_frames: int, passes: int) -> int:
    """Passes the masked decoder spends on one level of ``n_frames`` tokens when asked for
    ``passes``: each pass fixes at least one token, so min(passes, T).

    Explained in notebook 10, section "4. Masked decoding: a few passes per level".
    """
    n_frames = validate.integer(n_frames, "n_frames", minimum=1)
    passes = validate.integer(passes, "passes", minimum=1)
    return min(passes, n_frames)


def masked_steps(n_frames: int, n_codebooks: int, first_passes: int = 16,
                 later_passes: int = 1) -> int:
    """SoundStorm-style masked decoding, level by level: ``first_passes`` passes on level 1 and
    ``later_passes`` on each later level (each capped at T, see :func:`masked_passes`).
    With the defaults and T >= 16: 16 + (K - 1), e.g. 27 passes for 12 levels.

    Explained in notebook 10, section "4. Masked decoding: a few passes per level".
    """
    n_frames, n_codebooks = _grid_size(n_frames, n_codebooks)
    return (masked_passes(n_frames, first_passes)
            + (n_codebooks - 1) * masked_passes(n_frames, later_passes))


def rq_steps(n_frames: int, n_codebooks: int) -> int:
    """Depth steps of an RQ-Transformer (Moshi): the small depth model emits one level per step,
    all K levels of every frame, so T x K small steps in all (see :func:`rq_temporal_steps`
    for the large model's steps).

    Explained in notebook 10, section "5. The RQ-Transformer: a temporal step, then depth steps".
    """
    n_frames, n_codebooks = _grid_size(n_frames, n_codebooks)
    return n_frames * n_codebooks


def rq_temporal_steps(n_frames: int, n_codebooks: int, acoustic_delay: int = 1) -> int:
    """Temporal steps of an RQ-Transformer: the large model runs once per frame, plus
    ``acoustic_delay`` steps at the end, since levels 2..K lag level 1 by that many frames:
    T + delay (just T when K = 1: there is nothing to delay).

    Explained in notebook 10, section "5. The RQ-Transformer: a temporal step, then depth steps".
    """
    n_frames, n_codebooks = _grid_size(n_frames, n_codebooks)
    acoustic_delay = validate.integer(acoustic_delay, "acoustic_delay", minimum=0)
    return n_frames + (acoustic_delay if n_codebooks > 1 else 0)


def serialization_steps(pattern: str, n_frames: int, n_codebooks: int, *,
                        first_passes: int = 16, later_passes: int = 1) -> int:
    """The sequential model calls of ``pattern`` (one of :data:`SERIALIZATIONS`) for a
    (n_frames, n_codebooks) code matrix: the count that each decode loop of
    ``course_lib.serialize`` makes. For ``"rq"`` this is the depth steps, T x K.

    Explained in notebook 10, section "7. Steps per second of audio".
    """
    pattern = validate.choice(pattern, "pattern", SERIALIZATIONS)
    if pattern == "masked":
        return masked_steps(n_frames, n_codebooks, first_passes, later_passes)
    counts = {"flattening": flattening_steps, "valle": valle_steps, "delay": delay_steps,
              "rq": rq_steps}
    return counts[pattern](n_frames, n_codebooks)


def _grid_size(n_frames, n_codebooks) -> tuple[int, int]:
    """``n_frames`` and ``n_codebooks`` checked as positive counts."""
    return (validate.integer(n_frames, "n_frames", minimum=1),
            validate.integer(n_codebooks, "n_codebooks", minimum=1))
