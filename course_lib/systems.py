"""The map of real systems: ten audio-language systems as data, their token budgets for any
duration, and a toy of each built from the course's own parts.

Each :class:`System` record gives the input path (encoder, its frame rate, the adapter and
its compression), the output path (text, cascade, hybrid or native; the codec, its frame
rate, levels and codebook size; the serialization of ``course_lib.serialize``) and the LM.
Every number is a :class:`Sourced` value that names its source (paper, model card or
released code). Where the essay says something else, the record keeps both in
``disagreements``; what is inferred and not published is marked ``inferred``.

The budgets (:func:`lm_input_tokens`, :func:`output_steps`, :func:`budget`) use only the
formulas of ``course_lib.rates``. The toys (:func:`run_toy`) run the course's recognizer and
adapters (notebook 08), generators (notebook 10) and native model (notebook 09) in each
system's shape and count what they emit.

Explained in notebook 11, section "Ten systems as data".
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from course_lib import rates, validate
from course_lib.features import SAMPLE_RATE

OUTPUT_KINDS = ("text", "cascade", "hybrid", "native")
TOY_FRAMES_PER_SECOND = 50.0  # the course's recognizer and codec both run at 50 frames/s
ESSAY = "the essay (seed text), section \"Where These Patterns Appear\""


@dataclass(frozen=True)
class Sourced:
    """One number and where it comes from.

    Attributes:
        value: the number (positive), or None when it is unpublished (then ``inferred`` or
            ``note`` says so).
        source: the paper, model card or released code that states it.
        note: what the number means, or how it was derived.
        inferred: True when the figure is inferred, not published.

    Explained in notebook 11, section "Ten systems as data".
    """

    value: float | None
    source: str
    note: str = ""
    inferred: bool = False


@dataclass(frozen=True)
class Disagreement:
    """Where the essay and a source differ: both versions, and the source.
    Explained in notebook 11, section "Where the essay and the sources disagree"."""

    topic: str
    essay: str
    source_says: str
    source: str


@dataclass(frozen=True)
class InputPath:
    """How audio reaches the LM.

    Attributes:
        encoder: the audio encoder (or tokenizer).
        frames_per_second: its output frame rate.
        adapter: a family of ``rates.ADAPTER_FAMILIES`` (``linear`` also stands for discrete
            units or codec codes embedded one position per frame).
        factor: the compression: frames per token for stack, pool and conv, the window for
            window_qformer; None for one token per frame.
        keep_partial: whether a last, partial window still makes a token.
        note: what the adapter is, in words.

    Explained in notebook 11, section "Ten systems as data".
    """

    encoder: str
    frames_per_second: Sourced
    adapter: str
    factor: Sourced | None
    keep_partial: bool = True
    note: str = ""


@dataclass(frozen=True)
class OutputPath:
    """How the answer comes out.

    Attributes:
        kind: one of :data:`OUTPUT_KINDS`.
        codec: the codec or unit vocoder; None for text output.
        frames_per_second, n_levels, codebook_size: the codec's; None for text output.
        serialization: an order of ``course_lib.serialize.PATTERNS``, or None.
        first_passes: masked decoding's passes on level 1 (``masked`` only).
        acoustic_delay: the RQ order's delay of levels 2..K, in frames (``rq`` only).
        note: what comes out, in words.

    Explained in notebook 11, section "Ten systems as data".
    """

    kind: str
    codec: str | None = None
    frames_per_second: Sourced | None = None
    n_levels: Sourced | None = None
    codebook_size: Sourced | None = None
    serialization: str | None = None
    first_passes: Sourced | None = None
    acoustic_delay: Sourced | None = None
    note: str = ""


@dataclass(frozen=True)
class System:
    """One real system as data.

    Attributes:
        name, maker: the system and who built it.
        input_path: an :class:`InputPath`, or None (a generation-only system; ``input_note``
            says what conditions it instead).
        input_note: what the input is, in words.
        output: an :class:`OutputPath`.
        lm: the language model, with ``lm_source``.
        essay_row: the essay's table row: (input, output, key choice); "" where the essay has
            no row for the system.
        disagreements: :class:`Disagreement` records.
        inferred: statements about the system that are inferred, not published.
        toy: how the course builds it, and the notebook that built the mechanism.

    Explained in notebook 11, section "Ten systems as data".
    """

    name: str
    maker: str
    input_path: InputPath | None
    input_note: str
    output: OutputPath
    lm: str
    lm_source: str
    essay_row: tuple[str, str, str]
    disagreements: tuple[Disagreement, ...] = ()
    inferred: tuple[str, ...] = ()
    toy: str = ""


# --- sources ---------------------------------------------------------------------------------

WHISPER = ("Radford et al. 2022, Whisper paper: 100 log-mel frames/s, a stride-2 convolution "
           "-> 50 encoder frames/s")
ULTRAVOX = "fixie-ai/ultravox, ultravox_config.py (stack_factor=8) and ultravox_model.py"
QWEN_AUDIO = "Chu et al. 2023, Qwen-Audio paper: a pooling layer of stride 2 after the encoder"
SALMONN = ("Tang et al. 2024, SALMONN paper and released code (window-level Q-Former, "
           "window 17 frames, cut with F.unfold without padding)")
SPEECHVERSE = "Das et al. 2024, SpeechVerse paper"
WAVLM = "Chen et al. 2022, WavLM paper: a 20 ms frame shift (50 frames/s)"
VALLE = "Wang et al. 2023, VALL-E paper: EnCodec at 24 kHz, 8 codebooks of 1024, 75 Hz"
MUSICGEN = "Copet et al. 2023, MusicGen paper: EnCodec at 32 kHz, 4 codebooks of 2048, 50 Hz"
SOUNDSTORM = ("Borsos et al. 2023, SoundStorm paper: SoundStream at 24 kHz, 50 Hz, 12 levels "
              "of 1024; 16 passes on level 1, 1 per later level")
MOSHI = ("Defossez et al. 2024, Moshi paper: Mimi at 12.5 Hz, 8 codebooks of 2048; "
         "RQ-Transformer with an acoustic delay of 1-2 frames")
SPIRIT_LM = ("Nguyen et al. 2024, Spirit LM paper: HuBERT units at 25 Hz, 501 units, "
             "deduplicated, interleaved with text")
GPT4O = "OpenAI 2024, GPT-4o announcement and System Card"


def _whisper_rate() -> Sourced:
    return Sourced(50.0, WHISPER, "Whisper encoder frames per second")


SYSTEMS: tuple[System, ...] = (
    System(
        "Ultravox", "Fixie AI (open)",
        InputPath("Whisper encoder (made to encode only the audio given)", _whisper_rate(),
                  "stack", Sourced(8, ULTRAVOX, "8 encoder frames stacked into one token"),
                  note="stack 8 frames, then a SwiGLU projector; encoder and LLM frozen"),
        "speech, through the Whisper encoder",
        OutputPath("text", note="text; a separate TTS would speak it"),
        "Llama 3.x in the main releases (Mistral-NeMo in one variant)",
        "fixie-ai model cards on Hugging Face",
        ("Continuous: Whisper encoder + 2-layer MLP", "Text output (separate TTS for audio)",
         "Linear adapter: no temporal compression; the full 500-frame sequence"),
        (Disagreement("temporal compression", "none: ~500 frames for 10 s go to the LLM",
                      "8 frames stacked: 50 -> 6.25 tokens/s, 63 tokens for 10 s", ULTRAVOX),
         Disagreement("LLM", "Mistral", "Llama 3.x in the main releases; Mistral-NeMo is one "
                      "variant", "fixie-ai model cards")),
        toy="recognizer + the stack-8 adapter + the tiny LM (notebook 08)"),
    System(
        "Qwen-Audio", "Alibaba (open)",
        InputPath("Whisper-large-v2 encoder", _whisper_rate(), "pool",
                  Sourced(2, QWEN_AUDIO, "2 frames averaged into one token"),
                  note="average pooling of 2 frames, then projection"),
        "speech and other audio, through the Whisper encoder",
        OutputPath("text", note="text only; no audio generation path"),
        "Qwen-7B", QWEN_AUDIO,
        ("Continuous: strided/pooled adapter", "Text output (no audio generation path)",
         "Adjacent-frame stacking before projection"),
        (Disagreement("adapter", "adjacent-frame stacking",
                      "average pooling of 2 frames: 25 tokens/s, 750 per 30 s", QWEN_AUDIO),),
        toy="recognizer + the pool-2 adapter + the tiny LM (notebook 08)"),
    System(
        "SALMONN", "Tsinghua / ByteDance (open)",
        InputPath("Whisper encoder + BEATs", _whisper_rate(), "window_qformer",
                  Sourced(17, SALMONN, "one query per 17-frame (~0.33 s) window"),
                  keep_partial=False,
                  note="window-level Q-Former, 2 layers; the last partial window is dropped"),
        "speech, audio events and music, through two encoders",
        OutputPath("text", note="text; a separate TTS would speak it"),
        "Vicuna-13B with LoRA (r = 8)", SALMONN,
        ("Continuous: Q-Former (32 learned queries)", "Text output (separate TTS for audio)",
         "32-query bottleneck regardless of audio length"),
        (Disagreement("queries", "32 queries, whatever the length",
                      "1 query per 17-frame window, in time order: 88 tokens for 30 s", SALMONN),),
        toy="recognizer + the window Q-Former (window 17) + the tiny LM (notebook 08)"),
    System(
        "SpeechVerse", "Amazon",
        InputPath("WavLM-Large (or a BEST-RQ Conformer)", Sourced(50.0, WAVLM),
                  "conv", Sourced(None, SPEECHVERSE, "the paper describes a 1-D convolution "
                                  "that downsamples the encoder; the course's sources give no "
                                  "stride, so no tokens/s is claimed", inferred=True),
                  note="1-D strided convolution, then the LLM with LoRA"),
        "speech, through the WavLM encoder",
        OutputPath("text", note="text; no TTS stage is described"),
        "Flan-T5-XL", SPEECHVERSE,
        ("Continuous: 1D conv adapter (strided)", "Cascade",
         "1D convolutional adapter with LoRA fine-tuning of the LLM"),
        (Disagreement("output", "cascade", "text output; no TTS stage described", SPEECHVERSE),),
        inferred=("the convolution's stride (not in the sources read)",),
        toy="recognizer + the strided conv adapter (stride 4) + the tiny LM (notebook 08)"),
    System(
        "VALL-E", "Microsoft",
        None, "text as phonemes, plus a 3 s enrolled recording's codes as the voice prompt "
              "(generation only: no audio-understanding path)",
        OutputPath("hybrid", "EnCodec (24 kHz)", Sourced(75.0, VALLE), Sourced(8, VALLE),
                   Sourced(1024, VALLE), "valle",
                   note="AR transformer on level 1, then a non-AR model, one pass per level"),
        "a transformer trained from scratch on phonemes", VALLE,
        ("Text + 3s audio prompt (CB1 speaker conditioning)",
         "Hybrid: LLM generates CB1 AR, separate non-AR model fills CB2-CBN",
         "Hierarchical multi-codebook generation"),
        (Disagreement("non-AR stage", "fills CB2..CBN in parallel",
                      "7 passes, one per level 2..8, each parallel over time", VALLE),),
        toy="the phone-conditioned generator in VALL-E order (notebook 10)"),
    System(
        "MusicGen", "Meta (open)",
        None, "text (T5 embeddings, by cross-attention) or a melody (generation only)",
        OutputPath("native", "EnCodec (32 kHz)", Sourced(50.0, MUSICGEN), Sourced(4, MUSICGEN),
                   Sourced(2048, MUSICGEN), "delay",
                   note="one AR pass; level k delayed by k steps"),
        "a decoder-only transformer over the codes", MUSICGEN,
        ("Text conditioning", "Native: single AR pass with delay patterns across codebooks",
         "Delay-pattern serialization"),
        toy="the generator in delay order (notebook 10)"),
    System(
        "SoundStorm", "Google DeepMind",
        None, "semantic tokens (w2v-BERT) from AudioLM (generation only)",
        OutputPath("native", "SoundStream (24 kHz)", Sourced(50.0, SOUNDSTORM),
                   Sourced(12, SOUNDSTORM), Sourced(1024, SOUNDSTORM), "masked",
                   first_passes=Sourced(16, SOUNDSTORM),
                   note="masked decoding, level by level, coarse to fine"),
        "a non-autoregressive Conformer", SOUNDSTORM,
        ("Semantic token conditioning", "Native: masked parallel decoding",
         "K iterative unmasking passes instead of T x N sequential steps"),
        (Disagreement("decoding", "all tokens in parallel",
                      "level by level: 16 passes on level 1 and 1 per level after (27 for 12)",
                      SOUNDSTORM),
         Disagreement("SoundStream rate", "16 kHz", "24 kHz in the paper's models",
                      SOUNDSTORM)),
        toy="the generator in masked order (notebook 10)"),
    System(
        "GPT-4o", "OpenAI (closed)",
        None, "speech, text and images (the input path is unpublished)",
        OutputPath("native", note="stated to be one end-to-end network; tokenizer, codec and "
                   "frame rate unpublished"),
        "GPT-4o: one network across text, vision and audio (OpenAI's statement)", GPT4O,
        ("Inferred: native or continuous", "Inferred: native", "Architecture unpublished"),
        (Disagreement("232 / 320 ms", "time to first audio token",
                      "minimum and average audio response time (2.8 s / 5.4 s for the older "
                      "three-model voice mode)", GPT4O),),
        inferred=("native output: OpenAI states one end-to-end network, nothing more",
                  "the tokenizer, the codec and its frame rate: unpublished",
                  "whether input and output share one token space: unpublished"),
        toy="the course's native model, end to end (notebook 09): the stated shape only"),
    System(
        "Spirit LM", "Meta (open)",
        InputPath("HuBERT units (discrete)", Sourced(25.0, SPIRIT_LM), "linear", None,
                  note="units are LM tokens: one position per unit; deduplication makes fewer"),
        "speech as HuBERT units, interleaved with text at word boundaries",
        OutputPath("native", "HuBERT units + a unit vocoder", Sourced(25.0, SPIRIT_LM),
                   Sourced(1, SPIRIT_LM, "one stream of units"),
                   Sourced(501, SPIRIT_LM, "the released model card lists 32,512 tokens in "
                           "all: Llama-2's 32,000 plus 512 rows added for speech"),
                   "flattening", note="units or text, one token per step"),
        "Llama-2 7B", SPIRIT_LM,
        ("", "", ""),
        toy="the course's native model, trained partly on word-level interleaving (notebook 09)"),
    System(
        "Moshi", "Kyutai (open)",
        InputPath("Mimi encoder (the user's stream)", Sourced(12.5, MOSHI), "linear", None,
                  note="each frame's 8 codes embedded and summed: one position per frame"),
        "the user's speech as Mimi codes, full duplex",
        OutputPath("native", "Mimi", Sourced(12.5, MOSHI), Sourced(8, MOSHI),
                   Sourced(2048, MOSHI), "rq",
                   acoustic_delay=Sourced(1, MOSHI, "the lower end of the paper's 1-2 frames"),
                   note="temporal transformer per frame, depth transformer over levels; an "
                   "inner-monologue text stream at the same 12.5 Hz"),
        "Helium 7B (Kyutai)", MOSHI,
        ("", "", ""),
        (Disagreement("frame rate", "12.5 Hz", "12.5 Hz (they agree)", MOSHI),),
        toy="the generator in RQ order + native.inner_monologue (notebooks 09-10)"),
)

NAMES = tuple(system.name for system in SYSTEMS)


def get(name: str) -> System:
    """The record called ``name`` (one of :data:`NAMES`).
    Explained in notebook 11, section "Ten systems as data"."""
    name = validate.choice(name, "name", NAMES)
    return SYSTEMS[NAMES.index(name)]


def _system(system) -> System:
    if isinstance(system, str):
        return get(system)
    if not isinstance(system, System):
        raise TypeError(f"system must be a System or one of {NAMES}, got "
                        f"{validate.describe(system)}")
    return system


def numbers(system) -> dict[str, Sourced]:
    """Every :class:`Sourced` number of a record, by field path (``"output.n_levels"``).
    Explained in notebook 11, section "Ten systems as data"."""
    system = _system(system)
    found = {}
    for part_name, part in (("input", system.input_path), ("output", system.output)):
        if part is None:
            continue
        for key, value in vars(part).items():
            if isinstance(value, Sourced):
                found[f"{part_name}.{key}"] = value
    return found


def problems(system) -> list[str]:
    """What is wrong with a record: a missing field, a non-positive rate, a number without a
    source, an unknown adapter, output kind or serialization. An empty list means it validates.
    Explained in notebook 11, section "Ten systems as data"."""
    system = _system(system)
    found = [f"{name} is empty" for name in ("name", "maker", "input_note", "lm", "lm_source")
             if not getattr(system, name).strip()]
    for path, number in numbers(system).items():
        if not number.source.strip():
            found.append(f"{path} has no source")
        if number.value is None and not (number.inferred and number.note):
            found.append(f"{path} is None without saying why")
        elif number.value is not None and not number.value > 0:
            found.append(f"{path} = {number.value} is not positive")
    if system.input_path is not None:
        if system.input_path.adapter not in rates.ADAPTER_FAMILIES:
            found.append(f"input adapter {system.input_path.adapter!r} is not in rates")
    out = system.output
    if out.kind not in OUTPUT_KINDS:
        found.append(f"output kind {out.kind!r} is not one of {OUTPUT_KINDS}")
    if out.kind in ("text", "cascade") and out.codec is not None:
        found.append("a text output has a codec")
    if out.codec is not None:
        for name in ("frames_per_second", "n_levels", "codebook_size"):
            if getattr(out, name) is None:
                found.append(f"output.{name} is missing for codec {out.codec!r}")
        if out.serialization not in rates.SERIALIZATIONS:
            found.append(f"serialization {out.serialization!r} is not in serialize.PATTERNS")
    elif out.kind == "native" and not system.inferred:
        found.append("a native output without a codec must say what is unpublished")
    for item in system.disagreements:
        if not all(str(text).strip() for text in vars(item).values()):
            found.append(f"disagreement {item.topic!r} has an empty field")
    return found


# --- budgets -----------------------------------------------------------------------------------

def _value(number: Sourced | None) -> float | None:
    return None if number is None else number.value


def input_frames_per_second(system) -> float | None:
    """The encoder's frame rate, or None (no audio input path, or unpublished).
    Explained in notebook 11, section "Budgets for any duration"."""
    system = _system(system)
    return None if system.input_path is None else _value(system.input_path.frames_per_second)


def lm_input_tokens(system, duration_s: float, frames_per_second: float | None = None
                    ) -> int | None:
    """Tokens (positions) that ``duration_s`` seconds of input audio put into the LM, by
    ``rates.encoder_frames`` and the adapter's formula in ``rates``; at the record's encoder
    rate unless ``frames_per_second`` is given (the toys run at 50). None when the system has
    no audio input path or its compression is unpublished.
    Explained in notebook 11, section "Budgets for any duration".
    """
    system = _system(system)
    duration_s = validate.real(duration_s, "duration_s", above=0)
    path = system.input_path
    if path is None:
        return None
    fps = path.frames_per_second.value if frames_per_second is None else validate.real(
        frames_per_second, "frames_per_second", above=0)
    n_frames = rates.encoder_frames(duration_s, fps)
    if path.factor is None:
        return rates.adapter_tokens(path.adapter, n_frames)
    if path.factor.value is None:
        return None
    factor = int(path.factor.value)
    if path.adapter == "window_qformer":
        return rates.window_tokens(n_frames, factor, keep_partial=path.keep_partial)
    return rates.adapter_tokens(path.adapter, n_frames, factor=factor)


def output_frames(system, duration_s: float, frames_per_second: float | None = None
                  ) -> int | None:
    """Codec frames of ``duration_s`` seconds of output audio (None for text output or an
    unpublished codec). Explained in notebook 11, section "Budgets for any duration"."""
    system = _system(system)
    duration_s = validate.real(duration_s, "duration_s", above=0)
    out = system.output
    if out.codec is None:
        return None
    fps = out.frames_per_second.value if frames_per_second is None else validate.real(
        frames_per_second, "frames_per_second", above=0)
    return rates.encoder_frames(duration_s, fps)


def output_tokens(system, duration_s: float, frames_per_second: float | None = None,
                  n_levels: int | None = None) -> int | None:
    """Tokens the system writes for ``duration_s`` seconds of output: codec tokens
    (``rates.codec_tokens``) for audio output, else the text tokens that say the same
    (``rates.text_tokens_for_duration``); None where the codec is unpublished.
    Explained in notebook 11, section "Budgets for any duration"."""
    system = _system(system)
    out = system.output
    if out.codec is None:
        return (rates.text_tokens_for_duration(duration_s) if out.kind in ("text", "cascade")
                else None)
    levels = int(out.n_levels.value) if n_levels is None else n_levels
    fps = out.frames_per_second.value if frames_per_second is None else frames_per_second
    return rates.codec_tokens(duration_s, levels, fps)


def output_steps(system, duration_s: float, frames_per_second: float | None = None,
                 n_levels: int | None = None) -> int | None:
    """Sequential steps of the large model to write ``duration_s`` seconds of output:
    ``rates.serialization_steps`` for the record's order (for ``rq`` the temporal steps,
    ``rates.rq_temporal_steps``); one step per text token for text output; None where the
    codec is unpublished. ``frames_per_second`` and ``n_levels`` override the record's (the
    toys run at 50 frames/s with 4 levels).
    Explained in notebook 11, section "Budgets for any duration".
    """
    system = _system(system)
    out = system.output
    if out.codec is None:
        return output_tokens(system, duration_s)
    n_frames = output_frames(system, duration_s, frames_per_second)
    levels = int(out.n_levels.value) if n_levels is None else validate.integer(
        n_levels, "n_levels", minimum=1)
    if out.serialization == "rq":
        return rates.rq_temporal_steps(n_frames, levels, int(out.acoustic_delay.value))
    first = 16 if out.first_passes is None else int(out.first_passes.value)
    return rates.serialization_steps(out.serialization, n_frames, levels, first_passes=first)


def budget(system, duration_s: float) -> dict:
    """One record's budget for ``duration_s`` seconds: ``tokens_in`` (into the LM),
    ``tokens_out`` and ``steps_out`` (to write that much output), ``text_tokens`` (the
    reference), each None where it does not apply or is unpublished.
    Explained in notebook 11, section "Budgets for any duration"."""
    system = _system(system)
    return dict(system=system.name, duration_s=float(duration_s),
                tokens_in=lm_input_tokens(system, duration_s),
                tokens_out=output_tokens(system, duration_s),
                steps_out=output_steps(system, duration_s),
                text_tokens=rates.text_tokens_for_duration(duration_s))


def budgets(duration_s: float, systems=SYSTEMS) -> list[dict]:
    """:func:`budget` for every record, in :data:`SYSTEMS` order.
    Explained in notebook 11, section "Budgets for any duration"."""
    return [budget(system, duration_s) for system in systems]


def budget_curves(durations) -> dict:
    """Budgets over a grid of ``durations`` (seconds, each > 0): ``{"durations": (n,) array,
    "text_tokens": (n,) array, "tokens_in": {system: (n,) array}, "steps_out": {system: (n,)
    array}}``, leaving out systems whose figure is unpublished or absent.
    Explained in notebook 11, section "Explore: the budget at any duration"."""
    durations = validate.array(durations, "durations", ndim=1)
    if len(durations) == 0 or not (durations > 0).all():
        raise ValueError(f"durations must be a non-empty 1-D array of seconds > 0, got "
                         f"{validate.describe(durations)}")
    rows = [budgets(float(d)) for d in durations]
    curves = {"durations": durations,
              "text_tokens": np.array([row[0]["text_tokens"] for row in rows], dtype=float)}
    for key in ("tokens_in", "steps_out"):
        curves[key] = {system.name: np.array([row[i][key] for row in rows], dtype=float)
                       for i, system in enumerate(SYSTEMS) if rows[0][i][key] is not None}
    return curves


def rate_table(frame_rates=(5.0, 12.5, 25.0, 50.0), n_levels: int = 8,
               pattern: str = "rq", duration_s: float = 10.0) -> list[dict]:
    """For each codec frame rate: tokens per second into an LM that reads one position per
    frame (``rates.encoder_frames``), codec tokens per second with ``n_levels`` levels,
    sequential output steps per second in ``pattern`` (for ``rq`` the temporal steps), and
    each against the text rate (``rates.TEXT_TOKENS_PER_SECOND``), over ``duration_s``.
    Explained in notebook 11, section "Ultra-low frame rates".
    """
    pattern = validate.choice(pattern, "pattern", rates.SERIALIZATIONS)
    duration_s = validate.real(duration_s, "duration_s", above=0)
    text = rates.text_tokens_for_duration(duration_s)
    rows = []
    for fps in frame_rates:
        n_frames = rates.encoder_frames(duration_s, fps)
        steps = (rates.rq_temporal_steps(n_frames, n_levels) if pattern == "rq"
                 else rates.serialization_steps(pattern, n_frames, n_levels))
        tokens = rates.codec_tokens(duration_s, n_levels, fps)
        rows.append(dict(frames_per_second=float(fps),
                         positions_per_second=n_frames / duration_s,
                         tokens_per_second=tokens / duration_s,
                         steps_per_second=steps / duration_s,
                         positions_per_text_token=n_frames / text,
                         tokens_per_text_token=tokens / text))
    return rows


# --- the toys ------------------------------------------------------------------------------------

TOY_ADAPTERS = {"Ultravox": "stack", "Qwen-Audio": "pool", "SALMONN": "window_qformer",
                "SpeechVerse": "conv"}
TOY_ORDERS = {"VALL-E": "valle", "MusicGen": "delay", "SoundStorm": "masked", "Moshi": "rq"}
TOY_NATIVE = ("Spirit LM", "GPT-4o")
TOY_SOURCES = ("corpus", "real")


@dataclass
class ToyRun:
    """What one toy did on one input.

    Attributes:
        system: the record's name; ``source``: ``"corpus"`` or ``"real"``.
        duration_s: seconds of audio in (adapters) or out (generators, native replies).
        input_s: seconds of audio in (None for the generators, which read phones).
        tokens_in: tokens the toy put into its LM (None for the generators, which read phones).
        tokens_out: tokens it emitted (characters for the text toys, codes for the others).
        steps_out: sequential model calls that wrote them.
        temporal_steps: the RQ order's large-model steps (Moshi only).
        output: what it produced, in words (a transcript, or a waveform's length).
        waveform: the decoded audio (None for text output).
        seconds: wall time of the run on this machine.
        extra: anything else (the inner-monologue stream for Moshi).

    Explained in notebook 11, section "Each system as a toy".
    """

    system: str
    source: str
    duration_s: float
    tokens_in: int | None
    tokens_out: int
    steps_out: int
    output: str
    seconds: float
    temporal_steps: int | None = None
    input_s: float | None = None
    waveform: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    def per_second(self, name: str) -> float | None:
        """``tokens_in`` per second of input audio, or ``tokens_out``, ``steps_out`` or
        ``temporal_steps`` per second of ``duration_s``.
        Explained in notebook 11, section "Each system as a toy"."""
        value = getattr(self, validate.choice(
            name, "name", ("tokens_in", "tokens_out", "steps_out", "temporal_steps")))
        seconds = self.input_s if name == "tokens_in" else self.duration_s
        return None if value is None else value / seconds


def toy_input(source: str):
    """The toys' two inputs: ``"corpus"`` is the shortest of the first 30 utterances of the
    course corpus's test split, ``"real"`` the human recording ``arctic_a0009``. Returns
    (waveform (n,) float32 at 16 kHz, phones (Phone tuple), words (Word tuple or ())).
    Explained in notebook 11, section "Each system as a toy"."""
    from course_lib import audio_llm, data

    source = validate.choice(source, "source", TOY_SOURCES)
    if source == "real":
        recording = data.load_real_recording("arctic_a0009")
        return recording.waveform, tuple(recording.reference_phones), ()
    utterances = audio_llm.split_utterances("test split")[:30]
    shortest = min(utterances, key=lambda u: len(u.waveform))
    return shortest.waveform, tuple(shortest.phones), tuple(shortest.words)


_PARTS: dict = {}


def _part(name: str):
    """Load each trained part once per process."""
    if name not in _PARTS:
        from course_lib import audio_llm, codec, generate, native, recognizer
        loaders = {"recognizer": recognizer.load_recognizer, "codec": codec.load_codec,
                   "native": native.load_native}
        if name in loaders:
            _PARTS[name] = loaders[name]()
        elif name in rates.ADAPTER_FAMILIES:
            _PARTS[name] = audio_llm.load_audio_llm(name)
        else:
            _PARTS[name] = generate.load_generator(name)
    return _PARTS[name]


def run_toy(name: str, source: str = "corpus") -> ToyRun:
    """Run the toy of system ``name`` on the input ``source`` (:func:`toy_input`) and count
    what it emits. Raises ValueError for an unknown name or source.
    Explained in notebook 11, section "Each system as a toy"."""
    name = validate.choice(name, "name", NAMES)
    waveform, phones, _ = toy_input(source)
    if name in TOY_ADAPTERS:
        return _adapter_toy(name, source, waveform)
    if name in TOY_ORDERS:
        return _generator_toy(name, source, phones)
    return _native_toy(name, source, waveform)


def _adapter_toy(name: str, source: str, waveform) -> ToyRun:
    import torch

    start = time.perf_counter()
    hidden, log_probs = _part("recognizer").encode(waveform)
    model = _part(TOY_ADAPTERS[name])
    hidden_t, log_probs_t = torch.from_numpy(hidden)[None], torch.from_numpy(log_probs)[None]
    mask = torch.ones(1, len(hidden), dtype=torch.bool)
    with torch.no_grad():
        _, token_mask = model.adapter(hidden_t, mask, log_probs_t)
        text = model.transcribe(hidden_t, mask, log_probs_t)[0]
    seconds = time.perf_counter() - start
    return ToyRun(name, source, len(waveform) / SAMPLE_RATE, int(token_mask.sum()), len(text),
                  len(text) + 1, f"transcript: {text!r}", seconds,
                  input_s=len(waveform) / SAMPLE_RATE, extra=dict(encoder_frames=len(hidden)))


def _generator_toy(name: str, source: str, phones) -> ToyRun:
    from course_lib import generate, native, serialize

    pattern = TOY_ORDERS[name]
    generator = _part(pattern)
    start = time.perf_counter()
    indices = generate.frame_phones(phones)
    score = generate.model_function(generator, indices)
    temporal = set()

    def counted(step):
        temporal.add(step.temporal_step)
        return score(step)

    decoding = serialize.decode(counted, pattern, len(indices), generate.N_LEVELS)
    waveform = _part("codec").decode(decoding.codes)
    seconds = time.perf_counter() - start
    n_frames = len(decoding.codes)
    run = ToyRun(name, source, n_frames / TOY_FRAMES_PER_SECOND, None, int(decoding.codes.size),
                 decoding.n_steps, f"{n_frames} frames x {generate.N_LEVELS} levels of codes, "
                 f"{len(waveform) / SAMPLE_RATE:.2f} s of audio", seconds,
                 temporal_steps=len(temporal) if pattern == "rq" else None, waveform=waveform)
    if name == "Moshi":
        run.extra["inner_monologue"] = _monologue_stream(native)
    return run


def _monologue_stream(native) -> np.ndarray:
    """The inner-monologue text stream of one world reply: its words placed at their first
    codec frame (the native vocabulary knows only the world's words)."""
    from course_lib import synth, world

    reply = synth.synthesize(world.REPLIES[0], **world.REPLY_VOICE)
    n_frames = rates.encoder_frames(len(reply.waveform) / reply.sample_rate,
                                    TOY_FRAMES_PER_SECOND)
    spans = [(word.text.lower(), int(word.start * TOY_FRAMES_PER_SECOND)) for word in reply.words]
    return native.inner_monologue(spans, n_frames)


def _native_toy(name: str, source: str, waveform) -> ToyRun:
    from course_lib import native

    start = time.perf_counter()
    reply = native.answer(_part("native"), waveform, "speech", codec_model=_part("codec"))
    seconds = time.perf_counter() - start
    codes = reply["codes"]
    question_frames = len(_part("codec").encode(waveform))
    return ToyRun(name, source, max(len(codes), 1) / TOY_FRAMES_PER_SECOND, question_frames,
                  len(codes), len(reply["tokens"]),
                  f"a spoken reply of {len(codes)} level-1 codes "
                  f"({len(reply['waveform']) / SAMPLE_RATE:.2f} s)", seconds,
                  input_s=len(waveform) / SAMPLE_RATE, waveform=reply["waveform"],
                  extra=dict(question_seconds=len(waveform) / SAMPLE_RATE))


def toy_expected(run: ToyRun) -> dict:
    """What the record's formulas give for the toy's own run, at the toy's frame rate (50)
    and its levels (4 for the generators, 1 for the native model): ``tokens_in``,
    ``tokens_out``, ``steps_out`` (and ``temporal_steps`` for Moshi), each counted for the
    toy's duration. For the text toys ``tokens_out`` is the transcript's length and
    ``steps_out`` one more (the end token): text has no record formula in frames.
    Explained in notebook 11, section "The toys, counted"."""
    from course_lib import generate

    system = get(run.system)
    if run.system in TOY_ADAPTERS:
        toy_record = _toy_record(system)
        return dict(tokens_in=lm_input_tokens(toy_record, run.duration_s, TOY_FRAMES_PER_SECOND))
    if run.system in TOY_ORDERS:
        expected = dict(
            tokens_out=output_tokens(system, run.duration_s, TOY_FRAMES_PER_SECOND,
                                     generate.N_LEVELS),
            steps_out=rates.serialization_steps(
                TOY_ORDERS[run.system], rates.encoder_frames(run.duration_s, TOY_FRAMES_PER_SECOND),
                generate.N_LEVELS))
        if run.system == "Moshi":
            expected["temporal_steps"] = output_steps(system, run.duration_s,
                                                      TOY_FRAMES_PER_SECOND, generate.N_LEVELS)
        return expected
    return dict(tokens_in=rates.encoder_frames(run.extra["question_seconds"],
                                               TOY_FRAMES_PER_SECOND),
                tokens_out=rates.codec_tokens(run.duration_s, 1, TOY_FRAMES_PER_SECOND))


def _toy_record(system: System) -> System:
    """The record with the course adapter's settings: SpeechVerse's unpublished stride becomes
    the course's 4, and the course's window Q-Former keeps a last partial window."""
    from dataclasses import replace

    from course_lib import adapters

    path = system.input_path
    settings = adapters.DEFAULT_SETTINGS[path.adapter]
    factor = settings.get("factor", settings.get("window"))
    toy_path = replace(path, keep_partial=True,
                       factor=None if factor is None else Sourced(factor, "the course's adapter"))
    return replace(system, input_path=toy_path)


# --- the closing table ---------------------------------------------------------------------

def closing_table(runs=()) -> list[dict]:
    """The essay's table regenerated from the records: for every system its essay row (input,
    output, key choice), the sources' version (input path, output path, rates), and what the
    course measured from ``runs`` (:class:`ToyRun` list): the toys' tokens or steps per
    second. Explained in notebook 11, section "The essay's table, regenerated"."""
    measured = {}
    for run in runs:
        measured.setdefault(run.system, []).append(run)
    rows = []
    for system in SYSTEMS:
        rows.append(dict(system=system.name, essay_input=system.essay_row[0] or "(not in table)",
                         essay_output=system.essay_row[1] or "(not in table)",
                         essay_key=system.essay_row[2] or "(not in table)",
                         sources=_sources_line(system),
                         measured=_measured_line(measured.get(system.name, []))))
    return rows


def _sources_line(system: System) -> str:
    parts = []
    if system.input_path is not None:
        tokens = lm_input_tokens(system, 1.0)
        fps = system.input_path.frames_per_second.value
        parts.append(f"{system.input_path.adapter} on {fps:g} fps"
                     + ("" if tokens is None else f" -> {lm_input_tokens(system, 100.0) / 100:g} "
                        "tokens/s"))
    out = system.output
    if out.codec is None:
        parts.append(f"{out.kind} output")
    else:
        parts.append(f"{out.kind}: {out.codec} {out.frames_per_second.value:g} Hz x "
                     f"{out.n_levels.value:g} of {out.codebook_size.value:g}, {out.serialization}"
                     f" order: {output_steps(system, 100.0) / 100:g} steps/s")
    if system.inferred:
        parts.append("inferred: " + "; ".join(system.inferred))
    return "; ".join(parts)


def _measured_line(runs) -> str:
    texts = []
    for run in runs:
        rates_seen = []
        if run.tokens_in is not None:
            rates_seen.append(f"{run.per_second('tokens_in'):.2f} tokens/s in")
        if run.waveform is not None:
            steps = "temporal_steps" if run.temporal_steps is not None else "steps_out"
            rates_seen.append(f"{run.per_second('tokens_out'):.0f} codes/s, "
                              f"{run.per_second(steps):.1f} steps/s out")
        texts.append(f"{run.source}: {', '.join(rates_seen)}, {run.seconds:.2f} s")
    return "; ".join(texts) or "(not run)"
