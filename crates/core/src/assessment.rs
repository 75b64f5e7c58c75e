//! Assessments: answering a catalog, or a chosen part of it, at a point in time — a self-check,
//! a customer's supplier checklist, an internal audit. This module holds the rules: answer
//! scales, the states an assessment moves through, who answered what (two answerers per item,
//! as NEC's self-inspection asks a member of staff and their manager), scoring per group, per
//! 必須/任意 and overall with the gap rule as data (CEL), and the comparison of two assessments.
//! `store` records what these functions decide; `web` and the CLI only call them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::catalog::{AnswerTarget, Catalog, NodeDef, NodeKind};
use crate::error::CoreError;
use crate::expr::Expression;
use crate::ids::PersonId;
use crate::text::Text;

// Dates in documents as `YYYY-MM-DD`.
time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

// ---------------------------------------------------------------------------------------------
// Answer scales.

/// What an answer means for scoring, whatever the scale calls it (実施済, ○, 4 点 …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Meaning {
    /// The requirement is met.
    Met,
    /// Partly met.
    Partial,
    /// Not met (also "don't know": an unknown control is not a working one).
    NotMet,
    /// Does not apply; left out of the score.
    NotApplicable,
}

impl Meaning {
    pub fn as_str(self) -> &'static str {
        match self {
            Meaning::Met => "met",
            Meaning::Partial => "partial",
            Meaning::NotMet => "not_met",
            Meaning::NotApplicable => "not_applicable",
        }
    }

    pub fn text(self) -> Text {
        match self {
            Meaning::Met => Text::new("実施", "Met"),
            Meaning::Partial => Text::new("一部実施", "Partly met"),
            Meaning::NotMet => Text::new("未実施", "Not met"),
            Meaning::NotApplicable => Text::new("該当なし", "Not applicable"),
        }
    }

    /// Points when the scale gives none: met 2, partial 1, otherwise 0.
    fn default_points(self) -> i32 {
        match self {
            Meaning::Met => 2,
            Meaning::Partial => 1,
            Meaning::NotMet | Meaning::NotApplicable => 0,
        }
    }
}

/// One value of an answer scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleValue {
    /// Stable key stored with each answer (`done`, `4`, `circle`).
    pub key: String,
    pub label: Text,
    pub meaning: Meaning,
    /// Points the scale gives (IPA 自社診断: 4 / 2 / 0 / −1); absent: from the meaning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<i32>,
    /// Other spellings accepted on import (`○`, `はい`, `Yes`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

impl ScaleValue {
    pub fn points(&self) -> i32 {
        self.points.unwrap_or_else(|| self.meaning.default_points())
    }
}

/// The values an answer may take. Each assessment keeps a copy of the scale it was started with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerScale {
    pub key: String,
    pub name: Text,
    pub values: Vec<ScaleValue>,
}

/// Most values a scale may have.
pub const MAX_SCALE_VALUES: usize = 20;

impl AnswerScale {
    /// Keys unique and well formed, labels present, 1 to 20 values, at least one that is met.
    pub fn check(&self) -> Result<(), AssessmentError> {
        let bad = |detail: &str| AssessmentError::BadScale { scale: self.key.clone(), detail: detail.to_string() };
        if self.values.is_empty() || self.values.len() > MAX_SCALE_VALUES {
            return Err(bad("a scale has 1 to 20 values"));
        }
        let mut keys = BTreeSet::new();
        for v in &self.values {
            let well_formed = !v.key.is_empty() && v.key.len() <= 64 && !v.key.chars().any(char::is_control);
            if !well_formed || !keys.insert(v.key.as_str()) {
                return Err(bad("value keys are unique, 1 to 64 characters"));
            }
            if v.label.ja.trim().is_empty() || v.label.en.trim().is_empty() {
                return Err(bad("every value has a Japanese and an English label"));
            }
        }
        if !self.values.iter().any(|v| v.meaning == Meaning::Met) {
            return Err(bad("at least one value means met"));
        }
        Ok(())
    }

    pub fn value(&self, key: &str) -> Option<&ScaleValue> {
        self.values.iter().find(|v| v.key == key)
    }

    /// The value a person or a file wrote: its key, either label or an alias, compared after
    /// NFKC normalisation and trimming (full-width `４` is `4`).
    pub fn parse(&self, text: &str) -> Option<&ScaleValue> {
        let wanted = normalise(text);
        if wanted.is_empty() {
            return None;
        }
        self.values.iter().find(|v| {
            normalise(&v.key) == wanted
                || normalise(&v.label.ja) == wanted
                || normalise(&v.label.en).to_lowercase() == wanted.to_lowercase()
                || v.aliases.iter().any(|a| normalise(a) == wanted)
        })
    }

    /// Highest points of any value that counts (not 該当なし).
    pub fn max_points(&self) -> i32 {
        self.values.iter().filter(|v| v.meaning != Meaning::NotApplicable).map(ScaleValue::points).max().unwrap_or(0).max(0)
    }

    /// A scale made of the values a customer's workbook offers in its drop-down, each given the
    /// meaning its words suggest (○ 実施 はい → met, △ 一部 → partial, 該当なし 対象外 → not
    /// applicable, anything else → not met). The keys are the workbook's own values, so an
    /// answer goes back into the workbook exactly as its drop-down spells it.
    pub fn from_choices(key: &str, name: Text, choices: &[String]) -> Result<AnswerScale, AssessmentError> {
        let mut values: Vec<ScaleValue> = Vec::new();
        for choice in choices.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            if values.iter().any(|v| v.key == choice) {
                continue;
            }
            values.push(ScaleValue {
                key: choice.to_string(),
                label: Text::new(choice, choice),
                meaning: guess_meaning(choice),
                points: None,
                aliases: Vec::new(),
            });
        }
        let scale = AnswerScale { key: key.to_string(), name, values };
        scale.check()?;
        Ok(scale)
    }
}

fn normalise(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfkc().collect::<String>().trim().to_string()
}

