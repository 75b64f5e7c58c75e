//! Evidence: what an uploaded file is, decided from its bytes (the type a browser sends is never
//! trusted), and whether its name is safe to keep and to offer for download. Files are stored by
//! their SHA-256 (`store`), so the same file attached twice is one file, and nothing is replaced.

use serde::{Deserialize, Serialize};

use crate::text::Text;

/// Largest upload by default (configurable).
pub const DEFAULT_MAX_BYTES: usize = 50 * 1024 * 1024;

/// The kinds of file accepted as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaType {
    Pdf,
    Png,
    Jpeg,
    Gif,
    Webp,
    Xlsx,
    Docx,
    Pptx,
    /// Plain text or CSV (UTF-8 or Shift_JIS).
    Text,
    Zip,
}

impl MediaType {
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Png => "image/png",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Gif => "image/gif",
            MediaType::Webp => "image/webp",
            MediaType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            MediaType::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            MediaType::Pptx => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            MediaType::Text => "text/plain; charset=utf-8",
            MediaType::Zip => "application/zip",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Pdf => "pdf",
            MediaType::Png => "png",
            MediaType::Jpeg => "jpeg",
            MediaType::Gif => "gif",
            MediaType::Webp => "webp",
            MediaType::Xlsx => "xlsx",
            MediaType::Docx => "docx",
            MediaType::Pptx => "pptx",
            MediaType::Text => "text",
            MediaType::Zip => "zip",
        }
    }

    pub fn parse(text: &str) -> Option<MediaType> {
        use MediaType as M;
        [M::Pdf, M::Png, M::Jpeg, M::Gif, M::Webp, M::Xlsx, M::Docx, M::Pptx, M::Text, M::Zip].into_iter().find(|m| m.as_str() == text)
    }

    /// File name extensions that fit this type.
    fn extensions(self) -> &'static [&'static str] {
        match self {
            MediaType::Pdf => &["pdf"],
            MediaType::Png => &["png"],
            MediaType::Jpeg => &["jpg", "jpeg"],
            MediaType::Gif => &["gif"],
            MediaType::Webp => &["webp"],
            MediaType::Xlsx => &["xlsx", "xlsm"],
            MediaType::Docx => &["docx"],
            MediaType::Pptx => &["pptx"],
            MediaType::Text => &["txt", "csv", "log", "md"],
            MediaType::Zip => &["zip"],
        }
    }

    /// Shown inline in the browser (images, PDF) rather than downloaded.
    pub fn inline(self) -> bool {
        matches!(self, MediaType::Pdf | MediaType::Png | MediaType::Jpeg | MediaType::Gif | MediaType::Webp)
    }
}

/// What the bytes are, from their first bytes and, for Office files, the zip's part names.
pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"%PDF-") {
        Some(MediaType::Pdf)
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some(MediaType::Png)
    } else if starts(b"\xff\xd8\xff") {
        Some(MediaType::Jpeg)
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some(MediaType::Gif)
    } else if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some(MediaType::Webp)
    } else if starts(b"PK\x03\x04") {
        // An Office Open XML package names its main part in the first local headers; look for
        // the folder names in the first 64 KB.
        let head = &bytes[..bytes.len().min(64 * 1024)];
        let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
        if has(b"[Content_Types].xml") && has(b"xl/") {
            Some(MediaType::Xlsx)
        } else if has(b"[Content_Types].xml") && has(b"word/") {
            Some(MediaType::Docx)
        } else if has(b"[Content_Types].xml") && has(b"ppt/") {
            Some(MediaType::Pptx)
        } else {
            Some(MediaType::Zip)
        }
    } else if is_text(bytes) {
        Some(MediaType::Text)
    } else {
        None
    }
}

