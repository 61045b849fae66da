"""German first, English complete: every string in the code has an English translation."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def test_english_catalog_translates_every_message(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "--ignore-dirs=.* __pycache__",
                    "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        in_code = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with (ROOT / "app/translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f, locale="en")
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
                  if m.id and m.string and (all(m.string) if isinstance(m.string, tuple) else True) and not m.fuzzy}
    assert len(in_code) > 300, "extraction found too few strings: check babel.cfg"
    assert sorted(in_code - translated) == [], "run `make extract-messages` and translate the new strings"
