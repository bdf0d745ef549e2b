"""UI-free application logic of the desktop app (no Qt here: an import-linter contract checks it).

Everything the app decides that can be tested without a window lives in this package:
``settings`` (the persisted choices), ``backgrounds`` (the backgrounds folder and cycling order),
``menu`` (the tray/menu-bar description built from the current state), ``status`` (tooltip and
overlay text, error throttling), ``autostart`` (start at login, per OS), ``vcam_doctor`` (why video
apps can't see the virtual camera, and the fix: ``vbg doctor`` and the app's dialog),
``vcam_setup`` (the one-click setup through pkexec) and ``syscommands`` (the command-runner seam
they share). The Qt layer in ``vbg.ui`` only turns these descriptions into widgets and calls
back.
"""
