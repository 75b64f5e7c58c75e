//! Search terms for Japanese and English text, stored in the database and indexed there (SQLite
//! FTS5, PostgreSQL tsvector). Text is NFKC-normalised; runs of CJK characters become overlapping
//! character bigrams (a single character stays itself), other words are lower-cased. A query is
//! turned into terms the same way, so "リスク" finds "リスク管理" and "ACCESS" finds "access".

use unicode_normalization::UnicodeNormalization;

/// Upper bound on the terms kept per record, so a huge text cannot bloat the index.
const MAX_TERMS: usize = 4_000;

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF   // Hiragana, Katakana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF // compatibility ideographs
        | 0x20000..=0x2FFFF)
}

/// A text NFKC-normalised and lower-cased, for plain substring matching (full-width Latin and
/// half-width katakana match their usual forms).
pub fn normalise(text: &str) -> String {
    text.nfkc().collect::<String>().to_lowercase()
}

/// The terms of a text, space-separated.
pub fn terms(text: &str) -> String {
    term_list(text).join(" ")
}

/// The terms of a text as a list (used to build queries).
pub fn term_list(text: &str) -> Vec<String> {
    let normalised = normalise(text);
    let mut out = Vec::new();
    let mut word = String::new();
    let mut cjk_run: Vec<char> = Vec::new();
    let flush_word = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            out.push(std::mem::take(word));
        }
    };
    let flush_cjk = |run: &mut Vec<char>, out: &mut Vec<String>| {
        match run.len() {
            0 => {}
            1 => out.push(run[0].to_string()),
            _ => out.extend(run.windows(2).map(|w| w.iter().collect::<String>())),
        }
        run.clear();
    };
    for c in normalised.chars() {
        if is_cjk(c) {
            flush_word(&mut word, &mut out);
            cjk_run.push(c);
        } else if c.is_alphanumeric() {
            flush_cjk(&mut cjk_run, &mut out);
            word.push(c);
        } else {
            flush_word(&mut word, &mut out);
            flush_cjk(&mut cjk_run, &mut out);
        }
        if out.len() >= MAX_TERMS {
            break;
        }
    }
    flush_word(&mut word, &mut out);
    flush_cjk(&mut cjk_run, &mut out);
    out.truncate(MAX_TERMS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigrams_and_words() {
        let cases = [
            ("リスク管理", "リス スク ク管 管理"),
            ("資産", "資産"),
            ("京", "京"),
            ("ACCESS control", "access control"),
            ("ｱｸｾｽ権限", "アク クセ セス ス権 権限"),
            ("顧客DB（営業）", "顧客 db 営業"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(terms(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn query_terms_are_a_subset_of_document_terms() {
        let doc = terms("顧客情報管理システムのリスク評価");
        for q in ["リスク", "顧客情報", "管理"] {
            for t in term_list(q) {
                assert!(doc.split(' ').any(|d| d == t), "{q}: term {t} missing from {doc}");
            }
        }
    }
}
