//! Assessments as commands, shared by the pages and the CLI: load one with its catalog and
//! items (authorised), create one from a catalog or from last year's, answer, assign, approve,
//! attach evidence and move it through its states. Each command asks core (authorisation, the
//! rules of `mamori_core::assessment`) and hands the decision to the store with the scoring
//! that keeps the summary true.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use mamori_core::Text;
use mamori_core::assessment::{
    self, AnswerInput, AnswerScale, AssessmentDoc, AssessmentState, ItemState, Score, ScoringRules, Summary, Transition,
};
use mamori_core::authz::{Action, Decision, Resource, authorize};
use mamori_core::catalog::{Catalog, NodeDef};
use mamori_core::ids::{OrgId, PersonId, UnitId};
use mamori_core::library::Library;
use mamori_core::person::Actor;
use mamori_store::{AssessmentRow, Ctx, ItemChange, ItemChangeKind, Store, StoredItem, Summarise};
use time::Date;

use crate::error::{ErrorKind, WebError};

/// An assessment with everything its pages and commands need.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub row: AssessmentRow,
    pub catalog: Arc<Catalog>,
    pub items: BTreeMap<String, StoredItem>,
}

impl Loaded {
    /// The requirements it answers, in catalog order.
    pub fn nodes(&self) -> Vec<&NodeDef> {
        assessment::scope_items(&self.catalog, self.row.doc.scope.as_ref())
    }

    pub fn states(&self) -> BTreeMap<String, ItemState> {
        self.items.iter().map(|(r, s)| (r.clone(), s.state.clone())).collect()
    }

    pub fn state_of(&self, ref_id: &str) -> ItemState {
        self.items.get(ref_id).map(|s| s.state.clone()).unwrap_or_default()
    }

    pub fn score(&self, rules: &ScoringRules) -> Score {
        assessment::score(&self.catalog, &self.nodes(), &self.row.doc.scale, &self.states(), rules)
    }

    pub fn resource(&self) -> Resource<'static> {
        resource_of(&self.row)
    }

    /// The requirement `ref_id` if it is an item of this assessment.
    pub fn node(&self, ref_id: &str) -> Result<&NodeDef, WebError> {
        self.nodes().into_iter().find(|n| n.ref_id == ref_id).ok_or_else(WebError::not_found)
    }
}

/// The catalog edition an assessment answers: the organisation's own import of that key and
/// edition, else the built-in one.
pub async fn catalog_of(store: &Store, library: &Library, org: OrgId, key: &str, edition: &str) -> Result<Arc<Catalog>, WebError> {
    if let Some(own) = store.catalog_edition(org, key, edition).await? {
        return Ok(own);
    }
    library.catalog(key, Some(edition)).cloned().ok_or_else(|| WebError::internal(format!("assessment catalog {key} {edition} is gone")))
}

/// The scoring of an assessment's items, for the store to run inside each command.
pub fn summariser(rules: &ScoringRules, catalog: Arc<Catalog>, doc: &AssessmentDoc) -> Summarise {
    let (rules, scale, scope) = (rules.clone(), doc.scale.clone(), doc.scope.clone());
    Box::new(move |states| {
        let items = assessment::scope_items(&catalog, scope.as_ref());
        assessment::score(&catalog, &items, &scale, states, &rules).summary()
    })
}

/// What authorisation looks at of an assessment: its organisation and unit, the buyer that sent
/// it, and whether it is submitted.
pub fn resource_of(row: &AssessmentRow) -> Resource<'static> {
    Resource::Assessment { org: row.org, unit: row.doc.unit, requester: row.doc.requester, shared: row.doc.is_shared() }
}

/// An assessment `actor` may see (else "not found", also for another organisation's id unless
/// core allows it: the buyer that sent a submitted one), with `action` allowed on it (else
/// "forbidden").
pub async fn load(store: &Store, library: &Library, actor: &Actor, id: &str, action: Action) -> Result<Loaded, WebError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(WebError::not_found());
    }
    let row = store.assessment_by_id(id).await?.ok_or_else(WebError::not_found)?;
    let resource = resource_of(&row);
    if authorize(library, actor, Action::AssessmentView, &resource) != Decision::Allow {
        return Err(WebError::not_found());
    }
    if authorize(library, actor, action, &resource) != Decision::Allow {
        return Err(WebError::forbidden());
    }
    let catalog = catalog_of(store, library, row.org, &row.doc.catalog_key, &row.doc.catalog_edition).await?;
    let items = store.assessment_items(row.org, id).await?;
    Ok(Loaded { row, catalog, items })
}

