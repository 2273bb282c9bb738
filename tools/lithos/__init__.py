"""lithos: config models and validators, generators for the tutorial, a wrapper
around the real ``lithos_check``, and the systemd unit of ``lithos_tree``.

Modules: :mod:`tools.lithos.config`, :mod:`tools.lithos.generate`,
:mod:`tools.lithos.check`, :mod:`tools.lithos.systemd`.
"""
