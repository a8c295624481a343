"""Repairs of text extracted from document-sharing sites: a rule, tested on two documents."""
from conftest import FIXTURES
from hypothesis import given, settings, strategies as st

from ingest import cleaning

SECOND_SAMPLE = """消防安全检查要点.docx
《消防安全检查要点.docx》由会员分享,可在线阅读,更多相关《消防安全检查要点.docx(5页珍藏版)》请在优知文库上搜索。
1、消防安全检查要点一、检查范围各类人员密集场所应当每月开展一次防火检查,重点检查疏散通道、安全出口是否畅通,消防设施器材是否完好有效,以及消防安全标志是否设置齐全。二、检查内容(1)消防控制室值班人员是否持证上岗,值班记录是否完整准确;(2)自动消防设施是否保持正常运行状态,并按规定每年进行全面检测;(3)电气线路敷设是否符合规范要求,有无私拉乱接现
2、象。三、整改要求检查中发现的火灾隐患应当立即整改,不能立即整改的应当落实防范措施,明确整改责任人、整改期限和整改资金,确保隐患按期消除。
- 配套讲稿:
如PPT文件的首页显示word图标,表示该PPT已包含配套word讲稿。
- 特殊限制:
部分文档作品中含有的国旗、国徽等图片,仅作为作品整体效果示例展示,禁止商用。
- 关 键 词:
- 消防 安全 检查"""

BOILERPLATE = ["优知文库", "配套讲稿", "特殊限制", "关 键 词", "由会员分享"]


def test_interview_pages_are_rejoined_and_boilerplate_dropped():
    raw = (FIXTURES / "interview_director_raw.txt").read_text(encoding="utf-8")
    title, text = cleaning.clean_extracted(raw)
    assert title == "应急局局长安全访谈稿"
    assert "为人民谋幸福作为自己的根本宗旨" in text      # page 1→2 cut mid-word
    assert "十九届历次全会精神" in text                  # page 2→3 cut "十\n3、九届"
    for word in BOILERPLATE:
        assert word not in text
    assert "谋2、" not in text and "谋\n2、" not in text


def test_second_sharing_site_document_follows_the_same_rule():
    title, text = cleaning.clean_extracted(SECOND_SAMPLE)
    assert title == "消防安全检查要点"
    assert "有无私拉乱接现象。" in text                  # the page cut mid-word, rejoined
    assert text.startswith("消防安全检查要点一、检查范围")
    for word in BOILERPLATE:
        assert word not in text


def test_question_numbers_inside_the_text_are_not_taken_for_pages():
    _, text = cleaning.clean_extracted((FIXTURES / "interview_director_raw.txt").read_text(encoding="utf-8"))
    # "1、请谈谈…" and "2、习近平总书记…" are question labels, not page numbers: they stay.
    assert "1、请谈谈对习近平总书记" in text
    assert "2、习近平总书记提出的“三个必须”" in text


def test_lone_page_numbers_from_pdfs_are_dropped_and_the_sentence_rejoined():
    text = "生产经营单位应当建立健全\n- 3 -\n全员安全生产责任制。\n第 4 页\n下一段。"
    _, cleaned = cleaning.clean_extracted(text)
    assert cleaned == "生产经营单位应当建立健全全员安全生产责任制。\n下一段。"


def test_half_width_punctuation_between_chinese_becomes_full_width():
    assert cleaning.normalize_punctuation("生命至上,安全至上?(1)对") == "生命至上，安全至上？（1）对"
    assert cleaning.normalize_punctuation("version 1.2, see (a)") == "version 1.2, see (a)"


def test_inline_enumerations_start_new_lines():
    text = "第一句。2、第二项内容。（3）第三项。四、第四项"
    assert cleaning.break_enumerations(text).split("\n") == ["第一句。", "2、第二项内容。", "（3）第三项。", "四、第四项"]


def test_sentences_are_exact_pieces():
    text = "他说：“好。”然后走了！还有吗？没有；结束\n新行"
    pieces = cleaning.split_sentences(text)
    assert pieces == ["他说：“好。”", "然后走了！", "还有吗？", "没有；", "结束", "新行"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list("安全生产第一条章、。，；？！\n 1234（）()-页共:：") + ["- 3 -\n", "2、", "配套讲稿:"]),
                max_size=300).map("".join))
def test_cleaner_never_crashes_and_never_invents_text(text):
    _, cleaned = cleaning.clean_extracted(text)
    # Cleaning only removes: every character left was in the input.
    assert set(cleaned) <= set(text)
