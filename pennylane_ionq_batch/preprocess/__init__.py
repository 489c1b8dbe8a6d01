"""Preprocessing: what every tape goes through before it is compiled, run once per structure.

- :mod:`.transforms`: the device's PennyLane transforms (validation, measurement rewrites,
  decomposition) and the pipeline that chains them;
- :mod:`.cache`: that pipeline run once per circuit structure, later tapes bound through a
  learned affine map of their parameters;
- :mod:`.bound`: the bound tapes, whose operations are built only when read.

(Nothing is imported here, so that :mod:`..recording` can use :mod:`.bound` without importing
the pipeline, which itself takes part in recordings.)
"""
