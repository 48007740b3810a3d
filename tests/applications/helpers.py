"""Small builders the application tests share: real files of each allowed kind, and a ready draft."""
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from applications import services
from tests import factories

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="budget.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def png(name="photo.png", fmt="PNG"):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue())


def office_zip(name, entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for entry, text in entries.items():
            archive.writestr(entry, text)
    return SimpleUploadedFile(name, buffer.getvalue())


def docx(name="plan.docx"):
    return office_zip(name, {
        "[Content_Types].xml": '<Types><Override PartName="/word/document.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "word/document.xml": "<w:document/>",
    })


def xlsx(name="budget.xlsx"):
    return office_zip(name, {
        "[Content_Types].xml": '<Types><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        "xl/workbook.xml": "<workbook/>",
    })


def opendocument(name, mimetype):
    return office_zip(name, {"mimetype": mimetype, "content.xml": "<office:document-content/>"})


def ready_draft(applicant, **overrides):
    """A complete draft with its budget and registration document, by `applicant`'s organisation."""
    fields = {"organization": applicant.organization, "created_by": applicant, **overrides}
    application = factories.ApplicationFactory(**fields)
    services.attachment_add(application=application, kind="budget", uploaded_file=pdf(), by=applicant)
    services.attachment_add(
        application=application, kind="registration", uploaded_file=pdf("certificate.pdf"), by=applicant
    )
    return application
