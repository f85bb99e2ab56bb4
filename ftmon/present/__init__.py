"""How ftmon shows a job, the same on the screen and in a script: no Textual here.

The TUI's widgets and the headless renderers both take their text and numbers from these
modules, so ``ftmon jobs``, ``show`` or an export never disagree with what the screen shows:

* :mod:`~ftmon.present.fields`: a job's status, progress, title and fields in plain words, and
  its checkpoints as rows;
* :mod:`~ftmon.present.columns`: columns sharing a width, and the one fitter that decides which
  are left out, which give way and which grow (the job list, every headless table);
* :mod:`~ftmon.present.rows`: a job as one row of the job list, and that row as ``Text``;
* :mod:`~ftmon.present.plot`: a metric series as drawable points, cleaned and downsampled;
* :mod:`~ftmon.present.svg`: the loss chart as a self-contained SVG (exports).
* :mod:`~ftmon.present.models`: the fine-tuned models joined with their jobs and checkpoints,
  the job-unknown and model-gone marks, read and worded once (``ftmon models``, the TUI's
  models view).

Rich ``Text`` and styles are used; nothing imports Textual, the TUI or the headless commands.
"""
