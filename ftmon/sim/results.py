"""The result file of a finished job: a per-step metrics CSV, as OpenAI writes ``result_files[0]``.

Its columns are the method's (:meth:`~ftmon.sim.methods.LossMethod.csv_shape`). Every value is
formatted to a fixed width, so the file's size is known from a formula without rendering it:
listing 10,000 result files stays cheap, and their content is made only on download.
"""

from __future__ import annotations

import base64

from ftmon.sim.methods import CsvShape


def _digit_sum(n: int) -> int:
    """Total number of decimal digits in 1..n."""
    total, width, low = 0, 1, 1
    while low <= n:
        high = min(n, low * 10 - 1)
        total += (high - low + 1) * width
        width, low = width + 1, low * 10
    return total


class ResultsCsv:
    """The CSV of one job: one row per step; validation values every ``valid_every`` steps."""

    def __init__(
        self, shape: CsvShape, total_steps: int, valid_every: int | None, *, base64_encoded: bool
    ) -> None:
        self.shape = shape
        self.total_steps = total_steps
        self.valid_every = valid_every
        self.base64_encoded = base64_encoded

    def _has_valid(self, step: int) -> bool:
        every = self.valid_every
        return every is not None and (step % every == 0 or step == self.total_steps)

    def csv_size(self) -> int:
        n, shape = self.total_steps, self.shape
        valid_rows = 0
        if self.valid_every is not None:
            valid_rows = n // self.valid_every + (1 if n % self.valid_every else 0)
        return (
            len(shape.header)
            + shape.base_width * n
            + _digit_sum(n)
            + shape.valid_width * valid_rows
        )

    def size(self) -> int:
        """Bytes served for this file (base64 makes 4 bytes of every 3)."""
        raw = self.csv_size()
        return 4 * ((raw + 2) // 3) if self.base64_encoded else raw

    def render_csv(self) -> bytes:
        row = self.shape.row
        rows = [
            f"{step}{row(step, self._has_valid(step))}" for step in range(1, self.total_steps + 1)
        ]
        return self.shape.header + "".join(rows).encode()

    def render(self) -> bytes:
        """The bytes served by ``GET /files/{id}/content``."""
        raw = self.render_csv()
        return base64.b64encode(raw) if self.base64_encoded else raw
