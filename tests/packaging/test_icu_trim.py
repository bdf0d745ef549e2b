"""The trimmed ICU data of the Linux bundle (packaging/icu_trim.py): Qt answers the same with it
as with PySide6's full 32 MB library (sorting in several languages, word breaks, upper case,
time-zone names, IDNA, text layout), except the legacy character sets it leaves out."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import icu_trim
import pytest

pytestmark = [
    pytest.mark.packaging,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux bundles only"),
]

PROBE = textwrap.dedent("""
    import json, os
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import (QCollator, QLocale, QTextBoundaryFinder, QTimeZone, QUrl,
                                QStringDecoder)
    from PySide6.QtGui import QFont, QTextLayout
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    out = {}
    words = ["zebra", "Äpfel", "apple", "Zürich", "éclair", "10 files", "9 files", "straße"]
    for loc in ("en_US", "de_DE", "sv_SE", "ja_JP"):
        c = QCollator(QLocale(loc))
        c.setNumericMode(True)
        out["sorted " + loc] = sorted(words, key=c.sortKey)
    out["upper tr"] = QLocale("tr_TR").toUpper("istanbul")
    f = QTextBoundaryFinder(QTextBoundaryFinder.Word, "Hello world, 東京は晴れ")
    out["word breaks"] = [p for p in iter(f.toNextBoundary, -1)]
    out["zone name"] = QTimeZone(b"Europe/Berlin").displayName(
        QTimeZone.StandardTime, QTimeZone.LongName, QLocale("en_US"))
    out["idna"] = QUrl("http://bücher.example/").toEncoded().data().decode()
    layout = QTextLayout("مرحبا Hello 東京", QFont())
    layout.beginLayout(); line = layout.createLine(); line.setLineWidth(1000); layout.endLayout()
    out["layout width"] = round(line.naturalTextWidth())
    out["windows-1252 decoder"] = QStringDecoder("windows-1252").isValid()
    maps = open("/proc/self/maps").read().splitlines()
    out["icudata"] = sorted({l.split()[-1] for l in maps if "libicudata" in l})
    print(json.dumps(out, ensure_ascii=False))
""")


def _probe(preload: Path | None) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    if preload:
        env["LD_PRELOAD"] = str(preload)
    r = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Could not create collator" not in r.stderr, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def trimmed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    pyside = pytest.importorskip("PySide6")
    full = next(iter(sorted((Path(pyside.__file__).parent / "Qt" / "lib").glob(
        "libicudata.so.*"))), None)
    if full is None:
        pytest.skip("this PySide6 brings no ICU data library")
    if not (shutil.which("icupkg") and shutil.which("genccode")):
        pytest.skip("icupkg/genccode missing (apt-get install icu-devtools): build.sh keeps "
                    "the full ICU data and misses the size goal")
    return full, icu_trim.build_trimmed(full, tmp_path_factory.mktemp("icu"))


def test_trimmed_icu_data_is_a_third_of_the_size(trimmed: tuple[Path, Path]) -> None:
    full, small = trimmed
    assert small.name == full.name
    assert small.stat().st_size < full.stat().st_size / 2.5, (full.stat().st_size,
                                                              small.stat().st_size)


def test_qt_answers_the_same_with_the_trimmed_data(trimmed: tuple[Path, Path]) -> None:
    full, small = trimmed
    reference, trimmed_run = _probe(None), _probe(small)
    assert trimmed_run.pop("icudata") == [str(small)]
    assert reference.pop("icudata") == [str(full.resolve())]
    # Sanity of the reference itself: a real collator, not code-point order.
    assert reference["sorted de_DE"][:3] == ["9 files", "10 files", "Äpfel"]
    assert reference["sorted sv_SE"][-1] == "Äpfel"  # Swedish sorts Ä after Z
    assert trimmed_run.pop("windows-1252 decoder") is False  # the converters that went
    reference.pop("windows-1252 decoder")
    assert trimmed_run == reference


def test_what_goes_and_what_stays() -> None:
    for item in ("ibm-943_P15A-2003.cnv", "de.res", "zone/fr_CA.res", "lang/ja.res",
                 "translit/el.res", "curr/zh_Hant.res", "de_.res"):
        assert icu_trim.drop_item(item), item
    for item in ("root.res", "pool.res", "res_index.res", "en.res", "en_GB.res", "cnvalias.icu",
                 "uts46.nrm", "coll/de.res", "coll/ucadata.icu", "brkitr/cjdict.dict",
                 "zone/root.res", "zoneinfo64.res", "supplementalData.res", "metaZones.res"):
        assert not icu_trim.drop_item(item), item
