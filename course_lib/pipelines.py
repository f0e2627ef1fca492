"""Three ways to answer a spoken question with speech: cascade, hybrid and native (notebook 09).

Every pipeline hears a question of :mod:`course_lib.world` (16 kHz audio) and answers with a
waveform. They are built from the course's own parts, timed stage by stage in a streaming run::

    cascade  question audio -> recognizer (03) -> phones -> closed-set decoder -> question text
             -> text model (the tiny LM of 08, fine-tuned on the world's dialogues) -> reply text
             -> eSpeak NG, a chunk of words at a time -> reply audio
    hybrid   ... the same up to the reply text -> eSpeak's phones and durations (no audio)
             -> generator (10), VALL-E order: level 1 frame by frame, levels 2-4 in 3 passes
             -> codec decoder (06) -> reply audio
    native   question audio -> codec level 1 (06) -> one transformer over text and audio
             tokens (course_lib.native) -> reply level-1 codes -> codec decoder -> reply audio

A text boundary (cascade, hybrid) passes words only: the prompt's speaking rate, pitch and
voice stop there. :func:`first_audio_breakdown` is the latency model: it predicts the time to
the first audio chunk from unit costs measured once (:func:`measure_costs`), with knobs for
model size, hardware speed, chunk size and the words needed before speech can start.

Explained in notebook 09, section "Three pipelines".
"""

from __future__ import annotations

import functools
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn import functional as F

from . import codec, data, generate, lm, metrics, native, rates, recognizer, synth, validate, world
from .threads import limited_threads

PIPELINES = ("cascade", "hybrid", "native")
HYBRID_ORDER = "valle"       # level 1 autoregressive, then the other levels non-autoregressively
CHUNK_FRAMES = 10            # codec frames decoded per audio chunk (0.2 s at 50 frames/s)
WORDS_PER_CHUNK = 3          # words eSpeak speaks per chunk in the cascade
TEXT_MODEL_STEPS = 60        # fine-tuning batches of the tiny LM on the world's 12 dialogues
TEXT_MODEL_LEARNING_RATE = 1e-3


# --- the parts -----------------------------------------------------------------------------

def dialogue_prompt(question: str) -> str:
    """The text model's prompt for ``question``: ``"question <words> answer"`` in the tiny
    LM's spelling. Explained in notebook 09, section "The cascade"."""
    return f"question {lm.normalize(question)} answer"


def dialogue_line(question: str) -> str:
    """One fine-tuning line: the prompt, a space, the intended reply (tiny LM spelling).
    Explained in notebook 09, section "The cascade"."""
    return f"{dialogue_prompt(question)} {lm.normalize(world.reply_for(question))}"


def fine_tune_text_model(steps: int = TEXT_MODEL_STEPS, seed: int = 0) -> lm.CharLM:
    """The tiny LM of notebook 08 (``data/tiny_lm.pt``) fine-tuned on the world's 12
    dialogue lines (:func:`dialogue_line`), all of them in every batch, for ``steps`` AdamW
    steps at one thread: a few seconds. Returns it frozen, in eval mode. Deterministic.
    Explained in notebook 09, section "The cascade"."""
    steps = validate.integer(steps, "steps", minimum=1)
    model = lm.load_lm()
    for parameter in model.parameters():
        parameter.requires_grad_(True)
    lines = [lm.encode_text(dialogue_line(q)) for q in world.QUESTIONS]
    width = max(map(len, lines))
    tokens = torch.tensor([line + [lm.PAD] * (width - len(line)) for line in lines])
    with limited_threads(1):
        torch.manual_seed(seed)
        optimizer = torch.optim.AdamW(model.parameters(), lr=TEXT_MODEL_LEARNING_RATE)
        model.train()
        for _ in range(steps):
            logits = model(tokens[:, :-1])
            loss = F.cross_entropy(logits.transpose(1, 2), tokens[:, 1:], ignore_index=lm.PAD)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    model.fine_tuning_loss = loss.item()
    return model.eval()


@dataclass(frozen=True, eq=False)
class Parts:
    """The trained parts the pipelines share: the recognizer (03), the fine-tuned text model,
    the codec (06), the VALL-E-order generator (10) and the native model.
    Explained in notebook 09, section "Three pipelines"."""

    recognizer: recognizer.PhoneRecognizer
    text_model: lm.CharLM
    codec: codec.TinyCodec
    generator: generate.CodeGenerator
    native: native.NativeModel


