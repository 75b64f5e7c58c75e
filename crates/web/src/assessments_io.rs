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
