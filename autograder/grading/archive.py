"""The submission zip, both ways: :func:`write_zip` (``submit``) and :func:`unpack` (the grader).

``autograder.submit`` (students, top layer) writes it and ``autograder.grading.grade`` opens it:
both import this module, so neither imports the other.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from autograder.grading.submission import MAX_BYTES, SubmissionError

MAX_FILES = 50
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def write_zip(files: dict[str, Path], target: Path) -> Path:
    """The zip: each file at its top level, fixed dates (the same files give the same zip)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name].read_bytes())
    tmp.replace(target)
    return target


def unpack(archive_path: Path, folder: Path) -> list[str]:
    """Extract a submission zip into ``folder``, safely: regular files only (no links), names
    that stay inside ``folder``, at most MAX_FILES files and MAX_BYTES each."""
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError(f"{archive_path.name} is not a readable zip ({exc}): make it "
                              "again with `python -m autograder submit`.") from None
    written = []
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_FILES:
            raise SubmissionError(f"{archive_path.name} holds {len(infos)} files; a submission "
                                  f"has at most {MAX_FILES}.")
        for info in infos:
            name = PurePosixPath(info.filename.replace("\\", "/"))
            kind = (info.external_attr >> 16) & 0o170000
            if name.is_absolute() or ".." in name.parts or not name.parts:
                raise SubmissionError(f"{archive_path.name}: {info.filename!r} points outside "
                                      "the submission.")
            if kind not in (0, stat.S_IFREG):
                raise SubmissionError(f"{archive_path.name}: {info.filename!r} is not a "
                                      "regular file (a link?).")
            if info.file_size > MAX_BYTES:
                raise SubmissionError(f"{archive_path.name}: {info.filename} is larger than "
                                      f"{MAX_BYTES // 1_000_000} MB.")
            if name.parts[0] in ("__MACOSX",):
                continue
            target = folder.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, open(target, "xb") as out:
                left = MAX_BYTES + 1
                while chunk := source.read(min(1 << 20, left)):
                    out.write(chunk)
                    left -= len(chunk)
                    if left <= 0:
                        raise SubmissionError(f"{archive_path.name}: {info.filename} is larger "
                                              "than it says.")
            written.append(str(name))
    return written
