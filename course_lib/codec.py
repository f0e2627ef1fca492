"""A tiny neural audio codec: convolutional encoder -> residual VQ -> convolutional decoder.

The same three parts as SoundStream and EnCodec, small enough to train on a laptop CPU in
about fifteen minutes on the course's synthesized speech:

* the **encoder** reads the log magnitude spectrum of 16 kHz audio (20 ms Hann windows every
  5 ms: 200 spectra per second), puts each 4 spectra side by side and runs dilated residual
  convolutions at :data:`FRAMES_PER_SECOND` = 50 frames per second, giving one latent vector of
  :data:`LATENT_DIM` dims per frame;
* a :class:`~course_lib.quantize.ResidualVectorQuantizer` with :data:`N_CODEBOOKS` levels of
  :data:`CODEBOOK_SIZE` entries turns each latent into one integer per level. Its codebooks
  start at k-means centroids and learn by moving averages, and quantizer dropout (drawn per
  example) teaches the decoder to work from any number of leading levels;
* the **decoder** mirrors the encoder and predicts the log magnitude spectrum; Griffin-Lim
  finds a phase that fits it. Real codecs read and write waveforms and train with adversarial
  losses for days; predicting magnitudes lets a small model converge in minutes, at the price
  of a phase that differs from the original (so the sample-by-sample SNR is poor even when the
  audio sounds right: :func:`evaluate` scores STOI and log-mel distance instead).

Later notebooks use :func:`load_codec` and two calls: ``codec.encode(waveform)`` gives codes
``(n_frames, n_codebooks)`` int64, ``codec.decode(codes)`` takes codes with any number of
leading levels and returns the waveform. ``python -m course_lib.codec`` retrains the shipped
weights; ``--distill phones`` trains the variant whose first level is also taught to predict
the true phone. That is supervised: SpeechTokenizer distills HuBERT's self-supervised
features into its first level, so the phone-taught level is an upper bound on what such
distillation can put there, not a copy of it.

Explained in notebook 06, section "A tiny neural codec".
"""

from __future__ import annotations

import argparse
import functools
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from course_lib import features, metrics, validate
from course_lib.data import TRAINING_CORPORA, WEIGHTS_DIR, build_corpus
from course_lib.phones import inventory, phones_at
from course_lib.quantize import (
    ResidualVectorQuantizer,
    kmeans,
    replace_dead_codes,
    straight_through,
)
from course_lib.threads import limited_threads

SAMPLES_PER_FRAME = 320
FRAMES_PER_SECOND = features.SAMPLE_RATE / SAMPLES_PER_FRAME  # 50.0
N_CODEBOOKS = 8
CODEBOOK_SIZE = 256
LATENT_DIM = 64
EMA_DECAY = 0.99  # codebooks learn by moving averages, as SoundStream's and EnCodec's do
DROPOUT = 0.5  # share of training examples that keep a random number of levels (as DAC)
_WIDTH = 192  # channels of the encoder's and decoder's convolutions
_UPSAMPLE = 4
_HOP = SAMPLES_PER_FRAME // _UPSAMPLE  # 80 samples between STFT frames
_N_FFT = 4 * _HOP  # 320-sample (20 ms) windows
_N_BINS = _N_FFT // 2 + 1  # 161 frequencies
_FLOOR = 1e-2  # magnitudes are compared as log(|STFT| + _FLOOR)
_N_MELS = 80  # the mel half of the training loss


def log_stft_magnitude(waveforms: torch.Tensor) -> torch.Tensor:
    """The decoder's target: ``log(|STFT| + 0.01)``, 320-sample Hann window, 80-sample hop,
    centred (``features.log_stft_magnitude``). ``(batch, n_samples)`` ->
    ``(batch, 161, 1 + n_samples // 80)``.
    Explained in notebook 06, section "A tiny neural codec"."""
    return features.log_stft_magnitude(waveforms, _N_FFT, _HOP, floor=_FLOOR)


