"""Each method's training as the API reports it: metrics events, checkpoint metrics and which
checkpoints are kept, and the columns of the result CSV.

What is documented and what is a guess (each guess is also listed in
``tests/data/openai-spec/README.md``, "Shapes the simulator follows beyond the spec"):

* **Supervised** (documented). As OpenAI's fine-tuning guide shows: a message such as ``Step
  300/300: training loss=0.15, validation loss=0.27, full validation loss=0.40`` and a ``data``
  object with ``step``, ``total_steps``, ``train_loss``, ``train_mean_token_accuracy``, the
  ``valid_`` pair and, at the end of an epoch, the ``full_valid_`` pair; only the checkpoints of
  the last 3 epochs are kept; the result CSV's columns are ``step``, ``train_loss``,
  ``train_accuracy``, ``valid_loss`` and ``valid_mean_token_accuracy``.
* **DPO** (a guess). OpenAI's DPO guide documents the data format and ``beta``, not the metrics.
  The checkpoint object's schema names only loss and token-accuracy metrics, for every method, so
  DPO jobs are given the supervised shape (same field names, message, CSV columns and checkpoint
  rule) with a loss that starts near log(2), as a DPO loss does.
* **Reinforcement**. Documented, as OpenAI's RFT guide shows: a message such as ``Step 10/20 ,
  train mean reward=0.42, full validation mean reward=0.68, full validation mean parse
  error=0.00`` (the space before the comma included) and a ``data`` object with ``step``,
  ``total_steps``, ``train_mean_reward``, ``full_valid_mean_reward``,
  ``full_valid_mean_parse_error``, ``reasoning_tokens_mean``, ``completion_tokens_mean``,
  ``mean_unresponsive_rewards``, ``valid_reasoning_tokens_mean``, ``model_graders_token_usage``
  and the nested ``usage``, ``errors``, ``scores`` and ``timing`` objects (per-grader entries
  under ``graders``); no ``train_loss``. "OpenAI creates a full model checkpoint at each
  validation step and keeps the three with the highest valid_reward_mean scores". Guessed: the
  message and data of a step with no validation (the guide shows a validation step only: here the
  validation fields are left out); the checkpoint's metrics (``train_mean_reward``,
  ``full_valid_mean_reward``..., as Azure's Foundry fine-tuning skill reads them); the result
  CSV's columns (Azure's skill lists ``train_mean_reward``, ``full_valid_mean_reward``,
  ``completion_tokens_mean``, ``reasoning_tokens_mean``, ``mean_unresponsive_rewards`` and
  ``errors/graders/.../train_sample_parse_error_count``: nested names joined with ``/``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ftmon.sim.curves import Grader, LossCurve, RewardCurve

KEEP_CHECKPOINTS = 3  # supervised: the last 3 epochs; reinforcement: the 3 best rewards
DEFAULT_EVAL_INTERVAL = 5


@dataclass(frozen=True)
class CsvShape:
    """A result CSV's columns, as a header and fixed-width rows (the size is known unrendered)."""

    header: bytes
    base_width: int  # bytes of a row beside the step's digits, its validation values left empty
    valid_width: int  # the bytes a row's validation values add
    row: Callable[[int, bool], str]  # (step, with validation values) -> ",a,b,...\n"


