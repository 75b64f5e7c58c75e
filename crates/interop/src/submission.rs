//! A supplier's signed submission package: what a supplier that runs its own Mamori returns to
//! its customer instead of answering in the customer's instance.
//!
//! The package is a zip with `manifest.json` (the assessment, its answer scale, every answer
//! with its comment and evidence, and the path, SHA-256 and size of every other file: the filled
//! customer workbook and the evidence files), `manifest.sig` (the Ed25519 signature of the
//! manifest's exact bytes, hex) and those files. The manifest names the signer's public key;
//! the buyer pins the key of each supplier on its first import (confirming the fingerprint the
//! supplier gave it) and refuses a package signed by any other key afterwards.
//!
//! [`open`] trusts nothing: it bounds the package's size, entry count and unpacked sizes,
//! refuses unsafe or duplicate entry names, checks the signature before reading the manifest's
//! content, and every file against the manifest (no file missing, changed, or unlisted).

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use mamori_core::assessment::AnswerScale;
use mamori_core::journal::sha256_hex;
use mamori_core::text::Text;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

/// The manifest's `format`.
pub const FORMAT: &str = "mamori-submission/1";
pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";

/// What a package may hold at most.
#[derive(Debug, Clone, Copy)]
pub struct PackageLimits {
    /// The package file itself.
    pub max_bytes: usize,
    /// All entries unpacked together.
    pub max_unpacked: u64,
    pub max_entries: usize,
    /// The manifest unpacked.
    pub max_manifest: u64,
}

impl Default for PackageLimits {
    fn default() -> Self {
        PackageLimits { max_bytes: 200 * 1024 * 1024, max_unpacked: 400 * 1024 * 1024, max_entries: 2_000, max_manifest: 8 * 1024 * 1024 }
    }
}

/// The assessment a package submits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestAssessment {
    /// Its id in the supplier's instance.
    pub id: String,
    pub name: String,
    pub period: String,
    pub catalog_key: String,
    pub catalog_edition: String,
    /// `submitted` or `closed`.
    pub state: String,
    /// When it was packaged (RFC 3339).
    pub packaged_at: String,
}

/// A link given as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestLink {
    pub title: String,
    pub url: String,
}

/// One item's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestAnswer {
    pub ref_id: String,
    /// The scale value's key (None: unanswered).
    pub value: Option<String>,
    #[serde(default)]
    pub comment: String,
    /// Paths of evidence files in the package.
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub links: Vec<ManifestLink>,
}

/// A file in the package other than the manifest and its signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub path: String,
    /// The file's name as the supplier gave it.
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    /// The supplier organisation's name.
    pub supplier: String,
    pub assessment: ManifestAssessment,
    pub scale: AnswerScale,
    pub answers: Vec<ManifestAnswer>,
    /// The customer's workbook with the answers filled in, when the assessment came from one.
    #[serde(default)]
    pub workbook: Option<String>,
    pub files: Vec<ManifestFile>,
    /// The signer's Ed25519 public key, hex.
    pub public_key: String,
}

/// A package that passed every check.
#[derive(Debug, Clone)]
pub struct Opened {
    pub manifest: Manifest,
    /// Every file the manifest lists, by path, as verified.
    pub files: BTreeMap<String, Vec<u8>>,
    /// SHA-256 of the manifest's bytes (what the signature covers), hex.
    pub manifest_sha256: String,
}