fn invalid(e: &assessment::AssessmentError) -> WebError {
    WebError::new(ErrorKind::Invalid, e.text())
}

/// What a new assessment is made of.
#[derive(Debug, Clone)]
pub struct NewAssessment {
    pub catalog: Arc<Catalog>,
    pub name: String,
    pub period: String,
    pub unit: Option<UnitId>,
    pub scale: AnswerScale,
    /// Chosen groups and requirements; None: the whole catalog.
    pub scope: Option<BTreeSet<String>>,
    /// Start from this assessment's answers (last year's).
    pub previous: Option<String>,
    pub due: Option<Date>,
    /// The customer's workbook it comes from, and the answers it already holds.
    pub workbook: Option<serde_json::Value>,
    pub initial: BTreeMap<String, ItemState>,
}

/// Creates an assessment (state 回答中) if `actor` may manage assessments of that unit.
pub async fn create(store: &Store, library: &Library, actor: &Actor, ctx: &Ctx, new: NewAssessment) -> Result<AssessmentRow, WebError> {
    let resource = Resource::Assessment { org: actor.org, unit: new.unit, requester: None, shared: false };
    if authorize(library, actor, Action::AssessmentManage, &resource) != Decision::Allow {
        return Err(WebError::forbidden());
    }
    let mut initial = new.initial;
    if let Some(previous) = &new.previous {
        let last = load(store, library, actor, previous, Action::AssessmentView).await?;
        let items = assessment::scope_items(&new.catalog, new.scope.as_ref());
        let carried = assessment::carry_forward((&last.row.doc.scale, &last.states()), &new.scale, &items, actor.person, ctx.at);
        for (r, s) in carried {
            initial.entry(r).or_insert(s);
        }
    }
    let doc = AssessmentDoc {
        name: new.name.trim().to_string(),
        period: new.period.trim().to_string(),
        unit: new.unit,
        catalog_key: new.catalog.key().to_string(),
        catalog_edition: new.catalog.edition().to_string(),
        scope: new.scope,
        scale: new.scale,
        state: AssessmentState::InProgress,
        previous: new.previous,
        requester: None,
        due: new.due,
        workbook: new.workbook,
    };
    doc.check().map_err(|e| invalid(&e))?;
    let summary = summariser(library.scoring(), new.catalog.clone(), &doc)(&initial);
    Ok(store.create_assessment(ctx, uuid::Uuid::now_v7(), &doc, &initial, summary).await?)
}

async fn save_items(
    store: &Store,
    library: &Library,
    ctx: &Ctx,
    loaded: &Loaded,
    kind: ItemChangeKind,
    changes: Vec<ItemChange>,
) -> Result<Summary, WebError> {
    let summarise = summariser(library.scoring(), loaded.catalog.clone(), &loaded.row.doc);
    Ok(store.change_items(ctx, &loaded.row.id, loaded.row.version, kind, changes, summarise).await?)
}

fn change(loaded: &Loaded, ref_id: &str, state: ItemState) -> ItemChange {
    ItemChange { ref_id: ref_id.to_string(), expected_version: loaded.items.get(ref_id).map(|s| s.version), state }
}

/// Records an answer (the staff's or the manager's). Returns None when nothing changed.
pub async fn answer(
    store: &Store,
    library: &Library,
    ctx: &Ctx,
    loaded: &Loaded,
    ref_id: &str,
    input: &AnswerInput,
    expected_version: Option<i64>,
) -> Result<Option<Summary>, WebError> {
    loaded.node(ref_id)?;
    if !loaded.row.doc.state.answers_editable() {
        return Err(invalid(&assessment::AssessmentError::NotEditable { state: loaded.row.doc.state }));
    }
    let current = loaded.items.get(ref_id);
    if current.map(|s| s.version) != expected_version {
        return Err(stale());
    }
    let person = ctx.actor.ok_or_else(WebError::forbidden)?;
    let state = current.map(|s| s.state.clone()).unwrap_or_default();
    match assessment::record_answer(loaded.row.doc.state, &loaded.row.doc.scale, &state, input, person, ctx.at) {
        Err(e) => Err(invalid(&e)),
        Ok(None) => Ok(None),
        Ok(Some(next)) => {
            Ok(Some(save_items(store, library, ctx, loaded, ItemChangeKind::Answer, vec![change(loaded, ref_id, next)]).await?))
        }
    }
}

