"""A tiny neural audio codec: strided conv encoder -> residual VQ -> conv decoder.

The same three parts as SoundStream and EnCodec, small enough to train on a laptop CPU in a
few minutes on the course's synthesized speech:

* the **encoder** reads the log magnitude spectrum of 16 kHz audio (20 ms Hann windows every
  5 ms: 200 spectra per second) and a convolution with stride 4 turns it into
  :data:`FRAMES_PER_SECOND` = 50 latent vectors of :data:`LATENT_DIM` dims per second;
* a :class:`~course_lib.quantize.ResidualVectorQuantizer` with :data:`N_CODEBOOKS` levels of
  :data:`CODEBOOK_SIZE` entries turns each latent into one integer per level, trained with
  quantizer dropout so that any number of leading levels decodes;
* the **decoder** upsamples 4x with a transposed convolution and predicts the log magnitude
  spectrum; Griffin-Lim finds a phase that fits it. Real codecs read and write waveforms and
  train with adversarial losses for days; predicting magnitudes lets a small model converge in
  minutes, at the price of a phase that differs from the original (so the SNR is poor even
  when the audio sounds right).

Later notebooks use :func:`load_codec` and two calls: ``codec.encode(waveform)`` gives codes
``(n_frames, n_codebooks)`` int64, ``codec.decode(codes)`` takes codes with any number of
leading levels and returns the waveform. ``python -m course_lib.codec`` retrains the shipped
weights; ``--distill phones`` trains the variant whose first level is also taught to predict
the phone (SpeechTokenizer's idea, with true phones in place of HuBERT targets).

Explained in notebook 06, section "A tiny neural codec".
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from course_lib import features, metrics, validate
from course_lib.data import WEIGHTS_DIR, build_corpus
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
LATENT_DIM = 32
_UPSAMPLE = 4
_HOP = SAMPLES_PER_FRAME // _UPSAMPLE  # 80 samples between STFT frames
_N_FFT = 4 * _HOP  # 320-sample (20 ms) windows
_FLOOR = 1e-2  # magnitudes are compared as log(|STFT| + _FLOOR)


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


class TinyCodec(nn.Module):
    """Encoder, residual vector quantizer and spectral decoder (about 0.5 M parameters).

    Torch methods work on batches ``(batch, n_samples)``; :meth:`encode` and :meth:`decode`
    are the NumPy interface for one utterance.
    Explained in notebook 06, section "A tiny neural codec".
    """

    def __init__(self, n_phones: int = 0):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv1d(_N_FFT // 2 + 1, 128, 3, padding=1), nn.ELU(),
            nn.Conv1d(128, 128, 2 * _UPSAMPLE, _UPSAMPLE, _UPSAMPLE // 2), nn.ELU(),  # 200 -> 50/s
            nn.Conv1d(128, LATENT_DIM, 3, padding=1),
        )
        self.quantizer = ResidualVectorQuantizer(N_CODEBOOKS, CODEBOOK_SIZE, LATENT_DIM)
        self.decoder = nn.Sequential(
            nn.Conv1d(LATENT_DIM, 128, 7, padding=3), nn.ELU(),
            nn.Conv1d(128, 128, 3, padding=1), nn.ELU(),
            nn.ConvTranspose1d(128, 96, 2 * _UPSAMPLE, _UPSAMPLE, _UPSAMPLE // 2), nn.ELU(),
            nn.Conv1d(96, 96, 7, padding=3), nn.ELU(),
            nn.Conv1d(96, _N_FFT // 2 + 1, 1),
        )
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
        return self.encoder(spectrum).transpose(1, 2)

    def log_magnitude(self, quantized: torch.Tensor) -> torch.Tensor:
        """Quantized latents ``(batch, n_frames, LATENT_DIM)`` -> predicted log STFT magnitude
        ``(batch, 161, 4 * n_frames + 1)`` (320-sample window, 80-sample hop). Notebook 06."""
        quantized = _float32(quantized, "quantized", f"(batch, n_frames, {LATENT_DIM})",
                             last_dim=LATENT_DIM)
        log_magnitude = self.decoder(quantized.transpose(1, 2))
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
    """Start every level's codebook at k-means centroids of that level's residuals."""
    residual = codec.latents(waveforms).reshape(-1, LATENT_DIM).numpy().astype(np.float64)
    for level, quantizer in enumerate(codec.quantizer.levels):
        centroids, labels = kmeans(residual, CODEBOOK_SIZE, n_iter=10, seed=seed + level)
        quantizer.codebook.copy_(torch.from_numpy(centroids))
        residual = residual - centroids[labels]


def evaluate(codec: TinyCodec, utterances, n_levels: int) -> tuple[float, float]:
    """Mean SNR (dB) and log-mel distance (``course_lib.metrics``) of ``codec`` using its first
    ``n_levels`` levels on ``utterances``.
    Explained in notebook 06, section "Measure, level by level"."""
    n_levels = validate.integer(n_levels, "n_levels", minimum=1, maximum=N_CODEBOOKS)
    if len(utterances) == 0:
        raise ValueError("utterances must hold at least one utterance, got none")
    snrs, distances = [], []
    for utterance in utterances:
        codes = codec.encode(utterance.waveform, utterance.sample_rate)[:, :n_levels]
        audio = codec.decode(codes)
        snrs.append(metrics.snr_db(utterance.waveform, audio))
        distances.append(metrics.log_mel_distance(utterance.waveform, audio))
    return float(np.mean(snrs)), float(np.mean(distances))


def train(steps: int = 3000, *, out: str | Path, distill: str | None = None, seed: int = 0,
          batch_size: int = 16, crop_frames: int = 40, n_eval: int = 20) -> TinyCodec:
    """Train the codec on the default corpus's training split for a wall-clock budget.

    Batches of random 0.8 s crops; Adam (lr 1e-3, cosine decay). The first 15% of the steps
    train encoder and decoder without the quantizer (a warm-up); then every level's codebook
    starts at k-means centroids of its residuals, and training continues with the quantizer
    and quantizer dropout. Loss = L1 between predicted and true ``log(|STFT| + 0.01)`` + RVQ
    codebook/commitment loss (+ phone cross-entropy on level 1 with ``distill``); dead codes
    are re-seeded every 100 steps. Writes float16 weights to ``out`` (required: the shipped
    weights are overwritten only if you name them) and returns the codec as saved, with the
    training record (steps, minutes, final loss, per-level SNR and log-mel distance on
    ``n_eval`` test utterances) in ``codec.training_record``. Runs on one thread (two thrash
    when another process shares the 2 cores). 3,000 steps take 5-10 minutes on 2 CPU cores.
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
    corpus = build_corpus()
    phones = list(inventory(corpus.utterances))
    phone_index = {name: i for i, name in enumerate(phones)}
    codec = TinyCodec(n_phones=len(phones) if distill else 0)
    optimizer = torch.optim.Adam(codec.parameters(), lr=1e-3)
    usage = np.zeros((N_CODEBOOKS, CODEBOOK_SIZE), np.int64)
    start, quantizing = time.monotonic(), False
    bar = tqdm(total=steps, desc="training codec", unit="step")
    for step in range(steps):
        progress = step / steps
        if not quantizing and progress >= 0.15:
            init_batch, _ = _crops(corpus.train, phone_index, 64, crop_frames, rng)
            _init_codebooks(codec, init_batch, seed)
            quantizing = True
        for group in optimizer.param_groups:
            group["lr"] = 1e-3 * 0.5 * (1 + math.cos(math.pi * progress))
        waveforms, labels = _crops(corpus.train, phone_index, batch_size, crop_frames, rng)
        log_magnitude, codes, vq_loss, phone_logits = codec(waveforms, quantize=quantizing)
        spectral = F.l1_loss(log_magnitude, log_stft_magnitude(waveforms))
        loss = spectral + vq_loss
        if phone_logits is not None:
            loss = loss + F.cross_entropy(phone_logits.reshape(-1, len(phones)), labels.ravel())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if quantizing:
            for level in range(codes.shape[-1]):
                usage[level] += np.bincount(codes[..., level].ravel().numpy(),
                                            minlength=CODEBOOK_SIZE)
            if step % 100 == 99:
                with torch.no_grad():
                    residual = codec.latents(waveforms)
                    for level, quantizer in enumerate(codec.quantizer.levels):
                        if usage[level].sum():  # levels that dropout skipped have no counts
                            replace_dead_codes(quantizer, residual, usage[level], seed=seed + step)
                        residual = residual - quantizer.codebook[quantizer.indices(residual)]
                usage[:] = 0
        bar.update()
        bar.set_postfix(spectral=f"{spectral.item():.3f}", vq=f"{vq_loss.item():.3f}")
    bar.close()
    codec.eval()
    record = {"steps": steps, "minutes": (time.monotonic() - start) / 60, "distill": distill,
              "final_spectral_loss": spectral.item(), "levels": {}}
    for n_levels in (1, 2, 4, 8):
        snr, distance = evaluate(codec, corpus.test[:n_eval], n_levels)
        record["levels"][n_levels] = {"snr_db": snr, "log_mel_distance": distance}
    state = {k: v.half() for k, v in codec.state_dict().items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": state, "phones": phones, "record": record}, out)


def main(argv: list[str] | None = None) -> None:
    """Command line: train (``--out``, by default the shipped file in ``data/``) and print the
    quality per number of levels. Explained in notebook 06, section "A tiny neural codec"."""
    parser = argparse.ArgumentParser(description="Train the course's tiny codec (notebook 06).")
    parser.add_argument("--steps", type=int, default=3000, help="training steps")
    parser.add_argument("--distill", choices=["phones"], default=None,
                        help="also teach level 1 to predict the phone (SpeechTokenizer-style)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="weights file (default: data/)")
    args = parser.parse_args(argv)
    out = args.out or weights_path(args.distill)
    record = train(args.steps, distill=args.distill, seed=args.seed, out=out).training_record
    print(f"trained {record['steps']} steps in {record['minutes']:.1f} min; "
          "test split, 20 utterances:")
    print(f"{'levels':>6} {'SNR dB':>8} {'log-mel dist':>13}")
    for n_levels, scores in record["levels"].items():
        print(f"{n_levels:>6} {scores['snr_db']:8.2f} {scores['log_mel_distance']:13.3f}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
