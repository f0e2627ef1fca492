"""A small CTC phone recognizer: the course's frozen "audio encoder".

40 log-mel features every 10 ms go through a strided 1-D convolution (down to 50 frames per
second, the rate of HuBERT, wav2vec 2.0 and Whisper's encoder) and a 2-layer bidirectional
GRU; a linear layer maps each 50 fps hidden state to log-probabilities over the blank and the
51 phone labels of the corpus. Trained with CTC on synthesized speech it recognizes the
corpus's phones almost perfectly and its outputs are *peaky*: a phone shows up as a spike of
one or two frames with blanks in between.

Notebook 03 trains it (this module's script) and studies its alignments; notebook 08 reuses
it, frozen, as the encoder in front of the adapters, like Whisper or HuBERT in real systems.

Train from scratch (a few minutes on 2 CPU cores)::

    python -m course_lib.recognizer            # writes data/ctc_recognizer.pt

Explained in notebook 03, section "A small CTC phone recognizer".
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from course_lib import features, metrics
from course_lib.ctc import BLANK, greedy_decode
from course_lib.data import WEIGHTS_DIR, build_corpus
from course_lib.phones import LABELS, indices_to_phones, phones_to_indices
from course_lib.synth import Utterance
from course_lib.threads import limited_threads

N_MELS = 40
MEL_WINDOW = 400               # 25 ms at 16 kHz
MEL_HOP = 160                  # 10 ms at 16 kHz: 100 log-mel frames per second
FRAMES_PER_SECOND = 50         # after the stride-2 convolution
WEIGHTS_PATH = WEIGHTS_DIR / "ctc_recognizer.pt"
TRAINING_CORPUS = dict(n_utterances=1500, seed=1)  # the default corpus (400, seed 0) stays unseen


def log_mel_features(waveform, sample_rate: int = features.SAMPLE_RATE) -> torch.Tensor:
    """The recognizer's front end: 40 log-mel energies every 10 ms (25 ms Hann windows,
    centred), normalized per utterance to zero mean and unit variance in each band.

    Input: (n_samples,) at ``sample_rate`` (resampled to 16 kHz), at least 25 ms long. Output:
    (n_samples_16k // 160 + 1, 40) float32 tensor; frame i is centred at i / 100 s
    (``features.frame_times(n, hop_length=160, center=True)``).
    Explained in notebook 03, section "A small CTC phone recognizer".
    """
    waveform = features.prepare_waveform(waveform, sample_rate, min_samples=MEL_WINDOW)
    log_mels = features.log_mel_spectrogram_torch(
        torch.from_numpy(waveform), n_fft=MEL_WINDOW, hop_length=MEL_HOP, n_mels=N_MELS).T
    return (log_mels - log_mels.mean(0)) / (log_mels.std(0) + 1e-5)


class PhoneRecognizer(nn.Module):
    """Strided conv + 2-layer BiGRU + linear, trained with CTC.

    ``forward(features (batch, time, 40), lengths)`` returns ``(hidden, log_probs, lengths)``:
    hidden (batch, frames, hidden_dim) at 50 fps, log_probs (batch, frames, n_labels).
    Explained in notebook 03, section "A small CTC phone recognizer".
    """

    def __init__(self, n_labels: int = len(LABELS), conv_channels: int = 128,
                 gru_size: int = 96):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(N_MELS, conv_channels, kernel_size=5, stride=2, padding=2), nn.GELU(),
            nn.Conv1d(conv_channels, conv_channels, kernel_size=3, padding=1), nn.GELU(),
        )
        self.gru = nn.GRU(conv_channels, gru_size, num_layers=2, batch_first=True,
                          bidirectional=True)
        self.output = nn.Linear(2 * gru_size, n_labels)
        self.hidden_dim = 2 * gru_size

    def forward(self, features: torch.Tensor, lengths: torch.Tensor):
        """Batched log-mels ``(batch, time, 40)`` with their ``lengths`` -> ``(hidden,
        log_probs, frame_lengths)`` at 50 fps. Explained in notebook 03."""
        lengths = (lengths + 1) // 2                                # ceil: stride 2, padding 2
        x = self.conv[1](self.conv[0](features.transpose(1, 2)))   # (batch, channels, frames)
        # zero the frames past each utterance's end, as the second convolution's padding
        # would be for the utterance alone: a batch gives the same outputs as one at a time
        x = x * (torch.arange(x.shape[2]) < lengths[:, None])[:, None, :]
        x = self.conv[3](self.conv[2](x)).transpose(1, 2)          # (batch, frames, channels)
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        hidden, _ = self.gru(packed)
        hidden, _ = nn.utils.rnn.pad_packed_sequence(hidden, batch_first=True,
                                                     total_length=x.shape[1])
        return hidden, self.output(hidden).log_softmax(-1), lengths

    @torch.no_grad()
    def encode(self, waveform, sample_rate: int = features.SAMPLE_RATE
               ) -> tuple[np.ndarray, np.ndarray]:
        """One waveform -> (hidden (n_frames, hidden_dim), log_probs (n_frames, n_labels)).

        ``waveform`` (n_samples,) at ``sample_rate`` is resampled to 16 kHz like
        ``data.load_audio``; NaN, infinite or absurdly loud samples are refused. Outputs are
        float32 arrays at 50 frames per second; frame i is centred at i / 50 s
        (``features.frame_times(n_frames, hop_length=320, center=True)``). Explained in
        notebook 03, section "A small CTC phone recognizer".
        """
        log_mels = log_mel_features(waveform, sample_rate)[None]
        hidden, log_probs, _ = self(log_mels, torch.tensor([log_mels.shape[1]]))
        return hidden[0].numpy(), log_probs[0].numpy()

    def transcribe(self, waveform, sample_rate: int = features.SAMPLE_RATE) -> list[str]:
        """Greedy CTC decoding of one waveform into phone labels. Explained in notebook 03."""
        return indices_to_phones(greedy_decode(self.encode(waveform, sample_rate)[1]))


def load_recognizer(path: str | Path | None = None) -> PhoneRecognizer:
    """A trained recognizer in eval mode, on the CPU: the one shipped in
    ``data/ctc_recognizer.pt`` (``path=None``) or the file that :func:`train` wrote to ``path``.
    Explained in notebook 03, section "A small CTC phone recognizer"."""
    path = WEIGHTS_PATH if path is None else Path(path)
    if not path.is_file():
        raise ValueError(f"no recognizer weights at {path}: run `python -m course_lib.recognizer`")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    if tuple(saved["labels"]) != LABELS:
        raise ValueError(f"{path} was trained with another label set")
    model = PhoneRecognizer(**saved["config"])
    model.load_state_dict({k: v.float() for k, v in saved["state_dict"].items()})
    return model.eval()


def phone_error_rate(model: PhoneRecognizer, utterances: list[Utterance]) -> float:
    """:func:`course_lib.metrics.phone_error_rate` of the model's greedy transcriptions of
    ``utterances`` against their true phones (pauses included).
    Explained in notebook 03, section "Phone error rate on the test split"."""
    if len(utterances) == 0:
        raise ValueError("utterances must hold at least one utterance, got none")
    hypotheses = [model.transcribe(u.waveform, u.sample_rate) for u in utterances]
    return metrics.phone_error_rate([u.phone_labels for u in utterances], hypotheses)


def train(epochs: int = 12, batch_size: int = 16, learning_rate: float = 3e-3, seed: int = 0,
          *, out: str | Path) -> PhoneRecognizer:
    """Train the recognizer with CTC on the training split of a 1,500-utterance corpus, save
    float16 weights (under 1 MB) to ``out`` and return the model as saved.

    ``out`` is required: retraining never overwrites the shipped weights unless you name them.
    Runs with one thread (the GRU's small matrices gain nothing from more, and several threads
    on a shared 2-core machine slow it down more than tenfold).
    Explained in notebook 03, section "A small CTC phone recognizer".
    """
    with limited_threads(1):
        return _train(epochs, batch_size, learning_rate, seed, Path(out))


def _train(epochs: int, batch_size: int, learning_rate: float, seed: int,
           out: Path) -> PhoneRecognizer:
    torch.manual_seed(seed)
    corpus = build_corpus(**TRAINING_CORPUS)
    inputs = [log_mel_features(u.waveform) for u in tqdm(corpus.train, desc="log-mels")]
    targets = [torch.tensor(phones_to_indices(u.phone_labels)) for u in corpus.train]
    model = PhoneRecognizer()
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    n_steps = epochs * -(-len(inputs) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, learning_rate, total_steps=n_steps,
                                                   pct_start=0.15)
    generator = torch.Generator().manual_seed(seed)
    progress = tqdm(total=n_steps, desc="training", unit="batch")
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(inputs), generator=generator).split(batch_size):
            lengths = torch.tensor([len(inputs[i]) for i in batch])
            padded = nn.utils.rnn.pad_sequence([inputs[i] for i in batch], batch_first=True)
            _, log_probs, frame_lengths = model(padded, lengths)
            batch_targets = [targets[i] for i in batch]
            loss = nn.functional.ctc_loss(
                log_probs.transpose(0, 1), torch.cat(batch_targets), frame_lengths,
                torch.tensor([len(t) for t in batch_targets]), blank=BLANK,
                reduction="mean", zero_infinity=True)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            schedule.step()
            progress.update()
            progress.set_postfix(loss=f"{loss.item():.3f}")
    progress.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"labels": list(LABELS), "config": {}, "training_corpus": TRAINING_CORPUS,
                "state_dict": {k: v.half() for k, v in model.state_dict().items()}}, out)
    return load_recognizer(out)


def main(argv: list[str] | None = None) -> None:
    """Command line: train (``--out``, by default the shipped ``data/ctc_recognizer.pt``) and
    print the phone error rates.
    Explained in notebook 03, section "A small CTC phone recognizer"."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    model = train(args.epochs, args.batch_size, args.learning_rate, args.seed, out=args.out)
    minutes = (time.perf_counter() - started) / 60
    held_out = build_corpus(**TRAINING_CORPUS).test
    unseen = build_corpus().test
    size_mb = args.out.stat().st_size / 1e6
    print(f"trained in {minutes:.1f} min; wrote {args.out} ({size_mb:.2f} MB)")
    print(f"phone error rate: {phone_error_rate(model, held_out):.2%} on the training corpus's "
          f"test split, {phone_error_rate(model, unseen):.2%} on the default corpus's test split")


if __name__ == "__main__":
    main()
