"""Your own voice: record a sentence in JupyterLab and see what the course's models hear in it.

Three layers, each usable alone:

* :func:`analyze_recording` (a pure function): any waveform and its sample rate, optionally the
  sentence that was said, in; the recognizer's greedy phones (notebook 03) with the time of each
  CTC spike, and, given the sentence, eSpeak's phones for it forced-aligned by the HMM aligner
  (notebook 02), out.
* :func:`plot_recording`: that analysis as one figure (spectrogram, recognized phones, aligned
  phones).
* :class:`MicrophoneRecorder` and :func:`voice_explorer`: a small browser widget that captures
  raw PCM samples from the microphone (the Web Audio API, not MediaRecorder, whose webm/opus
  output ``soundfile`` cannot read), with a file upload for machines without a microphone.

The honest caveat: both models were trained only on eSpeak NG's synthesized voices. On human
speech they do much worse: on the two CMU ARCTIC recordings in ``data/real-speech`` the
recognizer gets about 80% of the phones wrong (notebook 00 measures it). Read the result as
what a model trained on one synthesizer makes of a new voice, not as a transcription.

Shown in notebook 00 (section 7, "Your own audio").
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from functools import lru_cache

import anywidget
import ipywidgets as widgets
import numpy as np
import soundfile
import traitlets
from IPython.display import display
from matplotlib.figure import Figure

from course_lib.aligner import STATES_PER_PHONE, aligner_features, load_phone_aligner
from course_lib.ctc import BLANK, ctc_segments
from course_lib.data import WEIGHTS_DIR
from course_lib.plots import _draw_phones, _draw_spectrogram
from course_lib.recognizer import (FRAMES_PER_SECOND, LABELS, SAMPLE_RATE, edit_distance,
                                   load_recognizer)
from course_lib.synth import Phone, _resample, synthesize

REAL_SPEECH_DIR = WEIGHTS_DIR / "real-speech"  # CMU ARCTIC recordings, with their licence
MIN_SECONDS = 0.25   # shorter than this holds too few frames for either model
SILENCE_PEAK = 1e-4  # the threshold of course_lib.data.load_audio (about -80 dBFS)
CAVEAT = ("These models learned from eSpeak's synthesized voices only; on human speech they do "
          "much worse (about 80% of the phones wrong on CMU ARCTIC recordings).")


@dataclass(frozen=True, eq=False)
class RecordingAnalysis:
    """What the course's models make of one recording (see :func:`analyze_recording`).

    Attributes:
        waveform: the recording at 16 kHz, float32, shape (n_samples,).
        recognized: the recognizer's greedy transcription, phone labels.
        spike_times: time in seconds of the CTC spike of each recognized phone, (n_recognized,).
        text: the sentence typed by the learner ('' if none).
        expected: eSpeak NG's phones for ``text`` (empty without text).
        aligned: ``expected`` forced-aligned to the recording (empty without text, or when the
            aligner cannot align it; ``note`` then says why).
        phone_error_rate: edit distance between ``expected`` and ``recognized`` divided by the
            number of expected phones; ``None`` without text.
        note: why there is no alignment, or ''.
    """

    waveform: np.ndarray
    recognized: list[str]
    spike_times: np.ndarray
    text: str = ""
    expected: tuple[str, ...] = ()
    aligned: tuple[Phone, ...] = ()
    phone_error_rate: float | None = None
    note: str = ""

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    @property
    def duration(self) -> float:
        return len(self.waveform) / SAMPLE_RATE


@lru_cache(maxsize=1)
def _models():
    """The shipped recognizer and aligner, loaded once per process."""
    return load_recognizer(), load_phone_aligner()


def to_model_rate(waveform, sample_rate: int) -> np.ndarray:
    """Check a recording and resample it to the models' 16 kHz: float32, shape (n_samples,).

    Raises:
        ValueError: if ``sample_rate`` is not an integer from 1,000 to 192,000 Hz, if the
            waveform is not 1-D, holds non-finite values, lasts under 0.25 s or is silent.
    """
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) \
            or not 1_000 <= sample_rate <= 192_000:
        raise ValueError(f"sample_rate must be an integer in Hz (1000-192000), got {sample_rate!r}")
    waveform = np.asarray(waveform, dtype=np.float32)
    if waveform.ndim != 1:
        raise ValueError(f"waveform must be 1-D (mono samples), got shape {waveform.shape}")
    if not np.all(np.isfinite(waveform)):
        raise ValueError("waveform holds NaN or infinite samples")
    if len(waveform) < MIN_SECONDS * sample_rate:
        raise ValueError(f"the recording lasts {len(waveform) / sample_rate:.2f} s; "
                         f"record at least {MIN_SECONDS} s")
    peak = float(np.abs(waveform).max())
    if peak < SILENCE_PEAK:
        raise ValueError(f"the recording is silent (peak amplitude {peak:.1e}): is the "
                         "microphone muted?")
    return _resample(waveform, int(sample_rate), SAMPLE_RATE)


def recognize(waveform_16k: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Greedy CTC phones of a 16 kHz waveform and the time (s) of each one's spike.

    The spike of a phone is the middle of the run of frames in which the best path emits it.
    """
    recognizer, _ = _models()
    _, log_probs = recognizer.encode(waveform_16k)
    spikes = [(symbol, (start + end) / 2) for symbol, start, end in ctc_segments(log_probs)
              if symbol != BLANK]
    labels = [LABELS[symbol] for symbol, _ in spikes]
    times = np.array([frame for _, frame in spikes], dtype=float) / FRAMES_PER_SECOND
    return labels, times