/// The meaning a drop-down value's words suggest.
pub fn guess_meaning(choice: &str) -> Meaning {
    let t = normalise(choice).to_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if any(&["該当なし", "該当しない", "対象外", "非該当", "n/a", "not applicable"]) {
        Meaning::NotApplicable
    } else if any(&["一部", "部分", "△", "partial", "partly"]) {
        Meaning::Partial
    } else if any(&["未", "×", "x", "いいえ", "していない", "なし", "no", "not"]) {
        Meaning::NotMet
    } else if any(&["○", "〇", "◯", "実施", "済", "はい", "有", "yes", "done", "met"]) {
        Meaning::Met
    } else {
        Meaning::NotMet
    }
}

// ---------------------------------------------------------------------------------------------
// States and transitions.

/// Where an assessment stands. Journaled with every transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentState {
    Draft,
    InProgress,
    UnderReview,
    Submitted,
    Closed,
}

impl AssessmentState {
    pub const ALL: [AssessmentState; 5] = [
        AssessmentState::Draft,
        AssessmentState::InProgress,
        AssessmentState::UnderReview,
        AssessmentState::Submitted,
        AssessmentState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssessmentState::Draft => "draft",
            AssessmentState::InProgress => "in_progress",
            AssessmentState::UnderReview => "under_review",
            AssessmentState::Submitted => "submitted",
            AssessmentState::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<AssessmentState> {
        AssessmentState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn text(self) -> Text {
        match self {
            AssessmentState::Draft => Text::new("下書き", "Draft"),
            AssessmentState::InProgress => Text::new("回答中", "In progress"),
            AssessmentState::UnderReview => Text::new("確認中", "Under review"),
            AssessmentState::Submitted => Text::new("提出済", "Submitted"),
            AssessmentState::Closed => Text::new("完了", "Closed"),
        }
    }

    /// Answers, assignments and evidence can change until the assessment is submitted; a
    /// submitted one is reopened first (the customer sees what was submitted).
    pub fn answers_editable(self) -> bool {
        matches!(self, AssessmentState::Draft | AssessmentState::InProgress | AssessmentState::UnderReview)
    }

    /// Submitted (or closed): what the customer that asked for it may read.
    pub fn is_shared(self) -> bool {
        matches!(self, AssessmentState::Submitted | AssessmentState::Closed)
    }

    /// Past `due` on `today` and not submitted yet.
    pub fn is_overdue(self, due: Option<Date>, today: Date) -> bool {
        due.is_some_and(|d| d < today) && !self.is_shared()
    }
}

/// A move from one state to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// 回答開始: draft → in progress.
    Start,
    /// 確認依頼: in progress → under review.
    RequestReview,
    /// 差し戻し: under review → in progress.
    SendBack,
    /// 提出: under review → submitted. Every 必須 item must be answered.
    Submit,
    /// 再開: submitted → in progress (answers can be updated at any time, seed 002).
    Reopen,
    /// 完了: submitted → closed. Final.
    Close,
}

impl Transition {
    pub const ALL: [Transition; 6] =
        [Transition::Start, Transition::RequestReview, Transition::SendBack, Transition::Submit, Transition::Reopen, Transition::Close];

    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Start => "start",
            Transition::RequestReview => "request_review",
            Transition::SendBack => "send_back",
            Transition::Submit => "submit",
            Transition::Reopen => "reopen",
            Transition::Close => "close",
        }
    }

    pub fn parse(text: &str) -> Option<Transition> {
        Transition::ALL.into_iter().find(|t| t.as_str() == text)
    }

    pub fn text(self) -> Text {
        match self {
            Transition::Start => Text::new("回答を開始", "Start answering"),
            Transition::RequestReview => Text::new("確認を依頼", "Request review"),
            Transition::SendBack => Text::new("差し戻す", "Send back"),
            Transition::Submit => Text::new("提出する", "Submit"),
            Transition::Reopen => Text::new("再開する", "Reopen"),
            Transition::Close => Text::new("完了にする", "Close"),
        }
    }

    /// The state the transition starts from and the one it leads to.
    pub fn edge(self) -> (AssessmentState, AssessmentState) {
        use AssessmentState as S;
        match self {
            Transition::Start => (S::Draft, S::InProgress),
            Transition::RequestReview => (S::InProgress, S::UnderReview),
            Transition::SendBack => (S::UnderReview, S::InProgress),
            Transition::Submit => (S::UnderReview, S::Submitted),
            Transition::Reopen => (S::Submitted, S::InProgress),
            Transition::Close => (S::Submitted, S::Closed),
        }
    }

    /// Whether the transition is the reviewer's (submit, send back, close) rather than the
    /// answering side's.
    pub fn is_review(self) -> bool {
        matches!(self, Transition::SendBack | Transition::Submit | Transition::Close)
    }

    /// The transitions possible from a state.
    pub fn from_state(state: AssessmentState) -> impl Iterator<Item = Transition> {
        Transition::ALL.into_iter().filter(move |t| t.edge().0 == state)
    }
}

/// The state after `transition`, or why it cannot happen. `unanswered_mandatory` lists the 必須
/// items without an answer, which block a submission.
pub fn apply_transition(
    state: AssessmentState,
    transition: Transition,
    unanswered_mandatory: &[String],
) -> Result<AssessmentState, AssessmentError> {
    let (from, to) = transition.edge();
    if state != from {
        return Err(AssessmentError::WrongState { state, transition });
    }
    if transition == Transition::Submit && !unanswered_mandatory.is_empty() {
        return Err(AssessmentError::MandatoryUnanswered { refs: unanswered_mandatory.iter().take(20).cloned().collect() });
    }
    Ok(to)
}

// ---------------------------------------------------------------------------------------------
// Items and answers.

/// Which of the two answerers of an item (seed 002: a member of staff answers, their manager
/// answers too, and a difference between the two is worth a look).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answerer {
    /// 担当者: the answer that counts.
    Primary,
    /// 管理者: a second opinion, shown beside the first.
    Second,
}

