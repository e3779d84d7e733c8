"""Rebuild the binary and legacy-encoded files of the demo knowledge base (``kb/demo/``).

The demo knowledge base is the fictional company 株式会社みどり精工's 総務 documents. The Markdown
(慶弔見舞金規程.md) and HTML (オフィス利用ガイド.html) files are written by hand; the other six are generated here
from the text kept in this script, so they can be reviewed in a diff and rebuilt:

    経費精算規程.docx       python-docx
    出張旅費規程.pdf        fpdf2 (needs a Japanese font: Noto Sans CJK .ttc from fonts-noto-cjk, or pass --font)
    社内よくある質問.xlsx   openpyxl
    防災・避難マニュアル.pptx python-pptx
    社用車利用ルール.txt    Shift_JIS (cp932), CRLF — as an old Windows PC would save it
    備品一覧.csv            cp932, CRLF — as Excel's 「CSV (コンマ区切り)」 saves it

Why the source lives in this script and not in ``kb/demo/src/``: everything under ``kb/demo/`` is indexed by
``make run``, so a second copy of the text there would show up twice in every search. (For the same reason the
notes about the demo, README.md and QUESTIONS.md, sit in the hidden ``kb/demo/.about/``, which the indexer skips.)

Rerunning gives the same bytes: zip entry times, document properties and the PDF dates are pinned.

Usage: ``.venv/bin/python installers/make_demo_kb.py [--out kb/demo] [--font FONT.ttc|.otf|.ttf]``
(fpdf2 is in the ``demo`` extra: ``pip install fpdf2``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "kb" / "demo"
COMPANY = "株式会社みどり精工"
PINNED_TIME = dt.datetime(2026, 4, 1, 9, 0, 0)

# Japanese fonts tried in order for the PDF: (path, index inside a .ttc collection).
FONT_CANDIDATES: list[tuple[str, int]] = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0),  # Debian/Ubuntu fonts-noto-cjk; 0 = JP
    ("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf", 0),  # fonts-ipafont-gothic
    ("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf", 0),  # fonts-ipaexfont-gothic
    ("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf", 0),
    ("/System/Library/Fonts/ヒラギノ角ゴシック W3.ttc", 0),  # macOS
    ("C:/Windows/Fonts/YuGothR.ttc", 0),  # Windows
    ("C:/Windows/Fonts/msgothic.ttc", 0),
]

# The document text below reads better as compact tables than as formatter output.
# fmt: off
# A rule document is a list of blocks:
#   ("title", text) · ("meta", text) · ("chapter", text) · ("article", heading, [paragraphs])
#   ("table", caption, header, rows) · ("para", text)
Block = tuple[Any, ...]

# ---------------------------------------------------------------------------------------------------------
# 経費精算規程 (DOCX)
# ---------------------------------------------------------------------------------------------------------
EXPENSE_RULES: list[Block] = [
    ("title", "経費精算規程"),
    ("meta", f"{COMPANY}　規程番号 K-04　所管：経理部"),
    ("meta", "制定 2018年4月1日／最終改定 2025年10月1日"),
    ("chapter", "第1章　総則"),
    ("article", "第1条（目的）", [
        "この規程は、役員及び従業員が業務上支出した経費の申請、承認及び精算の手続を定め、"
        "経費の適正な支出と事務の効率化を図ることを目的とする。",
    ]),
    ("article", "第2条（適用範囲）", [
        "この規程は、役員及び従業員（契約社員、パートタイマーを含む。以下「社員」という。）に適用する。",
        "2　出張に伴う交通費、日当及び宿泊費は「出張旅費規程」の定めるところによる。"
        "社用車の燃料費、有料道路料金等は「社用車利用ルール」による。",
    ]),
    ("article", "第3条（用語の定義）", [
        "この規程において、次の各号に掲げる用語の意義は、当該各号に定めるところによる。",
        "(1) 経費　業務の遂行のために必要な費用で、会社が負担すべきものをいう。",
        "(2) 立替金　社員が会社に代わって一時的に支払った経費をいう。",
        "(3) 仮払金　経費の支出に先立ち、概算額を会社から社員に前渡しする金銭をいう。",
        "(4) 所属長　申請者が所属する課の課長をいう。課長が置かれていない場合は部長とする。",
    ]),
    ("chapter", "第2章　申請と精算"),
    ("article", "第4条（事前承認）", [
        "次の各号のいずれかに該当する支出は、支出前に所属長の承認を得なければならない。",
        "(1) 1件の支出予定額が5万円（税込）以上のもの",
        "(2) 交際費（第10条）",
        "(3) 5,000円以上の書籍・資料の購入（第13条）",
        "2　1件10万円以上の物品（固定資産となるもの）の購入は、この規程によらず稟議規程の定めるところによる。",
    ]),
    ("article", "第5条（締め日及び申請期限）", [
        "経費の精算は毎月末日を締め日とし、社員は当月分の経費を翌月10日までに申請しなければならない。"
        "10日が休日に当たるときは、翌営業日を期限とする。",
        "2　期限を過ぎた申請は、遅延の理由を様式第1号の備考欄に記入し、所属長の確認を得た場合に限り受け付ける。",
        "3　支出日から3か月を経過した経費は、原則として精算しない。ただし、経理部長がやむを得ないと認めた場合はこの限りでない。",
        "4　決算月（3月）の経費は、決算処理のため4月5日までに申請するものとする。",
    ]),
    ("article", "第6条（申請方法）", [
        "経費の申請は、経費精算システムに入力し、様式第1号「経費精算書」として提出する。"
        "システムを利用できない場合は、紙の様式第1号に領収書を台紙に貼付して所属長に提出する。",
        "2　1枚の経費精算書には、同一月に支出した経費をまとめて記入する。",
    ]),
    ("article", "第7条（領収書）", [
        "申請には、支払の事実を証する領収書の原本を添付する。領収書は宛名を「株式会社みどり精工」とし、"
        "日付、金額、但し書き（品名・用途）が記載されたものとする。レシートも領収書として扱う。",
        "2　適格請求書（インボイス）に該当する領収書は、発行者の登録番号（Tで始まる13桁）が記載されていることを確認する。",
        "3　電子メールやWebサイトで受け取った領収書は、印刷せず電子データのまま経費精算システムに添付して保存する。",
        "4　電車・バス等の公共交通機関の運賃で領収書の発行を受けられないものは、交通系ICカードの利用履歴、"
        "又は利用区間と金額の記載をもって領収書に代えることができる。",
        "5　領収書を紛失した場合は、様式第3号「支払証明書」に所属長の確認を受けて提出する。"
        "同一の社員が1年度に3回を超えて支払証明書を提出する場合は、経理部長の承認を要する。",
    ]),
    ("article", "第8条（立替金の支払）", [
        "経理部は、申請期限までに承認された経費精算書を審査し、立替金を翌月25日に社員の給与振込口座へ振り込む。"
        "25日が金融機関の休業日に当たるときは、その前営業日とする。",
        "2　1件3,000円未満の少額の立替金は、経理部窓口（本社3F）の小口現金で精算することができる。"
        "受付は毎週火曜日及び金曜日の14時から16時までとする。",
    ]),
    ("article", "第9条（仮払金）", [
        "支出予定額が3万円以上となる場合は、様式第4号「仮払金申請書・精算書」により仮払を受けることができる。",
        "2　仮払を受けた社員は、用務終了後7日以内に様式第4号により精算し、残額があるときは返金しなければならない。",
        "3　前回の仮払金を精算していない社員は、新たな仮払を受けることができない。",
    ]),
    ("chapter", "第3章　費目別の取扱い"),
    ("article", "第10条（交際費）", [
        "取引先等の社外の者との飲食、贈答等の費用（以下「交際費」という。）は、事前に様式第2号「交際費事前申請書」を"
        "提出し、部長の承認を得なければならない。",
        "2　飲食を伴う交際費の上限は、参加者1人当たり1万円（税込）とする。二次会の費用は、原則として会社は負担しない。",
        "3　精算時には、相手先の会社名、氏名、人数及び目的を経費精算書に記入する。",
        "4　社内の者だけで行う飲食の費用は、交際費として精算することはできない。",
        "5　慶弔に伴う取引先への祝金、香典等は、総務部が手配する。",
    ]),
    ("article", "第11条（会議費）", [
        "社内会議における弁当、飲料等の費用は、1人1回1,500円（税込）以内とする。",
        "2　社外の者が出席する会議で、会議に通常伴う程度の飲食（1人当たり5,000円以下）の費用は、会議費として精算する。",
    ]),
    ("article", "第12条（近距離交通費及びタクシー）", [
        "出張に当たらない近距離の移動に要した電車・バス代は、交通系ICカードの利用履歴を添付して精算する。",
        "2　タクシーの利用は原則として認めない。ただし、次の各号のいずれかに該当し、所属長が認めた場合はこの限りでない。",
        "(1) 業務により22時以降に帰宅する場合で、公共交通機関の利用が困難なとき",
        "(2) 重量物又は多量の荷物を運搬するとき",
        "(3) 公共交通機関がない区間を移動するとき",
        "(4) 急病、けが等やむを得ない事情があるとき",
        "3　タクシー代を精算するときは、領収書に乗車区間と利用理由を記入する。",
    ]),
    ("article", "第13条（書籍及び消耗品）", [
        "業務に必要な書籍・資料で1冊5,000円以上のものは、購入前に所属長の承認を得る。",
        "2　文房具等の消耗品は、原則として総務部が一括して購入し、本社4F倉庫で払い出す。"
        "個人で購入して精算できるのは、総務部に在庫がなく急を要する場合に限る。",
    ]),
    ("chapter", "第4章　承認及び管理"),
    ("article", "第14条（承認フロー）", [
        "経費精算書は、申請者、所属長（一次承認）、経理部（審査）の順に回付する。"
        "金額等に応じた承認者は、別表「承認権限表」のとおりとする。",
        "2　承認者は、回付を受けた日から3営業日以内に承認又は差戻しを行う。",
        "3　承認者が出張、休暇等で不在のときは、あらかじめ指名した代行者が承認する。",
        "4　差し戻された申請は、申請者が修正のうえ再申請する。再申請の期限も第5条による。",
    ]),
    ("table", "別表　承認権限表", ["区分", "一次承認", "最終承認", "備考"], [
        ["1件5万円未満", "所属長", "所属長", "経理部が審査"],
        ["1件5万円以上30万円未満", "所属長", "部長", "事前承認が必要（第4条）"],
        ["1件30万円以上", "部長", "管理担当取締役", "事前承認が必要（第4条）"],
        ["交際費", "所属長", "部長", "様式第2号で事前申請（第10条）"],
    ]),
    ("article", "第15条（不正な請求）", [
        "虚偽の申請、二重の申請その他不正な請求が判明した場合、社員は受領した金額を直ちに返還しなければならない。",
        "2　前項の場合、会社は就業規則に基づき懲戒処分を行うことがある。",
    ]),
    ("article", "第16条（書類の保存）", [
        "経理部は、経費精算書、領収書その他の証憑を、法令に従い7年間保存する。電子データで受領した証憑は電子データのまま保存する。",
    ]),
    ("article", "第17条（所管及び改廃）", [
        "この規程の所管は経理部とし、改廃は取締役会の決議による。",
    ]),
    ("chapter", "附則"),
    ("para", "この規程は、2018年4月1日から施行する。"),
    ("para", "2023年10月1日改定（適格請求書等保存方式への対応：第7条第2項）"),
    ("para", "2025年10月1日改定（電子データの保存：第7条第3項、第16条／小口現金の受付日：第8条第2項）"),
    ("table", "様式一覧", ["様式番号", "名称", "提出先"], [
        ["様式第1号", "経費精算書", "所属長 → 経理部"],
        ["様式第2号", "交際費事前申請書", "部長"],
        ["様式第3号", "支払証明書（領収書紛失時）", "所属長 → 経理部"],
        ["様式第4号", "仮払金申請書・精算書", "所属長 → 経理部"],
    ]),
    ("para", "様式は社内ポータルの「規程・様式」フォルダに掲載している。経費精算システムの操作は経理部（内線 321）へ。"),
]

# ---------------------------------------------------------------------------------------------------------
# 出張旅費規程 (PDF)
# ---------------------------------------------------------------------------------------------------------
TRAVEL_RULES: list[Block] = [
    ("title", "出張旅費規程"),
    ("meta", f"{COMPANY}　規程番号 S-07　所管：総務部"),
    ("meta", "制定 2015年4月1日／最終改定 2026年4月1日"),
    ("article", "第1条（目的）", [
        "この規程は、役員及び社員が業務のため出張する場合の旅費の支給基準及び手続を定める。",
    ]),
    ("article", "第2条（適用範囲）", [
        "この規程は、役員、正社員及び契約社員に適用する。本社及び大阪営業所の勤務者に等しく適用する。",
    ]),
    ("article", "第3条（出張の定義）", [
        "この規程において出張とは、勤務地から片道50km以上の地域に業務のため赴くこと、又は宿泊を伴う業務をいう。",
        "2　片道50km未満の移動は近距離移動とし、交通費は経費精算規程第12条により精算する。日当は支給しない。",
    ]),
    ("article", "第4条（出張の申請）", [
        "出張する者は、出発の3営業日前までに様式第11号「出張申請書」を所属長に提出し、承認を得なければならない。",
        "2　宿泊を伴う出張、又は新幹線若しくは航空機を利用する出張は、部長の承認を要する。",
        "3　緊急を要し事前に申請できなかったときは、帰着後速やかに申請する。",
    ]),
    ("article", "第5条（旅費の種類）", [
        "旅費は、交通費、日当及び宿泊費とする。",
    ]),
    ("article", "第6条（交通機関）", [
        "交通費は、最も経済的かつ合理的な経路及び方法による実費とする。",
        "2　JR等の鉄道は、片道100km以上の区間に限り特急列車及び新幹線（普通車指定席）を利用できる。"
        "グリーン車は役員に限り利用できる。",
        "3　航空機は、片道500km以上の区間、又は時間的に合理的であると所属長が認めた場合に利用できる。"
        "座席はエコノミークラスとし、早期購入割引の利用に努める。",
        "4　航空会社のマイレージ等は個人が取得して差し支えない。ただし、それを理由に割高な経路や便を選んではならない。",
        "5　出張先でのタクシー利用は、経費精算規程第12条第2項に準ずる。",
    ]),
    ("article", "第7条（日当）", [
        "日当は、別表第1に定める額を出張の日数に応じて支給する。日当には出張中の食事代及び出張先での少額の交通費を含む。",
        "2　宿泊を伴わない出張（日帰り出張）の日当は、別表第1の「日帰り」欄の額とする。",
    ]),
    ("article", "第8条（宿泊費）", [
        "宿泊費は、別表第1に定める上限額の範囲内の実費（朝食代及び消費税を含む）を支給する。",
        "2　甲地とは東京23区、横浜市、名古屋市、京都市、大阪市、神戸市、福岡市及び札幌市をいい、乙地とはそれ以外の地域をいう。",
        "3　展示会の開催等により上限額以内で宿泊施設を確保できない場合は、事前に所属長の承認を得て、"
        "上限額の1.3倍を限度として実費を支給する。",
        "4　親族・知人宅に宿泊した場合、宿泊費は支給しない。",
    ]),
    ("table", "別表第1　日当及び宿泊費（1日・1泊当たり、税込）",
     ["役職", "日当（宿泊）", "日当（日帰り）", "宿泊費上限（甲地）", "宿泊費上限（乙地）"], [
         ["役員", "4,000円", "2,000円", "18,000円", "15,000円"],
         ["部長・次長", "3,000円", "1,500円", "14,000円", "12,000円"],
         ["課長・所長", "2,400円", "1,200円", "13,000円", "11,000円"],
         ["主任・一般社員", "2,000円", "1,000円", "12,000円", "10,000円"],
     ]),
    ("para", "※大阪営業所長は「課長・所長」欄を適用する。契約社員は「主任・一般社員」欄を適用する。"),
    ("article", "第9条（パック商品の利用）", [
        "交通機関と宿泊がセットになった商品（パック商品）が個別に手配するより安価な場合は、これを利用することができる。"
        "この場合は総額を実費で支給し、宿泊費の上限は適用しない。",
    ]),
    ("article", "第10条（社用車及び自家用車）", [
        "出張に社用車を利用する場合は、社用車利用ルールによる。",
        "2　自家用車の業務使用は原則として認めない。やむを得ず部長が許可した場合は、走行距離1km当たり25円を支給する。",
    ]),
    ("article", "第11条（仮払）", [
        "出張旅費の見込額が3万円以上となる場合は、経費精算規程第9条により仮払を受けることができる。",
    ]),
    ("article", "第12条（精算）", [
        "出張者は、帰着日から7日以内に様式第12号「出張旅費精算書」を所属長に提出し、精算しなければならない。",
        "2　交通費（航空券は搭乗券の控え又は領収書）及び宿泊費は、領収書を添付する。日当は領収書を要しない。",
        "3　出張者は、帰着後7日以内に様式第13号「出張報告書」を所属長に提出する。",
        "4　精算金は、経費精算規程第8条の定めにより給与振込口座へ振り込む。",
    ]),
    ("article", "第13条（出張中の休日）", [
        "出張中に休日がある場合も日当を支給する。休日に移動した場合の取扱いは就業規則による。",
    ]),
    ("article", "第14条（出張中の事故・病気）", [
        "出張中に事故、病気等があったときは、直ちに所属長及び総務部に連絡する。これに要した交通費、宿泊費の延長分等は実費を支給する。",
    ]),
    ("article", "第15条（海外出張）", [
        "海外出張の旅費は、別に定める海外出張旅費規程による。",
    ]),
    ("article", "第16条（所管及び改廃）", [
        "この規程の所管は総務部とし、改廃は取締役会の決議による。",
    ]),
    ("chapter", "附則"),
    ("para", "この規程は2015年4月1日から施行する。2022年4月1日改定（航空機の利用基準）。"),
    ("para", "2026年4月1日改定（宿泊料金の上昇に合わせ、別表第1の宿泊費上限を各1,000円〜2,000円引き上げ）。"),
    ("table", "様式一覧", ["様式番号", "名称", "提出期限"], [
        ["様式第11号", "出張申請書", "出発の3営業日前まで"],
        ["様式第12号", "出張旅費精算書", "帰着日から7日以内"],
        ["様式第13号", "出張報告書", "帰着日から7日以内"],
    ]),
]

# ---------------------------------------------------------------------------------------------------------
# 社用車利用ルール (TXT, Shift_JIS)
# ---------------------------------------------------------------------------------------------------------
CAR_RULES_TEXT = """\
社用車利用ルール

