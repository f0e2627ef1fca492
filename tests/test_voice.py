"""Your own voice: the analysis as a pure function (course_lib.voice), its figure
(course_lib.plots.voice), and the widget (course_lib.widgets.voice) driven through the messages
its browser side sends. The browser side itself is tested in tests/e2e/test_lab_notebooks.py
with Chromium's fake microphone."""

import io
from datetime import datetime, timezone

import numpy as np
import pytest
import soundfile
from matplotlib.figure import Figure

from course_lib.data import load_audio
from course_lib.features import frame_times, resample
from course_lib.plots import plot_recording
from course_lib.recognizer import load_recognizer
from course_lib.synth import synthesize
from course_lib.voice import REAL_SPEECH_DIR, analyze_recording, to_model_rate
from course_lib.widgets import MicrophoneRecorder, voice_explorer

SENTENCE = "He turned sharply, and faced Gregson across the table."
REAL_RECORDING = REAL_SPEECH_DIR / "arctic_a0009.wav"   # CMU ARCTIC, speaker slt


@pytest.fixture(scope="module")
def spoken():
    """The sentence from eSpeak at 16 kHz, and the same waveform at a browser's 48 kHz."""
    utterance = synthesize(SENTENCE)
    return utterance, resample(utterance.waveform, 16_000, 48_000)


def test_analysis_of_a_48_khz_recording_with_its_sentence(spoken):
    utterance, at_48k = spoken
    analysis = analyze_recording(at_48k, 48_000, text=f"  {SENTENCE} ")
    assert analysis.text == SENTENCE
    assert abs(analysis.duration - utterance.duration) < 1e-3
    # the spikes read off the best path give exactly the library's greedy transcription
    assert analysis.recognized == load_recognizer().transcribe(analysis.waveform)
    assert len(analysis.spike_times) == len(analysis.recognized)
    assert np.all(np.diff(analysis.spike_times) > 0)
    assert 0 <= analysis.spike_times[0] and analysis.spike_times[-1] <= analysis.duration
    # the aligner places eSpeak's phones for the sentence, contiguous from 0 to the end
    assert list(analysis.expected) == utterance.phone_labels
    assert [p.label for p in analysis.aligned] == utterance.phone_labels
    assert analysis.aligned[0].start == 0 and analysis.aligned[-1].end == analysis.duration
    assert all(a.end == b.start for a, b in zip(analysis.aligned, analysis.aligned[1:]))
    assert analysis.note == ""
    assert 0 <= analysis.phone_error_rate < 0.5, "eSpeak's own voice is what the models know"


def test_the_caveat_holds_human_speech_is_recognized_much_worse(spoken):
    """The honest caveat of the module docstring, measured on the shipped CMU ARCTIC file."""
    synthetic = analyze_recording(spoken[0].waveform, 16_000, SENTENCE)
    human = analyze_recording(load_audio(REAL_RECORDING), 16_000, SENTENCE)
    assert human.phone_error_rate > 0.5
    assert human.phone_error_rate > 2 * synthetic.phone_error_rate
    assert [p.label for p in human.aligned] == list(human.expected)  # the aligner still aligns


def test_without_a_sentence_there_is_no_alignment(spoken):
    analysis = analyze_recording(spoken[0].waveform, 16_000)
    assert analysis.recognized and analysis.expected == () and analysis.aligned == ()
    assert analysis.phone_error_rate is None
    figure = plot_recording(analysis)
    texts = [t.get_text() for t in figure.axes[2].texts]
    assert any("type the sentence" in t for t in texts)


def test_a_sentence_too_long_for_the_recording_is_explained_not_aligned(spoken):
    half_second = spoken[0].waveform[:8_000]
    analysis = analyze_recording(half_second, 16_000, SENTENCE)
    assert analysis.aligned == () and "frames" in analysis.note
    assert analysis.expected  # the phones are still listed, and the error rate computed
    assert analysis.phone_error_rate is not None


def test_figure_shows_spectrogram_recognized_and_aligned_phones(spoken):
    analysis = analyze_recording(spoken[0].waveform, 16_000, SENTENCE)
    figure = plot_recording(analysis, title="test")
    assert isinstance(figure, Figure) and len(figure.axes) == 3
    assert figure.axes[0].get_title(loc="left").startswith("test: ")
    assert [t.get_text() for t in figure.axes[1].texts] == analysis.recognized
    assert "recognized phones:" in figure._suptitle.get_text()


@pytest.mark.parametrize("waveform, rate, error, message", [
    (np.zeros((2, 16_000)), 16_000, ValueError, "waveform must be a 1-D"),
    (np.full(16_000, np.nan), 16_000, ValueError, "waveform must hold finite"),
    (np.ones(1_000) * 0.1, 16_000, ValueError, "waveform must last at least 4000 samples"),
    (np.zeros(16_000), 16_000, ValueError, "waveform must not be silent"),
    (np.ones(16_000) * 0.1, 16_000.0, TypeError, "sample_rate must be an integer"),
    (np.ones(16_000) * 0.1, True, TypeError, "sample_rate must be an integer"),
    (np.ones(16_000) * 0.1, 500, ValueError, "sample_rate must be an integer"),
])
def test_unusable_recordings_are_refused_by_name(waveform, rate, error, message):
    with pytest.raises(error, match=message):
        to_model_rate(waveform, rate)


