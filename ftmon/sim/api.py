"""Handlers of every operation in the spec, under ``/v1``; they translate HTTP to SimWorld calls."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from ftmon.sim import azure
from ftmon.sim.errors import bad_request, invalid_type, missing_param
from ftmon.sim.graders import check_grader, run_grader
from ftmon.sim.params import Call, choice, endpoint, limit, metadata_filter, page
from ftmon.sim.world import SimWorld

JOB = "/v1/fine_tuning/jobs/{fine_tuning_job_id}"
PERMISSIONS = "/v1/fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions"
CREATED = ("/v1/fine_tuning/jobs", "/v1/files")


class OpenAIApi:
    """The ``/v1`` operations of one world."""

    def __init__(self, world: SimWorld) -> None:
        self.world = world

    # -- fine-tuning jobs ------------------------------------------------------------------

    def list_jobs(self, call: Call) -> Any:
        # Azure's FineTuning_List has no metadata parameter: the azure flavour ignores it.
        azure = self.world.flavor == "azure"
        data, more = self.world.list_jobs(
            after=call.query.get("after"),
            limit=limit(call.query, 20),
            metadata=None if azure else metadata_filter(call.query),
        )
        return page(data, more, ids=False)

    def create_job(self, call: Call) -> Any:
        return self.world.create_job(call.body)

    def get_job(self, call: Call) -> Any:
        return self.world.get_job(call.path["fine_tuning_job_id"])

    def cancel_job(self, call: Call) -> Any:
        return self.world.cancel_job(call.path["fine_tuning_job_id"])

    def pause_job(self, call: Call) -> Any:
        return self.world.pause_job(call.path["fine_tuning_job_id"])

    def resume_job(self, call: Call) -> Any:
        return self.world.resume_job(call.path["fine_tuning_job_id"])

    def delete_job(self, call: Call) -> Any:
        """Azure's FineTuning_Delete: 204 and no body."""
        self.world.delete_job(call.path["fine_tuning_job_id"])
        return Response(status_code=204)

    def list_events(self, call: Call) -> Any:
        data, more = self.world.list_events(
            call.path["fine_tuning_job_id"],
            after=call.query.get("after"),
            limit=limit(call.query, 20),
        )
        return page(data, more, ids=False)

    def list_checkpoints(self, call: Call) -> Any:
        data, more = self.world.list_checkpoints(
            call.path["fine_tuning_job_id"],
            after=call.query.get("after"),
            limit=limit(call.query, 10),
        )
        return page(data, more)

    # -- checkpoint permissions ------------------------------------------------------------

    def list_permissions(self, call: Call) -> Any:
        data, more = self.world.list_permissions(
            call.path["fine_tuned_model_checkpoint"],
            project_id=call.query.get("project_id"),
            after=call.query.get("after"),
            limit=limit(call.query, 10),
            order=choice(call.query, "order", ("ascending", "descending"), "descending"),
        )
        return page(data, more)

    def create_permissions(self, call: Call) -> Any:
        body = call.body
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        for key in body:
            if key != "project_ids":
                raise bad_request(f"Unrecognized request argument supplied: {key}")
        projects = body.get("project_ids")
        if projects is None:
            raise missing_param("project_ids")
        if not isinstance(projects, list) or not all(isinstance(p, str) and p for p in projects):
            raise invalid_type("project_ids", "an array of strings", projects)
        if not projects:
            raise bad_request("'project_ids' must not be empty.", param="project_ids")
        created = self.world.create_permissions(call.path["fine_tuned_model_checkpoint"], projects)
        return page(created, False)

    def delete_permission(self, call: Call) -> Any:
        return self.world.delete_permission(
            call.path["fine_tuned_model_checkpoint"], call.path["permission_id"]
        )

    # -- graders ---------------------------------------------------------------------------

    def run_grader(self, call: Call) -> Any:
        return run_grader(call.body)

    def validate_grader(self, call: Call) -> Any:
        body = call.body if isinstance(call.body, dict) else {}
        return {"grader": check_grader(body.get("grader"))}

    # -- models ----------------------------------------------------------------------------

    def list_models(self, call: Call) -> Any:
        # One page, no cursor: the spec's ListModelsResponse has neither has_more nor after.
        return {"object": "list", "data": self.world.list_models()}

    def get_model(self, call: Call) -> Any:
        return self.world.get_model(call.path["model"])

    def delete_model(self, call: Call) -> Any:
        return self.world.delete_model(call.path["model"])

    # -- files -----------------------------------------------------------------------------

    def list_files(self, call: Call) -> Any:
        data, more = self.world.list_files(
            purpose=call.query.get("purpose"),
            after=call.query.get("after"),
            limit=limit(call.query, 10000),
            order=choice(call.query, "order", ("asc", "desc"), "desc"),
        )
        return page(data, more)

    def upload_file(self, call: Call) -> Any:
        form = call.form or {}
        upload = form.get("file")
        if upload is None or upload.filename is None:
            raise missing_param("file")
        purpose = form.get("purpose")
        if purpose is None:
            raise missing_param("purpose")
        expires = None
        if "expires_after[seconds]" in form or "expires_after[anchor]" in form:
            anchor = form.get("expires_after[anchor]")
            seconds = form.get("expires_after[seconds]")
            if anchor is None or anchor.content != b"created_at":
                raise bad_request(
                    "Invalid 'expires_after.anchor': expected 'created_at'.",
                    param="expires_after.anchor",
                )
            try:
                expires = int(seconds.content) if seconds else None
            except ValueError:
                expires = None
            if expires is None or not 3600 <= expires <= 2592000:
                raise bad_request(
                    "Invalid 'expires_after.seconds': expected an integer from 3600 to 2592000.",
                    param="expires_after.seconds",
                )
        return self.world.upload_file(
            upload.filename,
            purpose.content.decode("utf-8", "replace"),
            upload.content,
            expires_after=expires,
        )

    def get_file(self, call: Call) -> Any:
        return self.world.get_file(call.path["file_id"])

    def delete_file(self, call: Call) -> Any:
        return self.world.delete_file(call.path["file_id"])

    def file_content(self, call: Call) -> Any:
        content = self.world.file_content(call.path["file_id"])
        return Response(content, media_type="application/octet-stream")

    # -- routing ---------------------------------------------------------------------------

    def table(self) -> list[tuple[str, str, Any, str, bool]]:
        """(method, template, handler, body kind, needs an admin key) for every operation."""
        return [
            ("GET", "/v1/files", self.list_files, "none", False),
            ("POST", "/v1/files", self.upload_file, "form", False),
            ("GET", "/v1/files/{file_id}", self.get_file, "none", False),
            ("DELETE", "/v1/files/{file_id}", self.delete_file, "none", False),
            ("GET", "/v1/files/{file_id}/content", self.file_content, "none", False),
            ("POST", "/v1/fine_tuning/alpha/graders/run", self.run_grader, "json", False),
            ("POST", "/v1/fine_tuning/alpha/graders/validate", self.validate_grader, "json", False),
            ("GET", PERMISSIONS, self.list_permissions, "none", True),
            ("POST", PERMISSIONS, self.create_permissions, "json", True),
            ("DELETE", PERMISSIONS + "/{permission_id}", self.delete_permission, "none", True),
            ("GET", "/v1/models", self.list_models, "none", False),
            ("GET", "/v1/models/{model}", self.get_model, "none", False),
            ("DELETE", "/v1/models/{model}", self.delete_model, "none", False),
            ("GET", "/v1/fine_tuning/jobs", self.list_jobs, "none", False),
            ("POST", "/v1/fine_tuning/jobs", self.create_job, "json", False),
            ("GET", JOB, self.get_job, "none", False),
            ("POST", JOB + "/cancel", self.cancel_job, "none", False),
            ("POST", JOB + "/pause", self.pause_job, "none", False),
            ("POST", JOB + "/resume", self.resume_job, "none", False),
            ("GET", JOB + "/checkpoints", self.list_checkpoints, "none", False),
            ("GET", JOB + "/events", self.list_events, "none", False),
        ]

    def azure_table(self) -> list[tuple[str, str, Any, str, bool]]:
        """The operations of Azure's spec: files and jobs (no permissions, no graders, no models:
        the azure flavour does not serve them), and the job delete."""
        kept = [
            row
            for row in self.table()
            if "/permissions" not in row[1]
            and "/alpha/graders/" not in row[1]
            and not row[1].startswith("/v1/models")
        ]
        return [*kept, ("DELETE", JOB, self.delete_job, "none", False)]

    def routes(self) -> list[Route]:
        if self.world.flavor == "azure":
            dated = [
                Route(
                    azure.DATED + template.removeprefix("/v1"),
                    endpoint(
                        handler,
                        body,
                        # Azure answers a created job or file with 201 (FineTuning_Create,
                        # Files_Upload in its spec).
                        status=201 if method == "POST" and template in CREATED else 200,
                        view=azure.view,
                        errors=azure.error_response,
                    ),
                    methods=[method],
                    name=f"{method} dated {template}",
                )
                for method, template, handler, body, _ in self.azure_table()
            ]
            v1 = [
                Route(
                    template,
                    endpoint(handler, body, errors=azure.error_response),
                    methods=[method],
                    name=f"{method} {template}",
                )
                for method, template, handler, body, _ in self.azure_table()
            ]
            return [*dated, *v1]
        return [
            Route(template, endpoint(handler, body), methods=[method], name=f"{method} {template}")
            for method, template, handler, body, _ in self.table()
        ]