@functools.lru_cache(maxsize=1)
def load_parts() -> Parts:
    """Load every part once (the text model is fine-tuned on first use, a few seconds).
    Explained in notebook 09, section "Three pipelines"."""
    return Parts(recognizer.load_recognizer(), fine_tune_text_model(), codec.load_codec(),
                 generate.load_generator(HYBRID_ORDER), native.load_native())


# --- a streaming run, timed ------------------------------------------------------------------

@dataclass
class SpokenReply:
    """One pipeline's answer to one spoken question; :attr:`first_audio_seconds` is the time
    from the end of the question to the first audio chunk.

    Attributes:
        pipeline: ``"cascade"``, ``"hybrid"`` or ``"native"``.
        heard_question: the world question the pipeline wrote down (None for native, which
            never writes the question as text).
        text: the reply text written on the way (None for native in speech mode).
        waveform: the reply, float32 (n_samples,) at 16 kHz.
        stage_seconds: seconds spent in each stage until the first audio chunk was ready, in
            order (``{"recognizer": 0.03, ...}``), counted in this process's CPU time: wall
            time on an idle machine with one thread, but deaf to other programs' load.
        units: what the latency model counts in this run (question seconds, reply characters,
            frames, words before audio, chunk frames).

    Explained in notebook 09, section "Three pipelines".
    """

    pipeline: str
    heard_question: str | None
    text: str | None
    waveform: np.ndarray
    stage_seconds: dict[str, float]
    units: dict[str, float] = field(default_factory=dict)

    @property
    def first_audio_seconds(self) -> float:
        """The measured time to first audio: the sum of ``stage_seconds``.
        Explained in notebook 09, section "Time to first audio"."""
        return float(sum(self.stage_seconds.values()))


def _clock() -> float:
    """The clock every stage is timed with: this process's CPU time. On an idle machine with
    one torch thread it equals wall time; unlike wall time it does not count the moments other
    programs on a shared machine take the CPU, so repeated runs agree."""
    return time.process_time()


