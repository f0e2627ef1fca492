"""The explorer of notebook 08, "Adapters": compression factor, number of queries and
duration, and which frames each output token reads. Imports torch.

Explained in notebook 08, section "Explore: which frames each token reads".
"""

from __future__ import annotations

import ipywidgets as widgets
import torch

from course_lib import adapters, rates, validate
from course_lib.plots.adapters import plot_coverage


def adapter_view(family: str, factor: int, n_queries: int, duration_s: float, hidden,
                 log_probs, trained: dict | None = None):
    """The explorer's pure function: the coverage figure of ``family`` on the first
    ``duration_s`` seconds of one utterance (``hidden`` (n_frames, 192), ``log_probs``).
    ``factor`` sets stack, pool and conv; ``n_queries`` the Q-Former. A family in ``trained``
    (family -> trained Adapter) with the same setting shows that adapter (its real attention
    maps); otherwise a fresh one with a fixed seed.
    Explained in notebook 08, section "Explore: which frames each token reads"."""
    family = validate.choice(family, "family", rates.ADAPTER_FAMILIES)
    duration_s = validate.real(duration_s, "duration_s", above=0)
    n_frames = min(len(hidden), max(1, round(duration_s * 50)))
    adapter = (trained or {}).get(family)
    if adapter is None or adapter.factor != factor or adapter.n_queries != n_queries:
        torch.manual_seed(0)
        settings = {"factor": factor} if family in ("stack", "pool", "conv") else {}
        if family == "qformer":
            settings = {"n_queries": n_queries}
        adapter = adapters.make_adapter(family, **settings).eval()
    weights = adapters.coverage(adapter, hidden[:n_frames], log_probs[:n_frames])
    return plot_coverage(weights.numpy(), family)


def adapter_explorer(hidden, log_probs, trained: dict | None = None) -> widgets.interactive:
    """Dropdown of families, sliders for factor, queries and duration over
    :func:`adapter_view`. Children: family, factor, n_queries, duration_s, then the output.
    Explained in notebook 08, section "Explore: which frames each token reads"."""

    def draw(family, factor, n_queries, duration_s):
        return adapter_view(family, factor, n_queries, duration_s, hidden, log_probs, trained)

    longest = round(len(hidden) / 50, 2)
    return widgets.interactive(
        draw, {"auto_display": True},
        family=widgets.Dropdown(options=list(rates.ADAPTER_FAMILIES), value="stack",
                                description="adapter"),
        factor=widgets.IntSlider(value=8, min=1, max=16, description="factor k",
                                 continuous_update=False),
        n_queries=widgets.IntSlider(value=32, min=1, max=64, description="queries",
                                    continuous_update=False),
        duration_s=widgets.FloatSlider(value=longest, min=0.1, max=longest, step=0.1,
                                       description="duration (s)", continuous_update=False),
    )
