"""UI-free application logic of the desktop app (no Qt here: an import-linter contract checks it).

Everything the app decides that can be tested without a window lives in this package:
``session`` (the policy: start with fall-backs, change and roll back, error routing, around the
pipeline), ``settings`` (the persisted choices), ``backgrounds`` (the backgrounds folder and
cycling order), ``menu`` (the tray/menu-bar description built from the current state),
``status`` (tooltip and overlay text, message throttling), ``messages`` (the log behind
View → Messages…), ``autostart`` (start at login, per OS), ``vcam`` (why video apps
can't see the virtual camera, and the fix: ``vbg doctor`` and the app's dialog; its ``setup``:
the one-click setup through pkexec) and ``syscommands`` (the command-runner seam they share).
The Qt layer in ``vbg.ui`` turns these into widgets, timers and signals, and calls back.
"""
