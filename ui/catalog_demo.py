"""English texts for the demo logbook offer and banner (ui/demo_offer.py); Japanese is the source."""

from __future__ import annotations

from ui.i18n import register

CATALOG: dict[str, str] = {
    "まずはデモデータで試せます": "Try it with demo data first",
    "架空の会社「株式会社みどり精工」の現場の声と問い合わせを読み込み、記録・分析の画面を"
    "実際のデータで確かめられます。サンプルデータなので、いつでも「デモデータを削除」で"
    "まとめて消せます（あなたの記録は消えません）。": (
        "Loads the floor notes and inquiries of a fictional company (Midori Seiko) so you can see the logbook "
        "and the analysis with real-looking data. It is sample data: “Remove demo data” takes it all away "
        "at any time (your own records stay)."
    ),
    "デモデータを読み込む": "Load demo data",
    "読み込んでいます…": "Loading…",
    "デモデータを削除": "Remove demo data",
    "デモデータだけを削除します。あなたが記録したものは残ります": "Removes the demo records only; what you recorded stays",
    "デモデータを表示中です（現場の声 {notes} 件・問い合わせ {inquiries} 件、架空の会社のサンプル）。": (
        "Showing demo data ({notes} floor notes and {inquiries} inquiries of a fictional company)."
    ),
    "デモデータを扱えませんでした：": "Could not change the demo data: ",
}

register(CATALOG)
