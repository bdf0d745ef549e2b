"""Why video apps can't see vbg's virtual camera, and the fix: ``findings`` (result types),
``probe`` (what is read from the machine), ``doctor`` (the v4l2loopback / OBS checks and
:func:`~vbg.app.vcam.doctor.diagnose`), ``pipewire`` (the PipeWire camera's checks), ``setup``
(the one-click pkexec setup). ``vbg doctor`` (vbg.cli.doctor) and the app's virtual-camera
dialog show the same diagnosis."""
