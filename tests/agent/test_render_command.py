"""`recoup render` on real ESC/POS files, the picture of the paper, and where its CJK font comes from."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from agent.cli import main
from simulator.printer.document import CUT_MARK, Align, Cut, Document, Graphic, Line, Span, Style
from simulator.printer.picture import ENV, FALLBACK_FONTS, Fonts, draw, find_fonts
from tests.simulator.printer.helpers import FIXTURES, fixture

ROOT = Path(__file__).resolve().parents[2]
MONO = next((path for path in FALLBACK_FONTS if path.is_file()), None)
needs_a_font = pytest.mark.skipif(MONO is None, reason="DejaVu Sans Mono stands in for a CJK font here")


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv(ENV, raising=False)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["render", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_render_prints_a_real_receipt_with_its_cut(capsys):
    fixture("escpos-php-receipt-with-logo.bin")
    code, out, err = run(capsys, str(FIXTURES / "escpos-php-receipt-with-logo.bin"))
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert "[image]" in lines[0] and "ExampleMart Ltd." in out and "Total" in out
    assert lines[-1] == CUT_MARK[False]


def test_render_draws_the_paper_at_the_width_of_its_columns(tmp_path, capsys):
    fixture("escpos-php-demo.bin")
    for columns, dots in (("48", 576), ("32", 384)):
        png = tmp_path / f"demo-{columns}.png"
        code, out, err = run(capsys, str(FIXTURES / "escpos-php-demo.bin"), "--png", str(png), "--columns", columns)
        assert code == 0 and CUT_MARK[False] in out
        assert err == f"recoup render: {find_fonts().describe()}\n"
        with Image.open(png) as picture:
            assert picture.format == "PNG" and picture.width == dots and picture.height > 1000


@needs_a_font
def test_render_says_which_font_it_drew_with(tmp_path, capsys):
    font = tmp_path / "stand-in.ttf"
    shutil.copy(MONO, font)
    png = tmp_path / "receipt.png"
    chinese = b"\x1c&" + "消费 SALE\n".encode("gb18030") + b"\x1dV\x00"
    (tmp_path / "receipt.bin").write_bytes(chinese)
    code, out, err = run(capsys, str(tmp_path / "receipt.bin"), "--png", str(png), "--font", str(font))
    assert (code, out) == (0, f"消费 SALE\n{CUT_MARK[False]}\n")
    assert err == f"recoup render: drawing with {font} (from --font)\n"
    with Image.open(png) as picture:
        assert picture.width == 576


def test_without_a_cjk_font_it_says_chinese_will_show_as_boxes():
    fonts = find_fonts(environ={}, candidates=(), fc_match=None)
    assert not fonts.cjk and fonts.source == "fallback"
    assert "no CJK font found" in fonts.describe() and "Chinese characters will show as boxes" in fonts.describe()
    assert fonts.describe().endswith(str(MONO) if MONO else "Pillow's default font")


def test_missing_or_unreadable_input_is_one_line_naming_the_file(tmp_path, capsys):
    missing = tmp_path / "nope.bin"
    assert run(capsys, str(missing)) == (2, "", f"recoup render: cannot read {missing}: No such file or directory\n")
    code, out, err = run(capsys, str(tmp_path))
    assert (code, out) == (2, "") and err.startswith(f"recoup render: cannot read {tmp_path}: ")
    assert err.count("\n") == 1


def test_bytes_the_printer_cannot_use_are_counted_on_stderr(tmp_path, capsys):
    (tmp_path / "noisy.bin").write_bytes(b"\x01\x02hello\n")
    assert run(capsys, str(tmp_path / "noisy.bin")) == (
        0, "hello\n", "recoup render: 2 byte(s) meant nothing to the printer and were dropped\n")


def test_a_font_that_is_missing_or_not_a_font_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "r.bin").write_bytes(b"hello\n")
    missing = tmp_path / "none.ttf"
    code, _, err = run(capsys, str(tmp_path / "r.bin"), "--png", str(tmp_path / "r.png"), "--font", str(missing))
    assert (code, err) == (2, f"recoup render: font {missing} (from --font) not found\n")
    text = tmp_path / "text.ttf"
    text.write_text("not a font")
    code, _, err = run(capsys, str(tmp_path / "r.bin"), "--png", str(tmp_path / "r.png"), "--font", str(text))
    assert code == 2 and err.splitlines()[-1].startswith(f"recoup render: cannot read font {text}")
    assert not (tmp_path / "r.png").exists()


def test_an_unwritable_png_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "r.bin").write_bytes(b"hello\n")
    out = tmp_path / "no-such-folder" / "r.png"
    code, _, err = run(capsys, str(tmp_path / "r.bin"), "--png", str(out))
    assert code == 2 and err.splitlines()[-1].startswith(f"recoup render: cannot write {out}")


@needs_a_font
def test_the_font_search_order_is_flag_environment_common_paths_then_fc_match(tmp_path):
    flag, env, common, matched = (tmp_path / f"{name}.ttf" for name in ("flag", "env", "common", "matched"))
    for path in (flag, env, common, matched):
        shutil.copy(MONO, path)
    shutil.copy(MONO, tmp_path / "common-Bold.ttf")
    missing = tmp_path / "missing.ttc"
    environ = {ENV: str(env)}
    assert find_fonts(flag, environ=environ, candidates=[missing, common]) == Fonts(flag, None, True, "--font")
    assert find_fonts(environ=environ, candidates=[missing, common]) == Fonts(env, None, True, ENV)
    assert find_fonts(environ={}, candidates=[missing, common]) == Fonts(
        common, tmp_path / "common-Bold.ttf", True, "a common path")
    if os.name == "posix":
        assert find_fonts(environ={}, candidates=[missing], fc_match=str(fake_fc_match(tmp_path, "en|zh-cn", matched))
                          ) == Fonts(matched, None, True, "fc-match")
        not_chinese = fake_fc_match(tmp_path, "en|fr", matched)
        assert find_fonts(environ={}, candidates=[], fallbacks=[missing, common], fc_match=str(not_chinese)) == Fonts(
            common, tmp_path / "common-Bold.ttf", False, "fallback")


def fake_fc_match(folder: Path, languages: str, font: Path) -> Path:
    """fontconfig's answer, as `fc-match -f '%{lang}\\n%{file}' :lang=zh` gives it."""
    script = folder / f"fc-match-{languages.replace('|', '-')}"
    script.write_text(f"#!/bin/sh\nprintf '%s\\n%s' '{languages}' '{font}'\n")
    script.chmod(0o755)
    return script