/// UTF-8 (with or without BOM) or Shift_JIS text without NUL or other control characters.
fn is_text(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
    let clean = |s: &str| !s.chars().any(|c| c < ' ' && !matches!(c, '\t' | '\n' | '\r'));
    match std::str::from_utf8(body) {
        Ok(s) => clean(s),
        Err(_) => {
            // Shift_JIS: every byte pair decodes; checked without a decoder by its lead bytes.
            let mut i = 0;
            while i < body.len() {
                let b = body[i];
                match b {
                    0x00..=0x08 | 0x0b | 0x0c | 0x0e..=0x1f | 0x7f => return false,
                    0x09 | 0x0a | 0x0d | 0x20..=0x7e | 0xa1..=0xdf => i += 1,
                    0x81..=0x9f | 0xe0..=0xfc => {
                        let Some(&t) = body.get(i + 1) else { return false };
                        if !matches!(t, 0x40..=0x7e | 0x80..=0xfc) {
                            return false;
                        }
                        i += 2;
                    }
                    _ => return false,
                }
            }
            true
        }
    }
}

/// A file name safe to store and to send back in a Content-Disposition header: no folders, no
/// `..`, no control characters, at most 200 characters, NFC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FileName(String);

impl FileName {
    pub fn parse(text: &str) -> Result<FileName, EvidenceError> {
        use unicode_normalization::UnicodeNormalization;
        let name: String = text.nfc().collect::<String>().trim().to_string();
        let bad = || EvidenceError::BadName { name: text.chars().take(80).collect() };
        if name.is_empty() || name.chars().count() > 200 {
            return Err(bad());
        }
        if name.contains(['/', '\\', ':', '\0'])
            || name.chars().any(char::is_control)
            || name == "."
            || name.starts_with("..")
            || name.contains("/..")
            || name.split('.').all(str::is_empty)
        {
            return Err(bad());
        }
        Ok(FileName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn extension(&self) -> Option<String> {
        self.0.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).filter(|e| !e.is_empty())
    }
}

/// Checks an upload: within the size limit, not empty, a safe name, a type Mamori accepts whose
/// bytes agree with the name's extension. Returns the sniffed type.
pub fn check_upload(name: &str, bytes: &[u8], max_bytes: usize) -> Result<(FileName, MediaType), EvidenceError> {
    let name = FileName::parse(name)?;
    if bytes.is_empty() {
        return Err(EvidenceError::Empty);
    }
    if bytes.len() > max_bytes {
        return Err(EvidenceError::TooLarge { max: max_bytes });
    }
    let Some(kind) = sniff(bytes) else {
        return Err(EvidenceError::UnknownType { name: name.0 });
    };
    // A zip is accepted under an Office name only if it is that Office file, and any file must
    // carry an extension of its own type (a PDF named .exe, an .exe named .pdf are refused).
    match name.extension() {
        Some(ext) if kind.extensions().contains(&ext.as_str()) => Ok((name, kind)),
        ext => Err(EvidenceError::TypeMismatch { name: name.0, sniffed: kind, extension: ext.unwrap_or_default() }),
    }
}

/// A link given as evidence: http(s) only, no spaces, at most 2,000 characters.
pub fn check_link(url: &str) -> Result<String, EvidenceError> {
    let url = url.trim();
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 2_000
        && url.len() > "https://".len()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>');
    if ok { Ok(url.to_string()) } else { Err(EvidenceError::BadLink { url: url.chars().take(80).collect() }) }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error("the file name {name:?} cannot be used")]
    BadName { name: String },
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {max} bytes")]
    TooLarge { max: usize },
    #[error("{name:?} is not a type of file Mamori accepts as evidence")]
    UnknownType { name: String },
    #[error("{name:?} holds {sniffed:?}, which does not match its extension {extension:?}")]
    TypeMismatch { name: String, sniffed: MediaType, extension: String },
    #[error("{url:?} is not an http(s) link")]
    BadLink { url: String },
    #[error("the stored file does not match its hash")]
    Corrupt,
}