class _StageClock:
    """Adds up the time per named stage (:func:`_clock`) until :meth:`first_audio` is called."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.stopped = False

    @contextmanager
    def stage(self, name: str):
        started = _clock()
        yield
        if not self.stopped:
            self.seconds[name] = self.seconds.get(name, 0.0) + _clock() - started

    def first_audio(self) -> None:
        self.stopped = True


def check_prompt(waveform) -> np.ndarray:
    """A question recording as float32 at 16 kHz: refuses empty, non-finite and silent audio
    (``ValueError`` naming ``waveform``). Explained in notebook 09, section "Three pipelines"."""
    samples = validate.waveform(waveform, "waveform")
    return data.check_audible(samples, "waveform")


def _heard_question(parts: Parts, prompt: np.ndarray, clock: _StageClock) -> str:
    with clock.stage("recognizer"):
        heard = parts.recognizer.transcribe(prompt)
    with clock.stage("decoder"):
        question, share = world.nearest_sentence(heard, world.QUESTIONS)
    if question is None:
        raise ValueError(f"waveform must speak one of the world's questions; the nearest one is "
                         f"{share:.0%} of its phones away from what was heard "
                         f"({' '.join(heard)!r})")
    return question


def run_cascade(waveform, parts: Parts | None = None, *,
                words_before_audio: int = WORDS_PER_CHUNK) -> SpokenReply:
    """Answer a spoken question through text: recognizer, decoder, text model, eSpeak NG.

    eSpeak starts once the text model has written ``words_before_audio`` words and speaks the
    reply in chunks of that many words (:data:`world.REPLY_VOICE`, whatever the prompt's
    voice). Raises ValueError for empty or silent audio, or speech that is not a question of
    the world. Explained in notebook 09, section "The cascade".
    """
    parts = parts or load_parts()
    words_before_audio = validate.integer(words_before_audio, "words_before_audio", minimum=1)
    prompt = check_prompt(waveform)
    clock = _StageClock()
    question = _heard_question(parts, prompt, clock)
    stream = parts.text_model.stream(dialogue_prompt(question))
    reply = ""
    with clock.stage("text model"):
        for character in stream:             # stop once word n + 1 has begun: n words are whole
            reply += character
            if len(reply.split()) > words_before_audio:
                break
    characters_before_audio = len(reply)
    first_words = " ".join(reply.split()[:words_before_audio])
    with clock.stage("speech synthesis"):
        pieces = [synth.synthesize(first_words, **world.REPLY_VOICE).waveform]
    clock.first_audio()
    reply = (reply + "".join(stream)).strip()   # the rest is written while the first chunk plays
    words = reply.split()
    pieces += [synth.synthesize(" ".join(words[i:i + words_before_audio]),
                                **world.REPLY_VOICE).waveform
               for i in range(words_before_audio, len(words), words_before_audio)]
    units = dict(question_seconds=len(prompt) / data.SAMPLE_RATE,
                 characters_before_audio=characters_before_audio,
                 words_before_audio=len(first_words.split()))
    return SpokenReply("cascade", question, reply, np.concatenate(pieces), clock.seconds, units)


def run_hybrid(waveform, parts: Parts | None = None, *,
               chunk_frames: int = CHUNK_FRAMES) -> SpokenReply:
    """Answer through text, then codec tokens: recognizer, decoder, text model (the whole
    reply), eSpeak NG's phones and durations, the generator in VALL-E's order (level 1 frame
    by frame, then levels 2-4 in one pass each) and the codec decoder, whose first
    ``chunk_frames`` frames are the first audio. Raises ValueError as :func:`run_cascade`.
    Explained in notebook 09, section "The hybrid".
    """
    parts = parts or load_parts()
    chunk_frames = validate.integer(chunk_frames, "chunk_frames", minimum=1)
    prompt = check_prompt(waveform)
    clock = _StageClock()
    question = _heard_question(parts, prompt, clock)
    with clock.stage("text model"):
        reply = "".join(parts.text_model.stream(dialogue_prompt(question))).strip()
    with clock.stage("phones and durations"):
        phones = synth.synthesize(reply, **world.REPLY_VOICE).phones
    with clock.stage("generator"):
        codes = generate.generate(parts.generator, phones, HYBRID_ORDER)
    with clock.stage("codec decoder"):
        parts.codec.decode(codes[:chunk_frames])
    clock.first_audio()
    units = dict(question_seconds=len(prompt) / data.SAMPLE_RATE,
                 characters_before_audio=len(reply) + 2, reply_words=len(reply.split()),
                 reply_frames=len(codes),
                 chunk_frames=min(chunk_frames, len(codes)))
    return SpokenReply("hybrid", question, reply, parts.codec.decode(codes), clock.seconds, units)


def run_native(waveform, parts: Parts | None = None, *,
               chunk_frames: int = CHUNK_FRAMES) -> SpokenReply:
    """Answer without text: the question's codec level-1 codes go into the native model,
    which writes the reply's level-1 codes; its first ``chunk_frames`` codes, decoded by the
    codec, are the first audio. Raises ValueError for empty or silent audio.
    Explained in notebook 09, section "The native model"."""
    parts = parts or load_parts()
    chunk_frames = validate.integer(chunk_frames, "chunk_frames", minimum=1)
    prompt = check_prompt(waveform)
    clock = _StageClock()
    with clock.stage("audio tokenizer"):
        question_codes = native.encode_question(prompt, parts.codec)
    stream = native.reply_tokens(parts.native, question_codes)
    tokens = []
    with clock.stage("native model"):
        for token in stream:
            tokens.append(token)
            if len(tokens) == chunk_frames or token == native.EOS:
                break
    codes = list(native.ids_to_codes([t for t in tokens if t != native.EOS]))
    if not codes:
        raise ValueError("the native model wrote no audio for this waveform")
    with clock.stage("codec decoder"):
        parts.codec.decode(np.array(codes)[:, None])
    clock.first_audio()
    rest = [t for t in stream if t != native.EOS]  # written while the first chunk plays
    codes += list(native.ids_to_codes(rest))
    units = dict(question_seconds=len(prompt) / data.SAMPLE_RATE,
                 question_frames=len(question_codes), reply_frames=len(codes),
                 chunk_frames=min(chunk_frames, len(codes)))
    return SpokenReply("native", None, None, parts.codec.decode(np.array(codes)[:, None]),
                       clock.seconds, units)


RUNS = {"cascade": run_cascade, "hybrid": run_hybrid, "native": run_native}


def answer(pipeline: str, waveform, parts: Parts | None = None, **options) -> SpokenReply:
    """Run ``pipeline`` (one of :data:`PIPELINES`) on a spoken question.
    Explained in notebook 09, section "Three pipelines"."""
    return RUNS[validate.choice(pipeline, "pipeline", PIPELINES)](waveform, parts, **options)


# --- what survives the text boundary -----------------------------------------------------------

def style_rows(parts: Parts, question: str, settings) -> list[dict]:
    """For every pipeline and every prompt setting (dicts of ``world.speak_question``
    keywords), the prompt's and the reply's speaking rate and median pitch (``course_lib.metrics``) and
    whether the reply was heard right. Returns one dict per run with the keys ``pipeline``,
    ``prompt wpm``, ``reply wpm``, ``prompt pitch``, ``reply pitch``, ``right``.
    Explained in notebook 09, section "What survives the text boundary"."""
    n_prompt_words = len(world.words(question))
    n_reply_words = len(world.words(world.reply_for(question)))
    rows = []
    for setting in settings:
        prompt = world.speak_question(question, **setting).waveform
        for pipeline in PIPELINES:
            reply = answer(pipeline, prompt, parts).waveform
            rows.append({"pipeline": pipeline, **setting,
                         "prompt wpm": metrics.words_per_minute(prompt, n_prompt_words),
                         "reply wpm": metrics.words_per_minute(reply, n_reply_words),
                         "prompt pitch": metrics.median_pitch(prompt),
                         "reply pitch": metrics.median_pitch(reply),
                         "right": world.score_reply(reply, question, parts.recognizer)["right"]})
    return rows


# --- the latency model -----------------------------------------------------------------------

# What each stage before the first audio costs, as measured by measure_costs (seconds):
COSTS = {
    "recognizer_per_second": "recognizer time per second of question audio",
    "decoder": "one closed-set decoding of the heard phones",
    "text_first": "text model: prompt read and first character written",
    "text_per_character": "text model: each further character",
    "espeak_call": "eSpeak NG: a call's fixed cost",
    "espeak_per_word": "eSpeak NG: each word spoken (or phonemized) in that call",
    "generator_step": "generator: one decode step, a fixed cost",
    "generator_per_frame_step": "generator: one decode step, per frame of the code matrix",
    "codec_encode_per_second": "codec encoder per second of question audio",
    "native_read": "native model: reading the question, a fixed cost",
    "native_per_question_code": "native model: reading each code of the question",
    "native_per_code": "native model: each further code",
    "decode_call": "codec decoder: a call's fixed cost",
    "decode_per_frame": "codec decoder: each frame of the chunk",
}


def _seconds(function, repeats: int = 5) -> float:
    """The shortest time (:func:`_clock`) of ``function()`` over ``repeats`` calls: the run
    least disturbed by anything else, the usual estimate of what code costs."""
    times = []
    for _ in range(repeats):
        started = _clock()
        function()
        times.append(_clock() - started)
    return float(min(times))


def _line(x_small: float, t_small: float, x_large: float, t_large: float) -> tuple[float, float]:
    """Fixed cost and cost per unit of the line through two timings (both at least 0)."""
    per_unit = max((t_large - t_small) / (x_large - x_small), 0.0)
    return max(t_small - per_unit * x_small, 0.0), per_unit


def measure_costs(parts: Parts | None = None, question: str = world.QUESTIONS[0]) -> dict:
    """Time each stage in isolation on one calibration question (spoken in the reply voice)
    and return the unit costs of :data:`COSTS`, in seconds: the latency model's inputs.
    Each timing is the shortest of 5 calls, after one call that warms every stage up.
    Explained in notebook 09, section "Time to first audio"."""
    parts = parts or load_parts()
    prompt = world.speak_question(validate.choice(question, "question", world.QUESTIONS)).waveform
    seconds = len(prompt) / data.SAMPLE_RATE
    for pipeline in PIPELINES:                       # warm up: first calls pay for set-up
        answer(pipeline, prompt, parts)
    heard = parts.recognizer.transcribe(prompt)
    reply = world.reply_for(question)
    costs = {"recognizer_per_second": _seconds(lambda: parts.recognizer.transcribe(prompt))
             / seconds,
             "decoder": _seconds(lambda: world.nearest_sentence(heard, world.QUESTIONS)),
             "codec_encode_per_second": _seconds(lambda: parts.codec.encode(prompt)) / seconds}
    text = dialogue_prompt(question)
    first = _seconds(lambda: next(parts.text_model.stream(text)))
    whole = _seconds(lambda: "".join(parts.text_model.stream(text)))
    n_characters = len("".join(parts.text_model.stream(text))) + 1      # with <eos>
    costs["text_first"], costs["text_per_character"] = _line(1, first, n_characters, whole)
    costs["espeak_call"], costs["espeak_per_word"] = _line(
        1, _seconds(lambda: synth.synthesize("the", **world.REPLY_VOICE)),
        len(reply.split()), _seconds(lambda: synth.synthesize(reply, **world.REPLY_VOICE)))
    phones = synth.synthesize(reply, **world.REPLY_VOICE).phones
    per_step = {}
    for sequence in (phones[:len(phones) // 2], phones):      # two lengths: a line per step
        n_frames = len(generate.frame_phones(sequence))
        n_steps = rates.serialization_steps(HYBRID_ORDER, n_frames, generate.N_LEVELS)
        per_step[n_frames] = _seconds(
            lambda: generate.generate(parts.generator, sequence, HYBRID_ORDER), 3) / n_steps
    (short, short_time), (long, long_time) = sorted(per_step.items())
    costs["generator_step"], costs["generator_per_frame_step"] = _line(short, short_time, long,
                                                                       long_time)
    codes = generate.generate(parts.generator, phones, HYBRID_ORDER)
    small, large = CHUNK_FRAMES // 2, 2 * CHUNK_FRAMES      # around the chunk sizes in use
    costs["decode_call"], costs["decode_per_frame"] = _line(
        small, _seconds(lambda: parts.codec.decode(codes[:small])),
        large, _seconds(lambda: parts.codec.decode(codes[:large])))
    question_codes = native.encode_question(prompt, parts.codec)

    def native_codes(codes, n):
        stream = native.reply_tokens(parts.native, codes)
        return [next(stream) for _ in range(n)]

    half = question_codes[:len(question_codes) // 2]
    costs["native_read"], costs["native_per_question_code"] = _line(
        len(half), _seconds(lambda: native_codes(half, 1)),
        len(question_codes), _seconds(lambda: native_codes(question_codes, 1)))
    n_codes = CHUNK_FRAMES * 4
    _, costs["native_per_code"] = _line(
        1, _seconds(lambda: native_codes(question_codes, 1)),
        n_codes, _seconds(lambda: native_codes(question_codes, n_codes)))
    return costs


def first_audio_breakdown(costs: dict, pipeline: str, units: dict, *, model_scale: float = 1.0,
                          hardware_speed: float = 1.0) -> dict[str, float]:
    """The latency model: predicted seconds per stage before ``pipeline``'s first audio chunk.

    ``costs`` are unit costs (:func:`measure_costs`); ``units`` count the work of one run,
    as :attr:`SpokenReply.units` does (question seconds, characters or frames before audio,
    chunk frames, words before audio). The model stages (text model, generator, native
    model) scale with ``model_scale`` (compute grows with the parameter count); every stage
    divides by ``hardware_speed``. The sum is the predicted time to first audio::

        cascade  recognizer + decoder + text model (first + per character x characters)
                 + eSpeak (call + per word x words before audio)
        hybrid   recognizer + decoder + text model (the whole reply) + phones and durations
                 + generator (VALL-E steps x (per step + frames x per frame-step))
                 + decoder of one chunk
        native   audio tokenizer + native model (reading the question's codes, then one
                 step per code of the first chunk) + decoder of one chunk
                 + decoder of one chunk

    Explained in notebook 09, section "Time to first audio".
    """
    pipeline = validate.choice(pipeline, "pipeline", PIPELINES)
    model_scale = validate.real(model_scale, "model_scale", above=0)
    hardware_speed = validate.real(hardware_speed, "hardware_speed", above=0)
    missing = sorted(set(COSTS) - set(costs))
    if missing:
        raise ValueError(f"costs must hold every cost of COSTS, missing {missing}")
    c, u = costs, units
    stages = {}
    if pipeline in ("cascade", "hybrid"):
        stages["recognizer"] = c["recognizer_per_second"] * u["question_seconds"]
        stages["decoder"] = c["decoder"]
        stages["text model"] = model_scale * (
            c["text_first"] + c["text_per_character"] * (u["characters_before_audio"] - 1))
    if pipeline == "cascade":
        stages["speech synthesis"] = c["espeak_call"] + c["espeak_per_word"] * u[
            "words_before_audio"]
    if pipeline == "hybrid":
        stages["phones and durations"] = c["espeak_call"] + c["espeak_per_word"] * u[
            "reply_words"]
        n_steps = rates.serialization_steps(HYBRID_ORDER, u["reply_frames"], generate.N_LEVELS)
        stages["generator"] = model_scale * n_steps * (
            c["generator_step"] + c["generator_per_frame_step"] * u["reply_frames"])
    if pipeline == "native":
        stages["audio tokenizer"] = c["codec_encode_per_second"] * u["question_seconds"]
        stages["native model"] = model_scale * (
            c["native_read"] + c["native_per_question_code"] * u["question_frames"]
            + c["native_per_code"] * (u["chunk_frames"] - 1))
    if pipeline != "cascade":
        stages["codec decoder"] = c["decode_call"] + c["decode_per_frame"] * u["chunk_frames"]
    return {name: seconds / hardware_speed for name, seconds in stages.items()}


# What others report, each with its source and what it measures (notebook 09 shows them beside
# the toy's measured times; none was measured here).
REPORTED_LATENCIES = (
    {"system": "GPT-4o, audio in and out", "seconds": 0.232,
     "measures": "shortest audio response time to audio input",
     "source": "OpenAI, \"Hello GPT-4o\", 13 May 2024"},
    {"system": "GPT-4o, audio in and out", "seconds": 0.320,
     "measures": "average audio response time",
     "source": "OpenAI, \"Hello GPT-4o\", 13 May 2024"},
    {"system": "ChatGPT Voice Mode with GPT-3.5 (3 models)", "seconds": 2.8,
     "measures": "average latency: transcription, text LLM, text-to-speech in a row",
     "source": "OpenAI, \"Hello GPT-4o\", 13 May 2024"},
    {"system": "ChatGPT Voice Mode with GPT-4 (3 models)", "seconds": 5.4,
     "measures": "average latency of the same three-model pipeline",
     "source": "OpenAI, \"Hello GPT-4o\", 13 May 2024"},
    {"system": "Moshi, theoretical", "seconds": 0.160,
     "measures": "one 80 ms Mimi frame plus 80 ms of acoustic delay",
     "source": "Defossez et al., \"Moshi\", Kyutai 2024 (arXiv:2410.00037)"},
    {"system": "Moshi, in practice", "seconds": 0.200,
     "measures": "latency measured in use",
     "source": "Defossez et al., \"Moshi\", Kyutai 2024 (arXiv:2410.00037)"},
    {"system": "cascade, practitioners' budget", "seconds": 1.0,
     "measures": "speech-to-text 200 + LLM 400 + text-to-speech 200 + network 200 ms",
     "source": "Vapi, voice agent playbook, \"latency budget\""},
    {"system": "cascade, measured fast path", "seconds": 0.5,
     "measures": "end of turn 40 + transcript 80 + LLM first token 200 + first TTS chunk 150 "
                 "+ network 30 ms (p50)",
     "source": "callingscout.ai, \"below 400ms\""},
    {"system": "cascade, measured slow path", "seconds": 0.92,
     "measures": "the same stages at their slow end (110 + 150 + 350 + 250 + 60 ms)",
     "source": "callingscout.ai, \"below 400ms\""},
)
ESSAY_CASCADE_SECONDS = (0.3, 0.5)  # the essay's "~300-500 ms" time to first audio for a cascade