def _float32(value, name: str, shape: str, last_dim: int | None = None) -> torch.Tensor:
    """A batch for the torch-facing methods: a float32 tensor of the documented rank."""
    tensor = validate.tensor(value, name, dtype=torch.float32, min_ndim=0)
    ndim = shape.count(",") + 1
    if (tensor.ndim != ndim or min(tensor.shape, default=0) < 1
            or (last_dim is not None and tensor.shape[-1] != last_dim)):
        raise ValueError(f"{name} must have shape {shape}, got {validate.describe(tensor)}")
    return tensor


class _Residual(nn.Module):
    """``x + conv1x1(elu(conv3(elu(x))))``, the 3-tap convolution dilated by ``dilation``:
    the residual unit of SoundStream's and EnCodec's encoders, on 50 frames per second."""

    def __init__(self, channels: int, dilation: int):
        super().__init__()
        self.wide = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, channels, n_frames)
        return x + self.mix(F.elu(self.wide(F.elu(x))))


def _stack_frames(spectrum: torch.Tensor) -> torch.Tensor:
    """``(batch, 161, 4 n)`` STFT frames -> ``(batch, 4 * 161, n)``: the 4 frames of each codec
    frame side by side, so every convolution runs at 50 frames per second."""
    batch, bins, n_stft = spectrum.shape
    n_frames = n_stft // _UPSAMPLE
    return (spectrum.reshape(batch, bins, n_frames, _UPSAMPLE).permute(0, 1, 3, 2)
            .reshape(batch, bins * _UPSAMPLE, n_frames))


