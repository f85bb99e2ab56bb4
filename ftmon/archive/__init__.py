"""Keep the record: archive every job as the API sent it, and read an archive back as the API.

``writer`` brings an archive up to date (``ftmon archive DIR``, whose command is ``command``);
``source`` serves an archive to the client as the API would, read-only, so every reader (the
engine, the TUI, the headless commands, the export) works on it unchanged; ``verify`` checks an
archive against its manifest. See ``layout`` for what lies where.
"""
