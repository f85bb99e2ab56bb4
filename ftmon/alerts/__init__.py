"""Alerts that reach you from a box with no public URL (``[[alerts]]`` in the config file).

Chosen events of the jobs ftmon watches (``succeeded``, ``failed``, ``cancelled``, ``stalled``,
``checkpoint``, ``best_checkpoint``) go to a generic JSON webhook, a Slack or Discord incoming
webhook, an ntfy topic, or a local command: each event once per alert, remembered across
restarts in a small state file; sent in the background, retried with backoff, never blocking
the screen or raising into it, never carrying a key or a webhook URL into logs, errors, the
state file or an export. Modules, one job each:

* ``events.py``: an event (:class:`AlertEvent`), the job's fields cleaned, its words;
* ``detect.py``: which events the engine's changes mean (and what is history, not news);
* ``state.py``: what was sent, in the state file (hashes only);
* ``payloads.py``: what each kind sends (bodies, headers, a command's environment);
* ``send.py``: one try at one sending: an HTTP POST or a command run;
* ``delivery.py``: each alert's bounded queue, its worker, retries and backoff;
* ``alerter.py``: :class:`Alerter`, joining them.

Wiring it into a front end (the TUI, ``ftmon watch``); every call returns at once and none
raises (``notify`` only for an unknown event name)::

    from ftmon.alerts import Alerter

    alerter = Alerter.from_settings(settings)        # state in the platform state dir;
                                                     # state_path=... to choose the file
    alerter.attach(monitor)                          # on the loop: listens to the engine's
                                                     # changes, checks stalls every 30 s
    ...
    alerter.notify(job, "failed")                    # or say an event yourself (``watch``);
    alerter.notify(job, "checkpoint", checkpoint)    # sent once per alert, job, event, key
    alerter.status().line()                          # "alerts: 3 sent, 1 failed (last: ...)"
    alerter.status().notices                         # a state file that was unreadable, once
    await alerter.aclose()                           # at exit: flush within 3 s, save state

Without ``attach``, the same by hand: ``monitor.subscribe(lambda c: alerter.observe(c,
monitor))`` and ``alerter.observe([], monitor)`` on a timer. Calls belong on the event loop's
thread (the senders' tasks start there); sendings queued before a loop runs wait for the
first call inside one. ``Alerter.enabled`` is False when no alert is configured: every call is
then a no-op, and no state file is made. Stall thresholds come from ``from_settings(...,
thresholds=Thresholds(...))`` (``monitor/doctor.py``), retries and timeouts from
``policy=DeliveryPolicy(...)``. With ``--demo`` (simulated jobs) a front end should not send
the user's alerts: build no alerter, or ``Alerter([], ...)``.
"""

from ftmon.alerts.alerter import Alerter, AlertStatus
from ftmon.alerts.delivery import DeliveryPolicy
from ftmon.alerts.events import AlertEvent

__all__ = ["AlertEvent", "AlertStatus", "Alerter", "DeliveryPolicy"]
