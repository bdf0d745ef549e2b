"""The tray menu / menu bar description, checked without Qt (vorta's prepare() idea)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vbg.app import backgrounds as bgs
from vbg.app import menu as m
from vbg.app.backgrounds import BackgroundFile, color_specs
from vbg.app.menu import Action, MenuState, find, prepare, prepare_menubar

CAM0 = m.CameraChoice("0", "Camera 0 (HD Webcam)", ((640, 480), (1280, 720)))
DEMO = m.CameraChoice("demo", "Demo picture (no camera)", m.DEMO_SIZES)
MODELS = (m.ModelChoice("selfie_general", "MediaPipe general", True),
          m.ModelChoice("selfie_landscape", "MediaPipe landscape", True),
          m.ModelChoice("mine", "mine", False))


def state(**kw: object) -> MenuState:
    base = dict(cameras=(CAM0, DEMO), source="0", size=(1280, 720), models=MODELS,
                backgrounds=(BackgroundFile(Path("/bg/beach.jpg"), "image"),
                             BackgroundFile(Path("/bg/rain.mp4"), "video")))
    base.update(kw)
    return MenuState(**base)  # type: ignore[arg-type]


def texts(items: tuple[m.MenuItem, ...]) -> list[str]:
    return [i.text for i in items if not i.separator]


def test_tray_menu_top_level() -> None:
    items = prepare(state(status_line="camera 0 · 30 fps"))
    assert texts(items) == ["camera 0 · 30 fps", "On", "Pause (show background only)",
                            "Background", "Camera", "Model", "Mirror", "Auto-framing",
                            "Low-light correction",
                            "Show preview",
                            "Cut out a photo or video…", "Settings…",
                            "Virtual camera off — set up…", "Quit"]
    assert not items[0].enabled  # the status caption


def test_on_off_and_pause_actions_flip_the_state() -> None:
    on = find(prepare(state(running=True)), "On")
    assert on.checked and on.action == Action(m.RUNNING, False)
    off = find(prepare(state(running=False)), "On")
    assert not off.checked and off.action == Action(m.RUNNING, True)
    assert not find(prepare(state(running=False)), "Pause (show background only)").enabled
    paused = find(prepare(state(paused=True)), "Pause (show background only)")
    assert paused.checked and paused.action == Action(m.PAUSE, False)


def test_background_menu_lists_presets_palette_files_and_tools() -> None:
    bg = find(prepare(state(background="blur:10")), "Background")
    names = texts(bg.children)
    assert names[:3] == ["None (camera as is)", "Blur (light)", "Blur (strong)"]
    assert "Sage green" in names and "Beach" in names and "Rain" in names
    assert names[-2:] == ["Add image or video…", "Open backgrounds folder"]
    checked = [i.text for i in bg.children if i.checked]
    assert checked == ["Blur (strong)"]
    beach = find(bg.children, "Beach")
    assert beach.icon == "thumb:/bg/beach.jpg"
    assert beach.action == Action(m.BACKGROUND, "image:/bg/beach.jpg")
    colors = [i for i in bg.children if i.icon and i.icon.startswith("swatch:")]
    assert [i.action.arg for i in colors if i.action] == color_specs()


def test_current_background_outside_the_folder_is_shown_checked() -> None:
    bg = find(prepare(state(background="image:/elsewhere/office.png")), "Background")
    office = find(bg.children, "Office")
    assert office.checked and office.action == Action(m.BACKGROUND, "image:/elsewhere/office.png")
    assert sum(i.checked for i in bg.children) == 1


def test_blur_default_spelling_ticks_the_light_preset() -> None:
    bg = find(prepare(state(background="blur")), "Background")
    assert [i.text for i in bg.children if i.checked] == ["Blur (light)"]


def test_camera_menu_has_each_camera_with_its_sizes() -> None:
    cam = find(prepare(state()), "Camera")
    assert texts(cam.children) == ["Camera 0 (HD Webcam)", "Demo picture (no camera)"]
    c0 = cam.children[0]
    assert c0.checked  # the camera in use
    assert texts(c0.children) == ["640 × 480", "1280 × 720"]
    assert [s.checked for s in c0.children] == [False, True]
    assert c0.children[0].action == Action(m.CAMERA, ("0", 640, 480))
    demo = cam.children[1]
    assert not demo.checked and not any(s.checked for s in demo.children)


def test_camera_menu_without_cameras_says_so_and_offers_the_demo() -> None:
    cam = find(prepare(state(cameras=(DEMO,), source="demo", size=(960, 540))), "Camera")
    assert texts(cam.children) == ["No camera found", "Demo picture (no camera)"]
    assert not cam.children[0].enabled
    sizes = cam.children[1].children
    assert "960 × 540" in texts(sizes)  # the size in use is always offered
    assert [s.text for s in sizes if s.checked] == ["960 × 540"]


def test_unknown_source_is_listed() -> None:
    cam = find(prepare(state(source="/videos/me.mp4")), "Camera")
    assert "Source /videos/me.mp4" in texts(cam.children)


def test_model_menu_groups_builtin_and_user_models() -> None:
    model = find(prepare(state(model="selfie_landscape")), "Model")
    assert texts(model.children) == ["Built-in", "MediaPipe general", "MediaPipe landscape",
                                     "Your models", "mine", "Open models folder"]
    assert [i.text for i in model.children if i.checked] == ["MediaPipe landscape"]


def test_model_menu_adds_the_key_only_to_tell_equal_names_apart() -> None:
    models = (m.ModelChoice("selfie_general", "Selfie", True),
              m.ModelChoice("selfie_copy", "Selfie", False), m.ModelChoice("mine", "Mine", False))
    model = find(prepare(state(models=models)), "Model")
    assert texts(model.children) == ["Built-in", "Selfie — selfie_general", "Your models",
                                     "Selfie — selfie_copy", "Mine", "Open models folder"]


def test_model_given_as_a_path_is_listed_checked() -> None:
    model = find(prepare(state(model="/x/custom.onnx", models=())), "Model")
    assert model.children[0].text == "custom.onnx" and model.children[0].checked


def test_vcam_help_entry_only_while_the_virtual_camera_is_off() -> None:
    assert "Virtual camera off — set up…" not in texts(prepare(state(vcam_on=True)))
    assert "Virtual camera off — set up…" in texts(prepare(state(vcam_on=False)))


def test_preview_and_mirror_toggle() -> None:
    items = prepare(state(preview_visible=True, mirror=True))
    assert find(items, "Show preview").action == Action(m.PREVIEW, False)
    assert find(items, "Mirror").action == Action(m.MIRROR, False)


def test_auto_framing_toggles_in_the_tray_and_the_view_menu() -> None:
    for framing in (False, True):
        tray = find(prepare(state(framing=framing)), "Auto-framing")
        view = find(prepare_menubar(state(framing=framing)), "View", "Auto-framing")
        for item in (tray, view):
            assert item.checkable and item.checked is framing
            assert item.action == Action(m.FRAMING, not framing)
            assert item.icon == "icon:framing"
        assert tray.shortcut is None and view.shortcut == "A"


def test_menubar_carries_the_same_controls_plus_view_options() -> None:
    bar = prepare_menubar(state(mask_view=True, fps_overlay=False))
    assert [i.text.replace("&", "") for i in bar] == ["vbg", "Background", "Camera", "Model",
                                                      "View"]
    keys = ["Next background", "Previous background", "Next colour"]
    in_bar = texts(find(bar, "Background").children)
    assert [t for t in in_bar if t not in keys] == texts(
        find(prepare(state()), "Background").children)
    view = find(bar, "View")
    assert find(view.children, "Mask view").action == Action(m.MASK_VIEW, False)
    assert find(view.children, "FPS overlay").action == Action(m.FPS_OVERLAY, True)
    app = texts(find(bar, "vbg").children)
    assert {"On", "Settings…", "Cut out a photo or video…", "Quit"} <= set(app)


def test_camera_choices_end_with_the_demo() -> None:
    cams = m.camera_choices([(0, "Camera 0 via V4L2", ((640, 480),)), (2, "C920", ())])
    assert [c.source for c in cams] == ["0", "2", "demo"]
    assert cams[1].label == "C920 (camera 2)" and cams[1].sizes == m.DEMO_SIZES


def test_find_raises_for_a_missing_path() -> None:
    with pytest.raises(KeyError):
        find(prepare(state()), "Background", "Plaid")


def _all(items: tuple[m.MenuItem, ...]) -> list[m.MenuItem]:
    return [x for i in items for x in (i, *_all(i.children))]


def test_tray_menu_shows_no_keys_the_menubar_does() -> None:
    # A tray menu never has the keyboard focus: a key hint there would do nothing.
    assert [i.text for i in _all(prepare(state())) if i.shortcut] == []
    bar = prepare_menubar(state())
    assert find(bar, "vbg", "Pause (show background only)").shortcut == "Space"
    assert find(bar, "View", "Mirror").shortcut == "M"
    assert find(bar, "vbg", "Quit").shortcut == "Ctrl+Q"


def test_the_background_menu_shows_the_b_n_p_keys() -> None:
    # Issue 22, 10: the other menus showed their keys, the Background menu did not.
    st = state(background="color:#3C825A")  # sage green, the 8th of the picker's order
    menu = find(prepare_menubar(st), "Background").children
    hinted = {i.text: i for i in menu if i.shortcut}
    assert {t: i.shortcut for t, i in hinted.items()} == {
        "Next background": "N", "Previous background": "P", "Next colour": "B"}
    # Each does what its key does in the window (vbg.ui.window's shortcuts).
    order = bgs.choices(st.backgrounds)
    assert hinted["Next background"].action == Action(m.BACKGROUND, bgs.step(st.background,
                                                                              order, 1))
    assert hinted["Previous background"].action == Action(m.BACKGROUND, bgs.step(
        st.background, order, -1))
    assert hinted["Next colour"].action == Action(m.BACKGROUND, bgs.next_color(st.background))
    assert hinted["Next colour"].action.arg != st.background
    assert not any(i.checkable for i in hinted.values())
    # Not in the tray's Background menu: a tray menu has no keyboard.
    assert not any(i.shortcut for i in find(prepare(st), "Background").children)


def test_the_fps_overlay_is_off_in_a_fresh_state() -> None:
    view = find(prepare_menubar(MenuState()), "View")
    item = find(view.children, "FPS overlay")
    assert not item.checked and item.action == Action(m.FPS_OVERLAY, True)


def test_low_light_correction_toggles_in_the_tray_and_the_view_menu() -> None:
    for light in (False, True):
        tray = find(prepare(state(light=light)), "Low-light correction")
        view = find(prepare_menubar(state(light=light)), "View", "Low-light correction")
        for item in (tray, view):
            assert item.checkable and item.checked is light
            assert item.action == Action(m.LIGHT, not light)
            assert item.shortcut is None
