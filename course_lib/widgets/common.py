"""Pieces shared by the explorers: slider styles and the utterance-index slider.

First used in notebook 00, section "Explore the rate mismatch".
"""

from __future__ import annotations

import ipywidgets as widgets


def slider_style(width_px: int, description_px: int) -> dict:
    """Keyword arguments that give a slider its width and label width, and redraw the figure
    only when the slider is released (``continuous_update=False``). From notebook 00 on.

    First used in notebook 00, section "Explore the rate mismatch".
    """
    return dict(continuous_update=False, style={"description_width": f"{description_px}px"},
                layout=widgets.Layout(width=f"{width_px}px"))


def index_slider(n_items: int, description: str = "utterance") -> widgets.IntSlider:
    """A slider over ``0 .. n_items - 1`` that redraws on release (notebook 03, and 04).

    First used in notebook 03, section "Explore the recognizer on the test split".
    """
    return widgets.IntSlider(value=0, min=0, max=n_items - 1, description=description,
                             continuous_update=False)