fn stale() -> WebError {
    WebError::new(
        ErrorKind::Stale,
        Text::new(
            "この項目は他の人が先に更新しました。最新の内容を確認してからもう一度入力してください。",
            "Someone else changed this item first. Check the latest answer and enter yours again.",
        ),
    )
}

/// Answers many items at once (a CSV of requirement no., status, comment). Every row is checked
/// before anything is written; one command writes them all. Returns how many items changed.
pub async fn answer_many(
    store: &Store,
    library: &Library,
    ctx: &Ctx,
    loaded: &Loaded,
    rows: &[(String, AnswerInput)],
) -> Result<(usize, Summary), Vec<(String, Text)>> {
    let person = match ctx.actor {
        Some(p) => p,
        None => return Err(vec![(String::new(), WebError::forbidden().text)]),
    };
    let mut problems = Vec::new();
    let mut changes: BTreeMap<String, ItemChange> = BTreeMap::new();
    let nodes = loaded.nodes();
    for (no, input) in rows {
        let Some(node) = find_item(&nodes, no) else {
            problems.push((no.clone(), assessment::AssessmentError::UnknownItem(no.clone()).text()));
            continue;
        };
        let state = changes.get(&node.ref_id).map(|c| c.state.clone()).unwrap_or_else(|| loaded.state_of(&node.ref_id));
        match assessment::record_answer(loaded.row.doc.state, &loaded.row.doc.scale, &state, input, person, ctx.at) {
            Err(e) => problems.push((no.clone(), e.text())),
            Ok(None) => {}
            Ok(Some(next)) => {
                changes.insert(node.ref_id.clone(), change(loaded, &node.ref_id, next));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if changes.is_empty() {
        return Ok((0, loaded.row.summary));
    }
    let count = changes.len();
    save_items(store, library, ctx, loaded, ItemChangeKind::Answer, changes.into_values().collect())
        .await
        .map(|s| (count, s))
        .map_err(|e| vec![(String::new(), e.text)])
}

/// An item by its ref or by the number the source gives it (`No.`), after NFKC and trimming.
pub fn find_item<'a>(nodes: &[&'a NodeDef], no: &str) -> Option<&'a NodeDef> {
    use unicode_normalization::UnicodeNormalization;
    let wanted: String = no.nfkc().collect::<String>().trim().to_string();
    nodes.iter().copied().find(|n| n.ref_id == wanted).or_else(|| nodes.iter().copied().find(|n| n.number.as_deref() == Some(&wanted)))
}

/// Assigns the items under `group` (or the one item `group` names) to a person with a due
/// date, in one command.
pub async fn assign(
    store: &Store,
    library: &Library,
    ctx: &Ctx,
    loaded: &Loaded,
    group: &str,
    assignee: Option<PersonId>,
    due: Option<Date>,
) -> Result<usize, WebError> {
    if !loaded.row.doc.state.answers_editable() {
        return Err(invalid(&assessment::AssessmentError::NotEditable { state: loaded.row.doc.state }));
    }
    let nodes = loaded.nodes();
    let chosen: Vec<&NodeDef> =
        nodes.into_iter().filter(|n| n.ref_id == group || loaded.catalog.ancestors(&n.ref_id).iter().any(|a| a.ref_id == group)).collect();
    let changes: Vec<ItemChange> = chosen
        .iter()
        .filter_map(|n| {
            let mut state = loaded.state_of(&n.ref_id);
            if state.assignee == assignee && state.due == due {
                return None;
            }
            state.assignee = assignee;
            state.due = due;
            Some(change(loaded, &n.ref_id, state))
        })
        .collect();
    if chosen.is_empty() {
        return Err(WebError::not_found());
    }
    let count = changes.len();
    if count > 0 {
        save_items(store, library, ctx, loaded, ItemChangeKind::Assign, changes).await?;
    }
    Ok(count)
}