impl Answerer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answerer::Primary => "primary",
            Answerer::Second => "second",
        }
    }

    pub fn parse(text: &str) -> Option<Answerer> {
        [Answerer::Primary, Answerer::Second].into_iter().find(|a| a.as_str() == text)
    }

    pub fn text(self) -> Text {
        match self {
            Answerer::Primary => Text::new("担当者の回答", "Staff answer"),
            Answerer::Second => Text::new("管理者の回答", "Manager answer"),
        }
    }
}

/// One answerer's answer to one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerEntry {
    /// A key of the assessment's scale; None: only a comment so far.
    pub value: Option<String>,
    #[serde(default)]
    pub comment: String,
    pub by: PersonId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A reviewer's approval of an item's answer; cleared when the answer changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub by: PersonId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Everything recorded about one item of an assessment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<PersonId>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "iso_date::option")]
    pub due: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<AnswerEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second: Option<AnswerEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    /// Evidence by content hash (SHA-256, hex) and links, in the order attached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// The corrective action planned for a gap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<CorrectiveAction>,
}

/// Where a corrective action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Open,
    Done,
}

impl ActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::Done => "done",
        }
    }

    pub fn parse(text: &str) -> Option<ActionStatus> {
        [ActionStatus::Open, ActionStatus::Done].into_iter().find(|s| s.as_str() == text)
    }

    pub fn text(self) -> Text {
        match self {
            ActionStatus::Open => Text::new("対応中", "Open"),
            ActionStatus::Done => Text::new("完了", "Done"),
        }
    }
}

/// A corrective action for a gap: what will be done, by whom, by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectiveAction {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<PersonId>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "iso_date::option")]
    pub due: Option<Date>,
    pub status: ActionStatus,
}

impl CorrectiveAction {
    pub fn is_overdue(&self, today: Date) -> bool {
        self.status == ActionStatus::Open && self.due.is_some_and(|d| d < today)
    }
}

/// Corrective actions can be planned and followed up until the assessment is closed (they
/// usually come after the submission).
pub fn actions_editable(state: AssessmentState) -> bool {
    state != AssessmentState::Closed
}

/// Checks an action's text and sets it on the item.
pub fn set_action(state: AssessmentState, item: &ItemState, action: CorrectiveAction) -> Result<ItemState, AssessmentError> {
    if !actions_editable(state) {
        return Err(AssessmentError::NotEditable { state });
    }
    let text = action.text.trim().to_string();
    if text.is_empty() || text.chars().count() > MAX_COMMENT_CHARS {
        return Err(AssessmentError::BadField { field: "action" });
    }
    let mut next = item.clone();
    next.action = Some(CorrectiveAction { text, ..action });
    Ok(next)
}

/// The gap list as corrective actions: one for every gap that has none yet, owned by `owner`
/// (else the item's assignee), due `due`, with `text` as its first description.
pub fn plan_actions(
    state: AssessmentState,
    gaps: &[Gap],
    states: &BTreeMap<String, ItemState>,
    text: &str,
    owner: Option<PersonId>,
    due: Option<Date>,
) -> Result<Vec<(String, ItemState)>, AssessmentError> {
    let mut out = Vec::new();
    for gap in gaps {
        let item = states.get(&gap.ref_id).cloned().unwrap_or_default();
        if item.action.is_some() {
            continue;
        }
        let action = CorrectiveAction { text: text.to_string(), owner: owner.or(item.assignee), due, status: ActionStatus::Open };
        out.push((gap.ref_id.clone(), set_action(state, &item, action)?));
    }
    Ok(out)
}

impl ItemState {
    /// The answer that counts: the staff answer.
    pub fn value(&self) -> Option<&str> {
        self.primary.as_ref().and_then(|a| a.value.as_deref())
    }

    pub fn comment(&self) -> &str {
        self.primary.as_ref().map_or("", |a| a.comment.as_str())
    }

    /// Both answerers gave a value and the values differ.
    pub fn disagreement(&self) -> bool {
        match (self.primary.as_ref().and_then(|a| a.value.as_ref()), self.second.as_ref().and_then(|a| a.value.as_ref())) {
            (Some(a), Some(b)) => a != b,
            _ => false,
        }
    }

    pub fn entry(&self, answerer: Answerer) -> Option<&AnswerEntry> {
        match answerer {
            Answerer::Primary => self.primary.as_ref(),
            Answerer::Second => self.second.as_ref(),
        }
    }
}

/// An answer as a person or a file gives it, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerInput {
    pub answerer: Answerer,
    /// What was written: a scale key, label or alias; empty for no value.
    pub value: String,
    pub comment: String,
}

/// Longest comment kept with an answer.
pub const MAX_COMMENT_CHARS: usize = 10_000;

/// Checks an answer against the assessment's state and scale and returns the item as it will be:
/// the entry replaced, the approval cleared when the counted answer changed. `Ok(None)` when
/// nothing changes (the same value and comment again), so no event is written.
pub fn record_answer(
    state: AssessmentState,
    scale: &AnswerScale,
    item: &ItemState,
    input: &AnswerInput,
    by: PersonId,
    at: OffsetDateTime,
) -> Result<Option<ItemState>, AssessmentError> {
    if !state.answers_editable() {
        return Err(AssessmentError::NotEditable { state });
    }
    let value = match input.value.trim() {
        "" => None,
        text => Some(scale.parse(text).map(|v| v.key.clone()).ok_or_else(|| AssessmentError::UnknownValue {
            value: text.chars().take(64).collect(),
            allowed: scale.values.iter().map(|v| v.label.ja.clone()).collect(),
        })?),
    };
    let comment = input.comment.trim().to_string();
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(AssessmentError::CommentTooLong { max: MAX_COMMENT_CHARS });
    }
    let current = item.entry(input.answerer);
    if current.is_some_and(|c| c.value == value && c.comment == comment) || (current.is_none() && value.is_none() && comment.is_empty()) {
        return Ok(None);
    }
    let mut next = item.clone();
    let entry = Some(AnswerEntry { value, comment, by, at });
    match input.answerer {
        Answerer::Primary => next.primary = entry,
        Answerer::Second => next.second = entry,
    }
    if next.value() != item.value() || next.comment() != item.comment() {
        next.approval = None;
    }
    Ok(Some(next))
}