株式会社みどり精工　総務部
制定　2019年10月1日
改定　2023年12月1日（アルコールチェックの義務化に対応）
改定　2026年1月1日（4号車の入替え、予約期限の変更）

第1条（目的）
　このルールは、社用車を安全かつ適正に利用するため、予約、運転、点検、事故時の対応その他必要な事項を定める。

第2条（対象車両）
　対象となる社用車は次のとおりとする。
　　1号車　トヨタ プリウス（本社・1F駐車場 No.1）
　　2号車　トヨタ アクア（本社・1F駐車場 No.2）
　　3号車　トヨタ プロボックス（本社・1F駐車場 No.3、荷物運搬用）
　　4号車　ホンダ フィット（大阪営業所・ビル裏手の契約駐車場）
　2　車検証、自賠責保険証明書及び任意保険の連絡先カードは、各車両のグローブボックスに備え付ける。

第3条（安全運転管理者）
　本社の安全運転管理者は総務部の総務課長とし、大阪営業所では営業所長を副安全運転管理者とする。
　2　安全運転管理者は、運転者の登録、アルコールチェックの確認、車両の点検整備の管理を行う。

第4条（運転者）
　社用車を運転できるのは、普通自動車運転免許を取得して1年以上経過し、総務部に運転者登録をした社員に限る。
　2　運転者登録は、運転免許証の写しを添えて総務部に申し出る。
　3　登録者は毎年4月に運転免許証を総務部に提示し、有効期限と条件の確認を受ける。
　4　免許の停止・取消し、又は更新を忘れた場合は、直ちに総務部に届け出なければならない。