/// A reviewer approves an item's answer (never their own).
pub async fn approve(store: &Store, library: &Library, ctx: &Ctx, loaded: &Loaded, ref_id: &str) -> Result<(), WebError> {
    loaded.node(ref_id)?;
    if !loaded.row.doc.state.answers_editable() {
        return Err(invalid(&assessment::AssessmentError::NotEditable { state: loaded.row.doc.state }));
    }
    let person = ctx.actor.ok_or_else(WebError::forbidden)?;
    let next = assessment::approve(&loaded.state_of(ref_id), person, ctx.at).map_err(|e| invalid(&e))?;
    save_items(store, library, ctx, loaded, ItemChangeKind::Approve, vec![change(loaded, ref_id, next)]).await?;
    Ok(())
}

/// Attaches a piece of the organisation's evidence to an item (once).
pub async fn attach(store: &Store, library: &Library, ctx: &Ctx, loaded: &Loaded, ref_id: &str, evidence: &str) -> Result<(), WebError> {
    loaded.node(ref_id)?;
    if !loaded.row.doc.state.answers_editable() {
        return Err(invalid(&assessment::AssessmentError::NotEditable { state: loaded.row.doc.state }));
    }
    store.evidence(loaded.row.org, evidence).await?.ok_or_else(WebError::not_found)?;
    let mut state = loaded.state_of(ref_id);
    if state.evidence.iter().any(|e| e == evidence) {
        return Ok(());
    }
    state.evidence.push(evidence.to_string());
    save_items(store, library, ctx, loaded, ItemChangeKind::Evidence, vec![change(loaded, ref_id, state)]).await?;
    Ok(())
}

/// Whether a piece of evidence is attached to some item of the assessment (what a download is
/// allowed for).
pub fn uses_evidence(loaded: &Loaded, evidence: &str) -> bool {
    loaded.items.values().any(|s| s.state.evidence.iter().any(|e| e == evidence))
}

/// Moves the assessment: the answering side's transitions need `assessment.answer`, the
/// reviewer's `assessment.review` (checked by the caller through `load`).
pub async fn transition(
    store: &Store,
    library: &Library,
    ctx: &Ctx,
    loaded: &Loaded,
    transition: Transition,
    expected_version: i64,
) -> Result<AssessmentRow, WebError> {
    if expected_version != loaded.row.version {
        return Err(stale());
    }
    let unanswered = assessment::unanswered_mandatory(&loaded.nodes(), &loaded.states());
    let state = assessment::apply_transition(loaded.row.doc.state, transition, &unanswered).map_err(|e| invalid(&e))?;
    let mut doc = loaded.row.doc.clone();
    doc.state = state;
    let summarise = summariser(library.scoring(), loaded.catalog.clone(), &doc);
    Ok(store.update_assessment(ctx, &loaded.row.id, loaded.row.version, &doc, summarise).await?)
}

/// The action a transition needs.
pub fn transition_action(transition: Transition) -> Action {
    if transition.is_review() { Action::AssessmentReview } else { Action::AssessmentAnswer }
}

/// What a buyer sends its suppliers.
#[derive(Debug, Clone)]
pub struct Distribution {
    pub catalog: Arc<Catalog>,
    pub name: String,
    pub period: String,
    pub due: Option<Date>,
    pub scale: AnswerScale,
}

