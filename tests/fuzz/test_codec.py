"""Fuzz the codec's public API: encode/decode of random short input, and bad input.

Decoding runs Griffin-Lim, so decoded inputs stay a few frames long.
"""

import math
from functools import lru_cache

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from course_lib import codec


@lru_cache(maxsize=1)
def model():
    return codec.load_codec()


@given(st.integers(1, 4000), st.sampled_from([8_000, 16_000, 44_100]),
       st.sampled_from([np.float32, np.float64, np.int16]), st.integers(0, 10_000))
def test_encode_gives_one_code_per_level_and_frame(n_samples, sample_rate, dtype, seed):
    rng = np.random.default_rng(seed)
    scale = 1000 if dtype == np.int16 else 0.5
    waveform = (rng.uniform(-1, 1, n_samples) * scale).astype(dtype)
    codes = model().encode(waveform, sample_rate)
    n_at_16k = math.ceil(n_samples * 16_000 / sample_rate)
    assert codes.shape == (math.ceil(n_at_16k / 320), codec.N_CODEBOOKS)
    assert codes.dtype == np.int64 and codes.min() >= 0 and codes.max() < codec.CODEBOOK_SIZE


@given(st.integers(1, 3), st.integers(1, codec.N_CODEBOOKS), st.integers(0, 10_000),
       st.sampled_from(["numpy", "list", "tensor"]))
def test_decode_of_any_valid_codes_gives_finite_audio(n_frames, n_levels, seed, kind):
    codes = np.random.default_rng(seed).integers(0, codec.CODEBOOK_SIZE, (n_frames, n_levels))
    given_codes = {"numpy": codes, "list": codes.tolist(), "tensor": torch.from_numpy(codes)}[kind]
    audio = model().decode(given_codes)
    assert audio.shape == (n_frames * 320,) and audio.dtype == np.float32
    assert np.isfinite(audio).all()


BAD_CODES = st.sampled_from([
    np.zeros((0, 2), np.int64), np.zeros((3, 0), np.int64), np.zeros((3, 9), np.int64),
    np.zeros(3, np.int64), np.full((2, 2), -1), np.full((2, 2), 256), np.full((2, 2), 1.5),
    np.zeros((2, 2), complex), "codes", None, [[1, 2], [3]],
])


@given(BAD_CODES)
def test_bad_codes_are_refused_naming_them(codes):
    with pytest.raises((ValueError, TypeError), match="codes"):
        model().decode(codes)


BAD_AUDIO = st.sampled_from([
    [], np.full(800, np.nan), np.r_[np.zeros(10), -np.inf], np.zeros((2, 800)),
    np.zeros(800, complex), "audio", None, np.ones(800) * 1e30,
])


@given(BAD_AUDIO)
def test_bad_audio_is_refused_naming_the_waveform(waveform):
    with pytest.raises((ValueError, TypeError), match="waveform"):
        model().encode(waveform)


@given(st.integers(1, 3), st.sampled_from([torch.float32, torch.float64, "numpy"]),
       st.integers(0, 10_000))
def test_torch_methods_take_float_tensors_and_arrays(n_frames, dtype, seed):
    rng = np.random.default_rng(seed)
    waveforms = rng.uniform(-0.5, 0.5, (1, n_frames * 320))
    given_waveforms = waveforms if dtype == "numpy" else torch.from_numpy(waveforms).to(dtype)
    with torch.no_grad():
        latents = model().latents(given_waveforms)
        assert latents.shape == (1, n_frames, codec.LATENT_DIM) and latents.dtype == torch.float32
        expected = model().latents(torch.from_numpy(waveforms).float())
        assert torch.allclose(latents, expected, atol=1e-5)


# integer tensors are numbers like integer arrays (validate.tensor casts them); these are not
@given(st.sampled_from([torch.zeros(1, 320, dtype=torch.complex64), torch.zeros(320), "x", None,
                        torch.zeros(1, 0), torch.full((1, 320), float("nan"))]))
def test_torch_methods_refuse_bad_batches_naming_them(waveforms):
    with pytest.raises((ValueError, TypeError), match="waveforms"):
        model().latents(waveforms)
