//! Authorisation, decided in one place.
//!
//! Roles in `library/roles.yaml` carry grants: an action, a scope (the organisation, the role's
//! unit, or records the person owns) and, for records, a clearance (the highest classification the
//! grant reaches). [`authorize`] answers for one action on one resource; [`visibility`] returns
//! the same rule as a typed predicate for lists, which `store` turns into SQL. A single record is
//! checked with [`Visibility::admits`], so the list and the record page cannot disagree.
//! Anything not granted is denied.

use serde::{Deserialize, Serialize};

use crate::classification::Confidentiality;
use crate::ids::{OrgId, PersonId, UnitId};
use crate::library::{Library, RoleScope};
use crate::person::Actor;

/// Every action Mamori checks. A new route needs an action here and a row in the route table test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Action {
    /// See a register's records, their pages and their history.
    #[serde(rename = "register.view")]
    RegisterView,
    #[serde(rename = "record.create")]
    RecordCreate,
    #[serde(rename = "record.update")]
    RecordUpdate,
    #[serde(rename = "register.export")]
    RegisterExport,
    #[serde(rename = "register.import")]
    RegisterImport,
    /// See the people, units and roles of the organisation.
    #[serde(rename = "people.view")]
    PeopleView,
    /// Add people, grant and withdraw roles, unlock accounts.
    #[serde(rename = "people.manage")]
    PeopleManage,
    /// Check the journal's hash chain.
    #[serde(rename = "journal.verify")]
    JournalVerify,
    /// Change one's own password, language and API tokens. Every signed-in person may.
    #[serde(rename = "account.own")]
    OwnAccount,
    /// Read catalogs (requirement sets) up to the grant's clearance: their tree, requirements,
    /// mappings and comparisons of editions.
    #[serde(rename = "catalog.view")]
    CatalogView,
    /// Import a catalog edition as the organisation's own (its regulations, a customer's
    /// standard, its copy of a structure-only catalog).
    #[serde(rename = "catalog.import")]
    CatalogImport,
    /// See assessments, their answers and evidence (downloads included), scores and gaps.
    #[serde(rename = "assessment.view")]
    AssessmentView,
    /// Answer items, attach evidence, request review.
    #[serde(rename = "assessment.answer")]
    AssessmentAnswer,
    /// Start assessments (from a catalog, a customer's workbook or last year's), assign items,
    /// export the customer's workbook.
    #[serde(rename = "assessment.manage")]
    AssessmentManage,
    /// Approve answers, send back, submit and close.
    #[serde(rename = "assessment.review")]
    AssessmentReview,
    /// The buyer's side (委託元): register suppliers, distribute a catalog to them, see every
    /// supplier's status and score, their カルテ, and remind those that have not submitted. A
    /// supplier's answers and evidence become readable to the buyer once submitted.
    #[serde(rename = "supplier.oversee")]
    SupplierOversee,
}

impl Action {
    pub const ALL: [Action; 16] = [
        Action::RegisterView,
        Action::RecordCreate,
        Action::RecordUpdate,
        Action::RegisterExport,
        Action::RegisterImport,
        Action::PeopleView,
        Action::PeopleManage,
        Action::JournalVerify,
        Action::OwnAccount,
        Action::CatalogView,
        Action::CatalogImport,
        Action::AssessmentView,
        Action::AssessmentAnswer,
        Action::AssessmentManage,
        Action::AssessmentReview,
        Action::SupplierOversee,
    ];

    /// Actions on assessments, limited by the unit an assessment is for.
    pub fn is_assessment_scoped(self) -> bool {
        matches!(self, Action::AssessmentView | Action::AssessmentAnswer | Action::AssessmentManage | Action::AssessmentReview)
    }

    /// Actions whose grants are limited by scope and clearance on each record.
    pub fn is_record_scoped(self) -> bool {
        matches!(self, Action::RegisterView | Action::RecordCreate | Action::RecordUpdate)
    }
}

/// How far a grant reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantScope {
    /// The whole organisation.
    Organisation,
    /// Records of the unit in which the role is held.
    Unit,
    /// Records the person owns (管理責任者).
    Own,
}

/// One permission of a role, as written in the library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub action: Action,
    #[serde(default = "organisation_scope")]
    pub scope: GrantScope,
    /// Highest classification reached; absent means 公開 only (least privilege).
    #[serde(default)]
    pub clearance: Option<Confidentiality>,
    /// Register types the grant is limited to; absent means every register.
    #[serde(default)]
    pub registers: Option<Vec<String>>,
}

fn organisation_scope() -> GrantScope {
    GrantScope::Organisation
}

/// The facts about a record that authorisation looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordFacts<'a> {
    pub org: OrgId,
    pub register: &'a str,
    pub classification: Confidentiality,
    pub unit: Option<UnitId>,
    pub owner: Option<PersonId>,
}

