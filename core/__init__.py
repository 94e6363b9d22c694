"""Sprout's kernel, the ground floor every app stands on.

What every app needs and no domain owns: the error base and its HTTP and
websocket mapping (``errors``, ``http_errors``), request limits and parsers
(``middleware``, ``parsers``), API helpers and cursor pagination (``api``,
``pagination``), HTML view helpers and forms (``views``, ``forms``), admin
mixins (``admin``), the one image pipeline (``images``), money formatting
(``money``), a command's progress bar (``progress``, ``commands``), health
probes and Prometheus metrics (``health``, ``metrics``) and the extension
registry through which a lower app is extended by higher ones
(``extensions``). It imports no app of Sprout's; every app imports it.
"""