/// Approves an item's counted answer; only an answered item can be approved, and not by the
/// person who gave the answer (four eyes).
pub fn approve(item: &ItemState, by: PersonId, at: OffsetDateTime) -> Result<ItemState, AssessmentError> {
    let Some(primary) = item.primary.as_ref().filter(|p| p.value.is_some()) else {
        return Err(AssessmentError::NothingToApprove);
    };
    if primary.by == by {
        return Err(AssessmentError::OwnAnswer);
    }
    let mut next = item.clone();
    next.approval = Some(Approval { by, at });
    Ok(next)
}

// ---------------------------------------------------------------------------------------------
// Scope: which requirements an assessment answers.

/// The requirements of a catalog that an assessment covers, in catalog order: all of them, or
/// those under the chosen groups and requirements.
pub fn scope_items<'a>(catalog: &'a Catalog, chosen: Option<&BTreeSet<String>>) -> Vec<&'a NodeDef> {
    catalog
        .walk()
        .into_iter()
        .map(|(_, n)| n)
        .filter(|n| n.kind == NodeKind::Requirement)
        .filter(|n| {
            chosen.is_none_or(|set| set.contains(&n.ref_id) || catalog.ancestors(&n.ref_id).iter().any(|a| set.contains(&a.ref_id)))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Scoring.

/// The rules that turn answers into a score and a gap list. Data: a CEL expression over the
/// item's facts (`mandatory`, `optional`, `answered`, `meaning`, `value`, `points`).
#[derive(Debug, Clone)]
pub struct ScoringRules {
    gap: Expression,
}

/// The rules as a library file writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringRulesDef {
    /// True for an item that is a gap, e.g. `mandatory && (!answered || meaning == "not_met")`.
    pub gap: String,
}

impl ScoringRules {
    pub fn compile(def: &ScoringRulesDef) -> Result<ScoringRules, CoreError> {
        Ok(ScoringRules { gap: Expression::compile(&def.gap)? })
    }

    pub fn gap_source(&self) -> &str {
        self.gap.source()
    }

    /// Whether an item is a gap. An expression that fails or gives no boolean counts the item as
    /// a gap, so a broken rule never hides one.
    pub fn is_gap(&self, target: Option<AnswerTarget>, value: Option<&ScaleValue>) -> bool {
        let mut vars = BTreeMap::new();
        use serde_json::Value;
        vars.insert("mandatory".to_string(), Value::from(target == Some(AnswerTarget::Mandatory)));
        vars.insert("optional".to_string(), Value::from(target == Some(AnswerTarget::Optional)));
        vars.insert("answered".to_string(), Value::from(value.is_some()));
        vars.insert("meaning".to_string(), Value::from(value.map_or("", |v| v.meaning.as_str())));
        vars.insert("value".to_string(), Value::from(value.map_or("", |v| v.key.as_str())));
        vars.insert("points".to_string(), value.map_or(Value::Null, |v| Value::from(v.points())));
        !matches!(self.gap.evaluate(&vars), Ok(serde_json::Value::Bool(false)))
    }
}

/// Counts over a set of items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub items: usize,
    pub answered: usize,
    pub met: usize,
    pub partial: usize,
    pub not_met: usize,
    pub not_applicable: usize,
    pub gaps: usize,
    /// Points given, and the most that could have been given (該当なし left out).
    pub points: i64,
    pub possible: i64,
}

impl Tally {
    fn add(&mut self, value: Option<&ScaleValue>, max_points: i32, gap: bool) {
        self.items += 1;
        self.gaps += usize::from(gap);
        let Some(v) = value else {
            self.possible += i64::from(max_points);
            return;
        };
        self.answered += 1;
        match v.meaning {
            Meaning::Met => self.met += 1,
            Meaning::Partial => self.partial += 1,
            Meaning::NotMet => self.not_met += 1,
            Meaning::NotApplicable => self.not_applicable += 1,
        }
        if v.meaning != Meaning::NotApplicable {
            self.points += i64::from(v.points());
            self.possible += i64::from(max_points);
        }
    }

    /// The score as a percentage (0 to 100, one decimal), None when nothing counts.
    pub fn percent(&self) -> Option<f64> {
        if self.possible <= 0 {
            return None;
        }
        let ratio = self.points.max(0) as f64 / self.possible as f64;
        Some((ratio * 1000.0).round() / 10.0)
    }
}

/// A gap: an item the rules count as not good enough.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    pub ref_id: String,
    pub target: Option<AnswerTarget>,
    /// The counted answer's key, None when unanswered.
    pub value: Option<String>,
}

/// An assessment's score: overall, per 必須/任意, per top-level group (Kubota's ラベル), and
/// the gaps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub overall: Tally,
    pub mandatory: Tally,
    pub optional: Tally,
    /// (group ref, tally) in catalog order; items outside any group are under "".
    pub groups: Vec<(String, Tally)>,
    pub gaps: Vec<Gap>,
    /// Items whose two answerers disagree.
    pub disagreements: usize,
    pub approved: usize,
}

