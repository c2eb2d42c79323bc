"""Personal data out of public free text, on complaints written the way citizens write
them to 12345, and ordinary text (streets, amounts, dates, building numbers, 12345 itself)
left as it is. The rules are the data file's, and a city's own file replaces them."""

import json

import pytest
from django.conf import settings as django_settings

from urbanmgmt.hotline.redaction import Redactor, redact

# (what the citizen wrote, what the public reads)
REDACTED = [
    ("我叫张三，住在幸福小区3号楼2单元501室，楼下烧烤店每晚油烟很大，电话13812345678。",
     "我叫某某，住在幸福小区3号楼2单元【门牌】，楼下烧烤店每晚油烟很大，电话【电话】。"),
    ("本人李四反映朝阳中路18号门口井盖缺失，联系电话：0518-85123456。",
     "本人某某反映朝阳中路18号门口井盖缺失，联系电话：【电话】。"),
    ("市民王先生来电：海连东路与通灵桥路交叉口路灯不亮已三天，手机号 139 1234 5678。",
     "市民某先生来电：海连东路与通灵桥路交叉口路灯不亮已三天，手机号 【电话】。"),
    ("刘阿姨反映小区门口有人占道经营，车牌苏G·12345的面包车长期占用消防通道。",
     "某阿姨反映小区门口有人占道经营，车牌【车牌】的面包车长期占用消防通道。"),
    ("来电人陈老师称新浦街道建设路有渣土车撒漏，车牌苏GD12345，身份证号320706199001011234。",
     "来电人某老师称新浦街道建设路有渣土车撒漏，车牌【车牌】，身份证号【身份证号】。"),
    ("请联系王师傅，邮箱wangshifu@163.com，或拨打+86 138-0000-1111。",
     "请联系某师傅，邮箱【邮箱】，或拨打【电话】。"),
    ("我姓赵，家住海州区朐阳街道幸福路66号，反映路边垃圾桶满溢。", "我姓某，家住海州区朐阳街道幸福路66号，反映路边垃圾桶满溢。"),
    ("座机(0518)8512-3456转801，QQ号：123456789，微信号 zhangsan_88。",
     "座机【电话】，QQ号：【联系方式】，微信号 【联系方式】。"),
    ("欧阳女士反映：旁边阿姨家的狗每天叫，身份证32070619900101123X。", "某女士反映：旁边阿姨家的狗每天叫，身份证【身份证号】。"),
    ("业主叫孙小明，反映墟沟街道附近有异味，号码是85123456。", "业主叫某某，反映墟沟街道附近有异味，号码是【联系方式】。"),
    ("车辆鲁B12345D停在盲道上，另一辆浙A·D12345也在，还有苏g 5k8p2。",
     "车辆【车牌】停在盲道上，另一辆【车牌】也在，还有【车牌】。"),
    ("楼上的周大爷和隔壁吴大妈一起在绿化带种菜，物业黄经理不管。", "楼上的某大爷和隔壁某大妈一起在绿化带种菜，物业某经理不管。"),
    ("电话：+86 0518 8512 3456，老身份证320706900101123。", "电话：【电话】，老身份证【身份证号】。"),
    ("姓名：司马光明，联系方式 15951234567", "姓名：某某，联系方式 【电话】"),
    ("我是钱多多，在新浦路卖早点的摊主。", "我是某某，在新浦路卖早点的摊主。"),
    ("请回电给13905180000（张女士）", "请回电给【电话】（某女士）"),
]

# Ordinary text a public reader needs, left as it is.
KEPT = [
    "2026年11月3日14:30在新浦路200号附近，罚款500元，拨打12345热线反映，热线电话12345。",
    "海州区朐阳街道建设东路88号3号楼东侧，5栋2单元门口的路灯坏了，已经有15天。",
    "出租车师傅乱停车，城管同志请管管，门卫大爷也说不清，语文老师路过看到了。",
    "公司老板在人行道上堆放建材，园林师傅修剪树枝没清理，工程老板不理会。",
    "本人曾多次反映此问题，没有任何师傅来修，班主任老师也说过，保安大爷也知道。",
    "连云港市连云区墟沟街道东王集镇北陈集镇，G25长深高速连云港出口，S242省道。",
    "面积约1200平方米，每平米收费3.5元，共计4200元，2026-11-03 09:15:00处理。",
    "京沪高铁，苏州园区，新浦公园东门，宁海三社区，云台街道，青口镇。",
]