def _unstack_frames(stacked: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`_stack_frames`: ``(batch, 4 * 161, n)`` -> ``(batch, 161, 4 n)``."""
    batch, _, n_frames = stacked.shape
    return (stacked.reshape(batch, _N_BINS, _UPSAMPLE, n_frames).permute(0, 1, 3, 2)
            .reshape(batch, _N_BINS, n_frames * _UPSAMPLE))


class TinyCodec(nn.Module):
    """Encoder, residual vector quantizer and spectral decoder (about 1.9 M parameters).

    ::

        waveform (batch, 320 n)
          -> log |STFT|, 161 bins x 4 n frames, normalized per bin
          -> 4 frames side by side: (batch, 644, n)         50 frames per second
          -> conv, 3 dilated residual units (1, 3, 9), conv -> latents (batch, n, 64)
          -> RVQ, 8 levels x 256 entries                    -> codes (batch, n, 8)
          -> conv, 4 dilated residual units, conv to 644, 4 frames apart again, smoothing conv
          -> log |STFT| (batch, 161, 4 n + 1) -> Griffin-Lim -> waveform

    Torch methods work on batches ``(batch, n_samples)``; :meth:`encode` and :meth:`decode`
    are the NumPy interface for one utterance.
    Explained in notebook 06, section "A tiny neural codec".
    """

    def __init__(self, n_phones: int = 0):
        super().__init__()
        # per-bin mean and spread of the training spectra (set by train(), saved with the weights)
        self.register_buffer("spectrum_mean", torch.zeros(_N_BINS))
        self.register_buffer("spectrum_std", torch.ones(_N_BINS))
        self.encoder = nn.Sequential(
            nn.Conv1d(_N_BINS * _UPSAMPLE, _WIDTH, 3, padding=1),
            _Residual(_WIDTH, 1), _Residual(_WIDTH, 3), _Residual(_WIDTH, 9), nn.ELU(),
            nn.Conv1d(_WIDTH, LATENT_DIM, 3, padding=1),
        )
        self.quantizer = ResidualVectorQuantizer(N_CODEBOOKS, CODEBOOK_SIZE, LATENT_DIM,
                                                 dropout=DROPOUT, ema_decay=EMA_DECAY)
        self.decoder = nn.Sequential(
            nn.Conv1d(LATENT_DIM, _WIDTH, 3, padding=1),
            _Residual(_WIDTH, 1), _Residual(_WIDTH, 3), _Residual(_WIDTH, 9),
            _Residual(_WIDTH, 1), nn.ELU(),
            nn.Conv1d(_WIDTH, _N_BINS * _UPSAMPLE, 1),
        )
        self.smooth = nn.Conv1d(_N_BINS, _N_BINS, 5, padding=2)  # across the 4-frame seams
        # the distilled variant's phone head on level 1 (absent in the plain codec)
        self.phone_head = nn.Linear(LATENT_DIM, n_phones) if n_phones else None

    def latents(self, waveforms: torch.Tensor) -> torch.Tensor:
        """``(batch, n_samples)`` -> latents ``(batch, n_frames, LATENT_DIM)``, padding the end.

        Takes float32 or float64 tensors (computed in float32) or NumPy arrays. Explained in
        notebook 06, section "A tiny neural codec".
        """
        waveforms = _float32(waveforms, "waveforms", "(batch, n_samples)")
        n_frames = math.ceil(waveforms.shape[-1] / SAMPLES_PER_FRAME)
        padded = F.pad(waveforms, (0, n_frames * SAMPLES_PER_FRAME - waveforms.shape[-1]))
        spectrum = log_stft_magnitude(padded)[..., :-1]  # 4 STFT frames per codec frame
        normalized = (spectrum - self.spectrum_mean[:, None]) / self.spectrum_std[:, None]
        return self.encoder(_stack_frames(normalized)).transpose(1, 2)

    def log_magnitude(self, quantized: torch.Tensor) -> torch.Tensor:
        """Quantized latents ``(batch, n_frames, LATENT_DIM)`` -> predicted log STFT magnitude
        ``(batch, 161, 4 * n_frames + 1)`` (320-sample window, 80-sample hop). Notebook 06."""
        quantized = _float32(quantized, "quantized", f"(batch, n_frames, {LATENT_DIM})",
                             last_dim=LATENT_DIM)
        normalized = _unstack_frames(self.decoder(quantized.transpose(1, 2)))
        normalized = normalized + self.smooth(normalized)
        log_magnitude = normalized * self.spectrum_std[:, None] + self.spectrum_mean[:, None]
        return F.pad(log_magnitude, (0, 1), mode="replicate")  # a centred STFT has one more frame

    def synthesize(self, quantized: torch.Tensor) -> torch.Tensor:
        """Quantized latents ``(batch, n_frames, LATENT_DIM)`` -> waveforms ``(batch, n_samples)``.

        The decoder predicts magnitudes only; Griffin-Lim (32 iterations from a fixed start, so
        deterministic) finds a phase that fits them. Explained in notebook 06.
        """
        quantized = _float32(quantized, "quantized", f"(batch, n_frames, {LATENT_DIM})",
                             last_dim=LATENT_DIM)
        magnitude = (torch.exp(self.log_magnitude(quantized)) - _FLOOR).clamp_min(0)
        n_samples = quantized.shape[1] * SAMPLES_PER_FRAME
        return features.griffin_lim(magnitude, _N_FFT, _HOP)[..., :n_samples]

    def forward(self, waveforms: torch.Tensor, n_levels: int | None = None,
                quantize: bool = True):
        """Encode, quantize (a random number of levels in training) and predict the spectrum.

        Returns ``(log_magnitude, codes, vq_loss, phone_logits)``; ``quantize=False`` skips the
        quantizer (the warm-up of training; codes are then ``None``). ``phone_logits`` is
        ``(batch, n_frames, n_phones)`` for the distilled variant and ``None`` otherwise.
        Explained in notebook 06.
        """
        latents = self.latents(waveforms)
        if not quantize:
            return self.log_magnitude(latents), None, latents.new_zeros(()), None
        quantized, codes, vq_loss = self.quantizer(latents, n_levels)
        phone_logits = None
        if self.phone_head is not None:
            first = self.quantizer.levels[0].codebook[codes[..., 0]]
            # value: level 1's codeword; gradient: to the encoder (straight-through) and codebook
            first = straight_through(latents, first.detach()) + (first - first.detach())
            phone_logits = self.phone_head(first)
        return self.log_magnitude(quantized), codes, vq_loss, phone_logits

    @torch.no_grad()
    def encode(self, waveform, sample_rate: int = features.SAMPLE_RATE) -> np.ndarray:
        """Mono audio ``(n_samples,)`` -> codes ``(n_frames, N_CODEBOOKS)`` int64.

        The waveform is resampled from ``sample_rate`` to 16 kHz like ``data.load_audio``; NaN,
        infinite or absurdly loud samples are refused. ``n_frames = ceil(n_samples_16k / 320)``:
        50 frames per second, the last one padded; frame i covers [i, i + 1) / 50 s. ::

            frame     0     1     2   ...
            level 1 [ 17 ][ 201][ 17 ]      codes[:, 0]: the coarse picture
            level 2 [ 88 ][  3 ][ 140]      codes[:, 1]: what level 1 missed
              ...
            level 8 [ 5  ][ 77 ][ 19 ]

        Explained in notebook 06, section "A tiny neural codec".
        """
        samples = features.prepare_waveform(waveform, sample_rate, min_samples=1)
        latents = self.latents(torch.from_numpy(samples)[None])
        _, codes, _ = self.quantizer(latents, N_CODEBOOKS)
        return codes[0].numpy()

    @torch.no_grad()
    def decode(self, codes) -> np.ndarray:
        """Codes ``(n_frames, n_levels)`` with n_frames >= 1 and 1 <= n_levels <= 8 leading
        levels, each in [0, 256) -> waveform, float32 ``(n_frames * 320,)`` at 16 kHz.

        Accepts lists, NumPy arrays and tensors of integers. Explained in notebook 06.
        """
        codes = validate.array(codes, "codes", ndim=2, dtype=np.int64, min_length=1)
        if codes.shape[1] > N_CODEBOOKS:
            raise ValueError(f"codes must have shape (n_frames, n_levels) with 1 <= n_levels <= "
                             f"{N_CODEBOOKS}, got shape {codes.shape}")
        if codes.min() < 0 or codes.max() >= CODEBOOK_SIZE:
            raise ValueError(f"codes must be integers in [0, {CODEBOOK_SIZE}), got values from "
                             f"{codes.min()} to {codes.max()}")
        quantized = self.quantizer.decode(torch.from_numpy(codes)[None])
        return self.synthesize(quantized)[0].numpy().astype(np.float32)


# --- training and loading ------------------------------------------------------

def frame_centres(n_frames: int) -> np.ndarray:
    """Centre in seconds of each codec frame: frame i covers [i, i + 1) / 50 s, uncentred
    framing (``features.frame_times`` with 320-sample frames and hop).
    Explained in notebook 06, section "Is codebook 1 content, 2 prosody, 3 timbre?"."""
    return features.frame_times(n_frames, hop_length=SAMPLES_PER_FRAME,
                                frame_length=SAMPLES_PER_FRAME)


def weights_path(distill: str | None = None) -> Path:
    """Where the shipped weights live: ``data/codec.pt`` or ``data/codec_distill_phones.pt``.
    Explained in notebook 06, section "A tiny neural codec"."""
    return WEIGHTS_DIR / ("codec.pt" if distill is None else f"codec_distill_{distill}.pt")


def load_codec(path: str | Path | None = None, *, distill: str | None = None) -> TinyCodec:
    """A trained codec in evaluation mode: the shipped one (``path=None``; ``distill="phones"``
    for the distilled variant) or the file that :func:`train` wrote to ``path``.

    The file also stores the phone inventory (``codec.phone_inventory``) and the training
    record (``codec.training_record``). Explained in notebook 06, section "A tiny neural codec".
    """
    if distill is not None:
        validate.choice(distill, "distill", ("phones",))
    path = weights_path(distill) if path is None else Path(path)
    if not path.is_file():
        raise ValueError(f"no codec weights at {str(path)!r}; train them with "
                         f"python -m course_lib.codec")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    distilled = "phone_head.weight" in saved["state_dict"]
    codec = TinyCodec(n_phones=len(saved["phones"]) if distilled else 0)
    codec.load_state_dict({k: v.float() for k, v in saved["state_dict"].items()})
    codec.training_record = saved["record"]
    codec.phone_inventory = saved["phones"]
    return codec.eval()


def _crops(corpus_utterances, phone_index, batch_size, n_frames, rng):
    """A batch of random frame-aligned crops ``(batch, n_frames * 320)`` and their phone ids."""
    waveforms = np.zeros((batch_size, n_frames * SAMPLES_PER_FRAME), np.float32)
    labels = np.zeros((batch_size, n_frames), np.int64)
    for row in range(batch_size):
        utterance = corpus_utterances[rng.integers(len(corpus_utterances))]
        total = math.ceil(len(utterance.waveform) / SAMPLES_PER_FRAME)
        start = int(rng.integers(max(total - n_frames, 0) + 1))
        piece = utterance.waveform[start * SAMPLES_PER_FRAME:(start + n_frames) * SAMPLES_PER_FRAME]
        waveforms[row, :len(piece)] = piece
        names = phones_at(utterance.phones, frame_centres(total))[start:start + n_frames]
        labels[row, :len(names)] = [phone_index[name] for name in names]
        labels[row, len(names):] = phone_index[names[-1]]
    return torch.from_numpy(waveforms), torch.from_numpy(labels)


@torch.no_grad()
def _init_codebooks(codec: TinyCodec, waveforms: torch.Tensor, seed: int) -> None:
    """Start every level's codebook at k-means centroids of that level's residuals (as
    SoundStream and EnCodec start theirs)."""
    residual = codec.latents(waveforms).reshape(-1, LATENT_DIM).numpy().astype(np.float64)
    for level, quantizer in enumerate(codec.quantizer.levels):
        centroids, labels = kmeans(residual, CODEBOOK_SIZE, n_iter=10, seed=seed + level)
        quantizer.set_codebook(torch.from_numpy(centroids))
        residual = residual - centroids[labels]


def reconstruct(codec: TinyCodec, waveform, n_levels: int | None) -> np.ndarray:
    """The codec's rendering of one utterance ``(n_samples,)`` at 16 kHz with its first
    ``n_levels`` levels, or with the unquantized latents (``n_levels=None``); same length.
    Explained in notebook 06, section "Measure, level by level"."""
    samples = features.prepare_waveform(waveform, features.SAMPLE_RATE, min_samples=1)
    if n_levels is None:
        with torch.no_grad():
            latents = codec.latents(torch.from_numpy(samples)[None])
            audio = codec.synthesize(latents)[0].numpy()
    else:
        n_levels = validate.integer(n_levels, "n_levels", minimum=1, maximum=N_CODEBOOKS)
        audio = codec.decode(codec.encode(samples)[:, :n_levels])
    return audio[:len(samples)].astype(np.float32)


def evaluate(codec: TinyCodec, utterances, n_levels: int | None) -> tuple[float, float]:
    """Mean STOI and mean log-mel distance (``course_lib.metrics``) of ``codec`` decoding its
    first ``n_levels`` levels (``None``: the unquantized latents) on ``utterances``.
    Explained in notebook 06, section "Measure, level by level"."""
    if n_levels is not None:
        n_levels = validate.integer(n_levels, "n_levels", minimum=1, maximum=N_CODEBOOKS)
    if len(utterances) == 0:
        raise ValueError("utterances must hold at least one utterance, got none")
    scores = []
    for utterance in utterances:
        audio = reconstruct(codec, utterance.waveform, n_levels)
        scores.append((metrics.stoi(utterance.waveform, audio),
                       metrics.log_mel_distance(utterance.waveform, audio)))
    stoi, distance = np.mean(scores, axis=0)
    return float(stoi), float(distance)


@functools.cache
def _mel_filters() -> torch.Tensor:
    """The 80 mel filters of :func:`spectral_loss` ``(80, 161)``, built once, not every step."""
    return torch.from_numpy(features.mel_filterbank(features.SAMPLE_RATE, _N_FFT, _N_MELS))


def spectral_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The decoder's training loss: L1 between predicted and true ``log(|STFT| + 0.01)``, plus
    L1 between their 80-band log-mel energies, which weighs the low frequencies (where speech
    and STOI live) as hearing does. Both ``(batch, 161, n_stft)``.
    Explained in notebook 06, section "A tiny neural codec"."""
    mels = _mel_filters().to(predicted.dtype)

    def log_mel(log_magnitude):
        power = (torch.exp(log_magnitude) - _FLOOR).clamp_min(0) ** 2
        return torch.log(mels @ power + 1e-4)

    return F.l1_loss(predicted, target) + F.l1_loss(log_mel(predicted), log_mel(target))


def train(steps: int = 4000, *, out: str | Path, distill: str | None = None, seed: int = 0,
          batch_size: int = 16, crop_frames: int = 40, n_eval: int = 40) -> TinyCodec:
    """Train the codec on the training split of ``data.TRAINING_CORPORA["codec"]``.

    Batches of random 0.8 s crops; Adam (lr 1e-3, 200 warm-up steps, cosine decay, gradients
    clipped at norm 1). The first 10% of the steps train encoder and decoder without the
    quantizer; then every level's codebook starts at k-means centroids of its residuals and
    learns by moving averages (decay 0.99), and training goes on with the quantizer and
    quantizer dropout (half the examples keep a random number of levels). Loss =
    :func:`spectral_loss` + commitment (+ phone cross-entropy on level 1 with ``distill``);
    codes nobody used in 100 steps are moved onto latents of the batch. Writes float16 weights to
    ``out`` (required: the shipped weights are overwritten only if you name them) and returns the
    codec as saved, with the training record (steps, minutes, final loss, STOI and log-mel
    distance unquantized and per number of levels on ``n_eval`` utterances of the course
    corpus's test split) in ``codec.training_record``. Runs on one thread (two thrash when
    another process shares the 2 cores); 4,000 steps take about 15 minutes of CPU time.
    Explained in notebook 06, section "A tiny neural codec".
    """
    if distill is not None:
        validate.choice(distill, "distill", ("phones",))
    with limited_threads(1):
        _train(steps, Path(out), distill, seed, batch_size, crop_frames, n_eval)
    return load_codec(out)


def _train(steps, out, distill, seed, batch_size, crop_frames, n_eval) -> None:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    training = build_corpus(**TRAINING_CORPORA["codec"]).train
    phones = list(inventory(training))
    phone_index = {name: i for i, name in enumerate(phones)}
    codec = TinyCodec(n_phones=len(phones) if distill else 0)
    with torch.no_grad():
        spectra = log_stft_magnitude(_crops(training, phone_index, 64, crop_frames, rng)[0])
        codec.spectrum_mean.copy_(spectra.mean(dim=(0, 2)))
        codec.spectrum_std.copy_(spectra.std(dim=(0, 2)))
    optimizer = torch.optim.Adam([p for p in codec.parameters() if p.requires_grad], lr=1e-3)
    usage = np.zeros((N_CODEBOOKS, CODEBOOK_SIZE), np.int64)
    start, cpu_start, quantizing = time.monotonic(), time.process_time(), False
    bar = tqdm(total=steps, desc="training codec", unit="step")
    for step in range(steps):
        progress = step / steps
        if not quantizing and progress >= 0.1:
            _init_codebooks(codec, _crops(training, phone_index, 64, crop_frames, rng)[0], seed)
            quantizing = True
        for group in optimizer.param_groups:
            group["lr"] = 1e-3 * min(1, (step + 1) / 200) * 0.5 * (1 + math.cos(math.pi * progress))
        waveforms, labels = _crops(training, phone_index, batch_size, crop_frames, rng)
        log_magnitude, codes, vq_loss, phone_logits = codec(waveforms, quantize=quantizing)
        spectral = spectral_loss(log_magnitude, log_stft_magnitude(waveforms))
        loss = spectral + vq_loss
        if phone_logits is not None:
            loss = loss + F.cross_entropy(phone_logits.reshape(-1, len(phones)), labels.ravel())
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(codec.parameters(), 1.0)
        optimizer.step()
        if quantizing:
            _count_and_revive(codec, waveforms, codes, usage, step, seed)
        bar.update()
        bar.set_postfix(spectral=f"{spectral.item():.3f}", vq=f"{vq_loss.item():.3f}")
    bar.close()
    codec.eval()
    record = {"steps": steps, "minutes": (time.monotonic() - start) / 60,
              "cpu_minutes": (time.process_time() - cpu_start) / 60, "distill": distill,
              "final_spectral_loss": spectral.item(), "n_eval": n_eval, "levels": {}}
    test = build_corpus().test[:n_eval]
    for n_levels in (None, *range(1, N_CODEBOOKS + 1)):
        stoi, distance = evaluate(codec, test, n_levels)
        scores = {"stoi": stoi, "log_mel_distance": distance}
        if n_levels is None:
            record["unquantized"] = scores
        else:
            record["levels"][n_levels] = scores
    state = {k: v.half() for k, v in codec.state_dict().items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": state, "phones": phones, "record": record}, out)


@torch.no_grad()
def _count_and_revive(codec, waveforms, codes, usage, step, seed) -> None:
    """Count each level's code use; every 100 steps move the unused codes onto latents."""
    for level in range(N_CODEBOOKS):
        used = codes[..., level].ravel().numpy()
        usage[level] += np.bincount(used[used >= 0], minlength=CODEBOOK_SIZE)  # -1: dropped
    if step % 100 != 99:
        return
    residual = codec.latents(waveforms)
    for level, quantizer in enumerate(codec.quantizer.levels):
        if usage[level].sum():
            replace_dead_codes(quantizer, residual, usage[level], seed=seed + step)
        residual = residual - quantizer.codebook[quantizer.indices(residual)]
    usage[:] = 0


def main(argv: list[str] | None = None) -> None:
    """Command line: train (``--out``, by default the shipped file in ``data/``) and print the
    quality per number of levels. Explained in notebook 06, section "A tiny neural codec"."""
    parser = argparse.ArgumentParser(description="Train the course's tiny codec (notebook 06).")
    parser.add_argument("--steps", type=int, default=4000, help="training steps")
    parser.add_argument("--distill", choices=["phones"], default=None,
                        help="also teach level 1 to predict the phone (supervised targets; "
                             "SpeechTokenizer distills self-supervised features instead)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="weights file (default: data/)")
    args = parser.parse_args(argv)
    out = args.out or weights_path(args.distill)
    record = train(args.steps, distill=args.distill, seed=args.seed, out=out).training_record
    print(f"trained {record['steps']} steps in {record['minutes']:.1f} min "
          f"({record['cpu_minutes']:.1f} min of CPU time); "
          f"test split, {record['n_eval']} utterances:")
    print(f"{'levels':>13} {'STOI':>6} {'log-mel dist':>13}")
    for name, scores in [("unquantized", record["unquantized"]), *record["levels"].items()]:
        print(f"{name:>13} {scores['stoi']:6.3f} {scores['log_mel_distance']:13.3f}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
