"""The command palette's entries for the app's own actions (ctrl+p).

Each is offered only while its action applies (the app's ``check_action``), so read-only mode
and a finished job offer no cancel, exactly like the footer.
"""

from __future__ import annotations

#: Textual's own entries the palette keeps (App.get_system_commands): the theme (a theme
#: chosen there is remembered), and quit. "Keys", "Screenshot", "Maximize"/"Minimize" go:
#: help is ``?``, and the others do nothing useful here.
TEXTUAL_COMMANDS_KEPT = frozenset({"Theme", "Quit"})

#: (action, title, help, parameters)
PALETTE: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("refresh", "Refresh now", "Poll the API at once", ()),
    ("pause_polling", "Pause polling", "Stop asking the API until resumed", ()),
    ("resume_polling", "Resume polling", "Start polling the API again", ()),
    ("filter", "Filter jobs", "Show only jobs matching some words", ()),
    ("clear_filter", "Clear the filter", "Show every job again", ()),
    ("cancel_job", "Cancel the selected job", "Asks first; cannot be undone", ()),
    ("pause_job", "Pause the selected job", "Asks first", ()),
    ("resume_job", "Resume the selected job", "Asks first", ()),
    (
        "delete_job",
        "Delete the selected job",
        "Azure OpenAI, a finished job; asks first; the model stays",
        (),
    ),
    ("permissions", "Checkpoint permissions", "Who the checkpoints are shared with", ()),
    ("copy", "Copy the id or model name in focus", "To the clipboard (OSC 52)", ()),
    ("create_job", "New fine-tuning job", "A form; nothing is sent before you review it", ()),
    ("create_like", "New job like this one", "The form filled from this job", ()),
    (
        "export_job",
        "Export this job to files",
        "Job, events, metrics, checkpoints, loss or reward plot",
        (),
    ),
    ("mark_job", "Mark this job for comparison (or unmark)", "Marked jobs can be compared", ()),
    ("compare", "Compare the marked jobs", "Their loss curves in one plot", ()),
    ("sort_jobs", "Sort the jobs (next order)", "Created, status, progress, ETA in turn", ()),
    (
        "models",
        "Fine-tuned models",
        "The organisation's models, the jobs that made them; enter shows the job",
        (),
    ),
    ("show_tab", "Show the overview", "The job's fields", ("overview",)),
    ("show_tab", "Show the events", "The job's event log", ("events",)),
    ("search_events", "Search the events", "/ in the log: type, enter; n and N go on", ()),
    (
        "cycle_event_level",
        "Event levels: all, warnings and errors, errors only",
        "f in the log steps through them",
        (),
    ),
    ("follow_events", "Follow the newest events", "G in the log: the tail, and what comes", ()),
    ("show_tab", "Show the metrics", "Loss and accuracy against step", ("metrics",)),
    ("show_tab", "Show the checkpoints", "Step, model name, metrics", ("checkpoints",)),
    ("next_series", "Next metrics series", "The metrics tab steps through every series", ()),
    ("next_pane", "Next pane", "Move the focus to the next pane", ()),
    ("messages", "Notices so far", "Every notice of this session, with its time", ()),
    ("help", "Help: keys", "Every key and what the status glyphs mean", ()),
)
