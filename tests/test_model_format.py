"""The model config's "format" field: read, and a format this qsolve does not read is refused."""

import json
import shutil

import pytest

from qsolve.api import shipped_model
from qsolve.cli import main
from qsolve.domains import get_domain
from qsolve.errors import QsolveError
from qsolve.networks.heuristic import FORMAT, READ_FORMATS, read_config

pytest.importorskip("torch")


def test_every_shipped_model_is_in_a_format_this_qsolve_reads():
    folders = [p.parent for p in shipped_model(get_domain("puzzle8")).parent.glob("*/config.json")]
    assert len(folders) >= 9
    for folder in folders:
        assert read_config(folder)["format"] in READ_FORMATS
    assert FORMAT in READ_FORMATS


def _puzzle8_model(tmp_path, change):
    folder = tmp_path / "model"
    shutil.copytree(shipped_model(get_domain("puzzle8")), folder)
    config = json.loads((folder / "config.json").read_text())
    change(config)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize(
    ("change", "found"),
    [
        (lambda c: c.update(format="qsolve-model/2"), "model format 'qsolve-model/2'"),
        (lambda c: c.update(format="foo"), "model format 'foo'"),
        (lambda c: c.update(format=1), "model format 1"),
        (lambda c: c.pop("format"), "no model format"),
    ],
)
def test_an_unknown_model_format_is_a_one_line_error(tmp_path, capsys, change, found):
    folder = _puzzle8_model(tmp_path, change)
    file = folder / "config.json"
    expected = f"{file} has {found}; this qsolve reads model format {FORMAT}"
    with pytest.raises(QsolveError) as info:
        read_config(folder)
    assert str(info.value) == expected
    code = main(["solve", "puzzle8", "--random-walk", "3", "--heuristic", str(folder)])
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", f"qsolve: error: {expected}\n")
