"""Fetch the site's JavaScript (MathJax, the widget manager, RequireJS) from the npm registry.

Usage::

    python tools/vendor_js.py build/js      # tarballs and unpacked files under build/js/

Reads ``site/js-assets.json``: for each package, ``npm pack name@version`` downloads the
published tarball (the registry is the only network this needs, like pip for the Python
packages), its sha512 must equal the pinned ``integrity``, and the listed ``files`` are
unpacked to ``<out>/<name>/``. `make site` runs this once; the book build then copies them into
the site, so the pages themselves load nothing from outside the site.
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "site" / "js-assets.json"


def load_manifest(path: Path = MANIFEST) -> list[dict]:
    """The packages listed in ``site/js-assets.json``."""
    return json.loads(Path(path).read_text())["packages"]


def integrity_of(tarball: Path) -> str:
    """The npm-style ``sha512-<base64>`` digest of a file."""
    return "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()


def fetch(package: dict, out_dir: Path) -> Path:
    """Download one package's tarball with ``npm pack`` into ``out_dir`` and check its digest."""
    spec = f"{package['name']}@{package['version']}"
    result = subprocess.run(["npm", "pack", spec, "--json", "--pack-destination", str(out_dir)],
                            check=True, capture_output=True, text=True)
    tarball = out_dir / json.loads(result.stdout)[0]["filename"]
    found = integrity_of(tarball)
    if found != package["integrity"]:
        tarball.unlink()
        raise ValueError(f"{spec}: the tarball's digest {found} is not the pinned "
                         f"{package['integrity']}")
    return tarball


def unpack(package: dict, tarball: Path, out_dir: Path) -> list[Path]:
    """Extract the members of ``tarball`` matching ``package['files']`` to ``out_dir/name``."""
    target = out_dir / package["name"]
    shutil.rmtree(target, ignore_errors=True)
    written = []
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            inner = member.name.removeprefix("package/")
            if member.isfile() and any(fnmatch.fnmatch(inner, p) for p in package["files"]):
                destination = target / inner
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(archive.extractfile(member).read())
                written.append(destination)
    missing = [p for p in package["files"]
               if not any(fnmatch.fnmatch(str(w.relative_to(target)), p) for w in written)]
    if missing:
        raise ValueError(f"{package['name']}@{package['version']} has no file matching {missing}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="where to put the tarballs and files")
    args = parser.parse_args(argv)
    if shutil.which("npm") is None:
        sys.exit("tools/vendor_js.py needs npm (Node.js) to fetch the site's JavaScript")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for package in load_manifest():
        files = unpack(package, fetch(package, args.out_dir), args.out_dir)
        print(f"{package['name']}@{package['version']}: {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
