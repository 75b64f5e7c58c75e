//! PDF reports, typeset by typst as a library.
//!
//! The template (`assessment.typ`) is compiled into the crate; the report's data reaches it as a
//! virtual JSON file (`/data.json`, read with `json()`), so user text is never parsed as markup.
//! The only font is the Japanese one given to [`ReportFonts::load`]; nothing is downloaded and
//! nothing but the font file is read.

mod data;
mod error;
mod world;

use std::path::{Path, PathBuf};

pub use error::ReportError;
use mamori_core::Lang;

/// The fonts a report is typeset with, loaded once and shared by every report.
pub struct ReportFonts {
    fonts: Vec<typst::text::Font>,
    book: typst::utils::LazyHash<typst::text::FontBook>,
    /// The family all text is set in.
    family: String,
}

impl ReportFonts {
    /// Loads the Japanese font from a file (default: Debian's IPAexGothic,
    /// /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf, package fonts-ipaexfont-gothic).
    pub fn load(path: &Path) -> Result<ReportFonts, ReportError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| ReportError::FontRead { path: shown.clone(), detail: e.to_string() })?;
        let fonts: Vec<typst::text::Font> = typst::text::Font::iter(typst::foundations::Bytes::new(bytes)).collect();
        let family = fonts.first().map(|f| f.info().family.clone()).ok_or(ReportError::NotAFont { path: shown })?;
        let book = typst::utils::LazyHash::new(typst::text::FontBook::from_fonts(&fonts));
        Ok(ReportFonts { fonts, book, family })
    }

    pub fn default_path() -> PathBuf {
        PathBuf::from("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
    }
}

impl std::fmt::Debug for ReportFonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportFonts").field("family", &self.family).field("faces", &self.fonts.len()).finish()
    }
}

/// An assessment's report: plain data, every text already in the report's language.
#[derive(Debug, Clone)]
pub struct AssessmentReport {
    /// The language of the headings.
    pub lang: Lang,
    pub organisation: String,
    /// The assessment's name.
    pub title: String,
    pub period: String,
    /// The catalog's name and edition.
    pub catalog: String,
    /// The assessment's state, already translated.
    pub state: String,
    /// When the report was made, already formatted.
    pub generated_at: String,
    /// Overall, 必須 and 任意 rows.
    pub summary: Vec<ReportTally>,
    /// One row per top-level group.
    pub groups: Vec<ReportTally>,
    pub gaps: Vec<ReportGap>,
    pub evidence: Vec<ReportEvidence>,
}

/// One row of a score table.
#[derive(Debug, Clone)]
pub struct ReportTally {
    pub label: String,
    pub items: usize,
    pub answered: usize,
    pub gaps: usize,
    /// Percent, 0 to 100; `None` when nothing is scored.
    pub score: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct ReportGap {
    pub requirement: String,
    /// 必須 or 任意.
    pub target: String,
    pub answer: String,
    pub comment: String,
}

#[derive(Debug, Clone)]
pub struct ReportEvidence {
    pub name: String,
    /// The file's SHA-256 or the URL.
    pub detail: String,
    /// The labels of the requirements it supports.
    pub items: Vec<String>,
}

/// Typesets the report as an A4 PDF with the font embedded.
///
/// The work is bounded: tables keep at most a fixed number of rows, fields a fixed number of
/// characters and the whole report a fixed amount of text; what is left out is noted in the PDF.
pub fn render_pdf(report: &AssessmentReport, fonts: &ReportFonts) -> Result<Vec<u8>, ReportError> {
    let document = data::Document::new(report, &fonts.family);
    let json = serde_json::to_vec(&document).map_err(|e| ReportError::Typeset(e.to_string()))?;
    world::typeset(fonts, json)
}