def test_spikes_sit_in_the_middle_of_their_frames_runs(spoken):
    """The recognizer's frames are centred every 20 ms (frame i at i / 50 s): a spike time is
    the mean of two frame centres, so twice it is a whole number of 20 ms steps."""
    analysis = analyze_recording(spoken[0].waveform, 16_000)
    steps = 2 * analysis.spike_times / 0.02
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-9)
    n_frames = len(load_recognizer().encode(analysis.waveform)[1])
    assert analysis.spike_times[-1] <= frame_times(n_frames, hop_length=320, center=True)[-1]


def test_text_must_be_a_string(spoken):
    with pytest.raises(TypeError, match="text must be a string"):
        analyze_recording(spoken[0].waveform, 16_000, text=None)


def test_uploaded_bytes_and_file_objects_are_decoded_to_mono():
    """An upload reaches load_audio as bytes; it averages the channels and resamples."""
    rate = 16_000
    left = np.sin(np.arange(rate) / 10).astype(np.float32) * 0.5
    buffer = io.BytesIO()
    soundfile.write(buffer, np.stack([left, -left / 2], axis=1), rate, format="WAV",
                    subtype="FLOAT")
    np.testing.assert_allclose(load_audio(buffer.getvalue()), left / 4, atol=1e-6)
    np.testing.assert_allclose(load_audio(memoryview(buffer.getvalue())), left / 4, atol=1e-6)
    buffer.seek(0)
    np.testing.assert_allclose(load_audio(buffer), left / 4, atol=1e-6)
    buffer.seek(0)
    assert len(load_audio(buffer, 22_050)) == 22_050  # resampled like a file on disk
    with pytest.raises(ValueError, match="could not read the bytes given as path as audio"):
        load_audio(b"not audio at all")


def test_recorder_turns_the_browser_message_into_a_waveform():
    recorder = MicrophoneRecorder()
    received = []
    recorder.on_recording(lambda waveform, rate: received.append((waveform, rate)))
    samples = np.linspace(-0.5, 0.5, 4_800, dtype=np.float32)
    recorder._receive(recorder, {"kind": "recording", "sample_rate": 48_000},
                      [memoryview(samples.astype("<f4").tobytes())])
    assert len(received) == 1 and received[0][1] == 48_000
    np.testing.assert_array_equal(received[0][0], samples)
    recorder._receive(recorder, {"kind": "error", "message": "NotAllowedError"}, [])
    assert recorder.browser_error == "NotAllowedError"
    with pytest.raises(ValueError, match="unexpected message"):
        recorder._receive(recorder, {"kind": "recording", "sample_rate": 48_000}, [])
    with pytest.raises(TypeError, match="callback must be"):
        recorder.on_recording("not a function")


def test_voice_explorer_analyses_recordings_uploads_and_typed_sentences(spoken):
    utterance, at_48k = spoken
    explorer = voice_explorer()
    explorer.recorder._receive(explorer.recorder, {"kind": "recording", "sample_rate": 48_000},
                               [memoryview(at_48k.astype("<f4").tobytes())])
    assert explorer.analysis.recognized and explorer.analysis.aligned == ()
    assert "recognized phones:" in explorer.transcription.value

    explorer.sentence.value = SENTENCE          # typing the sentence re-runs the analysis
    assert [p.label for p in explorer.analysis.aligned] == utterance.phone_labels
    assert "phone error rate" in explorer.transcription.value

    wav = io.BytesIO()
    soundfile.write(wav, utterance.waveform, 16_000, format="WAV")
    explorer.upload.value = ({"name": "mine.wav", "type": "audio/wav", "size": len(wav.getvalue()),
                              "content": memoryview(wav.getvalue()),
                              "last_modified": datetime.now(timezone.utc)},)
    assert abs(explorer.analysis.duration - utterance.duration) < 1e-3

    explorer.recorder._receive(explorer.recorder, {"kind": "recording", "sample_rate": 48_000},
                               [memoryview(np.zeros(48_000, dtype="<f4").tobytes())])
    assert explorer.analysis is None and "silent" in explorer.transcription.value
    explorer.upload.value = ({"name": "notes.txt", "type": "text/plain", "size": 4,
                              "content": memoryview(b"text"),
                              "last_modified": datetime.now(timezone.utc)},)
    assert explorer.analysis is None and "notes.txt" in explorer.transcription.value
    with pytest.raises(ValueError, match="max_seconds must be"):
        voice_explorer(max_seconds=0)
    with pytest.raises(TypeError, match="max_seconds must be"):
        voice_explorer(max_seconds="20")
