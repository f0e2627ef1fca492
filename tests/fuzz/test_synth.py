"""Fuzzing course_lib.synth in a child process (tests/fuzz/espeak_worker.py), so that a crash
inside eSpeak NG fails a test instead of killing pytest."""

from __future__ import annotations

import base64
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib.synth import (
    MAX_WORDS_PER_MINUTE,
    MIN_WORDS_PER_MINUTE,
    SILENCE,
    available_variants,
    available_voices,
)
from tests.fuzz.common import bad_integers, bad_reals

REPOSITORY = Path(__file__).resolve().parents[2]


class Worker:
    """One child process running synthesize(); restarted after a crash."""

    def __init__(self):
        self.process = None

    def start(self):
        environment = dict(os.environ, PYTHONPATH=str(REPOSITORY))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fuzz.espeak_worker"], cwd=REPOSITORY,
            env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def synthesize(self, text, **kwargs):
        if self.process is None or self.process.poll() is not None:
            self.start()
        request = base64.b64encode(pickle.dumps((text, kwargs))).decode()
        self.process.stdin.write(request + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            self.process = None
            pytest.fail(f"synthesize({text!r}, **{kwargs!r}) killed the process (exit {code})")
        return pickle.loads(base64.b64decode(line))

    def stop(self):
        if self.process is not None:
            self.process.stdin.close()
            self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def worker():
    running = Worker()
    yield running
    running.stop()


def assert_valid(answer):
    assert answer[0] == "ok", answer
    utterance = answer[1]
    assert utterance.waveform.dtype == np.float32 and np.isfinite(utterance.waveform).all()
    assert np.abs(utterance.waveform).max() <= 1.5
    phones = utterance.phones
    assert phones[0].start == 0.0 and phones[-1].end == pytest.approx(utterance.duration)
    assert all(a.end == b.start for a, b in zip(phones, phones[1:]))
    assert all(p.end > p.start for p in phones)
    assert not any(a.label == b.label == SILENCE for a, b in zip(phones, phones[1:]))


def assert_refused(answer, name):
    assert answer[0] == "refused", answer
    assert name in answer[2], answer


words = st.sampled_from(["the", "cat", "sat", "on", "a", "mat", "hello", "seven", "quiet",
                         "42", "Dr.", "don't", "x"])
texts = st.lists(words, min_size=1, max_size=6).map(lambda ws: " ".join(ws) + ".")
voices = st.sampled_from(["en-us", "en", "EN-US", "gmw/en-us", "en-gb-scotland"])


@given(texts, st.integers(MIN_WORDS_PER_MINUTE, MAX_WORDS_PER_MINUTE).map(np.int64),
       st.integers(0, 100), voices, st.sampled_from((None,) + available_variants()),
       st.sampled_from([8_000, 16_000, 22_050, 44_100]))
def test_valid_settings_give_a_valid_alignment(worker, text, words_per_minute, pitch, voice,
                                               variant, sample_rate):
    assert_valid(worker.synthesize(text, words_per_minute=words_per_minute, pitch=pitch,
                                   voice=voice, variant=variant, sample_rate=sample_rate))


@given(st.text(max_size=60))
def test_any_voice_string_is_taken_or_refused_without_a_crash(worker, voice):
    answer = worker.synthesize("Hi.", voice=voice)
    known = voice.lower() in available_voices()
    if known:
        assert_valid(answer)
    elif "+" in voice and voice.split("+")[0].lower() in available_voices() and (
            voice.split("+", 1)[1] in available_variants()):
        assert_valid(answer)
    else:
        assert_refused(answer, "voice")


@given(st.one_of(st.text(max_size=60), st.sampled_from(available_variants()),
                 st.sampled_from(available_variants()).map(lambda v: v + "x" * 40)))
def test_any_variant_string_is_taken_or_refused_without_a_crash(worker, variant):
    passed, written_in = (worker.synthesize("Hi.", variant=variant),
                          worker.synthesize("Hi.", voice="en-us+" + variant))
    if variant in available_variants():
        assert_valid(passed)
        assert_valid(written_in)
    else:
        assert_refused(passed, "variant")
        assert_refused(written_in, "voice")


@given(st.text(max_size=200))
def test_any_text_is_spoken_or_refused(worker, text):
    answer = worker.synthesize(text)
    if not text.strip():
        assert_refused(answer, "text")
    elif answer[0] == "refused":
        assert "text" in answer[2], answer  # e.g. nothing eSpeak can pronounce
    else:
        assert_valid(answer)


@given(st.data())
def test_bad_settings_are_refused_by_name(worker, data):
    name, bad = data.draw(st.sampled_from([
        ("words_per_minute", bad_reals()), ("pitch", bad_reals()),
        ("sample_rate", bad_integers(minimum=1_000)),
        ("words_per_minute", st.sampled_from([MIN_WORDS_PER_MINUTE - 1, 10**9])),
        ("pitch", st.sampled_from([-1, 101])), ("sample_rate", st.just(10**9)),
        ("voice", st.sampled_from([None, 3, b"en-us", ["en-us"]])),
        ("variant", st.sampled_from([3, b"f3", ["f3"], ""])),
    ]))
    assert_refused(worker.synthesize("Hi.", **{name: data.draw(bad)}), name)
