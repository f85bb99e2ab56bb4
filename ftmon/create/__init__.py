"""Creating a fine-tuning job, free of any UI: the TUI's form and ``ftmon create`` both use it.

* :mod:`~ftmon.create.request`: the request as typed (:class:`~ftmon.create.request.CreateInput`),
  checked field by field and built into the body that is sent (pure);
* :mod:`~ftmon.create.files`: a local training file checked off the event loop, and the
  uploaded training files listed;
* :mod:`~ftmon.create.flow`: the workflow (check local files, check the grader, upload, build
  the body, create the job) with callbacks for progress and refusals.
"""