impl Opened {
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.manifest.public_key)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PackageError {
    #[error("not a submission package: {0}")]
    NotAPackage(String),
    #[error("too large: {0}")]
    TooLarge(&'static str),
    #[error("unsafe entry name {0:?}")]
    UnsafeName(String),
    #[error("{0} appears twice")]
    Duplicate(String),
    #[error("{0} is missing")]
    Missing(String),
    #[error("the signature does not match the manifest")]
    BadSignature,
    #[error("manifest: {0}")]
    BadManifest(String),
    #[error("{0} differs from its manifest entry")]
    Changed(String),
    #[error("{0} is not listed in the manifest")]
    Unlisted(String),
    #[error("signing key: {0}")]
    Key(String),
}

impl PackageError {
    pub fn text(&self) -> Text {
        let head = Text::new("提出パッケージを受け付けられません: ", "The submission package was refused: ");
        let detail = match self {
            PackageError::NotAPackage(d) => Text::new(format!("zip として読めません（{d}）"), format!("it is not a readable zip ({d})")),
            PackageError::TooLarge(what) => Text::new(format!("大きすぎます（{what}）"), format!("it is too large ({what})")),
            PackageError::UnsafeName(n) => Text::new(format!("不正なファイル名 {n}"), format!("unsafe entry name {n}")),
            PackageError::Duplicate(n) => Text::new(format!("{n} が重複しています"), format!("{n} appears twice")),
            PackageError::Missing(n) => Text::new(format!("{n} がありません"), format!("{n} is missing")),
            PackageError::BadSignature => Text::new(
                "署名がマニフェストと一致しません（改ざんの可能性）",
                "the signature does not match the manifest (it may have been altered)",
            ),
            PackageError::BadManifest(d) => Text::new(format!("マニフェストが不正です（{d}）"), format!("the manifest is invalid ({d})")),
            PackageError::Changed(n) => Text::new(
                format!("{n} の内容がマニフェストのハッシュと一致しません（改ざんの可能性）"),
                format!("{n} does not match the hash in the manifest (it may have been altered)"),
            ),
            PackageError::Unlisted(n) => Text::new(format!("{n} はマニフェストにありません"), format!("{n} is not listed in the manifest")),
            PackageError::Key(d) => Text::new(format!("署名鍵が不正です（{d}）"), format!("the signing key is invalid ({d})")),
        };
        Text::new(format!("{}{}", head.ja, detail.ja), format!("{}{}", head.en, detail.en))
    }
}

/// A new Ed25519 key, PKCS#8 (to be kept secret by the store).
pub fn generate_key() -> Result<Vec<u8>, PackageError> {
    let rng = ring::rand::SystemRandom::new();
    Ed25519KeyPair::generate_pkcs8(&rng).map(|d| d.as_ref().to_vec()).map_err(|e| PackageError::Key(e.to_string()))
}

/// The public half of a PKCS#8 key, hex.
pub fn public_key(pkcs8: &[u8]) -> Result<String, PackageError> {
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|e| PackageError::Key(e.to_string()))?;
    Ok(hex::encode(pair.public_key().as_ref()))
}

/// A public key's fingerprint as people compare it over the phone: the first 128 bits of its
/// SHA-256, in eight groups of four hex digits.
pub fn fingerprint(public_key_hex: &str) -> String {
    let bytes = hex::decode(public_key_hex).unwrap_or_else(|_| public_key_hex.as_bytes().to_vec());
    let digest = sha256_hex(&bytes);
    digest.as_bytes()[..32].chunks(4).map(|c| String::from_utf8_lossy(c).to_uppercase()).collect::<Vec<_>>().join("-")
}

/// Whether two fingerprints are the same, ignoring case, spaces and hyphens as typed.
pub fn same_fingerprint(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.chars().filter(|c| c.is_ascii_hexdigit()).map(|c| c.to_ascii_uppercase()).collect::<String>();
    let (a, b) = (norm(a), norm(b));
    !a.is_empty() && a == b
}

/// Builds a package: `manifest` (its `files` and `public_key` are filled in here), the files by
/// path, signed with `pkcs8`.
pub fn build(mut manifest: Manifest, files: Vec<(ManifestFile, Vec<u8>)>, pkcs8: &[u8]) -> Result<Vec<u8>, PackageError> {
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|e| PackageError::Key(e.to_string()))?;
    manifest.format = FORMAT.to_string();
    manifest.public_key = hex::encode(pair.public_key().as_ref());
    manifest.files =
        files.iter().map(|(f, bytes)| ManifestFile { sha256: sha256_hex(bytes), size: bytes.len() as u64, ..f.clone() }).collect();
    // What open would refuse is not signed.
    check_manifest_files(&manifest)?;
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| PackageError::BadManifest(e.to_string()))?;
    let signature = hex::encode(pair.sign(&text).as_ref());
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let io = |e: std::io::Error| PackageError::NotAPackage(e.to_string());
    let zerr = |e: zip::result::ZipError| PackageError::NotAPackage(e.to_string());
    zip.start_file(MANIFEST, options).map_err(zerr)?;
    zip.write_all(&text).map_err(io)?;
    zip.start_file(SIGNATURE, options).map_err(zerr)?;
    zip.write_all(signature.as_bytes()).map_err(io)?;
    for (f, bytes) in &files {
        zip.start_file(f.path.as_str(), options).map_err(zerr)?;
        zip.write_all(bytes).map_err(io)?;
    }
    Ok(zip.finish().map_err(zerr)?.into_inner())
}