def align_text(waveform_16k: np.ndarray, text: str) -> tuple[tuple[str, ...], tuple[Phone, ...],
                                                              str]:
    """eSpeak's phones for ``text`` and their forced alignment to the waveform.

    Returns ``(expected, aligned, note)``; ``aligned`` is empty and ``note`` says why when the
    aligner has no model for some phone or the recording is too short for that many phones.
    """
    _, aligner = _models()
    expected = tuple(synthesize(text).phone_labels)
    unknown = sorted(set(expected) - set(aligner.phones))
    if unknown:
        return expected, (), f"the aligner has no model of the phones {unknown}"
    n_frames = len(aligner_features(waveform_16k))
    if n_frames < STATES_PER_PHONE * len(expected):
        return expected, (), (f"{len(expected)} phones need at least "
                              f"{STATES_PER_PHONE * len(expected)} frames of 10 ms; the "
                              f"recording has {n_frames}")
    return expected, tuple(aligner.align(waveform_16k, list(expected))), ""


def analyze_recording(waveform, sample_rate: int, text: str = "") -> RecordingAnalysis:
    """Run a recording through the course's recognizer and, given its sentence, the aligner.

    Args:
        waveform: mono samples at ``sample_rate``, shape (n_samples,), at least 0.25 s.
        sample_rate: of ``waveform`` in Hz (a browser records at 44,100 or 48,000); the models
            get it resampled to 16 kHz.
        text: what was said, in English words ('' to skip the alignment). eSpeak NG turns it
            into the phones that the aligner places in time.

    Returns:
        A :class:`RecordingAnalysis`. The same arguments always give the same result.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    waveform_16k = to_model_rate(waveform, sample_rate)
    recognized, spike_times = recognize(waveform_16k)
    if not text.strip():
        return RecordingAnalysis(waveform_16k, recognized, spike_times)
    expected, aligned, note = align_text(waveform_16k, text.strip())
    error_rate = edit_distance(list(expected), recognized) / len(expected)
    return RecordingAnalysis(waveform_16k, recognized, spike_times, text.strip(), expected,
                             aligned, error_rate, note)


def transcription_line(analysis: RecordingAnalysis) -> str:
    """One line of text: the recognized phones, and the error rate against eSpeak's phones."""
    line = "recognized phones: " + (" ".join(analysis.recognized) or "(none)")
    if analysis.phone_error_rate is not None:
        line += (f"  |  eSpeak says: {' '.join(analysis.expected)}  |  phone error rate "
                 f"{analysis.phone_error_rate:.0%}")
    return line


def plot_recording(analysis: RecordingAnalysis, title: str = "your recording") -> Figure:
    """Spectrogram of the recording, the recognizer's phones at their CTC spikes, and (given
    the sentence) the aligner's phones, on one time axis."""
    figure = Figure(figsize=(11, 5.4), layout="constrained")
    spectrum_ax, recognized_ax, aligned_ax = figure.subplots(
        3, 1, sharex=True, gridspec_kw=dict(height_ratios=[2.4, 0.6, 0.7]))
    _draw_spectrogram(spectrum_ax, analysis.waveform, analysis.sample_rate)
    spectrum_ax.set_ylabel("frequency (Hz)")
    header = f"{title}: {analysis.duration:.1f} s"
    if analysis.text:
        header += f' of "{analysis.text}"'
    spectrum_ax.set_title(header, loc="left")

    for time, label in zip(analysis.spike_times, analysis.recognized):
        recognized_ax.axvline(time, color="#c44e52", lw=0.8, alpha=0.5)
        recognized_ax.text(time, 0.5, label, ha="center", va="center", fontsize=10)
    recognized_ax.set_yticks([])
    recognized_ax.set_ylabel("recognizer\n(CTC spikes)", rotation=0, ha="right", va="center")

    if analysis.aligned:
        _draw_phones(aligned_ax, list(analysis.aligned))
    else:
        message = analysis.note or "type the sentence you said to see the aligner's phones"
        aligned_ax.text(0.5, 0.5, message, transform=aligned_ax.transAxes, ha="center",
                        va="center", color="#555555")
        aligned_ax.set_yticks([])
    aligned_ax.set_ylabel("aligner\n(your sentence)", rotation=0, ha="right", va="center")
    aligned_ax.set_xlabel("time (s)")
    aligned_ax.set_xlim(0, analysis.duration)
    figure.suptitle("\n".join(textwrap.wrap(transcription_line(analysis), 130)), fontsize=9,
                    x=0.01, ha="left")
    return figure