第5条（予約）
　社用車を利用する者は、グループウェアの施設予約（「社用車」）で、利用日の前日17時までに予約する。
　2　当日の利用は、空きがある場合に限り、総務部（内線301）に連絡のうえ利用できる。
　3　1回の予約は原則として1日以内とする。2日以上連続して利用する場合は、総務課長の承認を得る。
　4　大阪営業所の4号車は、営業所内の予約表に記入し、営業所長の承認を得る。

第6条（鍵の受渡し及び運行日報）
　鍵は本社3F総務部のキーボックスで保管する。鍵を受け取るときは、様式第41号「社用車運行日報」に
　利用者、行先、出発時刻及び出発時の走行距離を記入する。
　2　返却時は、帰着時刻、走行距離、給油の有無及び車両の異常の有無を運行日報に記入する。

第7条（アルコールチェック）
　運転者は、運転の前後にアルコール検知器で呼気を測定し、安全運転管理者（不在のときはその代行者）の
　目視による確認を受けなければならない。検知器は本社3F総務部及び大阪営業所に置く。
　2　直行・直帰などで対面による確認ができない場合は、携帯型アルコール検知器で測定し、
　カメラ付きの通話（Web会議等）又は電話で安全運転管理者に報告する。
　3　測定結果が0.00mg/Lでない場合は運転してはならない。前日の飲酒にも注意すること。
　4　確認の記録は総務部が1年間保存する。

第8条（運転時の遵守事項）
　運転者は、道路交通法その他の法令を守り、次の事項を遵守する。
　　(1) 飲酒運転、酒気帯び運転をしない。
　　(2) 運転中に携帯電話・スマートフォンを手に持って使用しない。通話は安全な場所に停車してから行う。
　　(3) 全席でシートベルトを着用させる。
　　(4) 社外の者を同乗させない。ただし、業務上必要で所属長が認めた場合を除く。
　　(5) 長時間運転する場合は、2時間ごとに休憩をとる。
　　(6) 車内は禁煙とする。

第9条（給油及び有料道路）
　給油は車両に備え付けの給油カードで行う。返却時に燃料計が半分以下の場合は、満タンにして返却する。
　2　有料道路はETCカードを利用する。駐車場代その他を現金で支払った場合は、経費精算規程により精算する。

第10条（返却）
　社用車は、原則として利用当日の19時までに返却する。やむを得ず遅れる場合は総務部に連絡する。
　2　返却時は、車内の清掃（ごみの持ち帰りを含む）を行い、鍵と運行日報を総務部に返す。
　3　車両に傷、警告灯の点灯その他の異常を見つけたときは、運行日報に記入し、総務部に口頭でも伝える。

第11条（事故時の対応）
　事故を起こし、又は事故に遭った場合は、次の順に対応する。
　　(1) 負傷者の救護を最優先し、必要に応じて119番に通報する。
　　(2) 二次事故の防止措置をとり、110番に通報して警察に届け出る。
　　(3) 総務部（内線301、時間外は総務部長の携帯電話）に連絡する。
　　(4) 相手方の氏名、連絡先、車両番号、保険会社を確認する。
　2　その場で示談や金銭の約束をしてはならない。保険会社への連絡は総務部が行う。
　3　運転者は、事故の翌日から3日以内に様式第42号「事故報告書」を総務部に提出する。

