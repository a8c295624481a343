"""Slogans, abbreviations and English terms users type, mapped to the words the sources use.

Feeds query expansion: 「三个必须」 is what trainees ask, 「管行业必须管安全…」 is what the
law and the interview say.
"""
from __future__ import annotations

import re

TERMS: dict[str, str] = {
    "三个必须": "管行业必须管安全 管业务必须管安全 管生产经营必须管安全",
    "三管三必须": "三个必须 管行业必须管安全 管业务必须管安全 管生产经营必须管安全",
    "两个至上": "人民至上 生命至上",
    "生命至上": "人民至上 生命至上",
    "党政同责": "党政同责 一岗双责 齐抓共管 失职追责",
    "一岗双责": "党政同责 一岗双责 齐抓共管 失职追责",
    "三年行动": "安全生产专项整治三年行动 专题 专项",
    "专项整治": "安全生产专项整治三年行动 专题 专项",
    "双重预防": "安全风险分级管控 隐患排查治理 双重预防机制",
    "三同时": "同时设计 同时施工 同时投入生产和使用",
    "一把手": "主要负责人 第一责任人",
    "第一责任人": "主要负责人 第一责任人",
    "新安法": "安全生产法",
    "安法": "安全生产法",
    "应急预案": "应急救援预案",
    "事故等级": "特别重大事故 重大事故 较大事故 一般事故 死亡 重伤 直接经济损失",
    "瞒报": "谎报 瞒报 迟报 漏报",
    "处罚": "罚款 处罚 法律责任",
    "罚多少": "罚款",
    # English questions: the sources are Chinese only.
    "work safety law": "安全生产法",
    "three musts": "三个必须 管行业必须管安全 管业务必须管安全 管生产经营必须管安全",
    "person in charge": "主要负责人",
    "principal": "主要负责人",
    "responsibilit": "职责 责任",
    "duties": "职责",
    "emergency plan": "应急救援预案",
    "emergency rescue": "应急救援",
    "accident report": "事故报告",
    "report": "报告",
    "investigation": "调查处理",
    "fine": "罚款",
    "penalt": "罚款 处罚",
    "hidden danger": "事故隐患",
    "hazard": "事故隐患 危险",
    "training": "安全生产教育和培训",
    "three-year": "专项整治三年行动",
    "special rectification": "专项整治三年行动 专题",
    "people first": "人民至上 生命至上",
    "serious accident": "重大事故",
    "major accident": "重大事故",
    "death": "死亡",
    "deaths": "死亡",
    "dangerous chemicals": "危险化学品",
    "employees": "从业人员",
    "workers": "从业人员",
    "rights": "权利",
}

# Short names users give the documents (article look-ups).
ALIASES: dict[str, str] = {
    "安全生产法": "中华人民共和国安全生产法",
    "安法": "中华人民共和国安全生产法",
    "应急条例": "生产安全事故应急条例",
    "708号令": "生产安全事故应急条例",
    "事故报告和调查处理条例": "生产安全事故报告和调查处理条例",
    "调查处理条例": "生产安全事故报告和调查处理条例",
    "493号令": "生产安全事故报告和调查处理条例",
    "访谈稿": "应急局局长安全访谈稿",
}


def expand(question: str) -> str:
    """The question followed by the source wording of every glossary term it uses."""
    lowered = question.lower()
    extra = [words for term, words in TERMS.items() if term in lowered]
    return " ".join([question, *extra])


def is_english(question: str) -> bool:
    letters = re.findall(r"[A-Za-z]", question)
    return len(letters) > 0.5 * max(len(question.strip()), 1)