def read_audio_bytes(content: bytes) -> tuple[np.ndarray, int]:
    """Decode an uploaded audio file (WAV, FLAC, OGG, ...) to mono float32 and its rate."""
    try:
        samples, rate = soundfile.read(io.BytesIO(bytes(content)), dtype="float32",
                                       always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
        raise ValueError(f"the file could not be read as audio ({error}); upload WAV, FLAC or "
                         "OGG") from None
    return samples.mean(axis=1), int(rate)


# --- the browser side: an anywidget that captures raw PCM ------------------------------------

_RECORDER_JS = r"""
// An AudioWorklet copies every block of 128 input samples to the page; on "stop" the blocks
// are joined into one Float32Array and sent to Python as a binary buffer.
const CAPTURE = `
class PcmCapture extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0][0];
    if (channel) this.port.postMessage(channel.slice(0));
    return true;
  }
}
registerProcessor("pcm-capture", PcmCapture);
`;

async function openMicrophone() {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: {channelCount: 1, echoCancellation: false, noiseSuppression: false,
            autoGainControl: false},
  });
  const context = new AudioContext();
  const url = URL.createObjectURL(new Blob([CAPTURE], {type: "text/javascript"}));
  await context.audioWorklet.addModule(url);
  URL.revokeObjectURL(url);
  const source = context.createMediaStreamSource(stream);
  const capture = new AudioWorkletNode(context, "pcm-capture", {
    numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1, channelCountMode: "explicit",
  });
  const mute = context.createGain();  // keeps the node pulled by the graph, silently
  mute.gain.value = 0;
  source.connect(capture).connect(mute).connect(context.destination);
  await context.resume();
  return {stream, context, capture, blocks: [], nSamples: 0};
}

function joinBlocks(blocks, nSamples) {
  const samples = new Float32Array(nSamples);
  let offset = 0;
  for (const block of blocks) {
    samples.set(block, offset);
    offset += block.length;
  }
  return samples;
}

function render({model, el}) {
  el.classList.add("course-recorder");
  const button = document.createElement("button");
  button.className = "course-recorder-button jupyter-button";
  const status = document.createElement("span");
  status.className = "course-recorder-status";
  el.append(button, status);
  let session = null;

  const idle = (message) => {
    button.textContent = "\u25cf Record";
    status.textContent = message;
  };
  idle(navigator.mediaDevices?.getUserMedia
       ? "press Record, say a sentence, press Stop"
       : "no microphone access here: upload a file below instead");

  async function start() {
    button.disabled = true;
    try {
      session = await openMicrophone();
    } catch (error) {
      session = null;
      button.disabled = false;
      idle(`no microphone (${error.name}): upload a file below instead`);
      model.send({kind: "error", message: String(error)});
      return;
    }
    const limit = model.get("max_seconds") * session.context.sampleRate;
    session.capture.port.onmessage = (event) => {
      if (!session) return;
      session.blocks.push(event.data);
      session.nSamples += event.data.length;
      if (session.nSamples >= limit) stop();
    };
    button.disabled = false;
    button.textContent = "\u25a0 Stop";
    status.textContent = "recording... speak now";
  }

  async function stop() {
    if (!session) return;  // the time limit and a click can both ask to stop
    const {stream, context, capture, blocks, nSamples} = session;
    session = null;
    capture.port.onmessage = null;
    stream.getTracks().forEach((track) => track.stop());
    const rate = context.sampleRate;
    await context.close();
    const samples = joinBlocks(blocks, nSamples);
    idle(`recorded ${(nSamples / rate).toFixed(1)} s at ${rate} Hz`);
    model.send({kind: "recording", sample_rate: rate}, undefined, [samples.buffer]);
  }

  button.addEventListener("click", () => (session ? stop() : start()));
  model.on("change:message", () => { status.textContent = model.get("message"); });
  return () => { if (session) stop(); };
}

export default {render};
"""

_RECORDER_CSS = """
.course-recorder { display: flex; align-items: center; gap: 0.8em; margin: 0.3em 0; }
.course-recorder-button { min-width: 7em; }
.course-recorder-status { color: #555; }
"""


class MicrophoneRecorder(anywidget.AnyWidget):
    """A Record / Stop button that captures the microphone as raw float32 PCM in the browser.

    Each finished recording arrives as a custom message with one binary buffer (little-endian
    float32 samples, mono) and calls every callback given to :meth:`on_recording` with
    ``(waveform (n_samples,) float32, sample_rate)``. Recording stops by itself after
    ``max_seconds``. Set ``message`` to show a status line beside the button.
    """

    _esm = _RECORDER_JS
    _css = _RECORDER_CSS
    max_seconds = traitlets.Float(20.0).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    browser_error = traitlets.Unicode("", help="why the browser gave no microphone, if it did not")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._callbacks = []
        self.on_msg(self._receive)

    def on_recording(self, callback) -> None:
        """Call ``callback(waveform, sample_rate)`` after each recording."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        self._callbacks.append(callback)

    def _receive(self, _widget, content: dict, buffers: list) -> None:
        if content.get("kind") == "error":
            self.browser_error = str(content.get("message", ""))
            return
        if content.get("kind") != "recording" or len(buffers) != 1:
            raise ValueError(f"unexpected message from the recorder: {content!r} with "
                             f"{len(buffers)} buffers")
        waveform = np.frombuffer(bytes(buffers[0]), dtype="<f4").astype(np.float32)
        for callback in self._callbacks:
            callback(waveform, int(content["sample_rate"]))


class VoiceExplorer(widgets.VBox):
    """The recorder, a file upload, a box for the sentence, and the figure of the analysis.

    Attributes:
        recorder: the :class:`MicrophoneRecorder`.
        upload: an ``ipywidgets.FileUpload`` for machines without a microphone.
        sentence: a ``Text`` box: what was said, for the aligner (optional).
        transcription: an ``HTML`` line with the recognized phones.
        figure_output: an ``Output`` showing :func:`plot_recording`.
        analysis: the last :class:`RecordingAnalysis`, or ``None``.
    """

    def __init__(self, max_seconds: float = 20.0):
        self.recorder = MicrophoneRecorder(max_seconds=max_seconds)
        self.upload = widgets.FileUpload(accept="audio/*,.wav,.flac,.ogg", multiple=False,
                                         description="Upload a file")
        self.sentence = widgets.Text(description="you said:", continuous_update=False,
                                     placeholder="type the sentence (optional, for the aligner)",
                                     layout=widgets.Layout(width="620px"))
        self.transcription = widgets.HTML()
        self.transcription.add_class("course-voice-transcription")
        self.figure_output = widgets.Output()
        self.analysis = None
        self._recording = None
        caveat = widgets.HTML(f"<small>{CAVEAT}</small>")
        super().__init__([self.recorder, self.upload, self.sentence, caveat,
                          self.transcription, self.figure_output])
        self.add_class("course-voice")
        self.recorder.on_recording(self.analyze)
        self.upload.observe(self._on_upload, names="value")
        self.sentence.observe(lambda _change: self._reanalyze(), names="value")

    def analyze(self, waveform, sample_rate: int) -> None:
        """Analyze a recording with the current sentence and show the result."""
        self._recording = (np.asarray(waveform, dtype=np.float32), int(sample_rate))
        self._reanalyze()

    def _reanalyze(self) -> None:
        if self._recording is None:
            return
        self.recorder.message = "analysing..."
        with self.figure_output:  # an unexpected error shows here as a traceback
            self.figure_output.clear_output(wait=True)
            try:
                self.analysis = analyze_recording(*self._recording, text=self.sentence.value)
            except ValueError as error:  # a recording the models cannot use: say why
                self.analysis = None
                self.transcription.value = f"<b>Cannot analyse this recording:</b> {error}"
                self.recorder.message = ""
                return
            self.transcription.value = f"<code>{transcription_line(self.analysis)}</code>"
            self.recorder.message = "done"
            display(plot_recording(self.analysis))

    def _on_upload(self, change) -> None:
        if not change["new"]:
            return
        uploaded = change["new"][0]
        with self.figure_output:
            try:
                waveform, rate = read_audio_bytes(uploaded["content"])
            except ValueError as error:
                self.transcription.value = f"<b>{uploaded['name']}:</b> {error}"
                return
        self.analyze(waveform, rate)


def voice_explorer(max_seconds: float = 20.0) -> VoiceExplorer:
    """Record (or upload) a sentence and see its spectrogram, recognized and aligned phones.

    See :class:`VoiceExplorer`; notebook 00, section 7, uses it.
    """
    if not 0.5 <= max_seconds <= 120:
        raise ValueError(f"max_seconds must be between 0.5 and 120, got {max_seconds}")
    return VoiceExplorer(max_seconds)