第12条（交通違反）
　駐車違反、速度超過その他の交通違反による反則金・罰金は、運転者本人が負担する。
　2　違反の通知があったときは、運転者は速やかに総務部に報告する。

第13条（私的利用の禁止）
　社用車を私用（通勤を含む）に使用してはならない。

第14条（自家用車の業務使用）
　自家用車の業務使用は原則として禁止する。例外の取扱いは出張旅費規程第10条による。

第15条（所管）
　このルールの所管は総務部とする。

【様式】
　様式第41号　社用車運行日報（キーボックス横に備付け）
　様式第42号　事故報告書（社内ポータル「規程・様式」）
【問い合わせ先】総務部 総務課（内線301）
"""

# ---------------------------------------------------------------------------------------------------------
# 備品一覧 (CSV, cp932)
# ---------------------------------------------------------------------------------------------------------
INVENTORY_HEADER = ["管理番号", "品名", "数量", "保管場所", "購入日", "備考"]
INVENTORY_ROWS: list[list[str]] = [
    ["PC-0201", "ノートPC ThinkPad L14（総務部）", "6", "本社3F 執務室", "2022/04/11", ""],
    ["PC-0212", "ノートPC ThinkPad L14（経理部）", "5", "本社3F 執務室", "2022/04/11", ""],
    ["PC-0223", "ノートPC ThinkPad E14（営業部）", "18", "本社4F 執務室", "2023/10/02", "外出用にプライバシーフィルター付き"],
    ["PC-0231", "ノートPC ThinkPad L14 Gen4（技術部）", "20", "本社4F 執務室", "2024/04/08", ""],
    ["PC-0238", "デスクトップPC（CAD用）", "4", "本社4F 執務室", "2021/07/20", "2026年度 更新予定"],
    ["PC-0240", "ノートPC ThinkPad L14（予備機）", "1", "本社4F 倉庫", "2022/04/11", "貸出用予備機（総務部で管理）"],
    ["PC-0241", "ノートPC ThinkPad L14（予備機）", "1", "本社4F 倉庫", "2022/04/11", "貸出用予備機（総務部で管理）"],
    ["PC-0245", "ノートPC ThinkPad E14（大阪営業所）", "8", "大阪営業所", "2023/10/02", ""],
    ["PC-0252", "ノートPC ThinkPad L14 Gen5", "3", "本社4F 倉庫", "2026/03/16", "新入社員用（2026年4月配備済み・残り在庫）"],
    ["MN-0101", "液晶モニター 24型", "60", "本社3F・4F 執務室", "2021/07/20", ""],
    ["MN-0118", "液晶モニター 27型（4K）", "4", "本社4F 執務室", "2023/02/14", "CAD用"],
    ["MN-0125", "液晶モニター 24型（予備）", "3", "本社4F 倉庫", "2024/09/05", "故障時の交換用"],
    ["MN-0130", "大型ディスプレイ 65型", "1", "会議室A", "2023/06/01", ""],
    ["MN-0131", "大型ディスプレイ 55型", "1", "会議室B", "2023/06/01", "HDMIケーブル 付属"],
    ["MN-0132", "ディスプレイ 43型", "1", "会議室C", "2024/01/15", "Web会議用"],
    ["PR-0011", "複合機（カラー A3）", "1", "本社3F 執務室", "2022/11/01", "リース（2027年10月満了）"],
    ["PR-0012", "複合機（カラー A3）", "1", "本社4F 執務室", "2022/11/01", "リース（2027年10月満了）"],
    ["PR-0015", "複合機（カラー A4）", "1", "大阪営業所", "2024/05/20", "リース"],
    ["PR-0021", "ラベルプリンター", "1", "本社3F 総務部", "2020/03/10", ""],
    ["PJ-0002", "プロジェクター", "1", "本社4F 倉庫", "2019/08/26", "貸出用"],
    ["PJ-0003", "モバイルプロジェクター", "1", "本社4F 倉庫", "2024/02/09", "貸出用（持ち出しは総務部へ申請）"],
    ["SC-0001", "プロジェクタースクリーン（自立式）", "1", "本社4F 倉庫", "2019/08/26", ""],
    ["CM-0008", "Webカメラ（会議室用 広角）", "2", "会議室B・会議室C", "2023/06/01", ""],
    ["CM-0010", "スピーカーフォン", "3", "本社4F 倉庫", "2023/06/01", "貸出用"],
    ["CM-0012", "ヘッドセット（USB）", "12", "本社4F 倉庫", "2025/05/12", "貸出用・消耗時は交換"],
    ["PH-0031", "IP電話機", "70", "本社3F・4F 執務室", "2021/07/20", ""],
    ["PH-0040", "業務用スマートフォン", "26", "各部", "2024/10/01", "営業部・大阪営業所・管理職に貸与"],
    ["NW-0003", "Wi-Fiアクセスポイント", "6", "本社3F・4F 天井", "2023/03/27", "ゲスト用SSIDあり"],
    ["NW-0007", "モバイルWi-Fiルーター", "4", "本社3F 総務部", "2024/07/01", "貸出用（出張・展示会）"],
    ["DS-0001", "事務机 W1200（片袖）", "62", "本社3F・4F 執務室", "2016/03/22", ""],
    ["DS-0063", "フリーアドレス用テーブル W2400", "4", "本社4F 執務室", "2023/06/01", ""],
    ["DS-0070", "事務机 W1200（予備）", "3", "本社4F 倉庫", "2016/03/22", ""],
    ["CH-0001", "事務用チェア（肘付き）", "64", "本社3F・4F 執務室", "2016/03/22", "2027年度 順次更新予定"],
    ["CH-0012", "事務用チェア（予備）", "4", "本社4F 倉庫", "2016/03/22", "うち1脚 ガス圧不良 修理依頼中"],
    ["CH-0020", "会議用チェア", "24", "会議室A・B・C", "2023/06/01", ""],
    ["CH-0045", "スタッキングチェア", "30", "本社4F 倉庫", "2018/04/02", "説明会・防災訓練用"],
    ["TB-0005", "会議テーブル W1800", "6", "会議室A", "2023/06/01", ""],
    ["TB-0006", "会議テーブル W1500", "4", "会議室B", "2023/06/01", ""],
    ["TB-0007", "ミーティングテーブル 丸型", "2", "会議室C・応接室", "2023/06/01", ""],
    ["TB-0010", "折りたたみテーブル", "10", "本社4F 倉庫", "2018/04/02", ""],
    ["WB-0001", "ホワイトボード（両面・脚付き）", "3", "会議室A・B・本社4F 執務室", "2019/08/26", "マーカーは総務部で補充"],
    ["CB-0001", "書庫（スチール 両開き）", "24", "本社3F・4F 執務室", "2016/03/22", ""],
    ["CB-0030", "耐火金庫", "1", "本社3F 経理部", "2016/03/22", ""],
    ["CB-0035", "機密文書回収ボックス（施錠式）", "2", "本社3F・4F 複合機横", "2022/11/01", "回収は毎月第2・第4水曜日"],
    ["KB-0001", "キーボックス", "1", "本社3F 総務部", "2019/10/01", "社用車・倉庫の鍵"],
    ["AL-0001", "アルコール検知器（据置型）", "1", "本社3F 総務部", "2023/11/20", "センサー交換 2026年11月予定"],
    ["AL-0002", "アルコール検知器（携帯型）", "4", "本社3F 総務部", "2023/11/20", "直行直帰時に貸出"],
    ["AL-0003", "アルコール検知器（据置型）", "1", "大阪営業所", "2023/11/20", ""],
    ["CAR-0001", "社用車 1号車 トヨタ プリウス", "1", "本社 1F駐車場", "2021/09/15", "車検 2026年9月 実施済み"],
    ["CAR-0002", "社用車 2号車 トヨタ アクア", "1", "本社 1F駐車場", "2023/03/01", ""],
    ["CAR-0003", "社用車 3号車 トヨタ プロボックス", "1", "本社 1F駐車場", "2020/06/10", "荷物運搬用"],
    ["CAR-0004", "社用車 4号車 ホンダ フィット", "1", "大阪営業所", "2025/12/10", "2026年1月 入替え"],
    ["BS-0001", "保存水 2L×6本（ケース）", "60", "本社4F 倉庫", "2025/09/10", "賞味期限 2030年9月"],
    ["BS-0002", "非常食セット（アルファ米・缶パン 3日分）", "80", "本社4F 倉庫", "2025/09/10", "賞味期限 2030年8月"],
    ["BS-0003", "簡易トイレ（50回分入り）", "24", "本社4F 倉庫", "2024/09/02", ""],
    ["BS-0004", "防災ヘルメット（折りたたみ式）", "80", "本社3F・4F 各自の机の下", "2022/09/01", ""],
    ["BS-0005", "アルミブランケット", "100", "本社4F 倉庫", "2024/09/02", ""],
    ["BS-0006", "LEDランタン・懐中電灯", "20", "本社3F 防災キャビネット", "2024/09/02", "電池は年1回点検"],
    ["BS-0007", "救急箱", "3", "本社3F 受付横・4F 給湯室・大阪営業所", "2025/04/01", "中身は毎年4月に補充"],
    ["BS-0008", "AED", "1", "本社3F 受付横", "2023/04/01", "リース・パッド交換 2027年3月"],
    ["BS-0010", "防災備蓄セット（大阪営業所 10人分）", "1", "大阪営業所", "2025/09/10", ""],
    ["ET-0001", "シュレッダー（大型）", "1", "本社3F 執務室", "2020/03/10", ""],
    ["ET-0002", "電動自転車", "1", "本社 1F駐輪場", "2024/04/01", "近距離の外出用・鍵は総務部"],
]

# ---------------------------------------------------------------------------------------------------------
# 社内よくある質問 (XLSX)
# ---------------------------------------------------------------------------------------------------------
FAQ_HEADER = ["No.", "分類", "質問", "回答", "根拠規程", "更新日"]
FAQ_ROWS: list[tuple[str, str, str, str, str]] = [
    ("経費", "経費精算の締め日と申請期限はいつですか？",
     "毎月末日締めで、翌月10日までに経費精算システムで申請してください。10日が土日祝の場合は翌営業日が期限です。",
     "経費精算規程 第5条", "2025-10-01"),
    ("経費", "立替えた経費はいつ振り込まれますか？",
     "期限までに承認された分は、翌月25日に給与振込口座へ振り込まれます（25日が休業日の場合は前営業日）。",
     "経費精算規程 第8条", "2025-10-01"),
    ("経費", "申請期限の10日を過ぎてしまいました。もう精算できませんか？",
     "経費精算書の備考欄に遅延の理由を書き、所属長の確認を得れば受け付けます。ただし支出日から3か月を過ぎたものは原則精算できません。",
     "経費精算規程 第5条第2項・第3項", "2025-10-01"),
    ("経費", "領収書をなくしてしまいました。",
     "様式第3号「支払証明書」に所属長の確認を受けて提出してください。年度内に3回を超える場合は経理部長の承認が必要です。",
     "経費精算規程 第7条第5項", "2025-10-01"),
    ("経費", "ネットで買った物の領収書はPDFしかありません。印刷が必要ですか？",
     "印刷は不要です。電子データのまま経費精算システムに添付してください（電子データのまま保存する決まりです）。",
     "経費精算規程 第7条第3項", "2025-10-01"),
    ("経費", "取引先との会食の上限はいくらですか？",
     "1人当たり1万円（税込）までです。事前に様式第2号「交際費事前申請書」で部長の承認を得てください。二次会は原則会社負担になりません。",
     "経費精算規程 第10条", "2025-10-01"),
    ("経費", "部内の打ち上げの飲食代は経費で落とせますか？",
     "社内の者だけの飲食は交際費として精算できません。",
     "経費精算規程 第10条第4項", "2025-10-01"),
    ("経費", "社内会議のお弁当代はいくらまでですか？",
     "1人1回1,500円（税込）以内です。",
     "経費精算規程 第11条", "2025-10-01"),
    ("経費", "残業で終電を逃しました。タクシー代は出ますか？",
     "業務で22時以降に帰宅し公共交通機関の利用が難しい場合などは、所属長が認めればタクシー代を精算できます。領収書に乗車区間と理由を書いてください。",
     "経費精算規程 第12条", "2025-10-01"),
    ("経費", "少額の立替えをすぐ現金で精算できますか？",
     "1件3,000円未満なら、本社3F経理部窓口の小口現金で精算できます（毎週火曜・金曜 14時〜16時）。",
     "経費精算規程 第8条第2項", "2025-10-01"),
    ("出張", "出張の宿泊費の上限はいくらですか？",
     "役職と地域で異なります。一般社員は甲地（東京23区・大阪市など）12,000円、乙地10,000円です（2026年4月改定）。",
     "出張旅費規程 第8条・別表第1", "2026-04-01"),
    ("出張", "日帰り出張でも日当は出ますか？",
     "片道50km以上の日帰り出張は、別表第1の「日帰り」欄の日当（一般社員 1,000円）が出ます。50km未満は日当なしです。",
     "出張旅費規程 第3条・第7条", "2026-04-01"),
    ("出張", "出張旅費の精算期限はいつですか？",
     "帰着日から7日以内に様式第12号「出張旅費精算書」を提出してください。出張報告書（様式第13号）も同じ期限です。",
     "出張旅費規程 第12条", "2026-04-01"),
    ("出張", "新幹線はいつから使えますか？グリーン車は？",
     "片道100km以上の区間で普通車指定席が使えます。グリーン車は役員のみです。",
     "出張旅費規程 第6条第2項", "2026-04-01"),
    ("出張", "展示会でホテルが高く、上限内で取れません。",
     "事前に所属長の承認を得れば、上限額の1.3倍まで実費で支給されます。",
     "出張旅費規程 第8条第3項", "2026-04-01"),
    ("休暇", "慶弔休暇は何日もらえますか？",
     "本人の結婚5日、配偶者の出産2日、配偶者・子・父母の死亡5日などです。日数表は慶弔見舞金規程を確認してください。",
     "慶弔見舞金規程 第3条", "2025-07-01"),
    ("休暇", "祖母が亡くなりました。忌引は何日ですか？",
     "祖父母の死亡は2日です（配偶者の祖父母は1日）。喪主を務める場合は1日加算されます。",
     "慶弔見舞金規程 第3条", "2025-07-01"),
    ("慶弔", "結婚したときのお祝い金はありますか？",
     "結婚祝金30,000円が出ます。様式第21号「慶弔届」を総務部に提出してください（事由発生から6か月以内）。",
     "慶弔見舞金規程 第5条・第8条", "2025-07-01"),
    ("慶弔", "社員の家族が亡くなったとき、供花は誰が手配しますか？",
     "本人・配偶者・子・父母（配偶者の父母を含む）の場合、総務部が会社名で供花と弔電を手配します。まず総務部へ連絡してください。",
     "慶弔見舞金規程 第6条", "2025-07-01"),
    ("備品", "ボールペンやノートなどの文房具はどこでもらえますか？",
     "本社4F倉庫で総務部が払い出しています。在庫がなく急ぐ場合に限り、個人で購入して精算できます。",
     "経費精算規程 第13条第2項", "2025-10-01"),
    ("備品", "プロジェクターやスピーカーフォンを借りたいです。",
     "本社4F倉庫に貸出用があります（PJ-0002、PJ-0003、CM-0010など）。社外へ持ち出す場合は総務部に申請してください。",
     "備品一覧", "2026-05-20"),
    ("IT", "PCが故障しました。代わりのPCはありますか？",
     "総務部 情報システム担当（内線305）に連絡してください。修理の間は予備機（PC-0240・PC-0241）を貸し出します。",
     "備品一覧", "2026-05-20"),
    ("IT", "来客用のWi-Fiはありますか？",
     "ゲスト用SSID「MIDORI-GUEST」があります。パスワードは会議室と受付に掲示しており、毎月1日に変わります。",
     "オフィス利用ガイド「来客対応」", "2026-05-20"),
    ("施設", "会議室はどうやって予約しますか？",
     "グループウェアの施設予約から予約します。2週間先まで、1回3時間までです。予約時刻から15分使われないと自動で解放されます。",
     "オフィス利用ガイド「会議室予約」", "2026-05-20"),
    ("施設", "土日に出社するときの入館方法は？",
     "前営業日の17時までにグループウェアで時間外入館申請をしてください。社員証で通用口から入館できます。",
     "オフィス利用ガイド「入退館」", "2026-05-20"),
    ("施設", "夜や休日に空調を使いたいです。",
     "時間外空調は、前営業日の15時までに総務部へ申請してください。費用は1時間4,000円で、部門負担です。",
     "オフィス利用ガイド「空調」", "2026-05-20"),
    ("施設", "機密書類はどう捨てればいいですか？",
     "複合機横の施錠式の機密文書回収ボックスに入れてください（クリップは外す）。回収は毎月第2・第4水曜日です。",
     "オフィス利用ガイド「ごみ分別」", "2026-05-20"),
    ("社用車", "社用車の予約はいつまでに必要ですか？",
     "利用日の前日17時までにグループウェアの施設予約で予約してください。当日は空きがあれば総務部（内線301）に連絡のうえ利用できます。",
     "社用車利用ルール 第5条", "2026-01-01"),
    ("社用車", "直行直帰で社用車を使う場合、アルコールチェックは？",
     "携帯型アルコール検知器を借りて測定し、カメラ付き通話か電話で安全運転管理者に報告してください。",
     "社用車利用ルール 第7条第2項", "2026-01-01"),
    ("社用車", "社用車で事故を起こしたらどうすればいいですか？",
     "負傷者の救護、110番通報、総務部（内線301）への連絡の順に対応し、示談はしないでください。3日以内に様式第42号「事故報告書」を提出します。",
     "社用車利用ルール 第11条", "2026-01-01"),
    ("防災", "地震のとき、どこに避難すればいいですか？",
     "本社は北側・南側の非常階段で避難し、第一集合場所の「みどり児童公園」（ビル東側、徒歩3分）に集まります。エレベーターは使いません。",
     "防災・避難マニュアル スライド4", "2026-09-01"),
    ("防災", "安否確認メールはいつ届きますか？",
     "本社所在地や自宅のある地域で震度5強以上の地震があると自動で届きます。2時間以内に回答してください。",
     "防災・避難マニュアル スライド5", "2026-09-01"),
    ("防災", "防災備蓄品はどこにありますか？",
     "本社4F倉庫と3Fの防災キャビネットにあります。水・非常食は全員分の3日分です。",
     "防災・避難マニュアル スライド6", "2026-09-01"),
]

# ---------------------------------------------------------------------------------------------------------
# 防災・避難マニュアル (PPTX)
# ---------------------------------------------------------------------------------------------------------
# Each slide: (title, [bullets]) where a bullet starting with "  " is a second-level bullet;
# optional table: (caption, header, rows).
Slide = tuple[str, list[str], tuple[list[str], list[list[str]]] | None]
SLIDES: list[Slide] = [
    ("防災・避難マニュアル（2026年度版）", [
        f"{COMPANY}　総務部（自衛消防隊事務局）",
        "対象：本社（大森第一ビル 3F・4F）及び大阪営業所の全従業員",
        "改訂：2026年9月1日（集合場所・安否確認の回答期限を更新）",
    ], None),
    ("地震発生時の行動", [
        "まず身の安全を確保する",
        "  机の下にもぐり、頭を守る（ヘルメットは各自の机の下）",
        "  窓・キャビネット・複合機から離れる",
        "揺れが収まったら",
        "  給湯室の火の始末、出口（ドア）を開けて確保する",
        "  エレベーターは使わない。館内放送と自衛消防隊の指示に従う",
        "外出中・通勤中は、周囲の安全を確保し、無理に出社しない",
    ], None),
    ("火災発生時の行動", [
        "「火事だ！」と大声で周囲に知らせる",
        "近くの火災報知器の発信機ボタンを押す（各フロア 非常階段前）",
        "初期消火：消火器は各フロア3本（給湯室前・複合機横・非常階段前）",
        "  炎が天井に届いたら消火をやめ、すぐに避難する",
        "通報連絡班が119番通報とビル防災センターへの連絡を行う",
        "煙を吸わないよう、姿勢を低くしハンカチ等で口と鼻を覆って避難",
    ], None),
    ("避難経路・集合場所", [
        "地震・火災で避難するとき、本社は北側・南側の非常階段を使う（エレベーター使用禁止）",
        "第一集合場所：みどり児童公園（ビル東側、徒歩約3分）に全員が集まる",
        "  避難誘導班が部署ごとに人数を確認し、自衛消防隊長に報告",
        "第二集合場所（広域避難場所）：区立みどり台小学校",
        "大阪営業所：ビルの避難誘導に従い、西中島センタービル前広場に集合",
        "来客は担当者が責任をもって誘導する",
    ], None),
    ("安否確認", [
        "震度5強以上（本社所在地または自宅のある地域）で安否確認メールを自動配信",
        "  受信したら2時間以内に「無事／けが／出社可否」を回答",
        "  家族の安否が確認できるまで、無理に出社しなくてよい",
        "メールが届かない・回答できない場合",
        "  所属長へ電話、またはSMS・災害用伝言ダイヤル（171）を利用",
        "総務部は回答状況を集計し、未回答者に所属長経由で連絡する",
    ], None),
    ("備蓄品（本社は3日分 × 80人分）", [
        "保管場所：本社4F倉庫、本社3F防災キャビネット、大阪営業所（10人分）",
        "毎年9月に総務部が点検。賞味期限まで6か月を切ったものは配布して入れ替え",
    ], (["品目", "数量", "保管場所"], [
        ["保存水 2L×6本", "60ケース（1人1日3L）", "4F倉庫"],
        ["非常食（アルファ米・缶パン）", "80セット（3日分）", "4F倉庫"],
        ["簡易トイレ", "50回分×24箱", "4F倉庫"],
        ["防災ヘルメット", "80個", "各自の机の下"],
        ["LEDランタン・懐中電灯", "20個", "3F防災キャビネット"],
        ["救急箱・AED", "救急箱3・AED1", "3F受付横ほか"],
    ])),
    ("自衛消防隊の役割", [
        "隊長：総務部長／副隊長：総務課長（不在時は副隊長が指揮）",
        "通報連絡班（総務部）：119番通報、ビル防災センター・大阪営業所への連絡",
        "初期消火班（各フロア2名）：消火器・屋内消火栓による初期消火",
        "避難誘導班（各部1名）：避難経路の誘導、集合場所での人数確認",
        "救護班（人事部・品質保証部）：けが人の応急手当、AEDの使用、救急隊への引継ぎ",
        "安全防護班（技術部）：防火扉の閉鎖確認、危険物・電源の遮断",
    ], None),
    ("帰宅困難時の対応", [
        "大きな地震の直後は一斉に帰宅しない（最大3日間は社内待機が原則）",
        "  備蓄品を使い、会社で待機する。帰宅は公共交通機関の復旧後、順次",
        "家族との連絡手段を事前に決めておく（171、SNS、集合場所）",
        "徒歩帰宅は、所属長の許可を得て、日中に複数人で行う",
    ], None),
    ("訓練と日頃の備え／緊急連絡先", [
        "防災訓練：年2回（6月・11月）全員参加。AED講習は毎年11月",
        "日頃の備え：机の下に物を置かない、キャビネットは転倒防止を確認",
        "総務部（自衛消防隊事務局）：内線301",
        "ビル防災センター（1F）：内線900",
        "大阪営業所：営業所長の携帯電話（緊急連絡網を参照）",
        "消防・救急：119　警察：110",
    ], None),
]


# fmt: on


# ---------------------------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------------------------
def build_docx(out: Path) -> None:
    """経費精算規程.docx: headings per chapter, one paragraph per 項/号, two real Word tables."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Yu Mincho"
    normal.font.size = Pt(10.5)
    # Word picks the East Asian font from w:eastAsia; without it Japanese falls back to the theme font.
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "游明朝")
    for style_name in ("Title", "Heading 1", "Heading 2"):
        style = doc.styles[style_name]
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "游ゴシック")

    props = doc.core_properties
    props.title = "経費精算規程"
    props.author = f"{COMPANY} 経理部"
    props.created = PINNED_TIME
    props.modified = PINNED_TIME
    props.last_modified_by = f"{COMPANY} 経理部"
    props.revision = 5

    for block in EXPENSE_RULES:
        kind = block[0]
        if kind == "title":
            heading = doc.add_heading(block[1], level=0)
            heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "meta":
            para = doc.add_paragraph(block[1])
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif kind == "chapter":
            doc.add_heading(block[1], level=1)
        elif kind == "article":
            doc.add_heading(block[1], level=2)
            for text in block[2]:
                para = doc.add_paragraph(text)
                if text.startswith("("):
                    para.paragraph_format.left_indent = Pt(21)
        elif kind == "para":
            doc.add_paragraph(block[1])
        elif kind == "table":
            _, caption, header, rows = block
            doc.add_paragraph(caption).runs[0].bold = True
            table = doc.add_table(rows=1, cols=len(header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, header, strict=True):
                cell.text = text
                cell.paragraphs[0].runs[0].bold = True
            for row in rows:
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    cell.text = text
            doc.add_paragraph("")
        else:  # pragma: no cover - a typo in the tables above
            raise ValueError(f"unknown block {kind!r}")
    doc.save(str(out))


def find_japanese_font(explicit: Path | None) -> tuple[Path, int]:
    """The font the PDF embeds (subset); fpdf2 reads .ttf, .otf and .ttc (with a collection index)."""
    if explicit is not None:
        if not explicit.is_file():
            raise SystemExit(f"フォントが見つかりません / font not found: {explicit}")
        return explicit, 0
    for path, index in FONT_CANDIDATES:
        if Path(path).is_file():
            return Path(path), index
    raise SystemExit(
        "日本語フォントが見つかりません。`apt-get install fonts-noto-cjk` を実行するか --font で指定してください。\n"
        "No Japanese font found: install fonts-noto-cjk (Debian/Ubuntu) or pass --font FILE.ttc/.otf/.ttf"
    )


_UNBREAKABLE = re.compile(r"[A-Za-z0-9.,%:/\-]+|.", re.DOTALL)
_NO_LINE_START = set("、。，．）」』】〕・：；？！ー々ぁぃぅぇぉっゃゅょァィゥェォッャュョ")


def wrap_japanese(pdf: Any, text: str, width: float) -> list[str]:
    """Break a line of Japanese the way a word processor would.

    fpdf2's WORD mode breaks only at spaces (so after the 項 number's full-width space) and CHAR mode splits
    numbers ("2" / "5円"); here runs of Latin letters and digits stay whole and closing punctuation hangs at
    the line end (ぶら下げ) rather than starting the next line (禁則).
    """
    lines: list[str] = []
    current = ""
    for token in _UNBREAKABLE.findall(text):
        if current and pdf.get_string_width(current + token) > width and token[0] not in _NO_LINE_START:
            lines.append(current)
            current = token
        else:
            current += token
    if current:
        lines.append(current)
    return lines


def build_pdf(out: Path, font: tuple[Path, int]) -> None:
    """出張旅費規程.pdf: A4, a real text layer (embedded, subset CJK font), a table with borders."""
    from fpdf import FPDF

    font_path, index = font

    class RulePDF(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("JP", size=8)
            self.cell(0, 10, f"出張旅費規程　{self.page_no()} / {{nb}}", align="C")

    pdf = RulePDF(format="A4")
    pdf.set_creation_date(PINNED_TIME)
    pdf.set_title("出張旅費規程")
    pdf.set_author(f"{COMPANY} 総務部")
    pdf.set_lang("ja")
    kwargs: dict[str, Any] = {"collection_font_number": index} if font_path.suffix.lower() == ".ttc" else {}
    pdf.add_font("JP", "", str(font_path), **kwargs)
    # Table headings are bold; use the family's bold file when it sits beside the regular one.
    bold_path = font_path.with_name(font_path.name.replace("Regular", "Bold"))
    pdf.add_font("JP", "B", str(bold_path if bold_path.is_file() else font_path), **kwargs)
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    width = pdf.epw
    for block in TRAVEL_RULES:
        kind = block[0]
        if kind == "title":
            pdf.set_font("JP", size=18)
            pdf.cell(width, 12, block[1], align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif kind == "meta":
            pdf.set_font("JP", size=9)
            pdf.cell(width, 5, block[1], align="R", new_x="LMARGIN", new_y="NEXT")
        elif kind == "chapter":
            pdf.ln(3)
            pdf.set_font("JP", size=12)
            pdf.cell(width, 8, block[1], new_x="LMARGIN", new_y="NEXT")
        elif kind == "article":
            pdf.ln(2.5)
            pdf.set_font("JP", size=11)
            pdf.cell(width, 7, block[1], new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("JP", size=10)
            for text in block[2]:
                indent = 4 if text.startswith("(") else 0
                pdf.set_x(pdf.l_margin + indent)
                for line in wrap_japanese(pdf, text, width - indent):
                    pdf.set_x(pdf.l_margin + indent)
                    pdf.cell(width - indent, 5.6, line, new_x="LMARGIN", new_y="NEXT")
        elif kind == "para":
            pdf.set_font("JP", size=9.5)
            for line in wrap_japanese(pdf, block[1], width):
                pdf.cell(width, 5.4, line, new_x="LMARGIN", new_y="NEXT")
        elif kind == "table":
            _, caption, header, rows = block
            if pdf.get_y() + 12 + 6.5 * (len(rows) + 1) > pdf.page_break_trigger:
                pdf.add_page()  # keep a table together with its caption
            pdf.ln(3)
            pdf.set_font("JP", size=10.5)
            pdf.cell(width, 7, caption, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("JP", size=9.5)
            with pdf.table(text_align="CENTER", line_height=6.5, first_row_as_headings=True) as table:
                for values in [header, *rows]:
                    row = table.row()
                    for value in values:
                        row.cell(value)
            pdf.ln(1)
        else:  # pragma: no cover
            raise ValueError(f"unknown block {kind!r}")
    pdf.output(str(out))


def build_xlsx(out: Path) -> None:
    """社内よくある質問.xlsx: one Q&A sheet with a filter, frozen header, real date cells."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "FAQ"
    ws.append(FAQ_HEADER)
    for number, (category, question, answer, basis, updated) in enumerate(FAQ_ROWS, start=1):
        ws.append([number, category, question, answer, basis, dt.date.fromisoformat(updated)])

    thin = Side(style="thin", color="999999")
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font = Font(bold=True, name="游ゴシック")
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row):
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            if cell.row > 1:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                cell.font = Font(name="游ゴシック", size=10)
    for cell in ws["F"][1:]:
        cell.number_format = "yyyy/mm/dd"
    for column, width in zip("ABCDEF", (5, 9, 40, 62, 26, 12), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:F{ws.max_row}"

    notes = wb.create_sheet("このシートについて")
    for line in (
        ["社内よくある質問（FAQ）"],
        [f"作成：{COMPANY} 総務部　最終更新：2026年9月1日"],
        [
            "回答は各規程の要約です。判断に迷う場合は根拠規程の本文を確認し、総務部（内線301）へお問い合わせください。"
        ],
        ["分類：経費・出張・休暇・慶弔・備品・IT・施設・社用車・防災"],
    ):
        notes.append(line)
    notes.column_dimensions["A"].width = 100

    wb.properties.creator = f"{COMPANY} 総務部"
    wb.properties.title = "社内よくある質問"
    wb.properties.created = PINNED_TIME
    wb.properties.modified = PINNED_TIME
    wb.save(str(out))


def _set_east_asian_font(run: Any, typeface: str) -> None:
    """python-pptx sets only the Latin face; PowerPoint needs <a:ea> to pick a Japanese font."""
    from pptx.oxml.ns import qn

    r_pr = run._r.get_or_add_rPr()
    for tag in ("a:latin", "a:ea"):
        element = r_pr.find(qn(tag))
        if element is None:
            element = r_pr.makeelement(qn(tag), {})
            r_pr.append(element)
        element.set("typeface", typeface)


def build_pptx(out: Path) -> None:
    """防災・避難マニュアル.pptx: 16:9, title + bullet slides, one slide with a table."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.enum.text import MSO_AUTO_SIZE, PP_ALIGN
    from pptx.util import Inches, Pt

    face = "Meiryo UI"
    prs = Presentation()
    prs.slide_width = Inches(13.333)
    prs.slide_height = Inches(7.5)
    prs.core_properties.title = "防災・避難マニュアル"
    prs.core_properties.author = f"{COMPANY} 総務部"
    prs.core_properties.created = PINNED_TIME
    prs.core_properties.modified = PINNED_TIME
    prs.core_properties.last_modified_by = f"{COMPANY} 総務部"
    prs.core_properties.revision = 3

    for number, (title, bullets, table_spec) in enumerate(SLIDES):
        layout = prs.slide_layouts[0] if number == 0 else prs.slide_layouts[1]
        slide = prs.slides.add_slide(layout)
        # A green band: the left edge on content slides, the top on the cover.
        band = slide.shapes.add_shape(
            MSO_SHAPE.RECTANGLE,
            0,
            0,
            prs.slide_width if number == 0 else Inches(0.25),
            Inches(0.5) if number == 0 else prs.slide_height,
        )
        band.fill.solid()
        band.fill.fore_color.rgb = RGBColor(0x2E, 0x7D, 0x4F)
        band.line.fill.background()
        title_shape = slide.shapes.title
        assert title_shape is not None
        title_shape.text = title
        if number == 0:
            title_shape.left, title_shape.top = Inches(0.8), Inches(2.0)
            title_shape.width, title_shape.height = Inches(11.7), Inches(1.5)
        else:
            title_shape.left, title_shape.top = Inches(0.6), Inches(0.3)
            title_shape.width, title_shape.height = Inches(12.1), Inches(1.0)
        for paragraph in title_shape.text_frame.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(40 if number == 0 else 32)
                run.font.bold = True
                run.font.color.rgb = RGBColor(0x1F, 0x5C, 0x3A)
                _set_east_asian_font(run, face)
            if number > 0:
                paragraph.alignment = PP_ALIGN.LEFT

        body = slide.placeholders[1]
        if number == 0:
            body.left, body.top, body.width, body.height = Inches(0.8), Inches(3.8), Inches(11.7), Inches(2.0)
        else:
            height = 2.4 if table_spec else 5.6
            body.left, body.top, body.width, body.height = (
                Inches(0.6),
                Inches(1.4),
                Inches(12.1),
                Inches(height),
            )
        frame = body.text_frame
        frame.clear()
        frame.auto_size = MSO_AUTO_SIZE.NONE  # keep the sizes set below; the template would shrink them
        for i, bullet in enumerate(bullets):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            level = 1 if bullet.startswith("  ") else 0
            paragraph.text = bullet.strip()
            paragraph.level = level
            for run in paragraph.runs:
                run.font.size = Pt(20 if number == 0 else (24 if level == 0 else 20))
                _set_east_asian_font(run, face)

        if table_spec is not None:
            header, rows = table_spec
            shape = slide.shapes.add_table(
                len(rows) + 1,
                len(header),
                Inches(0.9),
                Inches(3.6),
                Inches(11.5),
                Inches(0.42 * (len(rows) + 1)),
            )
            table = shape.table
            for col, width in enumerate((5.0, 3.5, 3.0)):
                table.columns[col].width = Inches(width)
            for r, values in enumerate([header, *rows]):
                for c, value in enumerate(values):
                    cell = table.cell(r, c)
                    cell.text = value
                    for run in cell.text_frame.paragraphs[0].runs:
                        run.font.size = Pt(16)
                        run.font.bold = r == 0
                        _set_east_asian_font(run, face)

        footer = slide.shapes.add_textbox(Inches(0.6), Inches(6.95), Inches(12.1), Inches(0.4))
        footer.text_frame.text = f"{COMPANY}　防災・避難マニュアル　{number + 1}"
        for run in footer.text_frame.paragraphs[0].runs:
            run.font.size = Pt(11)
            run.font.color.rgb = RGBColor(0x66, 0x66, 0x66)
            _set_east_asian_font(run, face)
    prs.save(str(out))


def build_txt(out: Path) -> None:
    """社用車利用ルール.txt in Shift_JIS (cp932) with CRLF, as Windows Notepad used to save it."""
    out.write_bytes(CAR_RULES_TEXT.replace("\n", "\r\n").encode("cp932"))


def build_csv(out: Path) -> None:
    """備品一覧.csv in cp932 with CRLF, as Excel's 「CSV (コンマ区切り)」 writes it; codes stay text."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(INVENTORY_HEADER)
    writer.writerows(INVENTORY_ROWS)
    out.write_bytes(buffer.getvalue().encode("cp932"))


def pin_zip_times(path: Path) -> None:
    """Rewrite an OOXML zip with fixed entry times so a rebuild gives identical bytes.

    openpyxl stamps ``dcterms:modified`` with the current time on save whatever we set, so that one
    property is pinned here too.
    """
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info.filename)) for info in source.infolist()]
    stamp = PINNED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    entries = [
        (
            info,
            re.sub(
                rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\g<2>", data
            ),
        )
        if info.filename == "docProps/core.xml"
        else (info, data)
        for info, data in entries
    ]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            pinned = zipfile.ZipInfo(info.filename, date_time=PINNED_TIME.timetuple()[:6])
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = 0o644 << 16
            target.writestr(pinned, data)


FILES = {
    "docx": "経費精算規程.docx",
    "pdf": "出張旅費規程.pdf",
    "xlsx": "社内よくある質問.xlsx",
    "pptx": "防災・避難マニュアル.pptx",
    "txt": "社用車利用ルール.txt",
    "csv": "備品一覧.csv",
}


def build_all(out_dir: Path, font: Path | None = None) -> list[Path]:
    """Write the six generated files into ``out_dir`` and return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, name in FILES.items():
        path = out_dir / name
        if kind == "docx":
            build_docx(path)
        elif kind == "pdf":
            build_pdf(path, find_japanese_font(font))
        elif kind == "xlsx":
            build_xlsx(path)
        elif kind == "pptx":
            build_pptx(path)
        elif kind == "txt":
            build_txt(path)
        else:
            build_csv(path)
        if kind in ("docx", "xlsx", "pptx"):
            pin_zip_times(path)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: kb/demo)")
    parser.add_argument("--font", type=Path, default=None, help="Japanese .ttc/.otf/.ttf for the PDF")
    args = parser.parse_args(argv)
    for path in build_all(args.out, args.font):
        print(f"{path.stat().st_size:>9,d}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
