"""Every key of the main screen and its panes, each with an id so that ``[keymap]`` in the config
file can remap it.

Ids are the names users write in their config (``cancel_job = "C"``). A few actions come in
pairs on one key (pause/resume the job, pause/resume polling) so that the footer can say which one
a press will do; remapping one of a pair remaps both (:func:`expand_keymap`).
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.binding import Binding

#: Actions that change something on the server: gone entirely in read-only mode.
WRITE_ACTIONS = frozenset(
    {"cancel_job", "pause_job", "resume_job", "delete_job", "create_job", "create_like"}
)

#: The main screen's keys (its own: a screen pushed on top does not see them).
MAIN_BINDINGS: list[Binding] = [
    # Footer order: what a person looks for first comes first (a short footer cuts the end).
    Binding("q", "quit", "quit", id="quit"),
    Binding("slash", "filter", "filter", id="filter"),
    Binding("escape", "clear_filter", "clear filter", id="clear_filter"),
    Binding("c", "cancel_job", "cancel", id="cancel_job"),
    Binding("z", "pause_job", "pause job", id="pause_job"),
    Binding("z", "resume_job", "resume job", id="resume_job"),
    Binding("P", "permissions", "perms", id="permissions"),
    Binding("y", "copy", "copy", id="copy"),
    Binding("r", "refresh", "refresh", id="refresh"),
    # Pausing polling is rare: in the footer only while paused (the status line says so too).
    Binding("space", "pause_polling", "pause polling", show=False, id="pause_polling"),
    Binding("space", "resume_polling", "resume polling", id="resume_polling"),
    Binding("question_mark", "help", "help", id="help"),
    # Last, so that on 80 columns it gives way to the keys of the moment.
    Binding("n", "create_job", "new job", id="create_job"),
    Binding("N", "create_like", "new job like this one", show=False, id="create_like"),
    Binding("e", "export_job", "export the job to files", show=False, id="export_job"),
    Binding("m", "mark_job", "mark / unmark for comparison", show=False, id="mark_job"),
    Binding("C", "compare", "compare the marked jobs' loss", show=False, id="compare"),
    # Azure OpenAI only (a finished job); a capital, as a stray key of a burst is not one.
    Binding("D", "delete_job", "delete", show=False, id="delete_job"),
    Binding("1", "show_tab('overview')", "overview", show=False, id="show_overview"),
    Binding("2", "show_tab('events')", "events", show=False, id="show_events"),
    Binding("3", "show_tab('metrics')", "metrics", show=False, id="show_metrics"),
    Binding("4", "show_tab('checkpoints')", "checkpoints", show=False, id="show_checkpoints"),
    Binding("tab", "next_pane", "next pane", show=False, id="next_pane"),
    Binding("shift+tab", "previous_pane", "previous pane", show=False, id="previous_pane"),
]

#: Movement, shared by every list-like pane (same ids, so one keymap entry remaps all).
MOVE_BINDINGS: list[Binding] = [
    Binding("j,down", "move(1)", "down", show=False, id="down"),
    Binding("k,up", "move(-1)", "up", show=False, id="up"),
    Binding("pagedown", "page(1)", "page down", show=False, id="page_down"),
    Binding("pageup", "page(-1)", "page up", show=False, id="page_up"),
    Binding("g,home", "first", "first", show=False, id="first"),
    Binding("G,end", "last", "last", show=False, id="last"),
]

#: Panning long lines, where a pane has them (the event log).
PAN_BINDINGS: list[Binding] = [
    Binding("h,left", "pan(-1)", "left", show=False, id="pan_left"),
    Binding("l,right", "pan(1)", "right", show=False, id="pan_right"),
]

PAIRS = (("pause_job", "resume_job"), ("pause_polling", "resume_polling"))


def expand_keymap(keymap: Mapping[str, str]) -> dict[str, str]:
    """The user's keymap with each paired action following its partner when only one is set."""
    result = dict(keymap)
    for first, second in PAIRS:
        if first in result and second not in result:
            result[second] = result[first]
        elif second in result and first not in result:
            result[first] = result[second]
    return result
