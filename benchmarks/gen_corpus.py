"""Deterministic generator of a large Japanese 総務 corpus for the knowledge-base benchmarks.

    .venv/bin/python benchmarks/gen_corpus.py                      # 10,000 files (~50 MB) in benchmarks/out/corpus
    .venv/bin/python benchmarks/gen_corpus.py --files 2000 --offset 10000 --out benchmarks/out/corpus/extra

Files are rule-like Japanese (規程・要領・マニュアル with 第N条 articles, numbered paragraphs), plain-text
notices, and CSV registers, built from sentence templates and a vocabulary of 総務 terms with a seeded RNG.
File ``i`` depends only on ``(seed, i)``, so ``--offset`` extends a corpus without changing what exists.
Mix: ~70% .md, ~20% .txt, ~10% .csv (half of the CSVs in cp932, as Excel writes them); nested folders
部署/年度/分類 plus a few deeper archive trees. Each file carries a unique 文書番号 (e.g. ``SD-SOM-00042``).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

DEPTS = [
    ("総務部", "SOM"), ("人事部", "JIN"), ("経理部", "KEI"), ("営業部", "EIG"), ("情報システム部", "JSY"),
    ("製造部", "SEI"), ("品質保証部", "HIN"), ("法務部", "HOM"), ("広報部", "KOH"), ("研究開発部", "KEN"),
]
YEARS = ["2021年度", "2022年度", "2023年度", "2024年度", "2025年度"]
KINDS = ["規程", "要領", "マニュアル", "通知"]

# topic: (title stem, chapter names, article headings, key nouns)
TOPICS: list[tuple[str, list[str], list[str], list[str]]] = [
    ("就業", ["総則", "採用及び異動", "勤務", "休暇", "服務規律"],
     ["目的", "適用範囲", "採用手続", "試用期間", "始業及び終業の時刻", "休憩時間", "休日", "時間外労働",
      "年次有給休暇", "慶弔休暇", "遅刻及び早退", "服務の心得"],
     ["従業員", "所属長", "勤務時間", "休日", "年次有給休暇", "時間外労働", "労使協定", "勤怠記録"]),
    ("出張旅費", ["総則", "国内出張", "海外出張", "精算"],
     ["目的", "出張の定義", "出張申請", "交通機関", "日当", "宿泊料", "旅費の仮払い", "旅費の精算",
      "外貨の換算", "不正受給の禁止"],
     ["出張者", "日当", "宿泊料", "交通費", "航空券", "新幹線", "出張報告書", "仮払金", "領収書"]),
    ("経費精算", ["総則", "立替払い", "支払手続"],
     ["目的", "対象経費", "立替払いの手続", "領収書の提出", "交際費", "会議費", "精算期限", "承認権限"],
     ["立替金", "領収書", "交際費", "会議費", "経費精算書", "承認者", "支払日", "インボイス"]),
    ("慶弔見舞金", ["総則", "慶事", "弔事", "見舞金"],
     ["目的", "結婚祝金", "出産祝金", "弔慰金", "傷病見舞金", "災害見舞金", "申請手続", "支給額"],
     ["結婚祝金", "出産祝金", "弔慰金", "見舞金", "香典", "供花", "申請書", "親族"]),
    ("情報セキュリティ", ["総則", "情報資産の管理", "利用者の義務", "事故対応"],
     ["目的", "情報資産の分類", "パスワードの管理", "持出しの制限", "電子メールの利用", "ウイルス対策",
      "インシデントの報告", "教育"],
     ["情報資産", "パスワード", "ノートパソコン", "USBメモリ", "電子メール", "ウイルス対策ソフト",
      "アクセス権", "情報システム部"]),
    ("文書管理", ["総則", "文書の作成", "保存及び廃棄"],
     ["目的", "文書の定義", "起案", "決裁", "文書の保存期間", "保存場所", "廃棄の手続", "電子文書"],
     ["稟議書", "決裁権者", "保存期間", "文書庫", "廃棄", "電子署名", "押印", "台帳"]),
    ("車両管理", ["総則", "使用手続", "事故及び違反"],
     ["目的", "社用車の範囲", "使用申請", "運転者の遵守事項", "鍵の管理", "給油", "事故の報告", "交通違反"],
     ["社用車", "運転日報", "運転免許証", "アルコールチェック", "給油カード", "駐車場", "自動車保険"]),
    ("防災", ["総則", "平常時の備え", "災害発生時の対応"],
     ["目的", "防災組織", "避難経路", "備蓄品", "避難訓練", "安否確認", "帰宅困難者対策", "消火器の点検"],
     ["避難経路", "安否確認システム", "備蓄品", "非常食", "消火器", "自衛消防隊", "防災訓練", "AED"]),
    ("備品管理", ["総則", "購入及び登録", "貸与及び返却"],
     ["目的", "備品の範囲", "購入手続", "備品台帳", "貸与", "修理", "棚卸し", "廃棄"],
     ["備品台帳", "管理番号", "ノートパソコン", "複合機", "プロジェクター", "事務机", "棚卸し", "資産管理"]),
    ("育児介護休業", ["総則", "育児休業", "介護休業", "短時間勤務"],
     ["目的", "育児休業の対象者", "育児休業の申出", "出生時育児休業", "介護休業", "子の看護休暇",
      "介護休暇", "所定外労働の制限", "短時間勤務制度"],
     ["育児休業", "介護休業", "子の看護休暇", "短時間勤務", "申出書", "育児休業給付金", "対象家族"]),
    ("テレワーク", ["総則", "勤務", "費用負担"],
     ["目的", "在宅勤務の対象者", "申請手続", "勤務場所", "労働時間の管理", "通信費の負担", "機器の貸与",
      "情報管理"],
     ["在宅勤務", "テレワーク", "通信費", "貸与パソコン", "VPN", "勤怠システム", "サテライトオフィス"]),
    ("施設利用", ["総則", "会議室", "共用部"],
     ["目的", "会議室の予約", "利用時間", "来客の受付", "入館証", "喫煙場所", "清掃", "忘れ物"],
     ["会議室", "予約システム", "入館証", "受付", "来客", "喫煙所", "共用部", "セキュリティカード"]),
    ("給与", ["総則", "基本給", "手当", "支払"],
     ["目的", "給与の構成", "基本給", "通勤手当", "住宅手当", "家族手当", "時間外手当", "支払日", "控除"],
     ["基本給", "通勤手当", "住宅手当", "家族手当", "割増賃金", "給与明細", "源泉徴収", "社会保険料"]),
    ("ハラスメント防止", ["総則", "禁止行為", "相談及び対応"],
     ["目的", "パワーハラスメントの禁止", "セクシュアルハラスメントの禁止", "相談窓口", "事実調査",
      "不利益取扱いの禁止", "懲戒", "再発防止"],
     ["相談窓口", "パワーハラスメント", "セクシュアルハラスメント", "事実調査", "被害者", "行為者"]),
]

SUBJECTS = ["従業員", "社員", "所属長", "総務部長", "申請者", "管理責任者", "担当者", "会社", "利用者", "部門長"]
PERSONS = ["従業員", "社員", "申請者", "出張者", "パートタイマー", "派遣社員"]
RECIPIENTS = ["総務部", "人事部", "所属長", "経理部", "管理責任者", "情報システム部", "部門長"]
TIMINGS = ["事前に", "速やかに", "前日までに", "3営業日前までに", "翌月5日までに", "7日以内に", "遅滞なく",
           "1週間前までに", "当月末日までに"]
PERIODS = ["1回", "1日", "1か月", "1事業年度", "1泊", "1件"]
ACTIONS = ["確認する", "記録する", "管理する", "保管する", "点検する", "報告する", "承認する", "周知する"]
EVENTS = ["異動した", "結婚した", "転居した", "出産した", "退職した", "入院した", "負傷した", "氏名を変更した"]
CONDS = ["業務上必要がある", "やむを得ない事由がある", "会社が特に認めた", "緊急を要する", "所属長の承認を得た",
         "法令に定めがある", "疑義が生じた"]
DOCS = ["申請書", "届出書", "報告書", "精算書", "稟議書", "誓約書", "診断書", "領収書の写し"]

SENTENCES = [
    "{subj}は、{cond}場合、{timing}{doc}を{rcpt}に提出しなければならない。",
    "{cost}の上限は、{period}につき{amount}円とする。",
    "{subj}は、{noun}を適切に{action}ものとする。",
    "前項の規定にかかわらず、{rcpt}が特に認めた場合は、この限りでない。",
    "{noun}に関する事項については、別に定める{rule}による。",
    "{person}が{event}ときは、{days}日以内に{rcpt}へ届け出ること。",
    "{noun}は、{rcpt}が一元的に{action}。",
    "{subj}は、{noun}の取扱いについて、{rcpt}の指示に従わなければならない。",
    "{doc}の有効期間は、{months}か月とする。ただし、更新を妨げない。",
    "{cond}ときは、{subj}は{noun}の利用を制限することがある。",
    "{cost}は、実費を支給する。ただし、{amount}円を超える場合は{rcpt}の承認を要する。",
    "この条に定める手続は、{system}により行う。",
    "{subj}は、{noun}について疑問がある場合、{rcpt}に相談することができる。",
    "{noun}の記録は、{years}年間保存する。",
]
COSTS = ["交通費", "宿泊料", "日当", "会議費", "交際費", "通信費", "見舞金", "補助額", "書籍購入費", "備品購入費"]
SYSTEMS = ["ワークフローシステム", "勤怠管理システム", "経費精算システム", "社内ポータル", "電子申請システム"]
CSV_ITEMS = ["ノートパソコン", "デスクトップパソコン", "液晶モニター", "複合機", "プロジェクター", "事務机", "事務椅子",
             "書庫", "シュレッダー", "電話機", "社用車", "AED", "消火器", "ホワイトボード", "タブレット端末"]
PLACES = ["本社3階", "本社5階", "大阪支店", "名古屋営業所", "福岡営業所", "倉庫", "会議室A", "会議室B", "受付"]
STATES = ["使用中", "修理中", "未使用", "廃棄予定"]
KANJI_NUM = "〇一二三四五六七八九"


def fill(rng: random.Random, template: str, nouns: list[str]) -> str:
    return template.format(
        subj=rng.choice(SUBJECTS), person=rng.choice(PERSONS), cond=rng.choice(CONDS), timing=rng.choice(TIMINGS), doc=rng.choice(DOCS),
        rcpt=rng.choice(RECIPIENTS), noun=rng.choice(nouns), period=rng.choice(PERIODS),
        amount=f"{rng.choice([1, 2, 3, 5, 8, 10, 15, 20, 30, 50]) * 1000:,}", action=rng.choice(ACTIONS),
        rule=rng.choice(TOPICS)[0] + rng.choice(["規程", "細則", "要領"]), event=rng.choice(EVENTS),
        days=rng.choice([3, 5, 7, 10, 14, 30]), months=rng.choice([3, 6, 12, 24]), system=rng.choice(SYSTEMS),
        years=rng.choice([1, 3, 5, 7, 10]), cost=rng.choice(COSTS),
    )


def paragraph(rng: random.Random, nouns: list[str]) -> str:
    return "".join(fill(rng, rng.choice(SENTENCES), nouns) for _ in range(rng.randint(1, 3)))


def target_bytes(rng: random.Random) -> int:
    # skewed sizes, mean ~5 KB: most files are short rules, a few are long manuals
    return int(min(40_000, max(800, rng.lognormvariate(8.3, 0.6))))


def rule_file(rng: random.Random, i: int, dept: tuple[str, str], kind: str, markdown: bool) -> str:
    stem, chapters, headings, nouns = rng.choice(TOPICS)
    title = f"{stem}{kind}"
    code = f"SD-{dept[1]}-{i:05d}"
    budget = target_bytes(rng)
    out = [f"# {title}" if markdown else title, "",
           f"文書番号: {code}　主管: {dept[0]}　制定: {2000 + rng.randint(5, 24)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日", ""]
    size = sum(len(s.encode()) for s in out)
    article = 0
    chapter_i = 0
    while size < budget:
        if article == 0 or rng.random() < 0.2:
            chapter_i += 1
            name = chapters[(chapter_i - 1) % len(chapters)]
            line = f"## 第{chapter_i}章　{name}" if markdown else f"第{chapter_i}章　{name}"
            out += [line, ""]
            size += len(line.encode()) + 2
        article += 1
        heading = headings[(article - 1) % len(headings)] if article <= len(headings) else rng.choice(headings)
        head = f"### 第{article}条　{heading}" if markdown else f"（{heading}）"
        out += [head, ""] if markdown else [head]
        for n in range(1, rng.randint(1, 4) + 1):
            para = paragraph(rng, nouns)
            if markdown:
                line = f"{n}. {para}"
            else:  # the traditional plain-text layout: 第N条　本文 / 二　本文
                line = f"第{article}条　{para}" if n == 1 else f"{KANJI_NUM[n]}　{para}"
            out.append(line)
            size += len(line.encode()) + 1
        out.append("")
        size += len(head.encode()) + 2
    out += ["附則" if not markdown else "## 附則", "", f"この{kind}は、{rng.choice(YEARS)[:4]}年4月1日から施行する。", ""]
    return "\n".join(out)


def csv_file(rng: random.Random, i: int, dept: tuple[str, str]) -> str:
    rows = ["管理番号,品名,部署,設置場所,購入日,金額,状態,備考"]
    for n in range(rng.randint(40, 160)):
        item = rng.choice(CSV_ITEMS)
        rows.append(",".join([
            f"{dept[1]}-{i:05d}-{n:03d}", item, dept[0], rng.choice(PLACES),
            f"20{rng.randint(15, 25)}/{rng.randint(1, 12)}/{rng.randint(1, 28)}",
            str(rng.choice([3, 5, 8, 12, 15, 25, 40, 120]) * 1000), rng.choice(STATES),
            rng.choice(["", "", "保守契約あり", "リース", "点検済み", "要更新"]),
        ]))
    return "\r\n".join(rows) + "\r\n"


def relpath(rng: random.Random, i: int, dept: tuple[str, str]) -> Path:
    if rng.random() < 0.03:  # a few deep archive trees
        return Path("アーカイブ", dept[0], "旧規程", rng.choice(YEARS), "改定前", "保管用")
    return Path(dept[0], rng.choice(YEARS), rng.choice(KINDS))


def write_file(root: Path, seed: int, i: int) -> int:
    """Write file number ``i``; return its size in bytes."""
    rng = random.Random(seed * 1_000_003 + i)
    dept = DEPTS[i % len(DEPTS)]
    folder = root / relpath(rng, i, dept)
    folder.mkdir(parents=True, exist_ok=True)
    roll = rng.random()
    if roll < 0.10:
        data = csv_file(rng, i, dept)
        encoding = "cp932" if i % 2 else "utf-8"
        path = folder / f"備品一覧_{dept[1]}_{i:05d}.csv"
        raw = data.encode(encoding)
    else:
        kind = rng.choice(KINDS[:3])
        markdown = roll < 0.80
        text = rule_file(rng, i, dept, kind, markdown)
        path = folder / f"{i:05d}_{text.splitlines()[0].lstrip('# ')}.{'md' if markdown else 'txt'}"
        raw = text.encode("utf-8")
    path.write_bytes(raw)
    return len(raw)


def generate(root: Path, files: int, offset: int = 0, seed: int = 20240401) -> tuple[int, int]:
    root.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(offset, offset + files):
        total += write_file(root, seed, i)
    return files, total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "corpus")
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--offset", type=int, default=0, help="number of the first file (extends a corpus)")
    ap.add_argument("--seed", type=int, default=20240401)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    n, size = generate(args.out, args.files, args.offset, args.seed)
    print(f"{n} files, {size / 1e6:.1f} MB in {args.out} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