/// What an action is done to.
#[derive(Debug, Clone, PartialEq)]
pub enum Resource<'a> {
    /// The organisation as a whole (its people, its journal).
    Organisation(OrgId),
    /// A register as a whole: its list, its export, its import, creating in it.
    Register { org: OrgId, register: &'a str },
    /// One record.
    Record(RecordFacts<'a>),
    /// The acting person's own account.
    OwnAccount,
    /// A catalog: built into Mamori (`owner` None) or an organisation's own, marked by its
    /// owner with a classification (the ABS rules are 社外秘).
    Catalog { owner: Option<OrgId>, classification: Confidentiality },
    /// An assessment of the organisation (`unit` None) or of one of its units; `requester` is
    /// the buyer that distributed it, and `shared` says it was submitted (the buyer may read a
    /// submitted one).
    Assessment { org: OrgId, unit: Option<UnitId>, requester: Option<OrgId>, shared: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// One way a record can be visible: within units (or all), up to a classification, or owned.
#[derive(Debug, Clone, PartialEq)]
pub struct VisibilityClause {
    /// `None`: every unit; `Some(units)`: records whose unit is one of these.
    pub units: Option<Vec<UnitId>>,
    /// `Some(person)`: only records this person owns.
    pub owner: Option<PersonId>,
    pub max_classification: Confidentiality,
}

/// Which records of one register a person may see: rows of `org` matching any clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Visibility {
    pub org: OrgId,
    pub clauses: Vec<VisibilityClause>,
}

impl Visibility {
    pub fn nothing(org: OrgId) -> Visibility {
        Visibility { org, clauses: Vec::new() }
    }

    pub fn is_nothing(&self) -> bool {
        self.clauses.is_empty()
    }

    pub fn admits(&self, facts: &RecordFacts<'_>) -> bool {
        facts.org == self.org
            && self.clauses.iter().any(|c| {
                facts.classification <= c.max_classification
                    && c.owner.is_none_or(|o| facts.owner == Some(o))
                    && c.units.as_ref().is_none_or(|units| facts.unit.is_some_and(|u| units.contains(&u)))
            })
    }
}

/// The clauses an actor's grants give for an action on a register.
fn clauses_for(library: &Library, actor: &Actor, action: Action, register: &str) -> Vec<VisibilityClause> {
    let mut clauses = Vec::new();
    for assignment in &actor.roles {
        let Some(role) = library.role(&assignment.role) else {
            continue;
        };
        for grant in role.grants.iter().filter(|g| g.action == action) {
            if grant.registers.as_ref().is_some_and(|r| !r.iter().any(|k| k == register)) {
                continue;
            }
            let max_classification = grant.clearance.unwrap_or(Confidentiality::Public);
            let clause = match grant.scope {
                GrantScope::Organisation => VisibilityClause { units: None, owner: None, max_classification },
                GrantScope::Unit => match (role.scope, assignment.unit) {
                    (RoleScope::Unit, Some(unit)) => VisibilityClause { units: Some(vec![unit]), owner: None, max_classification },
                    // A unit grant of a role held without a unit reaches nothing.
                    _ => continue,
                },
                GrantScope::Own => VisibilityClause { units: None, owner: Some(actor.person), max_classification },
            };
            clauses.push(clause);
        }
    }
    simplify(clauses)
}

/// Merges unit clauses with the same clearance and drops clauses another one covers, so the SQL
/// the store builds stays short.
fn simplify(clauses: Vec<VisibilityClause>) -> Vec<VisibilityClause> {
    let mut merged: Vec<VisibilityClause> = Vec::new();
    for clause in clauses {
        if let Some(units) = &clause.units
            && clause.owner.is_none()
            && let Some(existing) =
                merged.iter_mut().find(|m| m.owner.is_none() && m.units.is_some() && m.max_classification == clause.max_classification)
            && let Some(existing_units) = existing.units.as_mut()
        {
            for u in units {
                if !existing_units.contains(u) {
                    existing_units.push(*u);
                }
            }
            continue;
        }
        merged.push(clause);
    }
    let covers =
        |a: &VisibilityClause, b: &VisibilityClause| a.max_classification >= b.max_classification && a.owner.is_none() && a.units.is_none();
    let mut result: Vec<VisibilityClause> = Vec::new();
    for (i, c) in merged.iter().enumerate() {
        let covered = merged.iter().enumerate().any(|(j, other)| {
            j != i
                && covers(other, c)
                && (other.max_classification > c.max_classification || c.units.is_some() || c.owner.is_some() || j < i)
        });
        if !covered {
            result.push(c.clone());
        }
    }
    result
}

/// The records of `register` that `actor` may see.
pub fn visibility(library: &Library, actor: &Actor, register: &str) -> Visibility {
    Visibility { org: actor.org, clauses: clauses_for(library, actor, Action::RegisterView, register) }
}

/// Whether `actor` may do `action` to `resource`. Resources of another organisation are denied.
pub fn authorize(library: &Library, actor: &Actor, action: Action, resource: &Resource<'_>) -> Decision {
    let allowed = match resource {
        Resource::OwnAccount => action == Action::OwnAccount,
        Resource::Organisation(org) => {
            *org == actor.org && !action.is_record_scoped() && action != Action::OwnAccount && has_grant(library, actor, action, None)
        }
        Resource::Register { org, register } => {
            *org == actor.org && action != Action::OwnAccount && has_grant(library, actor, action, Some(register))
        }
        Resource::Catalog { owner, classification } => {
            action == Action::CatalogView
                && owner.is_none_or(|o| o == actor.org)
                && cleared(library, actor, action).is_some_and(|c| c >= *classification)
        }
        Resource::Assessment { org, unit, requester, shared } => {
            if *org == actor.org {
                action.is_assessment_scoped()
                    // Any other assessment action also requires seeing it.
                    && assessment_scope(library, actor, Action::AssessmentView).admits(*unit)
                    && assessment_scope(library, actor, action).admits(*unit)
            } else {
                // The declared relation: the buyer that sent it reads it once it is submitted.
                action == Action::AssessmentView
                    && *shared
                    && *requester == Some(actor.org)
                    && has_grant(library, actor, Action::SupplierOversee, None)
            }
        }
        Resource::Record(facts) => {
            if facts.org != actor.org || !action.is_record_scoped() {
                false
            } else {
                // Changing a record also requires seeing it.
                let sees =
                    Visibility { org: actor.org, clauses: clauses_for(library, actor, Action::RegisterView, facts.register) }.admits(facts);
                let may = Visibility { org: actor.org, clauses: clauses_for(library, actor, action, facts.register) }.admits(facts);
                sees && may
            }
        }
    };
    if allowed { Decision::Allow } else { Decision::Deny }
}

/// Which of its organisation's assessments an actor reaches with an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssessmentScope {
    /// Every assessment of the organisation.
    All,
    /// Assessments of these units (organisation-wide ones are not among them).
    Units(Vec<UnitId>),
}

impl AssessmentScope {
    pub fn admits(&self, unit: Option<UnitId>) -> bool {
        match self {
            AssessmentScope::All => true,
            AssessmentScope::Units(units) => unit.is_some_and(|u| units.contains(&u)),
        }
    }

    pub fn is_nothing(&self) -> bool {
        matches!(self, AssessmentScope::Units(units) if units.is_empty())
    }
}

/// The assessments of the actor's organisation that `action` reaches: organisation grants
/// reach all, unit grants those of the unit the role is held in. Lists filter with it.
pub fn assessment_scope(library: &Library, actor: &Actor, action: Action) -> AssessmentScope {
    let mut units = Vec::new();
    for assignment in &actor.roles {
        let Some(role) = library.role(&assignment.role) else { continue };
        for grant in role.grants.iter().filter(|g| g.action == action) {
            match (grant.scope, role.scope, assignment.unit) {
                (GrantScope::Organisation, _, _) => return AssessmentScope::All,
                (GrantScope::Unit, RoleScope::Unit, Some(unit)) if !units.contains(&unit) => units.push(unit),
                _ => {}
            }
        }
    }
    AssessmentScope::Units(units)
}

/// The highest clearance any of the actor's grants of `action` gives (None: no grant).
fn cleared(library: &Library, actor: &Actor, action: Action) -> Option<Confidentiality> {
    actor
        .roles
        .iter()
        .filter_map(|a| library.role(&a.role))
        .flat_map(|r| r.grants.iter().filter(|g| g.action == action))
        .map(|g| g.clearance.unwrap_or(Confidentiality::Public))
        .max()
}

fn has_grant(library: &Library, actor: &Actor, action: Action, register: Option<&str>) -> bool {
    actor.roles.iter().filter_map(|a| library.role(&a.role).map(|r| (a, r))).any(|(assignment, role)| {
        role.grants.iter().any(|g| {
            g.action == action
                && match (register, &g.registers) {
                    (Some(key), Some(list)) => list.iter().any(|k| k == key),
                    _ => true,
                }
                // A unit-scoped grant needs the role to be held in a unit.
                && (g.scope != GrantScope::Unit || (role.scope == RoleScope::Unit && assignment.unit.is_some()))
        })
    })
}

/// Whether any of the person's roles is privileged (stricter password and lockout rules).
pub fn is_privileged(library: &Library, actor: &Actor) -> bool {
    actor.roles.iter().any(|a| library.role(&a.role).is_some_and(|r| r.privileged))
}
