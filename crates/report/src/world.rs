//! The typst world of one report: the embedded template, the report's JSON, the loaded fonts.
//! It has no packages, no other files and no clock.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::LazyLock;

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::{ReportError, ReportFonts};

const TEMPLATE: &str = include_str!("assessment.typ");

/// The standard library, built once.
static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

struct ReportWorld<'a> {
    fonts: &'a ReportFonts,
    main: Source,
    data_id: FileId,
    data: Bytes,
}

impl World for ReportWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() { Ok(self.main.clone()) } else { Err(not_found(id)) }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else if id == self.main.id() {
            Ok(Bytes::from_string(self.main.clone()))
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_with_slash().trim_start_matches('/').into())
}

fn file_id(path: &str) -> Result<FileId, ReportError> {
    let vpath = VirtualPath::new(path).map_err(|e| ReportError::Typeset(format!("{path}: {e:?}")))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

fn messages(diagnostics: &[SourceDiagnostic]) -> String {
    let mut text: Vec<String> = diagnostics.iter().take(5).map(|d| d.message.to_string()).collect();
    if diagnostics.len() > 5 {
        text.push(format!("… ({} in all)", diagnostics.len()));
    }
    text.join("; ")
}

/// Compiles the template over `data` (the report's JSON) and exports the PDF.
pub(crate) fn typeset(fonts: &ReportFonts, data: Vec<u8>) -> Result<Vec<u8>, ReportError> {
    let world = ReportWorld {
        fonts,
        main: Source::new(file_id("/assessment.typ")?, TEMPLATE.to_owned()),
        data_id: file_id("/data.json")?,
        data: Bytes::new(data),
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        let document: PagedDocument = typst::compile(&world).output.map_err(|e| ReportError::Typeset(messages(&e)))?;
        typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()).map_err(|e| ReportError::Pdf(messages(&e)))
    }));
    // Each report's data differs: keep typst's memo cache from growing with every report.
    typst::comemo::evict(2);
    result.unwrap_or_else(|_| Err(ReportError::Typeset("typst panicked".to_owned())))
}
