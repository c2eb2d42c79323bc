"""A 12345 CSV that mixes encodings (one row saved by another tool): every good row goes in,
each row in the other encoding is refused alone with its line and the reason, wherever it
stands: in the first 64 KB (where the file's encoding is judged), in the middle, at the end."""

import csv
import io
import random

import pytest

from tests.hotline.helpers import HEADERS, row
from tests.hotline.test_import import run_file
from urbanmgmt.hotline.models import HotlineTicket

pytestmark = pytest.mark.django_db

# A long complaint as citizens dictate them (about 1.6 KB in UTF-8), so that 46 rows pass 64 KB.
COMPLAINT = ("小区南门外人行道上有人长期摆摊卖水果和烧烤，晚上十点以后还在营业，油烟很大，垃圾随地乱扔，"
             "污水直接倒进雨水井里，味道很难闻。之前反映过两次，城管来了以后摊子收了，第二天又摆出来了，"
             "希望能够彻底解决，同时把人行道上的油污清理干净，方便老人和小孩通行。") * 4
GOOD = 45


def _line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue()


def mixed_file(encoding: str, odd_at: int, odd_encoding: str, bom: bool = False) -> bytes:
    """GOOD rows in `encoding` and one more at row position `odd_at` (0-based) in `odd_encoding`."""
    rows = [row(f"R{i:02d}", col=0.5 + (i % 4), cell=0.5 + (i // 4) % 4, text=f"{COMPLAINT}（第{i}次）")
            for i in range(GOOD)]
    odd = row("ODD", col=1.5, cell=2.5, text="井盖缺失，行人容易踩空，请尽快处理")
    rows.insert(odd_at, odd)
    data = bytearray(b"\xef\xbb\xbf" if bom else b"")
    data += _line(HEADERS).encode(encoding)
    for r in rows:
        data += _line([r[h] for h in HEADERS]).encode(odd_encoding if r is odd else encoding)
    return bytes(data)


@pytest.mark.parametrize("where", ["first 64 KB", "middle", "end"])
def test_one_gbk_row_in_a_utf8_file_is_refused_alone_wherever_it_stands(people, gazetteer, where):
    odd_at = {"first 64 KB": 2, "middle": GOOD // 2, "end": GOOD}[where]
    data = mixed_file("utf-8", odd_at, "gbk")
    assert len(data) > 1 << 16 and (where != "first 64 KB" or data.find("井盖".encode("gbk")) < 1 << 16)
    summary = run_file(data, "t.csv", people.dispatcher)
    assert summary.created == GOOD
    assert [r[0] for r in summary.rejected] == [odd_at + 2]  # the header is line 1
    assert "UTF-8" in summary.rejected[0][2]
    assert not HotlineTicket.objects.filter(external_id="ODD").exists()
    assert HotlineTicket.objects.get(external_id="R00").text.startswith("小区南门外")


def test_one_utf8_row_in_a_gbk_file_is_refused_alone(people, gazetteer):
    data = mixed_file("gbk", 5, "utf-8")
    summary = run_file(data, "t.csv", people.dispatcher)
    assert summary.created == GOOD and [r[0] for r in summary.rejected] == [7]
    assert "GBK" in summary.rejected[0][2]
    assert HotlineTicket.objects.get(external_id="R44").text.startswith("小区南门外")
    assert any("GBK" in note for note in summary.notes)


def test_a_utf8_file_with_a_bom_and_one_gbk_row_keeps_its_good_rows(people, gazetteer):
    data = mixed_file("utf-8", 0, "gbk", bom=True)
    summary = run_file(data, "t.csv", people.dispatcher)
    assert summary.created == GOOD and [r[0] for r in summary.rejected] == [2]
    assert HotlineTicket.objects.get(external_id="R00").text.startswith("小区南门外")


def test_the_reason_is_in_the_users_language(people, gazetteer):
    from django.utils import translation

    with translation.override("zh-hans"):
        summary = run_file(mixed_file("utf-8", 1, "gbk"), "t.csv", people.dispatcher)
    assert "第 3 行" in summary.rejected[0][2] and "编码" in summary.rejected[0][2]


@pytest.mark.parametrize(("what", "data", "said"), [
    ("UTF-16 with its BOM", lambda: "\ufeff".encode("utf-16-le") + _line(HEADERS).encode("utf-16-le"), "UTF-16"),
    ("UTF-16 without", lambda: (_line(HEADERS) + _line([row("U1")[h] for h in HEADERS])).encode("utf-16-le"), "UTF-16"),
    ("binary", lambda: random.Random(7).randbytes(1 << 16), "NUL"),
])
def test_a_file_that_is_not_utf8_or_gbk_text_is_refused_saying_what_it_is(people, gazetteer, what, data, said):
    """A walk uploaded a UTF-16 CSV, told its header was not in the file's encoding
    (GBK/GB18030), and a binary file, read as GBK and finished with 0 rows."""
    from urbanmgmt.hotline.readers import ImportRefused

    with pytest.raises(ImportRefused, match=said):
        run_file(data(), "t.csv", people.dispatcher)
    assert not HotlineTicket.objects.exists()
