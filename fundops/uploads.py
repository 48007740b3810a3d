"""What may be uploaded: documents and images, recognised by their content, at most 10 MB.

A file's name is not trusted: its bytes must say it is what the name says (a renamed
executable is refused). Office documents are zip files, so we open them and look for the
part that only that kind of document has. Images are opened with Pillow.
"""
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError

# kind -> (extensions accepted for it, MIME type served with it)
KINDS = {
    "pdf": ({".pdf"}, "application/pdf"),
    "docx": ({".docx"}, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ({".xlsx"}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "odt": ({".odt"}, "application/vnd.oasis.opendocument.text"),
    "ods": ({".ods"}, "application/vnd.oasis.opendocument.spreadsheet"),
    "png": ({".png"}, "image/png"),
    "jpeg": ({".jpg", ".jpeg"}, "image/jpeg"),
    "gif": ({".gif"}, "image/gif"),
    "webp": ({".webp"}, "image/webp"),
}
ALLOWED_EXTENSIONS = sorted(ext for exts, _ in KINDS.values() for ext in exts)
ALLOWED_DESCRIPTION = "PDF, Word (DOCX), Excel (XLSX), OpenDocument (ODT, ODS) or an image (PNG, JPEG, GIF, WebP)"
_PILLOW_FORMATS = {"PNG": "png", "JPEG": "jpeg", "GIF": "gif", "WEBP": "webp"}


@dataclass(frozen=True)
class CheckedUpload:
    kind: str
    content_type: str
    size: int
    original_name: str


def _read_head(uploaded_file, length=16):
    uploaded_file.seek(0)
    head = uploaded_file.read(length)
    uploaded_file.seek(0)
    return head


def _zip_kind(uploaded_file):
    """docx/xlsx by their [Content_Types].xml and main part; odt/ods by the `mimetype` entry."""
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                return {KINDS["odt"][1]: "odt", KINDS["ods"][1]: "ods"}.get(mimetype)
            if "[Content_Types].xml" in names:
                types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
                if "word/document.xml" in names and "wordprocessingml.document.main" in types:
                    return "docx"
                if "xl/workbook.xml" in names and "spreadsheetml.sheet.main" in types:
                    return "xlsx"
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None
    finally:
        uploaded_file.seek(0)
    return None


def _image_kind(uploaded_file):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(uploaded_file) as image:
            image.verify()  # checks the file's structure without decoding every pixel
            return _PILLOW_FORMATS.get(image.format)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    finally:
        uploaded_file.seek(0)


def detect_kind(uploaded_file):
    """The kind the file's bytes show it to be, or None."""
    head = _read_head(uploaded_file)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(uploaded_file)
    if (
        head.startswith(b"\x89PNG\r\n\x1a\n")
        or head.startswith(b"\xff\xd8\xff")
        or head[:6] in (b"GIF87a", b"GIF89a")
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
    ):
        return _image_kind(uploaded_file)
    return None


def _megabytes(size):
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.0f} MB" if megabytes == int(megabytes) else f"{megabytes:.1f} MB"


def check_upload(uploaded_file):
    """Refuse anything that is too big or is not what its name says; return what it is."""
    name = PurePath(uploaded_file.name or "").name
    size = uploaded_file.size
    limit = settings.MAX_UPLOAD_BYTES
    if size > limit:
        raise ValidationError(
            f"“{name}” is {_megabytes(size)}; files may be at most {_megabytes(limit)}.", code="too_big"
        )
    if size == 0:
        raise ValidationError(f"“{name}” is empty.", code="empty")
    extension = PurePath(name).suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise ValidationError(
            f"“{name}” is not a file type we accept. Please upload a {ALLOWED_DESCRIPTION}.", code="type"
        )
    kind = detect_kind(uploaded_file)
    if kind is None or extension not in KINDS[kind][0]:
        raise ValidationError(
            f"“{name}” does not contain what its name says ({extension[1:].upper()}). "
            f"Please upload a real {ALLOWED_DESCRIPTION}.",
            code="mismatch",
        )
    return CheckedUpload(kind=kind, content_type=KINDS[kind][1], size=size, original_name=name[:255])


@contextmanager
def stored_files_removed_on_error():
    """Yields a list to append each stored FieldFile to; if the block fails, they are deleted again,
    so a refused or failed save never leaves an orphan file nobody can reach or remove."""
    stored = []
    try:
        yield stored
    except BaseException:
        for field_file in stored:
            field_file.storage.delete(field_file.name)
        raise
