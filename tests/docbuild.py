"""Real Word and PDF files built by the tests: headings, automatic numbering, tables."""
from __future__ import annotations

from pathlib import Path

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

ABSTRACT_ID = "90"
NUM_ID = "91"


def _numbering_xml() -> tuple[str, str]:
    """A Chinese three-level list: 第一条 / （一） / 1."""
    abstract = (
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{ABSTRACT_ID}">'
        '<w:multiLevelType w:val="multilevel"/>'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="第%1条"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>'
        '<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%3."/></w:lvl>'
        '</w:abstractNum>')
    num = f'<w:num {nsdecls("w")} w:numId="{NUM_ID}"><w:abstractNumId w:val="{ABSTRACT_ID}"/></w:num>'
    return abstract, num


def add_numbering(document) -> None:
    numbering = document.part.numbering_part.element
    abstract, num = _numbering_xml()
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(parse_xml(abstract))
    else:
        numbering.append(parse_xml(abstract))
    numbering.append(parse_xml(num))


def numbered(document, text: str, level: int):
    para = document.add_paragraph(text)
    ppr = para._p.get_or_add_pPr()
    ppr.append(parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{NUM_ID}"/></w:numPr>'))
    return para


def chinese_heading_style(document, name: str = "标题 1"):
    """A heading style named the way Chinese WPS/Word files name it (not 'Heading 1')."""
    from docx.enum.style import WD_STYLE_TYPE

    style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    return style


def build_rules_docx(path: Path) -> Path:
    """《危险化学品仓库安全管理制度》: Chinese heading style, numbered articles and items, a table."""
    document = docx.Document()
    document.core_properties.title = "危险化学品仓库安全管理制度"
    add_numbering(document)
    h1 = chinese_heading_style(document)
    document.add_paragraph("第一章 总则", style=h1)
    numbered(document, "为加强危险化学品仓库管理，预防火灾爆炸事故，制定本制度。", 0)
    numbered(document, "仓库管理员应当履行下列职责：", 0)
    numbered(document, "每日巡查库房温度和湿度；", 1)
    numbered(document, "核对出入库台账；", 1)
    numbered(document, "发现泄漏立即报告值班领导。", 1)
    document.add_heading("第二章 储存要求", level=1)
    numbered(document, "氧化剂与易燃物品不得同库储存。", 0)
    table = document.add_table(rows=3, cols=3)
    for row, cells in enumerate([("品名", "最大储量", "储存条件"),
                                 ("过氧化氢", "2吨", "阴凉通风"),
                                 ("乙醇", "5吨", "远离火源")]):
        for col, text in enumerate(cells):
            table.cell(row, col).text = text
    document.add_paragraph("储存量超过上表限额的，应当报安全管理部门审批。")
    document.save(str(path))
    return path


def minimal_pdf(path: Path, lines: list[str] | None) -> Path:
    """A one-page PDF with a Latin text layer, or with no text at all when lines is None."""
    content = ""
    if lines:
        content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = "%PDF-1.4\n", []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out.encode("latin-1")))
        out += f"{n} 0 obj\n{body}\nendobj\n"
    xref = len(out.encode("latin-1"))
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n"
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    path.write_bytes(out.encode("latin-1"))
    return path