impl EvidenceError {
    pub fn text(&self) -> Text {
        match self {
            EvidenceError::BadName { name } => Text::new(
                format!(
                    "ファイル名「{name}」は使えません（フォルダ区切り・「..」・制御文字を含まない 200 文字以内の名前にしてください）。"
                ),
                format!(
                    "The file name \"{name}\" cannot be used: no folder separators, \"..\" or control characters, at most 200 characters."
                ),
            ),
            EvidenceError::Empty => Text::new("ファイルが空です。", "The file is empty."),
            EvidenceError::TooLarge { max } => Text::new(
                format!("ファイルが大きすぎます（上限 {} MB）。", max / (1024 * 1024)),
                format!("The file is too large (limit {} MB).", max / (1024 * 1024)),
            ),
            EvidenceError::UnknownType { name } => Text::new(
                format!("「{name}」は証跡として受け付けられない種類のファイルです（PDF、画像、Office 文書、テキスト、ZIP）。"),
                format!("\"{name}\" is not a kind of file accepted as evidence (PDF, images, Office documents, text, ZIP)."),
            ),
            EvidenceError::TypeMismatch { name, sniffed, extension } => Text::new(
                format!("「{name}」の中身（{}）が拡張子「{extension}」と一致しません。", sniffed.as_str()),
                format!("The content of \"{name}\" ({}) does not match its extension \"{extension}\".", sniffed.as_str()),
            ),
            EvidenceError::BadLink { url } => {
                Text::new(format!("「{url}」は http(s) のリンクではありません。"), format!("\"{url}\" is not an http(s) link."))
            }
            EvidenceError::Corrupt => Text::new(
                "保存されたファイルが記録されたハッシュと一致しません。管理者に連絡してください。",
                "The stored file does not match its recorded hash. Contact the administrator.",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_typed_by_their_bytes_and_their_names_must_agree() {
        let pdf = b"%PDF-1.7\n...".as_slice();
        assert_eq!(check_upload("規程.pdf", pdf, 1024).map(|(_, k)| k), Ok(MediaType::Pdf));
        assert!(matches!(check_upload("report.exe", pdf, 1024), Err(EvidenceError::TypeMismatch { .. })));
        assert!(matches!(check_upload("photo.png", pdf, 1024), Err(EvidenceError::TypeMismatch { .. })));
        assert!(matches!(check_upload("a.pdf", b"MZ\x90\x00\x03\x00", 1024), Err(EvidenceError::UnknownType { .. })));
        assert_eq!(check_upload("a.pdf", b"", 1024), Err(EvidenceError::Empty));
        assert!(matches!(check_upload("a.pdf", pdf, 4), Err(EvidenceError::TooLarge { .. })));
        assert_eq!(check_upload("台帳.csv", "番号,名前\n1,台帳\n".as_bytes(), 1024).map(|(_, k)| k), Ok(MediaType::Text));
        // Shift_JIS text is text.
        assert_eq!(sniff(b"\x83\x65\x83\x58\x83\x67\r\n"), Some(MediaType::Text));
    }

    #[test]
    fn path_traversal_and_control_characters_are_refused_in_names() {
        for name in ["../etc/passwd", "..\\boot.ini", "a/b.pdf", "C:evil.pdf", "..", ".", "", "a\u{0}b.pdf", "a\nb.pdf", "...", " "] {
            assert!(FileName::parse(name).is_err(), "{name:?}");
        }
        assert_eq!(FileName::parse(" 教育記録 2026.pdf ").map(|n| n.as_str().to_string()), Ok("教育記録 2026.pdf".to_string()));
        assert!(FileName::parse(&"あ".repeat(201)).is_err());
    }

    #[test]
    fn links_are_http_only() {
        assert!(check_link("https://example.jp/policy").is_ok());
        for bad in ["javascript:alert(1)", "file:///etc/passwd", "https://", "https://a b", "ftp://x"] {
            assert!(check_link(bad).is_err(), "{bad}");
        }
    }
}