/// A buyer (委託元) distributes a catalog: one assessment in each chosen supplier organisation,
/// journaled in that supplier's chain with the buyer's person as actor, to be answered there.
/// Every supplier must be one of the buyer's; nothing is created unless all are.
pub async fn distribute(
    store: &Store,
    library: &Library,
    actor: &Actor,
    suppliers: &[OrgId],
    what: &Distribution,
) -> Result<Vec<AssessmentRow>, WebError> {
    if authorize(library, actor, Action::SupplierOversee, &Resource::Organisation(actor.org)) != Decision::Allow {
        return Err(WebError::forbidden());
    }
    for s in suppliers {
        if !store.is_supplier(actor.org, *s).await? {
            return Err(WebError::not_found());
        }
    }
    let doc = AssessmentDoc {
        name: what.name.trim().to_string(),
        period: what.period.trim().to_string(),
        unit: None,
        catalog_key: what.catalog.key().to_string(),
        catalog_edition: what.catalog.edition().to_string(),
        scope: None,
        scale: what.scale.clone(),
        state: AssessmentState::InProgress,
        previous: None,
        requester: Some(actor.org),
        due: what.due,
        workbook: None,
    };
    doc.check().map_err(|e| invalid(&e))?;
    let empty = BTreeMap::new();
    let summary = summariser(library.scoring(), what.catalog.clone(), &doc)(&empty);
    let mut out = Vec::with_capacity(suppliers.len());
    for supplier in suppliers {
        // The supplier answers the buyer's catalog: a catalog of the buyer's own is copied into
        // the supplier's catalogs first (built-in ones are everyone's).
        if library.catalog(what.catalog.key(), Some(what.catalog.edition())).is_none()
            && store.catalog_edition(*supplier, what.catalog.key(), what.catalog.edition()).await?.is_none()
        {
            let copy_ctx = Ctx { org: *supplier, actor: Some(actor.person), role: None, at: time::OffsetDateTime::now_utc() };
            store.import_catalog(&copy_ctx, uuid::Uuid::now_v7(), what.catalog.clone(), "distributed by the buyer").await?;
        }
        let ctx = Ctx { org: *supplier, actor: Some(actor.person), role: None, at: time::OffsetDateTime::now_utc() };
        out.push(store.create_assessment(&ctx, uuid::Uuid::now_v7(), &doc, &empty, summary).await?);
    }
    Ok(out)
}

/// Turns the gap list into corrective actions (for the gaps that have none).
pub async fn plan_actions(
    store: &Store,
    library: &Library,
    ctx: &Ctx,
    loaded: &Loaded,
    text: &str,
    owner: Option<PersonId>,
    due: Option<Date>,
) -> Result<usize, WebError> {
    let score = loaded.score(library.scoring());
    let planned =
        assessment::plan_actions(loaded.row.doc.state, &score.gaps, &loaded.states(), text, owner, due).map_err(|e| invalid(&e))?;
    let count = planned.len();
    if count > 0 {
        let changes = planned.into_iter().map(|(r, s)| change(loaded, &r, s)).collect();
        save_items(store, library, ctx, loaded, ItemChangeKind::Action, changes).await?;
    }
    Ok(count)
}

/// Sets or updates one item's corrective action.
pub async fn set_action(
    store: &Store,
    library: &Library,
    ctx: &Ctx,
    loaded: &Loaded,
    ref_id: &str,
    action: assessment::CorrectiveAction,
) -> Result<(), WebError> {
    loaded.node(ref_id)?;
    let next = assessment::set_action(loaded.row.doc.state, &loaded.state_of(ref_id), action).map_err(|e| invalid(&e))?;
    save_items(store, library, ctx, loaded, ItemChangeKind::Action, vec![change(loaded, ref_id, next)]).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The customer's workbook.

/// What a checklist import produced.
#[derive(Debug, Clone)]
pub struct ImportedChecklist {
    pub assessment: AssessmentRow,
    pub catalog: Arc<Catalog>,
    pub rows: usize,
    pub checklist: mamori_interop::Checklist,
}

/// The workbook an assessment came from, as its document keeps it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct WorkbookRef {
    sha256: String,
    file_name: String,
    /// interop's `Checklist` without its catalog (the assessment's catalog is that catalog).
    checklist: serde_json::Value,
}

fn sheet_error(e: &mamori_interop::CatalogImportError) -> WebError {
    crate::catalogs_io::import_error(e)
}

