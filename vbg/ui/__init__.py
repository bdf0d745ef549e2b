"""The desktop app (the only PySide6 code): tray, preview window, dialogs, and the bridge that
brings the pipeline's worker-thread callbacks onto the Qt thread. Entry point:
:func:`vbg.ui.app.run_app`."""

from vbg.ui.compat import immortalize_singletons

# Before any widget exists: PySide6 6.12 on Python 3.11 would otherwise abort the process
# after a few thousand Qt calls (see vbg.ui.compat).
immortalize_singletons()