/// Scores the items in scope from their states.
pub fn score(
    catalog: &Catalog,
    items: &[&NodeDef],
    scale: &AnswerScale,
    states: &BTreeMap<String, ItemState>,
    rules: &ScoringRules,
) -> Score {
    let max_points = scale.max_points();
    let mut out = Score::default();
    let mut groups: Vec<(String, Tally)> = Vec::new();
    let empty = ItemState::default();
    // The rule sees only the item's target and answer: evaluate it once per pair, not per item
    // (a CEL evaluation builds its whole environment).
    type Facts<'k> = (Option<AnswerTarget>, Option<&'k str>);
    let mut decided: Vec<(Facts, bool)> = Vec::new();
    for node in items {
        let state = states.get(&node.ref_id).unwrap_or(&empty);
        let value = state.value().and_then(|k| scale.value(k));
        let facts = (node.answer_target, value.map(|v| v.key.as_str()));
        let gap = match decided.iter().find(|(f, _)| *f == facts) {
            Some((_, gap)) => *gap,
            None => {
                let gap = rules.is_gap(node.answer_target, value);
                decided.push((facts, gap));
                gap
            }
        };
        out.overall.add(value, max_points, gap);
        match node.answer_target {
            Some(AnswerTarget::Mandatory) => out.mandatory.add(value, max_points, gap),
            Some(AnswerTarget::Optional) => out.optional.add(value, max_points, gap),
            None => {}
        }
        let group = catalog.ancestors(&node.ref_id).first().map(|g| g.ref_id.clone()).unwrap_or_default();
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, tally)) => tally.add(value, max_points, gap),
            None => {
                let mut tally = Tally::default();
                tally.add(value, max_points, gap);
                groups.push((group, tally));
            }
        }
        if gap {
            out.gaps.push(Gap { ref_id: node.ref_id.clone(), target: node.answer_target, value: value.map(|v| v.key.clone()) });
        }
        out.disagreements += usize::from(state.disagreement());
        out.approved += usize::from(state.approval.is_some());
    }
    out.groups = groups;
    out
}

/// The 必須 items without a counted answer, which block a submission.
pub fn unanswered_mandatory(items: &[&NodeDef], states: &BTreeMap<String, ItemState>) -> Vec<String> {
    items
        .iter()
        .filter(|n| n.answer_target == Some(AnswerTarget::Mandatory))
        .filter(|n| states.get(&n.ref_id).and_then(ItemState::value).is_none())
        .map(|n| n.ref_id.clone())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Year on year.

/// How one item's counted answer differs between two assessments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerChange {
    pub ref_id: String,
    /// Meaning before and after (None: unanswered or not in that assessment).
    pub before: Option<Meaning>,
    pub after: Option<Meaning>,
    pub before_value: Option<String>,
    pub after_value: Option<String>,
    pub comment_changed: bool,
}

impl AnswerChange {
    /// Better (e.g. 未実施 → 実施済), worse, or neither.
    pub fn direction(&self) -> std::cmp::Ordering {
        let rank = |m: Option<Meaning>| match m {
            Some(Meaning::Met) => 3,
            Some(Meaning::Partial) => 2,
            Some(Meaning::NotApplicable) => 1,
            Some(Meaning::NotMet) | None => 0,
        };
        rank(self.after).cmp(&rank(self.before))
    }
}

/// The items whose counted answer or comment differs between `before` and `after` (matched by
/// requirement ref; each side read with its own scale), in `after`'s order then `before`'s.
pub fn compare(
    before: (&AnswerScale, &BTreeMap<String, ItemState>, &[&NodeDef]),
    after: (&AnswerScale, &BTreeMap<String, ItemState>, &[&NodeDef]),
) -> Vec<AnswerChange> {
    let facts = |(scale, states, _): (&AnswerScale, &BTreeMap<String, ItemState>, &[&NodeDef]), r: &str| {
        let state = states.get(r);
        let value = state.and_then(ItemState::value).map(str::to_string);
        let meaning = value.as_deref().and_then(|k| scale.value(k)).map(|v| v.meaning);
        (value, meaning, state.map_or(String::new(), |s| s.comment().to_string()))
    };
    let mut refs: Vec<&str> = after.2.iter().map(|n| n.ref_id.as_str()).collect();
    for n in before.2 {
        if !refs.contains(&n.ref_id.as_str()) {
            refs.push(&n.ref_id);
        }
    }
    refs.into_iter()
        .filter_map(|r| {
            let (bv, bm, bc) = facts(before, r);
            let (av, am, ac) = facts(after, r);
            (bm != am || bc != ac || (bm.is_none() && am.is_none() && bv != av)).then(|| AnswerChange {
                ref_id: r.to_string(),
                before: bm,
                after: am,
                before_value: bv,
                after_value: av,
                comment_changed: bc != ac,
            })
        })
        .collect()
}

/// Last year's answers as the start of this year's: each item in the new scope that was answered
/// keeps its value (translated through the meaning when the scales differ), comment, evidence and
/// open corrective action; assignees, due dates, second answers and approvals are not carried.
pub fn carry_forward(
    previous: (&AnswerScale, &BTreeMap<String, ItemState>),
    scale: &AnswerScale,
    items: &[&NodeDef],
    by: PersonId,
    at: OffsetDateTime,
) -> BTreeMap<String, ItemState> {
    let (old_scale, old_states) = previous;
    let mut out = BTreeMap::new();
    for node in items {
        let Some(old) = old_states.get(&node.ref_id) else { continue };
        let Some(primary) = &old.primary else { continue };
        let value = primary.value.as_deref().and_then(|k| {
            if old_scale == scale {
                scale.value(k).map(|v| v.key.clone())
            } else {
                let meaning = old_scale.value(k)?.meaning;
                scale.values.iter().find(|v| v.meaning == meaning).map(|v| v.key.clone())
            }
        });
        if value.is_none() && primary.comment.is_empty() && old.evidence.is_empty() {
            continue;
        }
        let state = ItemState {
            primary: Some(AnswerEntry { value, comment: primary.comment.clone(), by, at }),
            evidence: old.evidence.clone(),
            // Unfinished corrective actions go into next year's plan (seed 002).
            action: old.action.clone().filter(|a| a.status == ActionStatus::Open),
            ..ItemState::default()
        };
        out.insert(node.ref_id.clone(), state);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Answers from elsewhere.

/// Another assessment's answered items, as a source of suggestions.
pub struct AnsweredElsewhere<'a> {
    pub assessment: &'a str,
    pub catalog_key: &'a str,
    pub scale: &'a AnswerScale,
    pub states: &'a BTreeMap<String, ItemState>,
}

/// An answer given elsewhere to the same requirement, or to one a mapping links it to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub assessment: String,
    pub ref_id: String,
    /// How the other requirement relates to this one; None: the same requirement.
    pub relationship: Option<crate::catalog::Relationship>,
    pub meaning: Meaning,
    /// That answer's key in *this* assessment's scale (by meaning), when the scale has one.
    pub value: Option<String>,
    pub comment: String,
    pub evidence: Vec<String>,
}