# Sentences no one here wrote: published reports of citizens' complaints (one sentence each).
PUBLISHED = [
    # szzx.kaifeng.gov.cn/n1/n19/240920103055930628.html
    ("市民张先生9月17日反映,近段时间,每天晚上,大梁路与西关北街交叉口附近占道经营的流动商贩很多",
     "市民某先生9月17日反映,近段时间,每天晚上,大梁路与西关北街交叉口附近占道经营的流动商贩很多"),
    # news.yznews.com.cn/2026-01/14/content_7790959.htm
    ("近日,市民周先生来电反映,他在经过站南路和同泰路交叉口的时候,发现有摊贩占道经营。",
     "近日,市民某先生来电反映,他在经过站南路和同泰路交叉口的时候,发现有摊贩占道经营。"),
    # www.yybnet.net/bozhou/lixin/201306/186891.html
    ("一位年轻城管上来就要拔张大姐电动车的钥匙。", "一位年轻城管上来就要拔某大姐电动车的钥匙。"),
    # nanchang.baogaosu.com (江南都市报, 2015-12-08): ordinary text, kept
    ("记者随后沿着南站路,从干鲜果批发市场走到车管所门口,约1公里的路程,发现有三种占道现象特别严重",
     "记者随后沿着南站路,从干鲜果批发市场走到车管所门口,约1公里的路程,发现有三种占道现象特别严重"),
    # xindetihuiya.com/xuexi/gzzd/857632.html (福州12345): kept
    ("如果在夜里10点到第二天早上6点之前存在噪音扰民,市民可以直接拨打12345投诉",
     "如果在夜里10点到第二天早上6点之前存在噪音扰民,市民可以直接拨打12345投诉"),
]


@pytest.mark.parametrize(("text", "public"), REDACTED + PUBLISHED)
def test_personal_data_in_a_complaint_is_redacted(text, public):
    assert redact(text) == public


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_text_is_left_as_it_is(text):
    assert redact(text) == text


def test_the_callers_own_name_and_phone_are_redacted_however_they_are_written():
    text = "联系人欧阳娜娜女儿反映，回电0518 8512 3456或者小区门卫。"
    public = redact(text, ["欧阳娜娜", "0518 8512 3456"])
    assert "欧阳娜娜" not in public and "8512" not in public and "小区门卫" in public
    assert redact("市民反映匿名的问题", ["匿名", "市民"]) == "市民反映匿名的问题"  # not names: kept


def test_the_rules_are_the_data_files_and_a_citys_own_file_replaces_them(tmp_path, settings):
    data = json.loads((django_settings.FIXTURES_DIR / "hotline" / "redaction.json").read_text(encoding="utf-8"))
    assert data["version"] and {r["name"] for r in data["rules"]} >= {"mobile", "landline", "id_card", "plate",
                                                                       "email"}
    data["rules"].append({"name": "work_id", "pattern": "工号\\d{4,}", "replacement": "【工号】"})
    data["names"]["forms_of_address"].append("工")
    own = tmp_path / "redaction.json"
    own.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert redact("工号123456的张工") == "工号123456的张工"
    settings.HOTLINE_REDACTION_RULES = str(own)
    assert redact("工号123456的张工") == "【工号】的某工"


def test_a_redactor_is_built_from_plain_data():
    data = json.loads((django_settings.FIXTURES_DIR / "hotline" / "redaction.json").read_text(encoding="utf-8"))
    data["names"]["not_names"].remove("任何")
    assert Redactor(data).redact("没有任何师傅来修") == "没有任某师傅来修"


def test_a_rules_file_that_cannot_be_used_fails_the_system_check(tmp_path, settings):
    from django.core.checks import run_checks

    assert not [e for e in run_checks() if e.id == "hotline.E001"]
    broken = tmp_path / "redaction.json"
    broken.write_text('{"rules": [{"name": "x", "pattern": "(", "replacement": ""}]}', encoding="utf-8")
    settings.HOTLINE_REDACTION_RULES = str(broken)
    assert [e.id for e in run_checks() if e.id == "hotline.E001"] == ["hotline.E001"]
    settings.HOTLINE_REDACTION_RULES = str(tmp_path / "missing.json")
    assert [e.id for e in run_checks() if e.id == "hotline.E001"] == ["hotline.E001"]
