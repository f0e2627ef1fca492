"""A small CTC phone recognizer: the course's frozen "audio encoder".

40 log-mel features every 10 ms go through a strided 1-D convolution (down to 50 frames per
second, the rate of HuBERT, wav2vec 2.0 and Whisper's encoder) and a 2-layer bidirectional
GRU; a linear layer maps each 50 fps hidden state to log-probabilities over the blank and the
58 phone labels of :mod:`course_lib.phones`. Trained with CTC on synthesized speech of
generated text (with speed perturbation), it recognizes synthesized sentences it never heard
at a phone error rate of a few percent, and human speech poorly (:func:`evaluation_sets`,
notebook 03). Its outputs are *peaky*: a phone shows up as a spike of one or two frames with
blanks in between.

Notebook 03 trains it (this module's script) and studies its alignments; notebook 08 reuses
it, frozen, as the encoder in front of the adapters, like Whisper or HuBERT in real systems.

Train from scratch (about an hour on 2 busy CPU cores; ``data/README.md`` has the measured
time)::

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

from course_lib import augment, features, metrics, validate
from course_lib.ctc import BLANK, greedy_decode
from course_lib.data import TRAINING_CORPORA, WEIGHTS_DIR, build_corpus, build_held_out
from course_lib.phones import LABELS, indices_to_phones, phones_to_indices
from course_lib.synth import Utterance
from course_lib.threads import limited_threads

N_MELS = 40
MEL_WINDOW = 400               # 25 ms at 16 kHz
MEL_HOP = 160                  # 10 ms at 16 kHz: 100 log-mel frames per second
FRAMES_PER_SECOND = 50         # after the stride-2 convolution
WEIGHTS_PATH = WEIGHTS_DIR / "ctc_recognizer.pt"
TRAINING_CORPUS = TRAINING_CORPORA["recognizer"]  # the default corpus (400, seed 0) stays unseen


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
        x = x * (torch.arange(x.shape[2], device=x.device) < lengths[:, None].to(x.device)
                 )[:, None, :]
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


AUGMENTATIONS = ("noise", "reverb", "speed", "specaugment")
# Speed perturbation alone: in tools/recognizer_ablation.py it bought the most on voices never
# heard (data/README.md has the table); noise and reverb cost accuracy on every synthesized set.
SHIPPED_AUGMENTATIONS = ("speed",)


def augmented_features(waveform: np.ndarray, augmentations, rng: np.random.Generator
                       ) -> torch.Tensor:
    """One training example's log-mels (n_frames, 40) after the chosen augmentations, each
    applied with its own chance and strength drawn from ``rng``:

    * ``"speed"``: Kaldi's speed perturbation, factor 0.9, 1.0 or 1.1;
    * ``"reverb"`` (half the time): a synthetic room of reverberation time 0.2-0.8 s;
    * ``"noise"`` (half the time): white or pink noise at 5-30 dB SNR;
    * ``"specaugment"``: two frequency masks of up to 8 bands and two time masks of up to
      20 frames (0.2 s).

    ``waveform`` is 16 kHz. Explained in notebook 03, section "Four test sets".
    """
    seed = int(rng.integers(2**31))
    if "speed" in augmentations:
        waveform = augment.perturb_speed(waveform, float(rng.choice([0.9, 1.0, 1.1])))
    if "reverb" in augmentations and rng.random() < 0.5:
        waveform = augment.add_reverb(waveform, float(rng.uniform(0.2, 0.8)), seed=seed)
    if "noise" in augmentations and rng.random() < 0.5:
        waveform = augment.add_noise(waveform, float(rng.uniform(5, 30)), seed=seed,
                                     color=("white", "pink")[int(rng.integers(2))])
    log_mels = log_mel_features(waveform)
    if "specaugment" in augmentations:
        log_mels = augment.spec_augment(log_mels, n_freq_masks=2, max_freq_width=8,
                                        n_time_masks=2, max_time_width=20, generator=rng)
    return log_mels


def train(epochs: int = 8, batch_size: int = 16, learning_rate: float = 3e-3, seed: int = 0,
          augmentations=SHIPPED_AUGMENTATIONS, *, out: str | Path, device: str = "cpu"
          ) -> PhoneRecognizer:
    """Train the recognizer with CTC on the training split of
    ``data.TRAINING_CORPORA["recognizer"]`` (3,000 utterances of generated text), with the
    given ``augmentations`` (a subset of :data:`AUGMENTATIONS`, drawn anew every epoch, see
    :func:`augmented_features`), save float16 weights (under 1 MB) to ``out`` and return the
    model as saved, on the CPU.

    ``out`` is required: retraining never overwrites the shipped weights unless you name it.
    Runs with one thread (the GRU's small matrices gain nothing from more, and several threads
    on a shared 2-core machine slow it down more than tenfold). ``device="cuda"`` only makes
    experiments faster; the shipped weights are trained on the CPU.
    Explained in notebook 03, section "A small CTC phone recognizer".
    """
    epochs = validate.integer(epochs, "epochs", minimum=1)
    batch_size = validate.integer(batch_size, "batch_size", minimum=1)
    learning_rate = validate.real(learning_rate, "learning_rate", above=0)
    seed = validate.integer(seed, "seed", minimum=0)
    augmentations = tuple(validate.choice(name, "augmentations", AUGMENTATIONS)
                          for name in validate.labels(augmentations, "augmentations",
                                                      min_length=0))
    with limited_threads(1):
        return _train(epochs, batch_size, learning_rate, seed, augmentations, Path(out),
                      torch.device(device))


def _train(epochs: int, batch_size: int, learning_rate: float, seed: int, augmentations,
           out: Path, device: torch.device) -> PhoneRecognizer:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    corpus = build_corpus(**TRAINING_CORPUS)
    waveforms = [u.waveform for u in corpus.train]
    targets = [torch.tensor(phones_to_indices(u.phone_labels)) for u in corpus.train]
    clean = None if augmentations else [log_mel_features(w) for w in tqdm(waveforms,
                                                                          desc="log-mels")]
    model = PhoneRecognizer().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    n_steps = epochs * -(-len(waveforms) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, learning_rate, total_steps=n_steps,
                                                   pct_start=0.15)
    generator = torch.Generator().manual_seed(seed)
    progress = tqdm(total=n_steps, desc="training", unit="batch")
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(waveforms), generator=generator).split(batch_size):
            inputs = [clean[i] if clean is not None
                      else augmented_features(waveforms[i], augmentations, rng) for i in batch]
            lengths = torch.tensor([len(x) for x in inputs])
            padded = nn.utils.rnn.pad_sequence(inputs, batch_first=True).to(device)
            _, log_probs, frame_lengths = model(padded, lengths.to(device))
            batch_targets = [targets[i] for i in batch]
            loss = nn.functional.ctc_loss(
                log_probs.transpose(0, 1), torch.cat(batch_targets).to(device), frame_lengths,
                torch.tensor([len(t) for t in batch_targets], device=device), blank=BLANK,
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
                "augmentations": list(augmentations),
                "state_dict": {k: v.half().cpu() for k, v in model.state_dict().items()}}, out)
    return load_recognizer(out)


def evaluation_sets() -> dict[str, list[Utterance]]:
    """The synthesized sets a recognizer is scored on, none of them heard in training:

    * ``"test split"``: the test split of the course corpus (``build_corpus()``): generated
      text like the training text, training voices;
    * ``"held-out sentences"``: hand-written sentences, training voices;
    * ``"held-out voices"``: the same sentences, voices never heard in training.

    Explained in notebook 03, section "Four test sets".
    """
    return {"test split": build_corpus().test,
            "held-out sentences": build_held_out("sentences"),
            "held-out voices": build_held_out("voices")}


def main(argv: list[str] | None = None) -> None:
    """Command line: train (``--out``, by default the shipped ``data/ctc_recognizer.pt``) and
    print the phone error rates on :func:`evaluation_sets`.
    Explained in notebook 03, section "A small CTC phone recognizer"."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--augment", nargs="*", default=list(SHIPPED_AUGMENTATIONS),
                        choices=AUGMENTATIONS, help="augmentations (none: --augment)")
    parser.add_argument("--device", default="cpu", help="cpu (shipped) or cuda (experiments)")
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    args = parser.parse_args(argv)
    started = time.process_time()
    model = train(args.epochs, args.batch_size, args.learning_rate, args.seed, args.augment,
                  out=args.out, device=args.device)
    minutes = (time.process_time() - started) / 60
    print(f"trained in {minutes:.1f} min of CPU time; wrote {args.out} "
          f"({args.out.stat().st_size / 1e6:.2f} MB); augmentations: {args.augment}")
    for name, utterances in evaluation_sets().items():
        print(f"phone error rate on the {name}: {phone_error_rate(model, utterances):.2%}")


if __name__ == "__main__":
    main()
