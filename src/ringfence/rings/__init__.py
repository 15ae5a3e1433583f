"""One orchestrator per ring: each gathers its facts once, runs its checks and returns a
typed :class:`~ringfence.rings.report.RingReport` (facts, check run, why not evaluated).
``image_ring`` (rings/image.py), ``host_ring`` (rings/host.py), ``runtime_ring``
(rings/runtime.py) and ``platform_ring`` (rings/platform.py); ``scan_all`` joins them to
the threat model (threats/, pure), and the commands may call them as well.

Import the module you need (``from ringfence.rings.host import host_ring``): each loads
only its own ring."""
