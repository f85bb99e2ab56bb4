"""Desktop notification escapes (OSC 9 and OSC 777) that travel over SSH to the user's terminal.

The text inside them comes partly from the API (a job id, a suffix), so it is cleaned of every
control character first: an ESC or BEL inside would end the sequence early and let the rest reach
the terminal as commands. ``;`` separates OSC 777 fields, so it is replaced there.
"""

from __future__ import annotations

from ftmon.text import one_line

LIMIT = 200


def _field(text: str, *, semicolons: bool) -> str:
    value = one_line(text, width=LIMIT)
    return value if semicolons else value.replace(";", ",")


def desktop_notification(title: str, body: str, *, tmux: bool = False) -> str:
    """OSC 9 (iTerm2, WezTerm, Windows Terminal...) then OSC 777 (VTE, foot, kitty...).

    Terminals ignore the one they do not know. Inside tmux, ``tmux=True`` wraps each in tmux's
    passthrough so that it reaches the outer terminal (tmux needs ``allow-passthrough on``).
    """
    osc9 = f"\x1b]9;{_field(title, semicolons=True)}: {_field(body, semicolons=True)}\x07"
    osc777 = (
        f"\x1b]777;notify;{_field(title, semicolons=False)};{_field(body, semicolons=False)}\x07"
    )
    if not tmux:
        return osc9 + osc777
    return "".join(_tmux_passthrough(seq) for seq in (osc9, osc777))


def _tmux_passthrough(sequence: str) -> str:
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
