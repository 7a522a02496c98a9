"""Word (.docx) → Document with python-docx. Offsets point into the extracted text: one paragraph or
table row a line, blank lines between; headings give the section path, a table row reads
"Header: cell; …"."""

from __future__ import annotations

import io

from footnote.reading.blocks import ITEM, PROSE, ROW, Block, Document, Sections, squeeze
from footnote.reading.pdf import UnreadableFile
from footnote.reading.textmap import MappedText


def _heading_level(style_name: str) -> int | None:
    name = style_name.lower()
    if name == "title":
        return 0
    if name.startswith("heading"):
        digits = name[len("heading") :].strip()
        return int(digits) if digits.isdigit() else 1
    return None


def _is_list(paragraph) -> bool:
    style = (paragraph.style.name if paragraph.style is not None else "").lower()
    props = paragraph._p.pPr
    return "list" in style or (props is not None and props.numPr is not None)


def read_docx(data: bytes) -> Document:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zipfile, lxml and KeyError alike for a bad file
        raise UnreadableFile(f"python-docx cannot read it ({exc.__class__.__name__})") from None
    core = document.core_properties
    lines: list[tuple[str, str, int | None]] = []  # (text, kind, heading level)
    for child in document.element.body.iterchildren():
        if child.tag.endswith("}p"):
            paragraph = Paragraph(child, document)
            text = " ".join(paragraph.text.split())
            if text:
                level = _heading_level(paragraph.style.name if paragraph.style is not None else "")
                lines.append((text, ITEM if _is_list(paragraph) else PROSE, level))
        elif child.tag.endswith("}tbl"):
            rows = [[" ".join(cell.text.split()) for cell in row.cells] for row in Table(child, document).rows]
            header = rows[0] if rows else []
            for row in rows[1:]:
                cells = [f"{h}: {v}" if h and h.lower() != v.lower() else v for h, v in zip(header, row) if v]
                if cells:
                    lines.append(("; ".join(dict.fromkeys(cells)), ROW, None))
    text = "\n\n".join(line for line, _, _ in lines)
    doc = Document(text, squeeze(core.title or ""), core.created.date().isoformat() if core.created else None)
    sections = Sections()
    pos = 0
    for line, kind, level in lines:
        start, pos = pos, pos + len(line) + 2
        if level is not None:
            if not doc.title:
                doc.title = line
            elif line != doc.title:
                sections.enter(max(level, 1), line)
            continue
        mapped = MappedText()
        mapped.add(line, start)
        doc.blocks.append(Block(kind, mapped, sections.path))
    return doc