/// A path inside the package: relative, forward slashes, no `.` or `..` segments, no control
/// characters, not too long.
fn check_name(name: &str) -> Result<(), PackageError> {
    let bad = name.is_empty()
        || name.len() > 512
        || name.starts_with('/')
        || name.contains('\\')
        || name.contains(':')
        || name.chars().any(char::is_control)
        || name.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..");
    if bad { Err(PackageError::UnsafeName(name.chars().take(80).collect())) } else { Ok(()) }
}

/// What a manifest must say of its own files, checked by [`build`] before signing and by [`open`]
/// after the signature: every path safe, listed once and not the manifest's or the signature's
/// own; every file an answer or the workbook names is listed.
fn check_manifest_files(manifest: &Manifest) -> Result<(), PackageError> {
    let mut paths = std::collections::BTreeSet::new();
    for f in &manifest.files {
        check_name(&f.path)?;
        if f.path == MANIFEST || f.path == SIGNATURE || !paths.insert(f.path.as_str()) {
            return Err(PackageError::Duplicate(f.path.clone()));
        }
    }
    for answer in &manifest.answers {
        if let Some(missing) = answer.files.iter().find(|p| !paths.contains(p.as_str())) {
            return Err(PackageError::BadManifest(format!("answer {} names {missing}, which is not in the package", answer.ref_id)));
        }
    }
    if let Some(w) = &manifest.workbook
        && !paths.contains(w.as_str())
    {
        return Err(PackageError::BadManifest(format!("the workbook {w} is not in the package")));
    }
    Ok(())
}