def _header(names: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(names)
    return out.getvalue().encode()


def _shape(columns: list[tuple[str, int, bool]], row: Callable[[int, bool], str]) -> CsvShape:
    """``columns`` after ``step``: (name, width of a value, a validation-only value)."""
    always = sum(width for _, width, valid in columns if not valid)
    return CsvShape(
        header=_header(["step", *(name for name, _, _ in columns)]),
        base_width=len(columns) + always + 1,  # a comma before each value, a newline
        valid_width=sum(width for _, width, valid in columns if valid),
        row=row,
    )


class LossMethod:
    """Supervised (documented) and DPO (the same shape, a guess): loss and token accuracy."""

    __slots__ = ("curve", "moderation_checks", "with_valid")  # one per job of a big world

    def __init__(self, curve: LossCurve, *, with_valid: bool) -> None:
        self.curve = curve
        self.with_valid = with_valid
        self.moderation_checks = False

    def marks(self, total_steps: int, epoch_ends: list[int]) -> list[int]:
        """Steps with full-validation metrics and a checkpoint: the end of each epoch."""
        return epoch_ends

    def score(self, step: int) -> float | None:
        """None: the newest checkpoints are kept, not the best ones."""
        return None

    def csv_every(self, metrics_every: int) -> int | None:
        """Result rows with validation values: every ``metrics_every`` steps, and the last."""
        return metrics_every if self.with_valid else None

    def metrics_event(self, step: int, total: int, *, full: bool) -> tuple[str, dict[str, Any]]:
        loss, acc = self.curve.train(step)
        data: dict[str, Any] = {
            "step": step,
            "total_steps": total,
            "train_loss": loss,
            "train_mean_token_accuracy": acc,
        }
        message = f"Step {step}/{total}: training loss={loss:.2f}"
        if self.with_valid:
            vloss, vacc = self.curve.valid(step)
            data["valid_loss"], data["valid_mean_token_accuracy"] = vloss, vacc
            message += f", validation loss={vloss:.2f}"
            if full:
                floss, facc = self.curve.full_valid(step)
                data["full_valid_loss"], data["full_valid_mean_token_accuracy"] = floss, facc
                message += f", full validation loss={floss:.2f}"
        return message, data

    def checkpoint_metrics(self, step: int) -> dict[str, Any]:
        loss, acc = self.curve.train(step)
        metrics: dict[str, Any] = {
            "step": step,
            "train_loss": loss,
            "train_mean_token_accuracy": acc,
        }
        if self.with_valid:
            metrics["valid_loss"], metrics["valid_mean_token_accuracy"] = self.curve.valid(step)
            full = self.curve.full_valid(step)
            metrics["full_valid_loss"], metrics["full_valid_mean_token_accuracy"] = full
        return metrics

    def csv_shape(self) -> CsvShape:
        """As OpenAI's guide shows; every loss and accuracy is 7 wide (``x.xxxxx``)."""

        def row(step: int, valid: bool) -> str:
            loss, acc = self.curve.train(step)
            if not valid:
                return f",{loss:.5f},{acc:.5f},,\n"
            vloss, vacc = self.curve.valid(step)
            return f",{loss:.5f},{acc:.5f},{vloss:.5f},{vacc:.5f}\n"

        columns = [
            ("train_loss", 7, False),
            ("train_accuracy", 7, False),
            ("valid_loss", 7, True),
            ("valid_mean_token_accuracy", 7, True),
        ]
        return _shape(columns, row)


def graders_of(grader: Any) -> tuple[Grader, ...]:
    """The graders a reinforcement job's metrics name: a multi grader's parts, else itself.

    A multi grader's ``graders`` is one grader in the spec, a mapping of names to graders in the
    RFT guide's example, or a list: all three are read.
    """
    if not isinstance(grader, dict):
        return (Grader("grader", "string_check"),)
    if grader.get("type") != "multi":
        return (_grader(grader, "grader"),)
    inner = grader.get("graders")
    if isinstance(inner, dict) and "type" in inner:
        parts: list[tuple[str, Any]] = [("grader", inner)]
    elif isinstance(inner, dict):
        parts = [(str(key), value) for key, value in inner.items()]
    elif isinstance(inner, list):
        parts = [(f"grader_{n}", value) for n, value in enumerate(inner)]
    else:
        parts = []
    found = tuple(_grader(part, key) for key, part in parts if isinstance(part, dict))
    return found or (_grader(grader, "grader"),)


def _grader(grader: dict[str, Any], fallback: str) -> Grader:
    name = grader.get("name")
    kind = grader.get("type")
    model = grader.get("model") if kind in ("score_model", "label_model") else None
    return Grader(
        name=name if isinstance(name, str) and name else fallback,
        type=kind if isinstance(kind, str) else "string_check",
        model=model if isinstance(model, str) else None,
    )


def _count(mean: float, samples: int) -> float:
    return float(round(mean * samples))


class RewardMethod:
    """Reinforcement: rewards from graders, as OpenAI's RFT guide shows them."""

    def __init__(self, curve: RewardCurve, *, with_valid: bool, eval_interval: int) -> None:
        self.curve = curve
        self.with_valid = with_valid
        self.eval_interval = max(1, eval_interval)
        self.moderation_checks = True

    def marks(self, total_steps: int, epoch_ends: list[int]) -> list[int]:
        """Validation steps, each with a checkpoint: every ``eval_interval`` steps and the last."""
        steps = list(range(self.eval_interval, total_steps, self.eval_interval))
        return [*steps, total_steps]

    def score(self, step: int) -> float | None:
        """The full validation reward: the best-scoring checkpoints are kept."""
        return self.curve.valid_reward(step) if self.with_valid else None

    def csv_every(self, metrics_every: int) -> int | None:
        """Result rows with validation values: the validation steps."""
        return self.eval_interval if self.with_valid else None

    def metrics_event(self, step: int, total: int, *, full: bool) -> tuple[str, dict[str, Any]]:
        curve = self.curve
        valid = full and self.with_valid
        train = curve.train_reward(step)
        message = f"Step {step}/{total} , train mean reward={train:.2f}"
        per_grader = [curve.grader(n, step) for n in range(len(curve.graders))]
        data: dict[str, Any] = {
            "step": step,
            "usage": self._usage(step, valid),
            "errors": self._errors(per_grader, valid),
            "scores": self._scores(step, per_grader, valid),
            "timing": self._timing(step, full),
            "total_steps": total,
            "train_mean_reward": train,
            "reasoning_tokens_mean": curve.reasoning_tokens(step),
            "completion_tokens_mean": curve.completion_tokens(step),
        }
        if valid:
            data["full_valid_mean_reward"] = curve.valid_reward(step)
        data["mean_unresponsive_rewards"] = curve.unresponsive(step)
        usage = self._model_usage(step, valid)
        if usage:
            data["model_graders_token_usage"] = usage
        if valid:
            parse_error = curve.valid_parse_error(step)
            data["full_valid_mean_parse_error"] = parse_error
            data["valid_reasoning_tokens_mean"] = curve.reasoning_tokens(step, valid=True)
            message += (
                f", full validation mean reward={data['full_valid_mean_reward']:.2f}"
                f", full validation mean parse error={parse_error:.2f}"
            )
        return message, data

    # The nested objects, each grader's entry named and typed as in the guide's example.

    def _entry(self, index: int) -> dict[str, Any]:
        grader = self.curve.graders[index]
        return {"name": grader.name, "type": grader.type}

    def _prompt_tokens(self, index: int) -> tuple[float, float]:
        """A model grader's prompt and completion tokens per sample (fixed per grader)."""
        base = 180.0 + 20.0 * index + (self.curve.seed % 97)
        return base, round(0.55 * base, 5)

    def _usage(self, step: int, valid: bool) -> dict[str, Any]:
        curve = self.curve
        graders = []
        for index, grader in enumerate(curve.graders):
            if grader.model is None:
                continue
            entry = {**self._entry(index), "model": grader.model}
            prompt, completion = self._prompt_tokens(index)
            sides = [("train", curve.train_samples)]
            if valid:
                sides.append(("valid", curve.valid_samples))
            for side, count in sides:
                entry[f"{side}_prompt_tokens_mean"] = prompt
                entry[f"{side}_prompt_tokens_count"] = _count(prompt, count)
                entry[f"{side}_completion_tokens_mean"] = completion
                entry[f"{side}_completion_tokens_count"] = _count(completion, count)
            graders.append(entry)
        reasoning = curve.reasoning_tokens(step)
        samples: dict[str, Any] = {
            "train_reasoning_tokens_mean": reasoning,
            "train_reasoning_tokens_count": _count(reasoning, curve.train_samples),
        }
        if valid:
            valid_reasoning = curve.reasoning_tokens(step, valid=True)
            samples["valid_reasoning_tokens_mean"] = valid_reasoning
            samples["valid_reasoning_tokens_count"] = _count(valid_reasoning, curve.valid_samples)
        return {"graders": graders, "samples": samples}

    def _errors(self, per_grader: list[Any], valid: bool) -> dict[str, Any]:
        samples = {"train": self.curve.train_samples, "valid": self.curve.valid_samples}
        graders = []
        for index, numbers in enumerate(per_grader):
            entry = self._entry(index)
            counts = {
                "other_error": numbers.other_errors,
                "sample_parse_error": numbers.parse_errors,
                "invalid_variable_error": 0,
            }
            for kind, count in counts.items():
                # Errors are rare on the training side and none on the validation side here.
                for side, shown in (
                    (("train", count), ("valid", 0)) if valid else (("train", count),)
                ):
                    entry[f"{side}_{kind}_mean"] = round(shown / samples[side], 5)
                    entry[f"{side}_{kind}_count"] = float(shown)
            graders.append(entry)
        return {"graders": graders}

    def _scores(self, step: int, per_grader: list[Any], valid: bool) -> dict[str, Any]:
        graders = []
        for index, numbers in enumerate(per_grader):
            entry = {**self._entry(index), "train_reward_mean": numbers.train_reward}
            if valid:
                entry["valid_reward_mean"] = numbers.valid_reward
            graders.append(entry)
        scores: dict[str, Any] = {
            "graders": graders,
            "train_reward_mean": self.curve.train_reward(step),
        }
        if valid:
            scores["valid_reward_mean"] = self.curve.valid_reward(step)
        return scores

    def _timing(self, step: int, full: bool) -> dict[str, Any]:
        graders = []
        for index in range(len(self.curve.graders)):
            latency = self.curve.grader_latency(index, step)
            entry = {**self._entry(index), "train_execution_latency_mean": latency}
            if full and self.with_valid:
                entry["valid_execution_latency_mean"] = round(1.4 * latency, 5)
            graders.append(entry)
        seconds = self.curve.step_seconds(step, with_eval=full and self.with_valid)
        return {"step": seconds, "graders": graders}

    def _model_usage(self, step: int, valid: bool) -> dict[str, Any]:
        """``model_graders_token_usage``: per grader model, whole-step token counts."""
        curve = self.curve
        usage: dict[str, Any] = {}
        for index, grader in enumerate(curve.graders):
            if grader.model is None:
                continue
            prompt, completion = self._prompt_tokens(index)
            counts = usage.setdefault(grader.model, {})
            sides = (("eval", curve.valid_samples),) if valid else ()
            for side, samples in (*sides, ("train", curve.train_samples)):
                for kind, mean in (("cached", 0.0), ("prompt", prompt), ("completion", completion)):
                    key = f"{side}_{kind}_tokens"
                    counts[key] = counts.get(key, 0) + round(mean * samples)
        return usage

    def checkpoint_metrics(self, step: int) -> dict[str, Any]:
        """A guess (see the module's text): the event's top-level numbers at that step."""
        metrics: dict[str, Any] = {"step": step, "train_mean_reward": self.curve.train_reward(step)}
        if self.with_valid:
            metrics["full_valid_mean_reward"] = self.curve.valid_reward(step)
            metrics["full_valid_mean_parse_error"] = self.curve.valid_parse_error(step)
        metrics["reasoning_tokens_mean"] = self.curve.reasoning_tokens(step)
        metrics["completion_tokens_mean"] = self.curve.completion_tokens(step)
        return metrics

    def csv_shape(self) -> CsvShape:
        """A guess (see the module's text): the event's numbers, nested names joined with ``/``.

        Rewards and shares are 7 wide (``0.xxxxx``), token means 10 (``xxxx.xxxxx``), error counts
        3 (``n.0``).
        """
        curve = self.curve
        columns: list[tuple[str, int, bool]] = [
            ("train_mean_reward", 7, False),
            ("full_valid_mean_reward", 7, True),
            ("full_valid_mean_parse_error", 7, True),
            ("reasoning_tokens_mean", 10, False),
            ("valid_reasoning_tokens_mean", 10, True),
            ("completion_tokens_mean", 10, False),
            ("mean_unresponsive_rewards", 7, False),
        ]
        for grader in curve.graders:
            stem = f"graders/{grader.name}"
            columns += [
                (f"scores/{stem}/train_reward_mean", 7, False),
                (f"scores/{stem}/valid_reward_mean", 7, True),
                (f"errors/{stem}/train_sample_parse_error_count", 3, False),
                (f"errors/{stem}/train_other_error_count", 3, False),
            ]

        def row(step: int, valid: bool) -> str:
            values = [f"{curve.train_reward(step):.5f}"]
            if valid:
                values += [
                    f"{curve.valid_reward(step):.5f}",
                    f"{curve.valid_parse_error(step):.5f}",
                ]
            else:
                values += ["", ""]
            values.append(f"{curve.reasoning_tokens(step):.5f}")
            values.append(f"{curve.reasoning_tokens(step, valid=True):.5f}" if valid else "")
            values.append(f"{curve.completion_tokens(step):.5f}")
            values.append(f"{curve.unresponsive(step):.5f}")
            for index in range(len(curve.graders)):
                numbers = curve.grader(index, step)
                values.append(f"{numbers.train_reward:.5f}")
                values.append(f"{numbers.valid_reward:.5f}" if valid else "")
                values.append(f"{numbers.parse_errors:.1f}")
                values.append(f"{numbers.other_errors:.1f}")
            return "," + ",".join(values) + "\n"

        return _shape(columns, row)


Method = LossMethod | RewardMethod


def method_for(
    kind: str, seed: int, total_steps: int, hyperparameters: dict[str, Any], grader: Any, *,
    with_valid: bool,
) -> Method:  # fmt: skip
    """The method a job of ``kind`` trains with; ``hyperparameters`` as resolved."""
    if kind != "reinforcement":
        return LossMethod(LossCurve(seed, total_steps, kind), with_valid=with_valid)
    interval = hyperparameters.get("eval_interval")
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        interval = DEFAULT_EVAL_INTERVAL
    curve = RewardCurve(seed, total_steps, graders_of(grader))
    return RewardMethod(curve, with_valid=with_valid, eval_interval=interval)