def test_a_font_named_in_the_environment_must_exist(tmp_path):
    from simulator.printer.picture import FontError

    with pytest.raises(FontError, match=f"font {tmp_path / 'gone.ttf'} \\(from {ENV}\\) not found"):
        find_fonts(environ={ENV: str(tmp_path / "gone.ttf")})


def test_the_picture_draws_styles_codes_and_cuts_even_with_pillows_own_font():
    bold = Style(bold=True, width=2, height=2)
    document = Document([
        Line((Span("SHOP", bold),), Align.CENTER),
        Line((Span(" PAID ", Style(inverted=True)), Span(" 12.50", Style(underline=2))), Align.RIGHT),
        Line((Graphic("qr", "https://example.com/r/1"),)),
        Line((Graphic("barcode", "4006381333931", "EAN13"),), Align.CENTER),
        Line((Graphic("image"),)),
        Cut(partial=True),
        Line(()),
        Cut(partial=False),
    ])
    for fonts in (Fonts(None, None, False, "fallback"), *([Fonts(MONO, None, False, "fallback")] if MONO else [])):
        picture = draw(document, 32, fonts)
        assert picture.width == 384
        top = 12
        heading = picture.crop((0, top, 384, top + 48))
        assert heading.getbbox() is not None  # something dark was drawn: the double-size heading
        left, _, right, _ = Image.eval(heading, lambda value: 255 - value).getbbox()
        assert left > 100 and right < 284  # centred
        inverted = picture.crop((384 - 12 * 12, top + 54, 384 - 12 * 6, top + 54 + 24))
        assert ImageStat.Stat(inverted).mean[0] < 128  # mostly black
        last_cut_row = picture.crop((0, picture.height - 12 - 13, 384, picture.height - 12 - 11))
        assert last_cut_row.getextrema()[0] == 0  # the dashes of the final cut


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"real ESC/POS fixtures not found at {FIXTURES.resolve()}")
def test_the_console_script_renders_a_real_file_in_a_subprocess(tmp_path):
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path), PYTHONIOENCODING="utf-8")
    env.pop(ENV, None)
    done = subprocess.run([sys.executable, "-m", "agent.cli", "render", str(FIXTURES / "python-escpos-barcode.bin"),
                           "--png", str(tmp_path / "barcode.png"), "--columns", "32"],
                          capture_output=True, text=True, encoding="utf-8", timeout=60, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    assert "[barcode:" in done.stdout and "recoup render: " in done.stderr
    with Image.open(tmp_path / "barcode.png") as picture:
        assert picture.width == 384
