"""What each augmentation buys the recognizer: train one model per recipe, score all of them.

Every recipe trains ``course_lib.recognizer.train`` from scratch with the same seed and
epochs, differing only in its augmentations; each model is scored on the three synthesized
evaluation sets (``recognizer.evaluation_sets``) and on the two human recordings. Recipes run
in parallel processes. On a GPU (``--device cuda``) the whole study takes minutes; the shipped
recipe is then retrained on the CPU by ``python -m course_lib.recognizer``::

    python tools/recognizer_ablation.py --device cuda --epochs 8 --out /tmp/ablation

Writes ``<out>/<recipe>.json`` (phone error rates, training seconds) and ``<out>/<recipe>.pt``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from pathlib import Path

RECIPES = {
    "none": (),
    "noise + reverb": ("noise", "reverb"),
    "speed": ("speed",),
    "specaugment": ("specaugment",),
    "all four": ("noise", "reverb", "speed", "specaugment"),
}


def real_speech_error_rates(model) -> dict[str, float]:
    """PER of ``model`` on each human recording, against eSpeak's phones for its text."""
    from course_lib import data, metrics
    from course_lib.synth import synthesize

    rates = {}
    for name in data.REAL_RECORDINGS:
        recording = data.load_real_recording(name)
        reference = synthesize(recording.text).phone_labels
        rates[name] = metrics.phone_error_rate([reference], [model.transcribe(recording.waveform)])
    return rates


def run_recipe(job: tuple[str, int, str, str]) -> None:
    """Train one recipe and write its scores (runs in its own process)."""
    name, epochs, device, out = job
    from course_lib import recognizer

    started = time.monotonic()
    path = Path(out) / f"{name.replace(' ', '_').replace('+', 'and')}.pt"
    model = recognizer.train(epochs, augmentations=RECIPES[name], out=path, device=device)
    seconds = time.monotonic() - started
    scores = {set_name: recognizer.phone_error_rate(model, utterances)
              for set_name, utterances in recognizer.evaluation_sets().items()}
    scores.update(real_speech_error_rates(model))
    result = dict(recipe=name, augmentations=RECIPES[name], epochs=epochs, device=device,
                  training_seconds=seconds, phone_error_rates=scores)
    path.with_suffix(".json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--recipes", nargs="*", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from course_lib import recognizer
    from course_lib.data import build_corpus

    build_corpus(**recognizer.TRAINING_CORPUS)  # build the caches once, before the workers
    recognizer.evaluation_sets()
    jobs = [(name, args.epochs, args.device, str(args.out)) for name in args.recipes]
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        pool.map(run_recipe, jobs)


if __name__ == "__main__":
    main()
