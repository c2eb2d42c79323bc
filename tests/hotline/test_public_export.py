"""The public variant of the results export (an open-data portal): the ticket's public
columns and the results, never the caller's or an unknown column, free text redacted; the
export back to the source system keeps its whole row."""

import csv
import io

import pytest
from django.core.management import call_command

from tests.hotline.helpers import row
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket

pytestmark = pytest.mark.django_db

TEXT = "我叫张三，家住幸福小区3号楼2单元501室，楼下饭店油烟扰民，电话13812345678，身份证320706199001011234。"
SECRETS = ["张三", "13812345678", "320706199001011234", "501室", "欧阳娜娜", "0518-85123456", "苏G·12345"]


@pytest.fixture
def exported(people, gazetteer, tmp_path):
    rows = [row("X1", col=1.5, cell=1.5, text=TEXT, 来电人="欧阳娜娜", 联系电话="0518-85123456", 车牌号="苏G·12345"),
            row("X2", col=2.5, cell=1.5, text="路灯不亮，王先生说已经三天了")]
    assert import_rows(rows, source="open-data", actor=people.dispatcher).created == 2
    HotlineTicket.objects.filter(external_id="X1").update(reply="张先生您好，已安排处理。")

    def export(*flags):
        path = tmp_path / f"out{len(flags)}.csv"
        call_command("export_tickets", str(path), "--source", "open-data", *flags, stdout=io.StringIO())
        return path.read_bytes().decode("utf-8-sig")
    return export


def test_the_public_export_keeps_no_personal_data(exported):
    text = exported("--public")
    for secret in [*SECRETS, "张先生"]:
        assert secret not in text, secret
    rows = {r["工单编号"]: r for r in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {"X1", "X2"}
    assert not {"来电人", "联系电话", "车牌号"} & set(rows["X1"])
    assert rows["X1"]["诉求内容"].startswith("我叫某某，家住幸福小区3号楼2单元【门牌】") and "【电话】" in rows["X1"]["诉求内容"]
    assert rows["X1"]["办理结果"] == "某先生您好，已安排处理。" and rows["X2"]["诉求内容"] == "路灯不亮，某先生说已经三天了"
    assert {"受理时间", "地址", "案件编号", "案件状态"} <= set(rows["X1"])


def test_the_export_back_to_the_source_keeps_its_whole_row(exported):
    rows = {r["工单编号"]: r for r in csv.DictReader(io.StringIO(exported()))}
    assert rows["X1"]["来电人"] == "欧阳娜娜" and rows["X1"]["诉求内容"] == TEXT and rows["X1"]["车牌号"] == "苏G·12345"