/// What other assessments answered for requirement `ref_id` of catalog `key`: the same
/// requirement first, then those linked by `links`, only where there is an answer.
pub fn suggestions(
    key: &str,
    ref_id: &str,
    links: &[crate::catalog::Link],
    scale: &AnswerScale,
    others: &[AnsweredElsewhere<'_>],
) -> Vec<Suggestion> {
    let mut out = Vec::new();
    let mut targets: Vec<(&str, &str, Option<crate::catalog::Relationship>)> = vec![(key, ref_id, None)];
    targets.extend(links.iter().map(|l| (l.catalog.as_str(), l.ref_id.as_str(), Some(l.relationship))));
    for (catalog, r, relationship) in targets {
        for other in others.iter().filter(|o| o.catalog_key == catalog) {
            let Some(state) = other.states.get(r) else { continue };
            let Some(value) = state.value().and_then(|k| other.scale.value(k)) else { continue };
            out.push(Suggestion {
                assessment: other.assessment.to_string(),
                ref_id: r.to_string(),
                relationship,
                meaning: value.meaning,
                value: scale.values.iter().find(|v| v.meaning == value.meaning).map(|v| v.key.clone()),
                comment: state.comment().to_string(),
                evidence: state.evidence.clone(),
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The assessment itself.

/// What an assessment is, apart from its items: stored as its document and journaled whole on
/// each change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentDoc {
    pub name: String,
    /// The period it covers, e.g. `2026年度` (fiscal year).
    pub period: String,
    /// The unit it is for; None: the whole organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<crate::ids::UnitId>,
    pub catalog_key: String,
    pub catalog_edition: String,
    /// The chosen groups and requirements; None: the whole catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<BTreeSet<String>>,
    pub scale: AnswerScale,
    pub state: AssessmentState,
    /// The assessment whose answers this one started from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// The buyer (委託元) organisation that distributed it to this supplier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<crate::ids::OrgId>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "iso_date::option")]
    pub due: Option<Date>,
    /// The customer's workbook it was imported from (interop's description of it: the file's
    /// hash, the answered sheet, the rows of the items), so the answers can go back into it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workbook: Option<serde_json::Value>,
}

/// Longest assessment name and period.
pub const MAX_NAME_CHARS: usize = 200;

impl AssessmentDoc {
    /// Submitted or closed: what the buyer that sent it may read.
    pub fn is_shared(&self) -> bool {
        self.state.is_shared()
    }

    /// Past its due date and not submitted yet.
    pub fn is_overdue(&self, today: Date) -> bool {
        self.state.is_overdue(self.due, today)
    }

    /// Name and period present and within bounds, and the scale sound.
    pub fn check(&self) -> Result<(), AssessmentError> {
        let bad = |field: &'static str| AssessmentError::BadField { field };
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(bad("name"));
        }
        let period = self.period.trim();
        if period.is_empty() || period.chars().count() > 64 || period.chars().any(char::is_control) {
            return Err(bad("period"));
        }
        self.scale.check()
    }
}

/// The figures lists and dashboards show, kept with the assessment so a list of 1,500 never
/// scores 1,500 assessments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub items: usize,
    pub answered: usize,
    pub gaps: usize,
    pub mandatory_gaps: usize,
    pub approved: usize,
    pub score: Option<f64>,
}

impl Score {
    pub fn summary(&self) -> Summary {
        Summary {
            items: self.overall.items,
            answered: self.overall.answered,
            gaps: self.gaps.len(),
            mandatory_gaps: self.mandatory.gaps,
            approved: self.approved,
            score: self.overall.percent(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors.

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AssessmentError {
    #[error("answer scale {scale}: {detail}")]
    BadScale { scale: String, detail: String },
    #[error("cannot {transition:?} an assessment that is {state:?}")]
    WrongState { state: AssessmentState, transition: Transition },
    #[error("mandatory items are unanswered: {refs:?}")]
    MandatoryUnanswered { refs: Vec<String> },
    #[error("answers cannot change while the assessment is {state:?}")]
    NotEditable { state: AssessmentState },
    #[error("{value:?} is not a value of the answer scale ({allowed:?})")]
    UnknownValue { value: String, allowed: Vec<String> },
    #[error("the comment is longer than {max} characters")]
    CommentTooLong { max: usize },
    #[error("the item has no answer to approve")]
    NothingToApprove,
    #[error("an answer cannot be approved by the person who gave it")]
    OwnAnswer,
    #[error("requirement {0:?} is not an item of this assessment")]
    UnknownItem(String),
    #[error("the {field} is missing or invalid")]
    BadField { field: &'static str },
}

impl AssessmentError {
    pub fn text(&self) -> Text {
        match self {
            AssessmentError::BadScale { scale, detail } => Text::new(
                format!("回答尺度 {scale} の定義に誤りがあります: {detail}"),
                format!("Answer scale {scale} is invalid: {detail}"),
            ),
            AssessmentError::WrongState { state, transition } => Text::new(
                format!("「{}」の評価は「{}」できません。", state.text().ja, transition.text().ja),
                format!("An assessment that is {} cannot be moved by \"{}\".", state.text().en.to_lowercase(), transition.text().en),
            ),
            AssessmentError::MandatoryUnanswered { refs } => Text::new(
                format!("未回答の必須項目があるため提出できません: {}", refs.join("、")),
                format!("Mandatory items are unanswered, so the assessment cannot be submitted: {}", refs.join(", ")),
            ),
            AssessmentError::NotEditable { state } => Text::new(
                format!("「{}」の評価は回答を変更できません。再開してから変更してください。", state.text().ja),
                format!("Answers of an assessment that is {} cannot change; reopen it first.", state.text().en.to_lowercase()),
            ),
            AssessmentError::UnknownValue { value, allowed } => Text::new(
                format!("「{value}」は回答の選択肢にありません（{}）。", allowed.join(" / ")),
                format!("\"{value}\" is not one of the answers ({}).", allowed.join(" / ")),
            ),
            AssessmentError::CommentTooLong { max } => {
                Text::new(format!("コメントは {max} 文字以内にしてください。"), format!("The comment may have at most {max} characters."))
            }
            AssessmentError::NothingToApprove => {
                Text::new("回答のない項目は承認できません。", "An item without an answer cannot be approved.")
            }
            AssessmentError::OwnAnswer => Text::new(
                "自分の回答は承認できません（別の人が確認します）。",
                "You cannot approve your own answer: someone else reviews it.",
            ),
            AssessmentError::BadField { field } => {
                let ja = match *field {
                    "name" => "評価の名前",
                    "period" => "対象期間",
                    "action" => "是正処置の内容",
                    _ => "入力",
                };
                Text::new(
                    format!("{ja}を入力してください（制御文字なし、長すぎないこと）。"),
                    format!("Enter the {field}: no control characters, not too long."),
                )
            }
            AssessmentError::UnknownItem(r) => Text::new(
                format!("要求事項 {r} はこの評価の対象ではありません。"),
                format!("Requirement {r} is not an item of this assessment."),
            ),
        }
    }
}

/// The scales and scoring rules of `library/assessments.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentLibraryDef {
    pub scales: Vec<AnswerScale>,
    pub scoring: ScoringRulesDef,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_scale() -> AnswerScale {
        AnswerScale {
            key: "done_partial_none_na".into(),
            name: Text::new("実施状況", "Implementation"),
            values: vec![
                ScaleValue {
                    key: "done".into(), label: Text::new("実施済", "Done"), meaning: Meaning::Met, points: None, aliases: vec![]
                },
                ScaleValue {
                    key: "partial".into(),
                    label: Text::new("一部実施", "Partly done"),
                    meaning: Meaning::Partial,
                    points: None,
                    aliases: vec![],
                },
                ScaleValue {
                    key: "none".into(),
                    label: Text::new("未実施", "Not done"),
                    meaning: Meaning::NotMet,
                    points: None,
                    aliases: vec![],
                },
                ScaleValue {
                    key: "na".into(),
                    label: Text::new("該当なし", "Not applicable"),
                    meaning: Meaning::NotApplicable,
                    points: None,
                    aliases: vec![],
                },
            ],
        }
    }

    fn person(n: u128) -> PersonId {
        PersonId::from_uuid(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn transitions_follow_the_edges_and_submission_needs_every_mandatory_answer() {
        use AssessmentState as S;
        assert_eq!(apply_transition(S::Draft, Transition::Start, &[]), Ok(S::InProgress));
        assert!(matches!(apply_transition(S::Draft, Transition::Submit, &[]), Err(AssessmentError::WrongState { .. })));
        assert!(matches!(
            apply_transition(S::UnderReview, Transition::Submit, &["1".into()]),
            Err(AssessmentError::MandatoryUnanswered { .. })
        ));
        assert_eq!(apply_transition(S::UnderReview, Transition::Submit, &[]), Ok(S::Submitted));
        assert_eq!(apply_transition(S::Submitted, Transition::Reopen, &[]), Ok(S::InProgress));
        assert!(Transition::from_state(S::Closed).next().is_none(), "closed is final");
        for state in S::ALL {
            for t in Transition::ALL {
                let ok = apply_transition(state, t, &[]).is_ok();
                assert_eq!(ok, t.edge().0 == state, "{state:?} {t:?}");
            }
        }
    }

    #[test]
    fn an_answer_is_parsed_by_key_label_or_alias_and_clears_the_approval_when_it_changes() {
        let scale = default_scale();
        let at = OffsetDateTime::UNIX_EPOCH;
        let input = |v: &str| AnswerInput { answerer: Answerer::Primary, value: v.into(), comment: String::new() };
        let item =
            record_answer(AssessmentState::InProgress, &scale, &ItemState::default(), &input("実施済"), person(1), at).unwrap().unwrap();
        assert_eq!(item.value(), Some("done"));
        let approved = approve(&item, person(2), at).unwrap();
        assert_eq!(approve(&item, person(1), at), Err(AssessmentError::OwnAnswer));
        // The same answer again changes nothing.
        assert_eq!(record_answer(AssessmentState::InProgress, &scale, &approved, &input("done"), person(1), at), Ok(None));
        let changed = record_answer(AssessmentState::InProgress, &scale, &approved, &input("Partly done"), person(1), at).unwrap().unwrap();
        assert_eq!(changed.value(), Some("partial"));
        assert!(changed.approval.is_none(), "a changed answer needs a new review");
        // A second answer does not touch the approval of the counted one.
        let second = AnswerInput { answerer: Answerer::Second, value: "未実施".into(), comment: String::new() };
        let both = record_answer(AssessmentState::InProgress, &scale, &approved, &second, person(3), at).unwrap().unwrap();
        assert!(both.approval.is_some());
        assert!(both.disagreement());
        assert!(matches!(
            record_answer(AssessmentState::InProgress, &scale, &both, &input("たぶん"), person(1), at),
            Err(AssessmentError::UnknownValue { .. })
        ));
        assert!(matches!(
            record_answer(AssessmentState::Submitted, &scale, &both, &input("done"), person(1), at),
            Err(AssessmentError::NotEditable { .. })
        ));
    }

    #[test]
    fn workbook_choices_become_a_scale_with_guessed_meanings() {
        let choices: Vec<String> = ["○", "×", "該当なし", "○"].iter().map(|s| s.to_string()).collect();
        let scale = AnswerScale::from_choices("wb", Text::new("回答", "Answer"), &choices).unwrap();
        let meanings: Vec<Meaning> = scale.values.iter().map(|v| v.meaning).collect();
        assert_eq!(meanings, vec![Meaning::Met, Meaning::NotMet, Meaning::NotApplicable]);
        assert_eq!(guess_meaning("一部実施"), Meaning::Partial);
        assert_eq!(guess_meaning("未実施"), Meaning::NotMet);
        assert_eq!(guess_meaning("実施済"), Meaning::Met);
        assert_eq!(guess_meaning("実施していない"), Meaning::NotMet);
        assert!(AnswerScale::from_choices("wb", Text::new("回答", "Answer"), &["×".to_string()]).is_err(), "nothing means met");
    }

    #[test]
    fn a_broken_gap_rule_counts_every_item_as_a_gap() {
        let rules = ScoringRules::compile(&ScoringRulesDef { gap: "meaning + 1".into() }).unwrap();
        assert!(rules.is_gap(Some(AnswerTarget::Optional), None));
        let rules = ScoringRules::compile(&ScoringRulesDef { gap: r#"mandatory && (!answered || meaning == "not_met")"#.into() }).unwrap();
        let scale = default_scale();
        assert!(rules.is_gap(Some(AnswerTarget::Mandatory), None));
        assert!(rules.is_gap(Some(AnswerTarget::Mandatory), scale.value("none")));
        assert!(!rules.is_gap(Some(AnswerTarget::Mandatory), scale.value("partial")));
        assert!(!rules.is_gap(Some(AnswerTarget::Optional), None));
    }

    #[test]
    fn answers_of_the_same_and_of_mapped_requirements_are_suggested() {
        let scale = default_scale();
        let at = OffsetDateTime::UNIX_EPOCH;
        let mut states = BTreeMap::new();
        let input = AnswerInput { answerer: Answerer::Primary, value: "done".into(), comment: "規程 5.1".into() };
        states.insert(
            "A.5.1".to_string(),
            record_answer(AssessmentState::InProgress, &scale, &ItemState::default(), &input, person(1), at).unwrap().unwrap(),
        );
        let others = [AnsweredElsewhere { assessment: "iso", catalog_key: "iso27001-2022", scale: &scale, states: &states }];
        let link = crate::catalog::Link {
            mapping: "m".into(),
            catalog: "iso27001-2022".into(),
            ref_id: "A.5.1".into(),
            relationship: crate::catalog::Relationship::Intersect,
        };
        let found = suggestions("kubota-supplier", "1", &[link], &scale, &others);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].value.as_deref(), found[0].comment.as_str()), (Some("done"), "規程 5.1"));
        assert!(suggestions("kubota-supplier", "1", &[], &scale, &others).is_empty(), "no link, no suggestion");
    }

    #[test]
    fn gaps_become_corrective_actions_once() {
        let scale = default_scale();
        let at = OffsetDateTime::UNIX_EPOCH;
        let mut states = BTreeMap::new();
        let input = AnswerInput { answerer: Answerer::Primary, value: "none".into(), comment: String::new() };
        let mut item = record_answer(AssessmentState::InProgress, &scale, &ItemState::default(), &input, person(1), at).unwrap().unwrap();
        item.assignee = Some(person(4));
        states.insert("7".to_string(), item);
        let gaps = vec![
            Gap { ref_id: "7".into(), target: Some(AnswerTarget::Mandatory), value: Some("none".into()) },
            Gap { ref_id: "8".into(), target: Some(AnswerTarget::Mandatory), value: None },
        ];
        let planned = plan_actions(AssessmentState::Submitted, &gaps, &states, "手順書を整備する", None, None).unwrap();
        assert_eq!(planned.len(), 2);
        assert_eq!(planned[0].1.action.as_ref().unwrap().owner, Some(person(4)), "the assignee owns it by default");
        for (r, s) in planned {
            states.insert(r, s);
        }
        assert!(plan_actions(AssessmentState::Submitted, &gaps, &states, "x", None, None).unwrap().is_empty(), "once");
        assert!(plan_actions(AssessmentState::Closed, &gaps, &BTreeMap::new(), "x", None, None).is_err());
        assert!(
            set_action(
                AssessmentState::Submitted,
                &ItemState::default(),
                CorrectiveAction { text: " ".into(), owner: None, due: None, status: ActionStatus::Open }
            )
            .is_err()
        );
    }

    #[test]
    fn tally_percent_leaves_not_applicable_out() {
        let scale = default_scale();
        let mut t = Tally::default();
        t.add(scale.value("done"), 2, false);
        t.add(scale.value("partial"), 2, false);
        t.add(scale.value("na"), 2, false);
        t.add(None, 2, true);
        assert_eq!((t.items, t.answered, t.points, t.possible, t.gaps), (4, 3, 3, 6, 1));
        assert_eq!(t.percent(), Some(50.0));
        assert_eq!(Tally::default().percent(), None);
    }

    #[test]
    fn an_assessment_is_overdue_only_past_its_due_date_and_before_submission() {
        let due = Date::from_calendar_date(2026, time::Month::November, 30).unwrap();
        let (on_due, after) = (due, due.next_day().unwrap());
        for state in AssessmentState::ALL {
            let open = !matches!(state, AssessmentState::Submitted | AssessmentState::Closed);
            assert_eq!(state.is_shared(), !open, "{state:?}");
            assert_eq!(state.is_overdue(Some(due), after), open, "{state:?} the day after its due date");
            assert!(!state.is_overdue(Some(due), on_due), "{state:?} on its due date is not late yet");
            assert!(!state.is_overdue(None, after), "{state:?} without a due date is never late");
        }
    }
}