/// Opens and verifies a package.
pub fn open(bytes: &[u8], limits: &PackageLimits) -> Result<Opened, PackageError> {
    if bytes.len() > limits.max_bytes {
        return Err(PackageError::TooLarge("package"));
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| PackageError::NotAPackage(e.to_string()))?;
    if archive.len() > limits.max_entries {
        return Err(PackageError::TooLarge("entries"));
    }
    let mut entries: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut unpacked: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| PackageError::NotAPackage(e.to_string()))?;
        let name = entry.name().map_err(|e| PackageError::NotAPackage(e.to_string()))?.into_owned();
        if entry.is_dir() {
            check_name(name.trim_end_matches('/'))?;
            continue;
        }
        check_name(&name)?;
        let cap = if name == MANIFEST { limits.max_manifest } else { limits.max_unpacked.saturating_sub(unpacked) };
        if entry.size() > cap {
            return Err(PackageError::TooLarge(if name == MANIFEST { "manifest" } else { "unpacked" }));
        }
        let mut content = Vec::new();
        (&mut entry).take(cap + 1).read_to_end(&mut content).map_err(|e| PackageError::NotAPackage(e.to_string()))?;
        if content.len() as u64 > cap {
            return Err(PackageError::TooLarge(if name == MANIFEST { "manifest" } else { "unpacked" }));
        }
        unpacked += content.len() as u64;
        if entries.insert(name.clone(), content).is_some() {
            return Err(PackageError::Duplicate(name));
        }
    }
    let text = entries.remove(MANIFEST).ok_or_else(|| PackageError::Missing(MANIFEST.into()))?;
    let signature = entries.remove(SIGNATURE).ok_or_else(|| PackageError::Missing(SIGNATURE.into()))?;
    // The key is read from the manifest before the signature is checked, and nothing else is.
    #[derive(Deserialize)]
    struct KeyOnly {
        public_key: String,
    }
    let key: KeyOnly = serde_json::from_slice(&text).map_err(|e| PackageError::BadManifest(e.to_string()))?;
    let key = hex::decode(key.public_key.trim()).map_err(|_| PackageError::Key("not hex".into()))?;
    if key.len() != 32 {
        return Err(PackageError::Key("not an Ed25519 public key".into()));
    }
    let signature = hex::decode(String::from_utf8_lossy(&signature).trim()).map_err(|_| PackageError::BadSignature)?;
    UnparsedPublicKey::new(&ED25519, &key).verify(&text, &signature).map_err(|_| PackageError::BadSignature)?;
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| PackageError::BadManifest(e.to_string()))?;
    if manifest.format != FORMAT {
        return Err(PackageError::BadManifest(format!("format {:?}", manifest.format.chars().take(40).collect::<String>())));
    }
    check_manifest_files(&manifest)?;
    let mut files = BTreeMap::new();
    for f in &manifest.files {
        let content = entries.remove(&f.path).ok_or_else(|| PackageError::Missing(f.path.clone()))?;
        if content.len() as u64 != f.size || sha256_hex(&content) != f.sha256.to_ascii_lowercase() {
            return Err(PackageError::Changed(f.path.clone()));
        }
        if files.insert(f.path.clone(), content).is_some() {
            return Err(PackageError::Duplicate(f.path.clone()));
        }
    }
    if let Some(extra) = entries.keys().next() {
        return Err(PackageError::Unlisted(extra.clone()));
    }
    Ok(Opened { manifest, files, manifest_sha256: sha256_hex(&text) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale() -> AnswerScale {
        serde_json::from_value(serde_json::json!({
            "key": "yes_no", "name": {"ja": "○×", "en": "Yes/No"},
            "values": [
                {"key": "yes", "label": {"ja": "○", "en": "Yes"}, "meaning": "met"},
                {"key": "no", "label": {"ja": "×", "en": "No"}, "meaning": "not_met"}
            ]
        }))
        .unwrap()
    }

    fn manifest() -> Manifest {
        Manifest {
            format: String::new(),
            supplier: "東和精工株式会社".into(),
            assessment: ManifestAssessment {
                id: "0190".into(),
                name: "取引先点検".into(),
                period: "2026年度".into(),
                catalog_key: "kubota-supplier".into(),
                catalog_edition: "2.0".into(),
                state: "submitted".into(),
                packaged_at: "2026-12-01T00:00:00Z".into(),
            },
            scale: scale(),
            answers: vec![ManifestAnswer {
                ref_id: "1".into(),
                value: Some("yes".into()),
                comment: "規程第5条".into(),
                files: vec!["evidence/1-規程.pdf".into()],
                links: vec![],
            }],
            workbook: None,
            files: vec![],
            public_key: String::new(),
        }
    }

    fn package(key: &[u8]) -> Vec<u8> {
        let file = ManifestFile { path: "evidence/1-規程.pdf".into(), name: "規程.pdf".into(), sha256: String::new(), size: 0 };
        build(manifest(), vec![(file, b"%PDF-1.7 rules".to_vec())], key).unwrap()
    }

    /// Rewrites one entry of a zip, keeping the others.
    fn rewrite(bytes: &[u8], name: &str, f: impl Fn(Vec<u8>) -> Vec<u8>) -> Vec<u8> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..archive.len() {
            let mut e = archive.by_index(i).unwrap();
            let entry_name = e.name().unwrap().into_owned();
            let mut content = Vec::new();
            e.read_to_end(&mut content).unwrap();
            let content = if entry_name == name { f(content) } else { content };
            out.start_file(entry_name, zip::write::SimpleFileOptions::default()).unwrap();
            out.write_all(&content).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn a_built_package_opens_with_its_files_and_the_signers_fingerprint() {
        let key = generate_key().unwrap();
        let opened = open(&package(&key), &PackageLimits::default()).unwrap();
        assert_eq!(opened.manifest.answers[0].comment, "規程第5条");
        assert_eq!(opened.files["evidence/1-規程.pdf"], b"%PDF-1.7 rules");
        assert_eq!(opened.manifest.public_key, public_key(&key).unwrap());
        let fp = opened.fingerprint();
        assert_eq!(fp.len(), 39, "{fp}");
        assert!(same_fingerprint(&fp, &fp.to_lowercase().replace('-', " ")));
        assert!(!same_fingerprint(&fp, &fingerprint(&public_key(&generate_key().unwrap()).unwrap())));
    }

    #[test]
    fn any_change_after_signing_is_refused() {
        let key = generate_key().unwrap();
        let good = package(&key);
        let limits = PackageLimits::default();
        let evidence = rewrite(&good, "evidence/1-規程.pdf", |mut c| {
            c[0] ^= 1;
            c
        });
        assert_eq!(open(&evidence, &limits).unwrap_err(), PackageError::Changed("evidence/1-規程.pdf".into()));
        let answer = rewrite(&good, MANIFEST, |c| String::from_utf8(c).unwrap().replace("\"yes\"", "\"no\"").into_bytes());
        assert_eq!(open(&answer, &limits).unwrap_err(), PackageError::BadSignature);
        // Re-signing with another key is detected by the buyer's pin, not here: the package is
        // consistent, and names the other key.
        let other = generate_key().unwrap();
        let resigned = package(&other);
        assert_ne!(open(&resigned, &limits).unwrap().manifest.public_key, public_key(&key).unwrap());
        let unsigned = rewrite(&good, SIGNATURE, |_| b"00".to_vec());
        assert_eq!(open(&unsigned, &limits).unwrap_err(), PackageError::BadSignature);
    }

    #[test]
    fn unlisted_missing_unsafe_and_oversized_entries_are_refused() {
        let key = generate_key().unwrap();
        let good = package(&key);
        let limits = PackageLimits::default();
        let mut archive = zip::ZipArchive::new(Cursor::new(good.as_slice())).unwrap();
        let mut with_extra = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let mut without_file = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..archive.len() {
            let mut e = archive.by_index(i).unwrap();
            let name = e.name().unwrap().into_owned();
            let mut content = Vec::new();
            e.read_to_end(&mut content).unwrap();
            with_extra.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
            with_extra.write_all(&content).unwrap();
            if name != "evidence/1-規程.pdf" {
                without_file.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
                without_file.write_all(&content).unwrap();
            }
        }
        with_extra.start_file("evidence/extra.exe", zip::write::SimpleFileOptions::default()).unwrap();
        with_extra.write_all(b"MZ").unwrap();
        let with_extra = with_extra.finish().unwrap().into_inner();
        assert_eq!(open(&with_extra, &limits).unwrap_err(), PackageError::Unlisted("evidence/extra.exe".into()));
        let without_file = without_file.finish().unwrap().into_inner();
        assert_eq!(open(&without_file, &limits).unwrap_err(), PackageError::Missing("evidence/1-規程.pdf".into()));

        for name in ["../etc/passwd", "/abs", "a/../b", "c:\\x", "a//b"] {
            assert!(matches!(check_name(name), Err(PackageError::UnsafeName(_))), "{name}");
        }
        let small = PackageLimits { max_bytes: 100, ..limits };
        assert_eq!(open(&good, &small).unwrap_err(), PackageError::TooLarge("package"));
        let tight = PackageLimits { max_manifest: 10, ..limits };
        assert_eq!(open(&good, &tight).unwrap_err(), PackageError::TooLarge("manifest"));
        assert!(matches!(open(b"not a zip", &limits), Err(PackageError::NotAPackage(_))));
        assert!(PackageError::BadSignature.text().ja.contains("改ざん"));
    }

    /// Found by the fuzz target: `build` signed a manifest whose answer names evidence that is
    /// not in the package, which `open` then refused. What open refuses, build does not sign.
    #[test]
    fn a_manifest_that_would_not_open_is_not_signed() {
        let key = generate_key().unwrap();
        let file = ManifestFile { path: "evidence/1-規程.pdf".into(), name: "規程.pdf".into(), sha256: String::new(), size: 0 };
        let mut dangling = manifest();
        dangling.answers[0].files = vec!["evidence/0-規程.pdf".into()];
        assert!(matches!(build(dangling, vec![(file.clone(), b"%PDF".to_vec())], &key), Err(PackageError::BadManifest(_))));
        let mut no_workbook = manifest();
        no_workbook.workbook = Some("workbook.xlsx".into());
        assert!(matches!(build(no_workbook, vec![(file.clone(), b"%PDF".to_vec())], &key), Err(PackageError::BadManifest(_))));
        let twice = vec![(file.clone(), b"%PDF".to_vec()), (file.clone(), b"%PDF".to_vec())];
        assert_eq!(build(manifest(), twice, &key).unwrap_err(), PackageError::Duplicate("evidence/1-規程.pdf".into()));
        let own = ManifestFile { path: MANIFEST.into(), ..file };
        assert_eq!(build(manifest(), vec![(own, b"{}".to_vec())], &key).unwrap_err(), PackageError::Duplicate(MANIFEST.into()));
        assert!(open(&package(&key), &PackageLimits::default()).is_ok());
    }
}