/// Imports a customer's checklist workbook: its items become the organisation's catalog
/// (key `checklist-` and the file's hash unless given, edition = the period), and an assessment
/// of it starts with the workbook's drop-down values as its scale and the answers the workbook
/// already holds. The file itself is kept (by hash) to be filled in and returned.
#[allow(clippy::too_many_arguments)]
pub async fn import_checklist(
    store: &Store,
    library: &Library,
    actor: &Actor,
    ctx: &Ctx,
    bytes: Vec<u8>,
    file_name: &str,
    mut options: mamori_interop::ChecklistOptions,
    period: &str,
    unit: Option<UnitId>,
    limits: &mamori_interop::CatalogImportLimits,
) -> Result<ImportedChecklist, WebError> {
    let resource = Resource::Assessment { org: actor.org, unit, requester: None, shared: false };
    if authorize(library, actor, Action::AssessmentManage, &resource) != Decision::Allow
        || authorize(library, actor, Action::CatalogImport, &Resource::Organisation(actor.org)) != Decision::Allow
    {
        return Err(WebError::forbidden());
    }
    let sha = mamori_core::journal::sha256_hex(&bytes);
    if options.key.trim().is_empty() {
        options.key = format!("checklist-{}", &sha[..12]);
    }
    if options.edition.trim().is_empty() {
        options.edition = period.trim().to_string();
    }
    let checklist = mamori_interop::read_checklist(&bytes, &options, limits).map_err(|e| sheet_error(&e))?;
    let name = checklist.catalog.name.get(mamori_core::Lang::Ja).to_string();
    let stored = crate::catalogs_io::import_catalog(store, library, actor, checklist.catalog.clone(), file_name, limits).await?;
    let catalog = stored.catalog.clone();
    let scale = if checklist.answer_choices.is_empty() {
        library.scale_for(&catalog).cloned().ok_or_else(|| WebError::internal("no answer scale in the library"))?
    } else {
        AnswerScale::from_choices(
            &format!("workbook-{}", &sha[..12]),
            Text::new("回答欄の選択肢", "The workbook's answers"),
            &checklist.answer_choices,
        )
        .map_err(|e| invalid(&e))?
    };
    // Answers the workbook already holds (a partly filled one) become the first answers.
    let person = ctx.actor.ok_or_else(WebError::forbidden)?;
    let mut initial = BTreeMap::new();
    for item in &checklist.items {
        if item.answer.trim().is_empty() && item.comment.trim().is_empty() {
            continue;
        }
        let Some(node) = find_item(&assessment::scope_items(&catalog, None), &item.number) else { continue };
        let value = if scale.parse(&item.answer).is_some() { item.answer.clone() } else { String::new() };
        let input = AnswerInput { answerer: assessment::Answerer::Primary, value, comment: item.comment.clone() };
        if let Ok(Some(state)) =
            assessment::record_answer(AssessmentState::InProgress, &scale, &ItemState::default(), &input, person, ctx.at)
        {
            initial.insert(node.ref_id.clone(), state);
        }
    }
    let stored_sha = store.put_file(ctx, bytes).await?;
    let mut meta = serde_json::to_value(&checklist).map_err(|e| WebError::internal(e.to_string()))?;
    if let Some(map) = meta.as_object_mut() {
        map.remove("catalog");
    }
    let workbook = WorkbookRef { sha256: stored_sha, file_name: file_name.to_string(), checklist: meta };
    let new = NewAssessment {
        catalog: catalog.clone(),
        name,
        period: period.to_string(),
        unit,
        scale,
        scope: None,
        previous: None,
        due: None,
        workbook: Some(serde_json::to_value(&workbook).map_err(|e| WebError::internal(e.to_string()))?),
        initial,
    };
    let row = create(store, library, actor, ctx, new).await?;
    Ok(ImportedChecklist { rows: checklist.items.len(), assessment: row, catalog, checklist })
}

/// The customer's workbook with this assessment's answers and comments filled in: answers as the
/// workbook's drop-down spells them, every other part of the file as it came. Its file name.
pub async fn export_workbook(store: &Store, loaded: &Loaded) -> Result<(String, Vec<u8>), WebError> {
    let no_workbook = || {
        WebError::new(
            ErrorKind::NotFound,
            Text::new(
                "この評価は顧客のワークブックから取り込んだものではありません。",
                "This assessment was not imported from a customer's workbook.",
            ),
        )
    };
    let value = loaded.row.doc.workbook.clone().ok_or_else(no_workbook)?;
    let workbook: WorkbookRef = serde_json::from_value(value).map_err(|e| WebError::internal(e.to_string()))?;
    let mut meta = workbook.checklist.clone();
    if let Some(map) = meta.as_object_mut() {
        map.insert("catalog".into(), serde_json::to_value(loaded.catalog.def()).map_err(|e| WebError::internal(e.to_string()))?);
    }
    let checklist: mamori_interop::Checklist = serde_json::from_value(meta).map_err(|e| WebError::internal(e.to_string()))?;
    let original = store.evidence_content(loaded.row.org, &workbook.sha256).await?;
    let nodes = loaded.nodes();
    let scale = &loaded.row.doc.scale;
    let cells: Vec<mamori_interop::FilledCell> = checklist
        .items
        .iter()
        .filter_map(|item| {
            let node = find_item(&nodes, &item.number)?;
            let state = loaded.items.get(&node.ref_id)?;
            let answer = state.state.value().and_then(|k| scale.value(k)).map(|v| v.label.ja.clone());
            let comment = state.state.primary.as_ref().map(|p| p.comment.clone()).filter(|c| !c.is_empty());
            (answer.is_some() || comment.is_some()).then_some(mamori_interop::FilledCell { row: item.row, answer, comment })
        })
        .collect();
    let filled = mamori_interop::fill_checklist(&original, &checklist, &cells).map_err(|e| sheet_error(&e))?;
    Ok((workbook.file_name, filled))
}

