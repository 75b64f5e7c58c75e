//! Renders reports and checks the PDFs with Debian's poppler tools (pdffonts, pdftoppm, pdftotext).
//! Without the font or poppler-utils a test prints "SKIP: ..." and passes, except under CI=true.
//! `KEEP_PDF=/tmp/report` keeps each PDF as /tmp/report-SIZE.pdf for a look.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use mamori_core::Lang;
use mamori_report::{AssessmentReport, ReportError, ReportEvidence, ReportFonts, ReportGap, ReportTally, render_pdf};

fn skip(why: &str) -> bool {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{why} (required under CI=true)");
    }
    // Straight to stderr: libtest's capture only takes print!/eprintln!, so this line shows.
    let _ = writeln!(std::io::stderr(), "SKIP: {why}");
    true
}

/// The font, or `None` after a visible skip.
fn fonts() -> Option<ReportFonts> {
    let path = ReportFonts::default_path();
    if !path.exists() {
        skip(&format!("{} is missing: apt-get install fonts-ipaexfont-gothic", path.display()));
        return None;
    }
    Some(ReportFonts::load(&path).expect("the font loads"))
}

fn poppler() -> bool {
    let found = Command::new("pdffonts").arg("-v").output().is_ok();
    found || !skip("poppler-utils is missing: apt-get install poppler-utils")
}

fn tally(label: &str, items: usize, answered: usize, gaps: usize, score: Option<f64>) -> ReportTally {
    ReportTally { label: label.to_owned(), items, answered, gaps, score }
}

fn sample() -> AssessmentReport {
    let groups = (1..=24)
        .map(|i| tally(&format!("{i}. 管理策グループ {i}（組織的対策）"), 10 + i, 8 + i, i % 4, Some(100.0 * (i as f64) / 24.0)))
        .collect();
    AssessmentReport {
        lang: Lang::Ja,
        organisation: "株式会社サンプル製作所".to_owned(),
        title: "2026年度 情報セキュリティ自己点検".to_owned(),
        period: "2026-04-01 〜 2027-03-31".to_owned(),
        catalog: "サイバーセキュリティ対策チェックリスト 第 2 版".to_owned(),
        state: "レビュー中".to_owned(),
        generated_at: "2026-11-22 10:30".to_owned(),
        summary: vec![tally("全体", 420, 398, 37, Some(82.4)), tally("必須", 301, 301, 12, Some(91.0)), tally("任意", 119, 97, 25, None)],
        groups,
        gaps: vec![
            ReportGap {
                requirement: "5.1 情報セキュリティのための方針群".to_owned(),
                target: "必須".to_owned(),
                answer: "一部実施".to_owned(),
                comment: "方針は策定済みだが、経営層の承認記録がない。次回の取締役会で承認を得る予定。".to_owned(),
            },
            ReportGap {
                requirement: "8.7 マルウェアに対する保護".to_owned(),
                target: "任意".to_owned(),
                answer: "未実施".to_owned(),
                comment: String::new(),
            },
        ],
        evidence: vec![
            ReportEvidence {
                name: "情報セキュリティ基本方針.pdf".to_owned(),
                detail: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".to_owned(),
                items: vec!["5.1".to_owned(), "5.2".to_owned()],
            },
            ReportEvidence {
                name: "教育記録".to_owned(),
                detail: "https://intranet.example.jp/training/records/2026/very/long/path/that/needs/to/wrap?id=1234567890".to_owned(),
                items: vec!["6.3".to_owned()],
            },
        ],
    }
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().expect("poppler runs");
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Writes the PDF, checks the embedded font, renders every page (or the first and last two),
/// and returns the page count and the text.
fn check_pdf(pdf: &[u8], dir: &Path, every_page: bool) -> (usize, String) {
    assert!(pdf.starts_with(b"%PDF-"));
    let file = dir.join("report.pdf");
    std::fs::write(&file, pdf).unwrap();
    if let Ok(keep) = std::env::var("KEEP_PDF") {
        std::fs::write(format!("{keep}-{}.pdf", pdf.len()), pdf).unwrap();
    }
    let file = file.to_str().unwrap();

    let fonts = run("pdffonts", &[file]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "no fonts: {fonts}");
    for row in &rows {
        // name, type, encoding, emb, sub, uni, object, ID: emb is the fifth column from the end.
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert!(row.contains("IPAexGothic"), "another font: {row}");
        assert_eq!(cols[cols.len() - 5], "yes", "not embedded: {row}");
    }

    let pages: usize =
        run("pdfinfo", &[file]).lines().find_map(|l| l.strip_prefix("Pages:")).map(|n| n.trim().parse().unwrap()).expect("page count");
    let prefix = dir.join("page");
    let ranges = if every_page { vec![(1, pages)] } else { vec![(1, pages.min(2)), (pages.saturating_sub(1).max(1), pages)] };
    for (first, last) in &ranges {
        let (first, last) = (first.to_string(), last.to_string());
        run("pdftoppm", &["-r", "50", "-png", "-f", &first, "-l", &last, file, prefix.to_str().unwrap()]);
    }
    let rendered: std::collections::BTreeSet<usize> = ranges.iter().flat_map(|&(f, l)| f..=l).collect();
    let images = std::fs::read_dir(dir).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "png")).count();
    assert_eq!(images, rendered.len(), "the pages render");

    (pages, run("pdftotext", &["-enc", "UTF-8", file, "-"]))
}

