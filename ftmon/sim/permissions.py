"""Checkpoint permissions: which projects may use a fine-tuned checkpoint or model."""

from __future__ import annotations

import builtins
from typing import Any

from ftmon.sim.errors import bad_request, not_found
from ftmon.sim.ids import token


class PermissionStore:
    """Permissions per model name (``ft:...`` or ``ft:...:ckpt-step-N``), oldest first."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._by_model: dict[str, list[dict[str, Any]]] = {}
        self._counter = 0

    def list(
        self,
        model: str,
        *,
        project_id: str | None = None,
        after: str | None = None,
        limit: int = 10,
        order: str = "descending",
    ) -> tuple[list[dict[str, Any]], bool]:
        items = [
            p
            for p in self._by_model.get(model, [])
            if not project_id or p["project_id"] == project_id
        ]
        if order == "descending":
            items.reverse()
        if after is not None:
            ids = [p["id"] for p in items]
            if after not in ids:
                raise bad_request(f"No such permission: {after}", param="after")
            items = items[ids.index(after) + 1 :]
        return [dict(p) for p in items[:limit]], len(items) > limit

    def create(
        self, model: str, project_ids: builtins.list[str], now: float
    ) -> builtins.list[dict[str, Any]]:
        existing = {p["project_id"] for p in self._by_model.get(model, [])}
        for project in project_ids:
            if project in existing:
                raise bad_request(
                    f"Project {project} already has access to {model}.", param="project_ids"
                )
        if len(set(project_ids)) != len(project_ids):
            raise bad_request("project_ids contains duplicates.", param="project_ids")
        created = []
        for project in project_ids:
            self._counter += 1
            permission = {
                "object": "checkpoint.permission",
                "id": "cp_" + token(self._seed, "permission", self._counter),
                "created_at": int(now),
                "project_id": project,
            }
            self._by_model.setdefault(model, []).append(permission)
            created.append(dict(permission))
        return created

    def delete(self, model: str, permission_id: str) -> dict[str, Any]:
        items = self._by_model.get(model, [])
        for index, permission in enumerate(items):
            if permission["id"] == permission_id:
                del items[index]
                return {"object": "checkpoint.permission", "id": permission_id, "deleted": True}
        raise not_found(
            f"No permission found with id '{permission_id}' for {model}.", param="permission_id"
        )
