//! Signed submission packages (interop::submission), for a supplier that runs its own Mamori:
//! the supplier packages a submitted assessment (answers, evidence, the filled customer
//! workbook) signed with its organisation's key; the buyer imports the package on the
//! supplier's カルテ, which verifies it, pins the supplier's key on the first import (after the
//! buyer confirms the fingerprint the supplier gave it) and creates the submitted assessment in
//! the supplier's organisation, as if it had been answered here.

use std::collections::{BTreeMap, BTreeSet};

use mamori_core::Text;
use mamori_core::assessment::{self, AnswerInput, Answerer, AssessmentDoc, AssessmentState, ItemState};
use mamori_core::authz::{Action, Decision, Resource, authorize};
use mamori_core::ids::OrgId;
use mamori_core::library::Library;
use mamori_core::person::Actor;
use mamori_interop::submission::{self, Manifest, ManifestAnswer, ManifestAssessment, ManifestFile, ManifestLink, PackageLimits};
use mamori_store::{AssessmentRow, Ctx, ImportedSubmission, SigningKey, Store};

use crate::assessments_io::{self as io, Loaded};
use crate::catalogs_io;
use crate::error::{ErrorKind, WebError};

fn refused(ja: impl Into<String>, en: impl Into<String>) -> WebError {
    WebError::new(ErrorKind::Invalid, Text::new(ja, en))
}

/// The organisation's signing key, made (and journaled) on first use.
async fn signing_key(store: &Store, ctx: &Ctx) -> Result<SigningKey, WebError> {
    if let Some(key) = store.signing_key(ctx.org).await? {
        return Ok(key);
    }
    let pkcs8 = submission::generate_key().map_err(|e| WebError::internal(e.to_string()))?;
    let public_key = submission::public_key(&pkcs8).map_err(|e| WebError::internal(e.to_string()))?;
    Ok(store.create_signing_key(ctx, SigningKey { public_key, pkcs8 }).await?)
}

/// The fingerprint of the organisation's signing key, once it has one.
pub async fn fingerprint(store: &Store, org: OrgId) -> Result<Option<String>, WebError> {
    Ok(store.signing_key(org).await?.map(|k| submission::fingerprint(&k.public_key)))
}

/// The package of a submitted assessment, for someone who may manage it: file name and bytes.
pub async fn package(store: &Store, library: &Library, actor: &Actor, ctx: &Ctx, id: &str) -> Result<(String, Vec<u8>), WebError> {
    let loaded = io::load(store, library, actor, id, Action::AssessmentManage).await?;
    let doc = &loaded.row.doc;
    if !doc.is_shared() {
        return Err(refused(
            "提出パッケージは提出済みの評価についてだけ作成できます。先に提出してください。",
            "A submission package is made of a submitted assessment only: submit it first.",
        ));
    }
    let key = signing_key(store, ctx).await?;
    let mut files: Vec<(ManifestFile, Vec<u8>)> = Vec::new();
    let mut path_of: BTreeMap<String, String> = BTreeMap::new();
    let mut answers = Vec::new();
    for node in loaded.nodes() {
        let state = loaded.state_of(&node.ref_id);
        let mut answer = ManifestAnswer {
            ref_id: node.ref_id.clone(),
            value: state.value().map(str::to_string),
            comment: state.comment().to_string(),
            files: Vec::new(),
            links: Vec::new(),
        };
        for e in store.evidence_many(loaded.row.org, &state.evidence).await? {
            match (&e.file, &e.url) {
                (Some(file), _) => {
                    if !path_of.contains_key(&e.id) {
                        let bytes = store.evidence_content(loaded.row.org, &file.sha256).await?;
                        let path = format!("evidence/{:04}-{}", files.len() + 1, e.name);
                        files.push((ManifestFile { path: path.clone(), name: e.name.clone(), sha256: String::new(), size: 0 }, bytes));
                        path_of.insert(e.id.clone(), path);
                    }
                    answer.files.extend(path_of.get(&e.id).cloned());
                }
                (None, Some(url)) => answer.links.push(ManifestLink { title: e.name.clone(), url: url.clone() }),
                (None, None) => {}
            }
        }
        answers.push(answer);
    }
    let workbook = match doc.workbook {
        Some(_) => {
            let (name, bytes) = io::export_workbook(store, &loaded).await?;
            let path = "workbook.xlsx".to_string();
            files.push((ManifestFile { path: path.clone(), name, sha256: String::new(), size: 0 }, bytes));
            Some(path)
        }
        None => None,
    };
    let organisation = store.organisation(loaded.row.org).await?.name;
    let packaged_at = ctx.at.format(&time::format_description::well_known::Rfc3339).map_err(|e| WebError::internal(e.to_string()))?;
    let manifest = Manifest {
        format: String::new(),
        supplier: organisation,
        assessment: ManifestAssessment {
            id: loaded.row.id.clone(),
            name: doc.name.clone(),
            period: doc.period.clone(),
            catalog_key: doc.catalog_key.clone(),
            catalog_edition: doc.catalog_edition.clone(),
            state: doc.state.as_str().to_string(),
            packaged_at,
        },
        scale: doc.scale.clone(),
        answers,
        workbook,
        files: Vec::new(),
        public_key: String::new(),
    };
    let bytes = submission::build(manifest, files, &key.pkcs8).map_err(|e| WebError::internal(e.to_string()))?;
    Ok((format!("submission-{}.zip", loaded.row.id), bytes))
}