// ---------------------------------------------------------------------------------------------
// The PDF report.

/// The report's contents: summary, score per group, gaps and evidence, in `lang`.
pub async fn report(
    store: &Store,
    library: &Library,
    loaded: &Loaded,
    organisation: &str,
    lang: mamori_core::Lang,
) -> Result<mamori_report::AssessmentReport, WebError> {
    use mamori_report::{AssessmentReport, ReportEvidence, ReportGap, ReportTally};
    let catalog = loaded.catalog.as_ref();
    let doc = &loaded.row.doc;
    let score = loaded.score(library.scoring());
    let tally = |label: String, t: &assessment::Tally| ReportTally {
        label,
        items: t.items,
        answered: t.answered,
        gaps: t.gaps,
        score: t.percent(),
    };
    let both = |ja: &str, en: &str| if lang == mamori_core::Lang::Ja { ja.to_string() } else { en.to_string() };
    let mut summary = vec![tally(both("全体", "Overall"), &score.overall)];
    if score.mandatory.items > 0 {
        summary.push(tally(both("必須", "Mandatory"), &score.mandatory));
    }
    if score.optional.items > 0 {
        summary.push(tally(both("任意", "Optional"), &score.optional));
    }
    let label = |r: &str| catalog.node(r).map(|n| Catalog::label(n, lang)).unwrap_or_else(|| r.to_string());
    let groups = score.groups.iter().filter(|(g, _)| !g.is_empty()).map(|(g, t)| tally(label(g), t)).collect();
    let gaps = score
        .gaps
        .iter()
        .map(|g| ReportGap {
            requirement: label(&g.ref_id),
            target: g.target.map(|t| t.text().get(lang).to_string()).unwrap_or_default(),
            answer: g
                .value
                .as_deref()
                .and_then(|k| doc.scale.value(k))
                .map(|v| v.label.get(lang).to_string())
                .unwrap_or_else(|| both("未回答", "Unanswered")),
            comment: loaded.items.get(&g.ref_id).map(|s| s.state.comment().to_string()).unwrap_or_default(),
        })
        .collect();
    // Each piece of evidence once, with the items it supports, in catalog order.
    let mut uses: Vec<(String, Vec<String>)> = Vec::new();
    for node in loaded.nodes() {
        for e in loaded.items.get(&node.ref_id).map(|s| s.state.evidence.clone()).unwrap_or_default() {
            match uses.iter_mut().find(|(id, _)| *id == e) {
                Some((_, items)) => items.push(Catalog::label(node, lang)),
                None => uses.push((e, vec![Catalog::label(node, lang)])),
            }
        }
    }
    let ids: Vec<String> = uses.iter().map(|(id, _)| id.clone()).collect();
    let rows = store.evidence_many(loaded.row.org, &ids).await?;
    let evidence = rows
        .into_iter()
        .map(|e| ReportEvidence {
            detail: e.url.clone().or_else(|| e.file.as_ref().map(|f| format!("SHA-256 {}", f.sha256))).unwrap_or_default(),
            items: uses.iter().find(|(id, _)| *id == e.id).map(|(_, items)| items.clone()).unwrap_or_default(),
            name: e.name,
        })
        .collect();
    Ok(AssessmentReport {
        lang,
        organisation: organisation.to_string(),
        title: doc.name.clone(),
        period: doc.period.clone(),
        catalog: format!("{} ({})", catalog.def().name.get(lang), catalog.edition()),
        state: doc.state.text().get(lang).to_string(),
        generated_at: crate::view::short_time(time::OffsetDateTime::now_utc()),
        summary,
        groups,
        gaps,
        evidence,
    })
}
