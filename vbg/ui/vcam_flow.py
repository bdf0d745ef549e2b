"""The virtual-camera help flow: the dialog, its diagnosis and the one-click setup.

:class:`VcamFlow` reacts to the controller's ``vcam_problem`` / ``vcam_ok`` and to the dialog's
buttons; the shell only opens it (the status bar's pill, the tray menu) and closes
:attr:`VcamFlow.dialog` on quit. Contracts: nothing pops up by itself (a missing virtual camera
is said once per run, through ``notify``); the dialog is created on first use and reused; the
diagnosis and setup run on :class:`~vbg.ui.vcam_dialog.DoctorRunner`'s worker thread, one at a
time, so a click while one runs does nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from vbg.app.messages import Level
from vbg.app.vcam import doctor as vcam_doctor
from vbg.app.vcam import setup as vcam_setup
from vbg.ui.controller import AppController
from vbg.ui.vcam_dialog import DoctorRunner, VcamDialog

CHECKING = "Checking the virtual camera…"


class VcamFlow(QObject):
    """See the module docstring.

    ``window``: the dialog's parent while it is shown (else the dialog stands alone, e.g. when
    opened from the tray). ``notify(text, level)``: how a sentence reaches the user (the shell's
    status bar / tray). ``diagnose(load_error)`` / ``setup(diagnosis)``: seams for tests (default:
    :mod:`vbg.app.vcam.doctor` and :mod:`vbg.app.vcam.setup` on this machine).
    """

    def __init__(self, controller: AppController, window: QWidget,
                 notify: Callable[[str, Level], object],
                 diagnose: Callable[[str], vcam_doctor.Diagnosis] | None = None,
                 setup: Callable[[vcam_doctor.Diagnosis], vcam_setup.SetupOutcome] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._window = window
        self._notify = notify
        self.dialog: VcamDialog | None = None
        self.doctor = DoctorRunner(
            diagnose or (lambda err: vcam_doctor.diagnose(load_error=err)),
            setup or vcam_setup.run_setup, self)
        self.doctor.diagnosed.connect(self._vcam_diagnosed)
        self.doctor.setup_finished.connect(self._vcam_setup_finished)
        self._vcam_off_told = False
        # What the last setup said went wrong: the next diagnosis explains it.
        self._load_error = ""
        self.last_vcam_help: str | None = None
        controller.vcam_problem.connect(self._vcam_off)
        controller.vcam_ok.connect(self._vcam_ok)

    def show_vcam_help(self, text: str | None = None) -> VcamDialog:
        """Open the virtual-camera dialog (the pill in the status bar, the tray menu) and run
        the diagnosis. ``text``: what vbg's last attempt said (None: keep the last one)."""
        if text is not None:
            self.last_vcam_help = text
        if self.dialog is None:
            self.dialog = VcamDialog(self._window if self._window.isVisible() else None)
            self.dialog.check_requested.connect(self.check_vcam_again)
            self.dialog.setup_requested.connect(self.set_up_vcam)
        self.dialog.set_app_error(self.last_vcam_help
                                  if self.controller.session.vcam_device is None else None)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        self._check()
        return self.dialog

    def check_vcam_again(self) -> None:
        """The dialog's "Check again": open the virtual camera again (a success closes the
        dialog) and, if that fails, show the new diagnosis."""
        if self.controller.session.vcam_device is None and self.controller.retry_vcam():
            return
        self._check()

    def _check(self) -> None:
        """Run the diagnosis for the open dialog (it says it is checking), unless one runs."""
        if self.dialog is not None and self.doctor.check(self._load_error):
            self.dialog.set_busy(CHECKING)

    def set_up_vcam(self) -> None:
        dialog = self.dialog
        d = dialog.diagnosis if dialog is not None else None
        if dialog is not None and d is not None and self.doctor.set_up(d):
            dialog.set_busy("Setting up — type your password in the prompt…")

    def _vcam_diagnosed(self, d: vcam_doctor.Diagnosis) -> None:
        if self.dialog is not None:
            self.dialog.set_diagnosis(d)

    def _vcam_setup_finished(self, outcome: vcam_setup.SetupOutcome) -> None:
        self._load_error = "" if outcome.ok else outcome.message
        if self.dialog is not None:
            self.dialog.set_outcome(outcome)
        if outcome.ok and self.controller.retry_vcam():
            return  # vcam_ok closes the dialog and says which camera to pick
        self._check()

    def _vcam_off(self, text: str) -> None:
        """No virtual camera (at launch, on a retry, or mid-stream): the preview carries on;
        the pill says "Virtual camera off — set up". Said once per run, never as a popup."""
        self.last_vcam_help = text
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.set_app_error(text)
            self._check()
            return
        if not self._vcam_off_told:
            self._vcam_off_told = True
            where = ("click “Virtual camera off — set up” at the right"
                     if self._window.isVisible() else "choose “Virtual camera off — set up…” "
                     "in vbg's tray menu")
            self._notify(f"Video apps can't see vbg yet: {where}.", "warning")

    def _vcam_ok(self, device: str) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.accept()
            self._notify(f"Virtual camera on: pick “{device}” in your video app.", "info")
