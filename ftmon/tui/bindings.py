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

#: The tab keys, one item in the footer.
_TABS = Binding.Group("tabs")

#: ``?`` on every screen: the app's help (on another screen than the main one, at that screen's
#: keys). ``f1`` too: in a text field (the filter, the form's fields, the permissions' add box)
#: ``?`` is typed, and Textual leaves a key the field takes out of the footer; ``f1 help`` shows
#: there. One id everywhere, so one ``[keymap]`` entry remaps it on every screen, and the footer
#: keeps it whatever else gives way (:data:`FOOTER_ALWAYS`).
HELP_BINDING = Binding("question_mark,f1", "help", "help", tooltip="help: every key", id="help")

#: The main screen's keys (its own: a screen pushed on top does not see them).
MAIN_BINDINGS: list[Binding] = [
    # The footer's words are short (80 columns hold about ten keys); help and the footer's
    # tooltip say them in full (``tooltip``). Which keys the footer keeps: FOOTER_RANK below.
    Binding("q", "quit", "quit", id="quit"),
    Binding("slash", "filter", "filter", tooltip="filter the jobs", id="filter"),
    Binding("escape", "clear_filter", "clear filter", id="clear_filter"),
    Binding("c", "cancel_job", "cancel", tooltip="cancel the job", id="cancel_job"),
    Binding("z", "pause_job", "pause job", id="pause_job"),
    Binding("z", "resume_job", "resume job", id="resume_job"),
    Binding("P", "permissions", "perms", tooltip="checkpoint permissions", id="permissions"),
    Binding("y", "copy", "copy", tooltip="copy the id or model name in focus", id="copy"),
    Binding("r", "refresh", "refresh", tooltip="refresh now", id="refresh"),
    # Pausing polling is rare: in the footer only while paused (the status line says so too).
    Binding("space", "pause_polling", "pause polling", show=False, id="pause_polling"),
    Binding("space", "resume_polling", "resume polling", id="resume_polling"),
    HELP_BINDING,
    Binding("n", "create_job", "new job", id="create_job"),
    Binding("N", "create_like", "like this", tooltip="new job like this one", id="create_like"),
    Binding("e", "export_job", "export", tooltip="export the job to files", id="export_job"),
    Binding("m", "mark_job", "mark", tooltip="mark / unmark for comparison", id="mark_job"),
    Binding("C", "compare", "compare", tooltip="compare the marked jobs' loss", id="compare"),
    Binding(
        "o",
        "sort_jobs",
        "sort",
        tooltip="sort the jobs: created, status, progress, ETA",
        id="sort_jobs",
    ),
    Binding("M", "models", "models", tooltip="the fine-tuned models and their jobs", id="models"),
    Binding("H", "messages", "notices", tooltip="notices so far, with times", id="messages"),
    # Azure OpenAI only (a finished job); a capital, as a stray key of a burst is not one.
    Binding("D", "delete_job", "delete", id="delete_job"),
    # One footer item, "1-4 tabs" (hint_footer.py); help lists each.
    Binding("1", "show_tab('overview')", "overview", group=_TABS, id="show_overview"),
    Binding("2", "show_tab('events')", "events", group=_TABS, id="show_events"),
    Binding("3", "show_tab('metrics')", "metrics", group=_TABS, id="show_metrics"),
    Binding("4", "show_tab('checkpoints')", "checkpoints", group=_TABS, id="show_checkpoints"),
    Binding("tab", "next_pane", "pane", tooltip="next pane", id="next_pane"),
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

#: Shown in every footer, whatever else must give way (by binding id).
FOOTER_ALWAYS = frozenset({"help", "close_help"})
#: Where the focused pane's own keys (search in the events, the metrics' series...) rank.
FOOTER_PANE = "<the focused pane's keys>"
#: The main screen's keys by how much the footer needs them, most first: a short footer drops
#: the end. Keys that show only in a state come first (resume polling while paused, clear the
#: filter while it is set, the job's actions while they apply), then the focused pane's, then
#: the rest. A binding id not listed ranks after these. Shown in this order too, help last.
FOOTER_RANK: tuple[str, ...] = (
    "resume_polling",
    "clear_filter",
    FOOTER_PANE,
    "cancel_job",
    "pause_job",
    "resume_job",
    "delete_job",
    "filter",
    "create_job",
    "show_overview",
    "permissions",
    "copy",
    "export_job",
    "mark_job",
    "compare",
    "create_like",
    "sort_jobs",
    "messages",
    "models",
    "next_pane",
    "refresh",
    "quit",
)

#: The event log's own keys while it has focus: they win over the main screen's (``/`` searches
#: the log instead of filtering jobs, ``n`` goes to a match instead of a new job).
EVENT_LOG_BINDINGS: list[Binding] = [
    Binding("slash", "search", "search", id="log_search"),
    Binding("n", "next_match", "next match", show=False, id="log_next_match"),
    Binding("N", "previous_match", "previous match", show=False, id="log_previous_match"),
    Binding("escape", "clear_search", "clear search", show=False, id="log_clear_search"),
    Binding("f", "cycle_level", "level", id="log_level"),
]

#: Help's words for keys whose footer words are too short to explain them (by binding id).
HELP_WORDS: dict[str, str] = {
    "events.open": "the selected event whole, its data too",
    "log_search": "search the events (type, enter; from the selected line up)",
    "log_next_match": "next match (down, round the end)",
    "log_previous_match": "previous match (up, round the top)",
    "log_clear_search": "end the search",
    "log_level": "levels shown: all, warnings and errors, errors only",
    "metrics.toggle_accuracy": "loss or accuracy",
    "compare.validation": "show or hide the validation curves",
    "compare.axis": "x axis: step or % of the run",
    "permissions.add": "add project ids",
    "permissions.delete": "remove the selected permission (asks first)",
    "permissions.reload": "read the permissions again",
    "create.review": "review the request, then create",
    "confirm.no": "no (the safe answer)",
    "confirm.left": "choose an answer",
    "confirm.right": "choose an answer",
    "confirm.press": "answer as chosen",
}

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
