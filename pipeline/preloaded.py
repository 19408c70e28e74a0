"""The last module the forkserver of a local batch run imports (`newswire.pipeline.command`):
importing it freezes the heap the preload built (`gc.freeze`).

Python's documentation advises this before fork(): the worker processes forked from the server
then never walk the long-lived objects they share with it in a collection, so those pages stay
shared rather than copied. It also spares the server's own exit a last collection over Beam and
the job's modules, which kept the run's output open seconds after the run (py-spy: the server's
`gc_collect_main` at exit).
"""

import gc

gc.freeze()
