"""The microphone recorder of notebook 00's "Your own voice": an anywidget that captures raw PCM
samples in the browser, and an explorer that shows what the course's models make of them.

* :class:`MicrophoneRecorder`: a Record / Stop button. The browser side uses the Web Audio API
  (an AudioWorklet), not MediaRecorder, whose webm/opus output ``soundfile`` cannot read; each
  recording reaches Python as one binary buffer of float32 samples.
* :func:`voice_explorer`: the recorder, a file upload for machines without a microphone, a box
  for the sentence, and the figure ``course_lib.plots.plot_recording`` of
  ``course_lib.voice.analyze_recording``.

It runs only in JupyterLab with a kernel; the browser side is tested in
``tests/e2e/test_lab_notebooks.py`` with Chromium's fake microphone. Imports no torch until a
recording is analysed.

Explained in notebook 00, section "Your own voice".
"""

from __future__ import annotations

import anywidget
import ipywidgets as widgets
import numpy as np
import traitlets
from IPython.display import display

from course_lib import validate
from course_lib.data import load_audio
from course_lib.features import SAMPLE_RATE
from course_lib.plots.voice import plot_recording
from course_lib.voice import CAVEAT, analyze_recording, transcription_line

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

    Explained in notebook 00, section "Your own voice".
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
        """Call ``callback(waveform, sample_rate)`` after each recording.

        Explained in notebook 00, section "Your own voice".
        """
        if not callable(callback):
            raise TypeError(f"callback must be a function of (waveform, sample_rate), got "
                            f"{validate.describe(callback)}")
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
        figure_output: an ``Output`` showing ``course_lib.plots.plot_recording``.
        analysis: the last ``course_lib.voice.RecordingAnalysis``, or ``None``.

    Explained in notebook 00, section "Your own voice".
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
        """Analyze a recording (n_samples,) at ``sample_rate`` with the current sentence and
        show the result.

        Explained in notebook 00, section "Your own voice".
        """
        self._recording = (waveform, sample_rate)
        self._reanalyze()

    def _reanalyze(self) -> None:
        if self._recording is None:
            return
        self.recorder.message = "analysing..."
        with self.figure_output:  # an unexpected error shows here as a traceback
            self.figure_output.clear_output(wait=True)
            try:
                self.analysis = analyze_recording(*self._recording, text=self.sentence.value)
            except (TypeError, ValueError) as error:  # a recording the models cannot use
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
        try:
            waveform = load_audio(uploaded["content"])
        except ValueError as error:
            self.analysis = None
            self.transcription.value = f"<b>{uploaded['name']}:</b> {error}"
            return
        self.analyze(waveform, SAMPLE_RATE)


def voice_explorer(max_seconds: float = 20.0) -> VoiceExplorer:
    """Record (or upload) a sentence and see its spectrogram, recognized and aligned phones.

    ``max_seconds`` (0.5 to 120) ends a recording that nobody stops. See :class:`VoiceExplorer`.

    Explained in notebook 00, section "Your own voice".
    """
    max_seconds = validate.real(max_seconds, "max_seconds", minimum=0.5, maximum=120)
    return VoiceExplorer(max_seconds)