#[test]
fn japanese_report_embeds_the_font_and_renders() {
    let Some(fonts) = fonts() else { return };
    if !poppler() {
        return;
    }
    let started = Instant::now();
    let pdf = render_pdf(&sample(), &fonts).unwrap();
    println!("sample report: {} bytes in {:?}", pdf.len(), started.elapsed());
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = check_pdf(&pdf, dir.path(), true);
    for expected in [
        "アセスメント報告書",
        "情報セキュリティ自己点検",
        "株式会社サンプル製作所",
        "評価の概要",
        "管理策グループ 24",
        "82.4%",
        "必須",
        "経営層の承認記録",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    // The footer's page numbers (pdftotext drops their spaces).
    assert!(text.contains("1/2") && text.contains("2/2"), "page numbers missing");
    // The hash wraps at invisible break opportunities: its characters all survive.
    assert!(text.replace(['\u{200B}', '\n'], "").contains("9f86d081884c7d659a2feaa0c55ad015"));
}

#[test]
fn english_headings() {
    let Some(fonts) = fonts() else { return };
    if !poppler() {
        return;
    }
    let report = AssessmentReport { lang: Lang::En, ..sample() };
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = check_pdf(&render_pdf(&report, &fonts).unwrap(), dir.path(), true);
    for expected in ["Assessment report", "Summary", "Score by group", "Gaps", "Evidence", "情報セキュリティ"] {
        assert!(text.contains(expected), "{expected} missing");
    }
}

#[test]
fn empty_report() {
    let Some(fonts) = fonts() else { return };
    if !poppler() {
        return;
    }
    let report = AssessmentReport { summary: vec![], groups: vec![], gaps: vec![], evidence: vec![], ..sample() };
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = check_pdf(&render_pdf(&report, &fonts).unwrap(), dir.path(), true);
    for expected in [
        "情報セキュリティ",
        "評価の対象となる項目はありません。",
        "ギャップはありません。",
        "エビデンスは登録されていません。",
        "分類はありません。",
    ] {
        assert!(text.contains(expected), "{expected} missing");
    }
    let blank = AssessmentReport {
        organisation: String::new(),
        title: String::new(),
        period: String::new(),
        catalog: String::new(),
        state: String::new(),
        generated_at: String::new(),
        ..report
    };
    let dir = tempfile::tempdir().unwrap();
    check_pdf(&render_pdf(&blank, &fonts).unwrap(), dir.path(), true);
}

const HOSTILE: &[&str] = &[
    "#import \"/data.json\": *",
    "#read(\"/etc/passwd\")",
    "]) #panic(\"escaped\") #(",
    "\" + panic(\"escaped\") + \"",
    "\\\" ) } ] #set page(width: 1pt)",
    "$ x^2 $ *bold* _emph_ `raw` <label> @ref // comment /* open",
    "```\n#eval(\"1\")\n```",
    "\\",
    "\u{0}\u{1b}[31m\r\n\t\u{202e}reversed\u{feff}",
    "🙂 한국어 العربية",
];

#[test]
fn hostile_input_stays_text() {
    let Some(fonts) = fonts() else { return };
    if !poppler() {
        return;
    }
    let hostile = |i: usize| HOSTILE[i % HOSTILE.len()].to_owned();
    let long = "長".repeat(50_000) + &"x".repeat(50_000);
    let rows = 10_000;
    let report = AssessmentReport {
        organisation: hostile(0),
        title: format!("情報セキュリティ {}", hostile(2)),
        period: hostile(3),
        catalog: long.clone(),
        state: hostile(4),
        generated_at: hostile(8),
        summary: (0..rows).map(|i| tally(&hostile(i), i, i, i, Some(i as f64 - 5.0))).collect(),
        groups: (0..rows).map(|i| tally(&hostile(i), i, i, i, if i % 3 == 0 { Some(f64::NAN) } else { Some(1e9) })).collect(),
        gaps: (0..rows)
            .map(|i| ReportGap { requirement: hostile(i), target: hostile(i + 1), answer: hostile(i + 2), comment: long.clone() })
            .collect(),
        evidence: (0..rows)
            .map(|i| ReportEvidence {
                name: hostile(i),
                detail: long.clone(),
                items: (0..if i < 3 { rows } else { 3 }).map(hostile).collect(),
            })
            .collect(),
        lang: Lang::Ja,
    };
    let started = Instant::now();
    let pdf = render_pdf(&report, &fonts).unwrap();
    let took = started.elapsed();
    println!("hostile report: {} bytes in {took:?}", pdf.len());
    let dir = tempfile::tempdir().unwrap();
    let (pages, text) = check_pdf(&pdf, dir.path(), false);
    assert!(pages < 300, "{pages} pages: the report is not bounded");
    assert!(!text.contains("root:"), "a file was read");
    for expected in ["情報セキュリティ", "#import", "#panic(\"escaped\")", "#set page", "件は省略しました"] {
        assert!(text.contains(expected), "{expected} missing");
    }
}

#[test]
fn font_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.ttf");
    let err = ReportFonts::load(&missing).unwrap_err();
    assert!(matches!(err, ReportError::FontRead { .. }));
    assert!(err.text().ja.contains("フォントファイル"));
    let junk = dir.path().join("junk.ttf");
    std::fs::write(&junk, b"not a font").unwrap();
    let err = ReportFonts::load(&junk).unwrap_err();
    assert!(matches!(err, ReportError::NotAFont { .. }));
    assert!(err.text().en.contains("not a usable font"));
}
