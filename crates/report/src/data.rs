//! The report as the JSON document the template reads: every user string cleaned and bounded,
//! labels in the report's language, numbers already formatted.

use mamori_core::Lang;
use serde::Serialize;

use crate::{AssessmentReport, ReportTally};

/// Most rows per table; the rest are counted in a note under the table.
const MAX_SUMMARY_ROWS: usize = 20;
const MAX_GROUP_ROWS: usize = 500;
const MAX_GAP_ROWS: usize = 1_000;
const MAX_EVIDENCE_ROWS: usize = 1_000;
/// Requirement labels listed per evidence.
const MAX_SUPPORTS: usize = 50;
/// Characters of user text in the whole report (≈ 160 dense pages); rows past it are left out.
const MAX_TOTAL_CHARS: usize = 200_000;
/// Characters per field.
const MAX_SHORT: usize = 300;
const MAX_LONG: usize = 1_000;
const MAX_FOOTER: usize = 90;
/// A run of this many characters without a break opportunity (hashes, URLs) gets one.
const MAX_UNBROKEN: usize = 24;

#[derive(Serialize)]
pub(crate) struct Document {
    lang: &'static str,
    font: String,
    title: String,
    footer: String,
    labels: Labels,
    meta: Vec<[String; 2]>,
    summary: Table<TallyRow>,
    groups: Table<TallyRow>,
    gaps: Table<[String; 4]>,
    evidence: Table<[String; 3]>,
}

#[derive(Serialize)]
struct Table<R> {
    rows: Vec<R>,
    /// Why rows are missing, if any are.
    note: Option<String>,
}

#[derive(Serialize)]
struct TallyRow {
    cells: [String; 5],
    /// The score as a fraction in 0..=1, for the bar (scores are clamped to 0–100 %).
    ratio: Option<f64>,
}

#[derive(Serialize)]
struct Labels {
    report: String,
    summary: String,
    groups: String,
    gaps: String,
    evidence: String,
    tally: [String; 5],
    group: String,
    gap: [String; 4],
    evidence_cols: [String; 3],
    no_summary: String,
    no_gaps: String,
    no_evidence: String,
    no_groups: String,
}

impl Labels {
    fn new(lang: Lang) -> Labels {
        let t = |ja, en| tr(lang, ja, en);
        Labels {
            report: t("アセスメント報告書", "Assessment report"),
            summary: t("評価の概要", "Summary"),
            groups: t("分類ごとの評価", "Score by group"),
            gaps: t("ギャップ一覧", "Gaps"),
            evidence: t("エビデンス一覧", "Evidence"),
            tally: [t("区分", "Scope"), t("項目数", "Items"), t("回答済み", "Answered"), t("ギャップ", "Gaps"), t("スコア", "Score")],
            group: t("分類", "Group"),
            gap: [t("要求事項", "Requirement"), t("区分", "Target"), t("回答", "Answer"), t("コメント", "Comment")],
            evidence_cols: [t("名称", "Name"), t("内容（SHA-256 または URL）", "Detail (SHA-256 or URL)"), t("対象の要求事項", "Supports")],
            no_summary: t("評価の対象となる項目はありません。", "There is nothing to score."),
            no_gaps: t("ギャップはありません。", "There are no gaps."),
            no_evidence: t("エビデンスは登録されていません。", "No evidence is attached."),
            no_groups: t("分類はありません。", "There are no groups."),
        }
    }
}

