"""Widgets and screens built in other modules, imported in one place.

The metrics view and the permissions screen are built alongside this app; until a module lands,
a plain stand-in keeps the app whole (and says what is missing) instead of failing to start.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Static

from ftmon.monitor.series import MetricSeries

try:
    from ftmon.tui.widgets.metrics import MetricsView
except ImportError:  # pragma: no cover - only while the metrics view is being built

    class MetricsView(Static):  # type: ignore[no-redef]
        """Stand-in: the number of steps known, until the real plot lands."""

        def update_series(self, series: MetricSeries | None, *, title: str = "") -> None:
            count = len(series) if series is not None else 0
            self.update(Text(f"{count} steps of metrics" if count else "no metrics yet"))


try:
    from ftmon.tui.screens.permissions import PermissionsScreen
except ImportError:  # pragma: no cover - only while the permissions screen is being built

    class PermissionsScreen(ModalScreen[None]):  # type: ignore[no-redef]
        """Stand-in that says the screen is missing; esc closes it."""

        BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "close")]

        def __init__(self, client: Any, checkpoints: Any, *, read_only: bool = False) -> None:
            super().__init__()
            self.checkpoints = checkpoints

        def compose(self) -> Any:
            yield Static(Text("Checkpoint permissions are not available in this build."))


from ftmon.tui.screens.compare import CompareScreen
from ftmon.tui.screens.confirm import ConfirmScreen
from ftmon.tui.screens.create import CreateJobScreen

__all__ = ["CompareScreen", "ConfirmScreen", "CreateJobScreen", "MetricsView", "PermissionsScreen"]
