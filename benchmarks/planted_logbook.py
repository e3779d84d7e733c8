"""A generated logbook with planted patterns, for the themes/FAQ benchmark and the tests.

Planted: floor-note problems told in different words by several departments (and filed under different
categories), some re-reported after they were marked 対応済; questions asked many ways at the desk; and
one-off notes and questions as noise. :func:`planted` returns the records and the truth (which record IDs
belong to which planted pattern), so precision and recall can be measured. Deterministic for a seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from desktop.logbook import Inquiry, Note, Source

DEPARTMENTS = ["営業部", "経理部", "人事部", "開発部", "物流部", "品質保証部", "経営企画室", "総務部"]
SPEAKERS = ["山田 太郎", "佐藤 花子", "鈴木 一郎", "高橋 美穂", "田中 健", "伊藤 さくら"]

# Each planted note theme: place, categories people might choose, and paraphrases (no two alike).
NOTE_THEMES: dict[str, dict[str, object]] = {
    "cold_meeting_room": {
        "place": "本社3F 会議室A",
        "categories": ["空調・照明・騒音", "設備・備品", "その他", "働き方・人間関係"],
        "texts": [
            "会議室Aがとにかく寒い。冷房が強すぎる。",
            "会議室Aの冷房が効きすぎていて寒くて震える。",
            "会議室Aでの打ち合わせ中、寒くて上着が手放せない。",
            "会議室Aの空調が寒すぎて会議に集中できないという声。",
            "会議室Aの冷房の温度設定が低く、寒いと苦情。",
            "会議室Aは夏でも寒い。ひざ掛けを置いてほしい。",
            "来客から会議室Aが寒いと言われた。空調を見てほしい。",
            "会議室Aの吹き出し口の真下の席が特に寒い。",
            "会議室Aの冷房を弱められないかと相談。寒いとのこと。",
        ],
    },
    "dark_parking": {
        "place": "駐車場",
        "categories": ["安全・防災", "空調・照明・騒音", "設備・備品"],
        "texts": [
            "夜の駐車場が暗くて足元が見えない。照明を増やしてほしい。",
            "駐車場の照明が切れていて真っ暗で怖い。",
            "駐車場の奥の照明が暗く、車止めにつまずきそうになった。",
            "退勤時の駐車場が暗すぎて危ないとの声。",
            "駐車場の照明が一つ消えたまま。夜は暗い。",
            "駐車場の照明の数が少なく、冬の夕方は暗くて不安。",
            "駐車場が暗いので防犯面でも心配との意見。",
            "駐車場の照明を明るいものに替えてほしい。暗くて見えにくい。",
        ],
    },
    "copier_jam": {
        "place": "本社2F 執務室",
        "categories": ["IT・機器", "設備・備品", "その他"],
        "texts": [
            "2Fの複合機がすぐ紙詰まりする。",
            "複合機の紙詰まりが毎日のように起きて印刷が止まる。",
            "複合機でまた紙詰まり。急ぎの資料が出せなかった。",
            "2Fの複合機、両面印刷にすると必ず紙詰まりする。",
            "複合機の紙詰まりの直し方が分からないという声が多い。",
            "複合機が紙詰まりばかりで、3Fまで印刷しに行っている。",
            "複合機の給紙トレイで紙詰まり。業者点検を希望。",
        ],
    },
    "toilet_leak": {
        "place": "本社1F トイレ",
        "categories": ["清掃・衛生", "設備・備品", "安全・防災"],
        "texts": [
            "1Fトイレの手洗い場の下から水漏れしている。",
            "1Fトイレの床が水漏れで濡れていて滑りそう。",
            "トイレの個室の配管から水漏れ。床に水たまり。",
            "1Fトイレでまた水漏れ。前に直したはずの所。",
            "トイレの水漏れで床が濡れている。転倒が心配。",
            "1Fトイレの洗面台の水漏れがひどくなっている。",
            "トイレの水漏れの跡が床に残り、においもする。",
        ],
    },
    "osaka_wifi": {
        "place": "大阪営業所",
        "categories": ["IT・機器", "その他", "設備・備品"],
        "texts": [
            "大阪営業所のWi-Fiがつながらない時間帯がある。",
            "大阪営業所でWi-Fiが頻繁に切れてWeb会議が落ちる。",
            "大阪営業所の奥の席はWi-Fiが弱くてつながらない。",
            "大阪営業所のWi-Fiが遅く、資料のダウンロードに時間がかかる。",
            "大阪営業所ではWi-Fiの接続が不安定との声。",
            "大阪営業所のWi-Fiが午後になるとつながらなくなる。",
        ],
    },
}

# Planted questions asked many ways, with the answer staff gave and the rule cited.
QUESTIONS: dict[str, dict[str, object]] = {
    "expense_deadline": {
        "category": "経費精算",
        "answer": "毎月末締めで、翌月10日までに経費精算システムで申請してください。",
        "source": ("経費精算規程.docx", "経費精算規程", "第5条"),
        "texts": [
            "経費精算の締め日はいつですか？",
            "経費精算の締め日っていつでしたっけ？",
            "経費精算の申請期限を教えてください。",
            "経費精算はいつまでに申請すればいいですか？",
            "今月の経費精算の締め切りはいつ？",
            "経費精算の提出期限は何日ですか？",
            "経費精算の期限を過ぎそうです。締め日はいつ？",
            "出張の経費精算の申請期限はいつまで？",
            "経費精算の締め日と申請の期限を確認したい。",
        ],
    },
    "condolence_leave": {
        "category": "慶弔・福利厚生",
        "answer": "慶弔休暇は本人の結婚で5日、父母の死亡で5日です。慶弔見舞金規程をご確認ください。",
        "source": ("慶弔見舞金規程.md", "慶弔見舞金規程", "第3条"),
        "texts": [
            "慶弔休暇は何日もらえますか？",
            "結婚するときの慶弔休暇は何日？",
            "父が亡くなったので慶弔休暇を取りたい。何日取れますか？",
            "慶弔休暇の日数を教えてください。",
            "身内の不幸で慶弔休暇は何日取れる？",
            "慶弔休暇の申請方法と日数は？",
        ],
    },
    "business_cards": {
        "category": "備品・消耗品",
        "answer": "名刺は総務部へ名刺発注フォームで依頼してください。納品まで約1週間です。",
        "source": ("オフィス利用ガイド.html", "オフィス利用ガイド", "名刺の発注"),
        "texts": [
            "名刺の発注はどうすればいいですか？",
            "名刺がなくなりそう。名刺の追加発注の方法は？",
            "新しい名刺を発注したい。",
            "名刺の発注から届くまで何日かかる？",
            "異動したので名刺を発注し直したい。",
        ],
    },
}

NOISE_NOTES = [
    "エレベーターの点検のお知らせが掲示板に貼られていない。",
    "食堂の新メニューが好評だった。",
    "倉庫の棚のラベルが古く、品番が読めない。",
    "喫煙所の灰皿がいっぱいになっている。",
    "受付の観葉植物が枯れかけている。",
    "非常階段の扉が重く、開けにくいという声。",
    "シュレッダーのごみ袋の替えが見当たらない。",
    "更衣室のロッカーの鍵を紛失したとの報告。",
    "給湯室の電子レンジが一台しかなく昼に行列になる。",
    "社内報の配布が遅れている。",
    "ブラインドのひもが絡まって上がらない。",
    "自販機の釣り銭切れが多い。",
    "掲示板の古いポスターを外してほしい。",
    "来客用スリッパが足りない。",
    "消火器の前に段ボールが積まれていた。",
    "防災訓練の日程を早めに知らせてほしい。",
    "新人研修の資料が古い版のままだった。",
    "社用車のガソリンカードの置き場所が分からない。",
    "フリーアドレスの席取りでもめている。",
    "入館証の再発行に時間がかかった。",
]
NOISE_QUESTIONS = [
    "社員旅行の積立はいくらですか？",
    "健康診断の予約はどこからしますか？",
    "住所変更の届け出はどうすればいい？",
    "育児休業の申請書はどこにありますか？",
    "社用車の予約方法を教えてください。",
    "傘の貸し出しはしていますか？",
    "年末調整の書類はいつ配られますか？",
    "PCのパスワードを忘れました。",
    "会議室の予約を取り消したい。",
    "郵便物の発送は何時までですか？",
    "制服のサイズ交換はできますか？",
    "通勤経路を変更したい。",
]
UNANSWERED_SEARCHES = {
    "pet_allowance": ["ペット手当はありますか", "ペットの手当", "ペット 手当 支給"],
}


@dataclass
class Planted:
    notes: list[Note] = field(default_factory=list)
    inquiries: list[Inquiry] = field(default_factory=list)
    searches: list[tuple[str, int, str]] = field(default_factory=list)  # (query, hits, at)
    note_themes: dict[str, set[str]] = field(default_factory=dict)  # planted name -> note ids
    question_groups: dict[str, set[str]] = field(default_factory=dict)  # planted name -> inquiry ids
    recurring: set[str] = field(default_factory=set)  # planted names re-reported after 対応済
    noise_ids: set[str] = field(default_factory=set)

    def load_into(self, book: Any) -> None:
        """Write the records and searches into ``book`` (a :class:`desktop.logbook.Logbook`)."""
        for n in self.notes:
            book.notes.add(n)
        for q in self.inquiries:
            book.inquiries.add(q)
        for query, hits, at in self.searches:
            book.searchlog.record(query, hits, at=at)


def planted(seed: int = 1, end: datetime | None = None, noise_notes: int = 20, noise_questions: int = 12) -> Planted:
    """Records over the six months before ``end`` (default: 2026-11-30), with the truth."""
    rng = random.Random(seed)
    end = end or datetime(2026, 11, 30, 18, 0)
    start = end - timedelta(days=180)
    out = Planted()

    def when(lo: float = 0.0, hi: float = 1.0) -> datetime:
        span = (end - start).total_seconds()
        return start + timedelta(seconds=rng.uniform(lo * span, hi * span))

    for name, spec in NOTE_THEMES.items():
        texts = list(spec["texts"])  # type: ignore[call-overload]
        cats = list(spec["categories"])  # type: ignore[call-overload]
        ids: set[str] = set()
        # later reports crowd towards the end, so most planted themes rise
        times = sorted(when(0.0 if i < 2 else 0.4, 1.0) for i in range(len(texts)))
        for i, text in enumerate(texts):
            anonymous = i % 3 == 1
            note = Note(
                text=text,
                place=str(spec["place"]),
                department=DEPARTMENTS[(i + len(name)) % len(DEPARTMENTS)],
                category=cats[i % len(cats)],
                severity=rng.choice(["低", "中", "高"]),
                anonymous=anonymous,
                speaker="" if anonymous else SPEAKERS[i % len(SPEAKERS)],
                occurred_at=times[i].replace(microsecond=0).isoformat(),
            )
            if i == 0:  # the first report was dealt with; later ones are the same problem again
                note.status = "対応済"
                note.resolved_date = (times[0] + timedelta(days=2)).date().isoformat()
            elif i % 4 == 2:
                note.status = "対応中"
            out.notes.append(note)
            ids.add(note.id)
        out.note_themes[name] = ids
        out.recurring.add(name)

    for name, spec in QUESTIONS.items():
        path, title, location = spec["source"]  # type: ignore[misc]
        ids = set()
        for i, text in enumerate(spec["texts"]):  # type: ignore[attr-defined]
            q = Inquiry(
                question=text,
                channel=rng.choice(["電話", "メール", "チャット", "対面"]),
                department=DEPARTMENTS[i % len(DEPARTMENTS)],
                requester=SPEAKERS[i % len(SPEAKERS)],
                answer=str(spec["answer"]),
                sources=[Source(path, title, location)],
                category=str(spec["category"]),
                occurred_at=when().replace(microsecond=0).isoformat(),
                minutes=rng.choice([2, 3, 5, 8]),
            )
            out.inquiries.append(q)
            ids.add(q.id)
        out.question_groups[name] = ids

    for text in (NOISE_NOTES * (noise_notes // len(NOISE_NOTES) + 1))[:noise_notes]:
        note = Note(text=text, place=rng.choice(["本社1F 受付", "倉庫", "食堂", "本社4F 執務室"]),
                    department=rng.choice(DEPARTMENTS), category="その他", occurred_at=when().replace(microsecond=0).isoformat())
        out.notes.append(note)
        out.noise_ids.add(note.id)
    for text in (NOISE_QUESTIONS * (noise_questions // len(NOISE_QUESTIONS) + 1))[:noise_questions]:
        q = Inquiry(question=text, department=rng.choice(DEPARTMENTS), category="その他",
                    occurred_at=when().replace(microsecond=0).isoformat())
        out.inquiries.append(q)
        out.noise_ids.add(q.id)
    for queries in UNANSWERED_SEARCHES.values():
        for q in queries:
            out.searches.append((q, 0, when(0.5, 1.0).replace(microsecond=0).isoformat()))
    return out


def load_into(book: object, data: Planted) -> None:
    """Write the planted records into an open :class:`desktop.logbook.Logbook`."""
    book.notes.merge(data.notes)  # type: ignore[attr-defined]
    book.inquiries.merge(data.inquiries)  # type: ignore[attr-defined]
    for query, hits, at in data.searches:
        book.searchlog.record(query, hits, at=at)  # type: ignore[attr-defined]