fn tr(lang: Lang, ja: &str, en: &str) -> String {
    match lang {
        Lang::Ja => ja.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// How much user text the report may still take.
struct Budget(usize);

impl Budget {
    /// Takes the cleaned cells of one row if they fit in what is left.
    fn take<const N: usize>(&mut self, cells: [String; N]) -> Option<[String; N]> {
        let size: usize = cells.iter().map(|c| c.chars().count()).sum();
        let left = self.0.checked_sub(size)?;
        self.0 = left;
        Some(cells)
    }
}

/// Builds a table from `rows`, keeping at most `max` of them and no more than the budget allows.
fn table<T, R>(lang: Lang, rows: &[T], max: usize, budget: &mut Budget, mut row: impl FnMut(&T, &mut Budget) -> Option<R>) -> Table<R> {
    let mut kept = Vec::new();
    for item in rows.iter().take(max) {
        match row(item, budget) {
            Some(r) => kept.push(r),
            None => break,
        }
    }
    let omitted = rows.len() - kept.len();
    let note = (omitted > 0).then(|| {
        if kept.len() == max {
            tr(
                lang,
                &format!("ほか {omitted} 件は省略しました（上限 {max} 件）。"),
                &format!("{omitted} more rows are left out (limit {max})."),
            )
        } else {
            tr(
                lang,
                &format!("ほか {omitted} 件は報告書の分量の上限を超えるため省略しました。"),
                &format!("{omitted} more rows are left out: the report reached its size limit."),
            )
        }
    });
    Table { rows: kept, note }
}

fn tally_row(tally: &ReportTally, budget: &mut Budget) -> Option<TallyRow> {
    let score = tally.score.filter(|s| s.is_finite()).map(|s| s.clamp(0.0, 100.0));
    let [label] = budget.take([clean(&tally.label, MAX_SHORT, false)])?;
    let score_text = score.map_or_else(|| "—".to_owned(), |s| format!("{s:.1}%"));
    Some(TallyRow {
        cells: [label, tally.items.to_string(), tally.answered.to_string(), tally.gaps.to_string(), score_text],
        ratio: score.map(|s| s / 100.0),
    })
}

impl Document {
    pub(crate) fn new(report: &AssessmentReport, font: &str) -> Document {
        let lang = report.lang;
        let t = |ja: &str, en: &str| tr(lang, ja, en);
        let mut budget = Budget(MAX_TOTAL_CHARS);
        let title = clean(&report.title, MAX_SHORT, false);
        let organisation = clean(&report.organisation, MAX_SHORT, false);
        let meta = [
            (t("組織", "Organisation"), &organisation),
            (t("アセスメント", "Assessment"), &title),
            (t("対象期間", "Period"), &clean(&report.period, MAX_SHORT, false)),
            (t("カタログ", "Catalog"), &clean(&report.catalog, MAX_SHORT, false)),
            (t("状態", "State"), &clean(&report.state, MAX_SHORT, false)),
            (t("作成日時", "Generated"), &clean(&report.generated_at, MAX_SHORT, false)),
        ]
        .map(|(label, value)| [label, value.clone()])
        .to_vec();
        let footer = clean(&format!("{organisation} — {title}"), MAX_FOOTER, false);
        let separator = t("、", ", ");
        let summary = table(lang, &report.summary, MAX_SUMMARY_ROWS, &mut budget, tally_row);
        let groups = table(lang, &report.groups, MAX_GROUP_ROWS, &mut budget, tally_row);
        let gaps = table(lang, &report.gaps, MAX_GAP_ROWS, &mut budget, |g, b| {
            b.take([
                clean(&g.requirement, MAX_LONG, false),
                clean(&g.target, MAX_SHORT, false),
                clean(&g.answer, MAX_SHORT, false),
                clean(&g.comment, MAX_LONG, true),
            ])
        });
        let evidence = table(lang, &report.evidence, MAX_EVIDENCE_ROWS, &mut budget, |e, b| {
            let mut items: Vec<String> = e.items.iter().take(MAX_SUPPORTS).map(|i| clean(i, MAX_SHORT, false)).collect();
            if e.items.len() > MAX_SUPPORTS {
                let more = e.items.len() - MAX_SUPPORTS;
                items.push(t(&format!("ほか {more} 件"), &format!("{more} more")));
            }
            b.take([clean(&e.name, MAX_SHORT, false), clean(&e.detail, MAX_SHORT, false), items.join(&separator)])
        });
        Document {
            lang: lang.as_str(),
            font: font.to_owned(),
            title,
            footer,
            labels: Labels::new(lang),
            meta,
            summary,
            groups,
            gaps,
            evidence,
        }
    }
}

/// Cuts `text` to `max` characters (marking the cut with …), turns control characters into spaces
/// (keeping line breaks where `multiline`), and puts a zero-width space into long unbroken runs so
/// that hashes and URLs wrap inside their cell.
pub(crate) fn clean(text: &str, max: usize, multiline: bool) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4));
    let mut run = 0;
    for (count, c) in text.trim().chars().enumerate() {
        if count == max {
            out.push('…');
            break;
        }
        let c = match c {
            '\n' if multiline => '\n',
            '\r' => continue,
            c if c.is_control() => ' ',
            c => c,
        };
        // Below U+2E80 (the CJK blocks, where lines break between any two characters).
        if c.is_whitespace() || u32::from(c) >= 0x2E80 {
            run = 0;
        } else {
            run += 1;
            if run > MAX_UNBROKEN {
                out.push('\u{200B}');
                run = 1;
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_bounds_and_breaks() {
        assert_eq!(clean("  abc  ", 10, false), "abc");
        assert_eq!(clean("abcdef", 3, false), "abc…");
        assert_eq!(clean("a\nb\r\tc\u{0}", 10, false), "a b c ");
        assert_eq!(clean("a\r\nb", 10, true), "a\nb");
        let hash = "0123456789abcdef".repeat(4);
        let cleaned = clean(&hash, 100, false);
        assert_eq!(cleaned.replace('\u{200B}', ""), hash);
        assert_eq!(cleaned.matches('\u{200B}').count(), 2);
        assert_eq!(clean(&"情".repeat(60), 100, false), "情".repeat(60));
    }
}
