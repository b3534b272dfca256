"""The packaged app carries its CJK font in resources/fonts/ (build.spec): on a machine with no Chinese font the
counter app uses it, so its Chinese text is not drawn as boxes. A real process with a font configuration that
sees only a Latin font, since Qt reads the system's fonts once per process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

WQY = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
LATIN_DIR = Path("/usr/share/fonts/truetype/dejavu")

SCRIPT = r"""
import sys
from pathlib import Path
from PySide6.QtGui import QFontDatabase, QFontMetrics
from PySide6.QtWidgets import QApplication
from pos_app.ui import common

common.FONTS_DIR = Path(sys.argv[1])
app = QApplication(sys.argv[:1])
cjk_before = sorted(set(QFontDatabase.families()).intersection(common.CJK_FAMILIES))
common.apply_style(app)
print("before=" + ",".join(cjk_before))
print("family=" + app.font().family())
print("has_chinese=" + str(QFontMetrics(app.font()).inFont("员")))
"""


@pytest.mark.skipif(not WQY.is_file() or not LATIN_DIR.is_dir(), reason="needs fonts-wqy-zenhei and fonts-dejavu")
def test_bundled_font_used_when_the_machine_has_no_chinese_font(tmp_path: Path) -> None:
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    (fonts / WQY.name).symlink_to(WQY)
    (tmp_path / "fonts.conf").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><dir>{LATIN_DIR}</dir><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    env = dict(os.environ, FONTCONFIG_FILE=str(tmp_path / "fonts.conf"), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(fonts)], env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    lines = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    assert lines["before"] == ""  # the process really sees no Chinese font of its own
    assert lines["family"] == "WenQuanYi Zen Hei"
    assert lines["has_chinese"] == "True"