/// The bounds of a package upload: the package's own defaults, the whole package no smaller than
/// one evidence file may be.
pub fn package_limits(max_evidence_bytes: usize) -> PackageLimits {
    PackageLimits { max_bytes: PackageLimits::default().max_bytes.max(max_evidence_bytes), ..Default::default() }
}

/// Whether `actor` may import packages from `supplier`: forbidden without the right to oversee
/// suppliers, not found for an organisation that is not one of its suppliers. Checked before an
/// upload is read, and again by [`import_package`].
pub async fn may_import(store: &Store, library: &Library, actor: &Actor, supplier: OrgId) -> Result<(), WebError> {
    if authorize(library, actor, Action::SupplierOversee, &Resource::Organisation(actor.org)) != Decision::Allow {
        return Err(WebError::forbidden());
    }
    if !store.is_supplier(actor.org, supplier).await? {
        return Err(WebError::not_found());
    }
    Ok(())
}

/// A package as the buyer uploads it on a supplier's カルテ.
#[derive(Debug, Clone, Copy)]
pub struct PackageUpload<'a> {
    pub supplier: OrgId,
    pub bytes: &'a [u8],
    /// The fingerprint the buyer typed (needed on the first import from this supplier).
    pub fingerprint: &'a str,
}

/// Imports a supplier's package for the buyer `actor`: verified, its key pinned (on the first
/// import `typed_fingerprint` must be the one the supplier gave), checked against the catalog
/// it answers, then stored as a submitted assessment of `supplier`.
pub async fn import_package(
    store: &Store,
    library: &Library,
    actor: &Actor,
    buyer: &Ctx,
    upload: &PackageUpload<'_>,
    max_evidence_bytes: usize,
) -> Result<AssessmentRow, WebError> {
    let PackageUpload { supplier, bytes, fingerprint: typed_fingerprint } = *upload;
    may_import(store, library, actor, supplier).await?;
    let opened = submission::open(bytes, &package_limits(max_evidence_bytes)).map_err(|e| WebError::new(ErrorKind::Invalid, e.text()))?;
    let fingerprint = opened.fingerprint();
    let m = &opened.manifest;
    match store.pinned_key(actor.org, supplier).await? {
        Some(pinned) if pinned != m.public_key => return Err(mamori_store::StoreError::SigningKeyMismatch.into()),
        Some(_) => {}
        None if submission::same_fingerprint(typed_fingerprint, &fingerprint) => {}
        None => {
            return Err(refused(
                format!(
                    "この取引先からの初回の取り込みです。取引先から伝えられた署名鍵のフィンガープリントを入力してください（このパッケージの鍵: {fingerprint}）。"
                ),
                format!(
                    "This is the first package from this supplier: enter the signing key fingerprint the supplier gave you (this package's key: {fingerprint})."
                ),
            ));
        }
    }
    let state = AssessmentState::parse(&m.assessment.state)
        .filter(|s| s.is_shared())
        .ok_or_else(|| refused("提出済みでない評価のパッケージは取り込めません。", "The package's assessment is not submitted."))?;
    let catalog = catalogs_io::find_catalog(store, library, actor, &m.assessment.catalog_key, Some(&m.assessment.catalog_edition))
        .await
        .map_err(|_| {
            refused(
                format!(
                    "パッケージが回答しているカタログ {} {} がありません。先にカタログを取り込んでください。",
                    m.assessment.catalog_key, m.assessment.catalog_edition
                ),
                format!(
                    "The catalog the package answers, {} {}, is not here: import it first.",
                    m.assessment.catalog_key, m.assessment.catalog_edition
                ),
            )
        })?;
    let doc = AssessmentDoc {
        name: m.assessment.name.clone(),
        period: m.assessment.period.clone(),
        unit: None,
        catalog_key: catalog.catalog.key().to_string(),
        catalog_edition: catalog.catalog.edition().to_string(),
        scope: None,
        scale: m.scale.clone(),
        state,
        previous: None,
        requester: Some(actor.org),
        due: None,
        workbook: None,
    };
    doc.check().map_err(|e| WebError::new(ErrorKind::Invalid, e.text()))?;
    let items = assessment::scope_items(&catalog.catalog, None);
    let known: BTreeSet<&str> = items.iter().map(|n| n.ref_id.as_str()).collect();
    // Evidence files, each checked as an upload here would be.
    let mut evidence_of_path: BTreeMap<String, String> = BTreeMap::new();
    let mut files = Vec::new();
    for f in &m.files {
        if m.workbook.as_deref() == Some(f.path.as_str()) {
            continue;
        }
        let content = opened.files.get(&f.path).cloned().unwrap_or_default();
        let (name, media_type) = mamori_core::evidence::check_upload(&f.name, &content, max_evidence_bytes)
            .map_err(|e| WebError::new(ErrorKind::Invalid, e.text()))?;
        let id = uuid::Uuid::now_v7().to_string();
        evidence_of_path.insert(f.path.clone(), id.clone());
        files.push((id, name, media_type, content));
    }
    let mut states: BTreeMap<String, ItemState> = BTreeMap::new();
    let mut links = Vec::new();
    for a in &m.answers {
        if !known.contains(a.ref_id.as_str()) {
            return Err(refused(
                format!("要求事項 {} はカタログにありません。", a.ref_id.chars().take(40).collect::<String>()),
                format!("Requirement {} is not in the catalog.", a.ref_id.chars().take(40).collect::<String>()),
            ));
        }
        let input = AnswerInput { answerer: Answerer::Primary, value: a.value.clone().unwrap_or_default(), comment: a.comment.clone() };
        let mut item =
            assessment::record_answer(AssessmentState::InProgress, &doc.scale, &ItemState::default(), &input, actor.person, buyer.at)
                .map_err(|e| WebError::new(ErrorKind::Invalid, e.text()))?
                .unwrap_or_default();
        item.evidence.extend(a.files.iter().filter_map(|p| evidence_of_path.get(p).cloned()));
        for l in &a.links {
            let url = mamori_core::evidence::check_link(&l.url).map_err(|e| WebError::new(ErrorKind::Invalid, e.text()))?;
            let id = uuid::Uuid::now_v7().to_string();
            item.evidence.push(id.clone());
            links.push((id, l.title.chars().take(200).collect(), url));
        }
        if item != ItemState::default() {
            states.insert(a.ref_id.clone(), item);
        }
    }
    let unanswered = assessment::unanswered_mandatory(&items, &states);
    if !unanswered.is_empty() {
        return Err(refused(
            format!("必須項目に未回答が {} 件あります（{} など）。提出済みの評価として取り込めません。", unanswered.len(), unanswered[0]),
            format!("{} mandatory items are unanswered ({} …): it cannot be imported as submitted.", unanswered.len(), unanswered[0]),
        ));
    }
    let summary = assessment::score(&catalog.catalog, &items, &doc.scale, &states, library.scoring()).summary();
    let supplier_ctx = Ctx { org: supplier, ..buyer.clone() };
    let sub = ImportedSubmission {
        assessment_id: uuid::Uuid::now_v7(),
        doc,
        items: states,
        summary,
        files,
        links,
        public_key: m.public_key.clone(),
        fingerprint,
        manifest_sha256: opened.manifest_sha256.clone(),
    };
    Ok(store.import_submission(buyer, &supplier_ctx, sub).await?)
}

/// Whether the checklist page offers the package: a submitted assessment, for someone who may
/// manage it.
pub fn may_package(library: &Library, actor: &Actor, loaded: &Loaded) -> bool {
    loaded.row.doc.is_shared() && authorize(library, actor, Action::AssessmentManage, &loaded.resource()) == Decision::Allow
}
