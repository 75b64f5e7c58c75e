//! Authorisation with the built-in roles: organisation, unit, classification and ownership.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

use mamori_core::authz::{Action, RecordFacts, Resource, authorize, visibility};
use mamori_core::classification::Confidentiality;
use mamori_core::ids::{OrgId, PersonId, UnitId};
use mamori_core::library::{Library, RoleKey};
use mamori_core::person::{Actor, RoleAssignment};
use proptest::prelude::*;

const REG: &str = "information_assets";

fn org(n: u128) -> OrgId {
    OrgId::from_uuid(uuid::Uuid::from_u128(n))
}
fn unit(n: u128) -> UnitId {
    UnitId::from_uuid(uuid::Uuid::from_u128(100 + n))
}
fn person(n: u128) -> PersonId {
    PersonId::from_uuid(uuid::Uuid::from_u128(200 + n))
}

fn actor(roles: &[(&str, Option<UnitId>)]) -> Actor {
    Actor {
        org: org(1),
        person: person(1),
        roles: roles.iter().map(|(r, u)| RoleAssignment { role: RoleKey::parse(r).unwrap(), unit: *u }).collect(),
    }
}

fn record(c: Confidentiality, u: Option<UnitId>, owner: Option<PersonId>) -> RecordFacts<'static> {
    RecordFacts { org: org(1), register: REG, classification: c, unit: u, owner }
}

#[test]
fn builtin_roles_are_complete_and_bilingual() {
    let library = Library::builtin().unwrap();
    let expected = [
        "executive",
        "committee_chair",
        "committee_vice_chair",
        "committee_member",
        "committee_secretariat",
        "ciso",
        "department_head",
        "security_officer",
        "system_admin",
        "education_manager",
        "incident_manager",
        "privacy_contact",
        "auditor",
        "employee",
        "buyer",
        "supplier",
    ];
    for key in expected {
        let role = library.role(&RoleKey::parse(key).unwrap()).unwrap_or_else(|| panic!("role {key}"));
        assert!(!role.name.ja.is_empty() && !role.name.en.is_empty(), "{key} has both names");
    }
    for key in ["buyer", "supplier"] {
        let role = library.role(&RoleKey::parse(key).unwrap()).unwrap();
        assert!(role.external, "{key} is external");
        // Neither reads registers or people: a supplier runs only its own assessments.
        assert!(
            role.grants
                .iter()
                .all(|g| matches!(g.action, Action::CatalogView | Action::SupplierOversee) || g.action.is_assessment_scoped()),
            "{key} reads catalogs and works on assessments, nothing else of the organisation's own"
        );
        assert!(role.grants.iter().all(|g| g.clearance.is_none()), "{key} reads public catalogs only");
    }
}

#[test]
fn seeing_records_follows_unit_clearance_and_ownership() {
    let library = Library::builtin().unwrap();
    let (a, b) = (unit(1), unit(2));
    let me = person(1);
    use Confidentiality::{Internal, Public, Secret};
    // (who, record, may see)
    let cases: Vec<(&str, Actor, RecordFacts, bool)> = vec![
        ("employee: public anywhere", actor(&[("employee", Some(a))]), record(Public, Some(b), None), true),
        ("employee: internal of own unit", actor(&[("employee", Some(a))]), record(Internal, Some(a), None), true),
        ("employee: internal of another unit", actor(&[("employee", Some(a))]), record(Internal, Some(b), None), false),
        ("employee: secret of own unit", actor(&[("employee", Some(a))]), record(Secret, Some(a), None), false),
        ("employee: secret they own", actor(&[("employee", Some(a))]), record(Secret, Some(b), Some(me)), true),
        ("officer: internal of unit", actor(&[("security_officer", Some(a))]), record(Internal, Some(a), None), true),
        ("officer: secret of unit", actor(&[("security_officer", Some(a))]), record(Secret, Some(a), None), false),
        ("head: secret of unit", actor(&[("department_head", Some(a))]), record(Secret, Some(a), None), true),
        ("head: internal of another unit", actor(&[("department_head", Some(a))]), record(Internal, Some(b), None), false),
        ("ciso: secret anywhere", actor(&[("ciso", None)]), record(Secret, Some(b), None), true),
        ("system admin: secret", actor(&[("system_admin", None)]), record(Secret, Some(b), None), false),
        ("auditor: secret", actor(&[("auditor", None)]), record(Secret, Some(b), None), true),
        ("supplier: public", actor(&[("supplier", None)]), record(Public, Some(a), None), false),
        ("no roles: public", actor(&[]), record(Public, Some(a), None), false),
        ("unit role held without a unit", actor(&[("department_head", None)]), record(Internal, Some(a), None), false),
        ("another organisation", actor(&[("ciso", None)]), RecordFacts { org: org(2), ..record(Public, None, None) }, false),
    ];
    for (name, who, facts, expected) in cases {
        let decided = authorize(&library, &who, Action::RegisterView, &Resource::Record(facts.clone())).is_allowed();
        assert_eq!(decided, expected, "{name}");
        assert_eq!(visibility(&library, &who, REG).admits(&facts), expected, "{name}: the list predicate agrees");
    }
}

#[test]
fn changing_records_needs_the_grant_and_the_reach() {
    let library = Library::builtin().unwrap();
    let (a, b) = (unit(1), unit(2));
    use Confidentiality::{Internal, Secret};
    type Case = (&'static str, Actor, Action, RecordFacts<'static>, bool);
    let cases: Vec<Case> = vec![
        (
            "officer creates internal in unit",
            actor(&[("security_officer", Some(a))]),
            Action::RecordCreate,
            record(Internal, Some(a), None),
            true,
        ),
        (
            "officer creates secret in unit",
            actor(&[("security_officer", Some(a))]),
            Action::RecordCreate,
            record(Secret, Some(a), None),
            false,
        ),
        (
            "officer creates in another unit",
            actor(&[("security_officer", Some(a))]),
            Action::RecordCreate,
            record(Internal, Some(b), None),
            false,
        ),
        ("head updates secret of unit", actor(&[("department_head", Some(a))]), Action::RecordUpdate, record(Secret, Some(a), None), true),
        ("head updates another unit", actor(&[("department_head", Some(a))]), Action::RecordUpdate, record(Internal, Some(b), None), false),
        ("auditor updates", actor(&[("auditor", None)]), Action::RecordUpdate, record(Internal, Some(a), None), false),
        ("employee creates", actor(&[("employee", Some(a))]), Action::RecordCreate, record(Internal, Some(a), None), false),
        ("ciso updates secret", actor(&[("ciso", None)]), Action::RecordUpdate, record(Secret, Some(b), None), true),
    ];
    for (name, who, action, facts, expected) in cases {
        assert_eq!(authorize(&library, &who, action, &Resource::Record(facts)).is_allowed(), expected, "{name}");
    }
    let o = org(1);
    let manage = |roles: &[(&str, Option<UnitId>)]| {
        authorize(&library, &actor(roles), Action::PeopleManage, &Resource::Organisation(o)).is_allowed()
    };
    assert!(manage(&[("ciso", None)]) && manage(&[("system_admin", None)]));
    assert!(!manage(&[("auditor", None)]) && !manage(&[("employee", Some(a))]) && !manage(&[]));
    assert!(!authorize(&library, &actor(&[("ciso", None)]), Action::PeopleManage, &Resource::Organisation(org(2))).is_allowed());
    for roles in [&[][..], &[("supplier", None)][..], &[("ciso", None)][..]] {
        assert!(
            authorize(&library, &actor(roles), Action::OwnAccount, &Resource::OwnAccount).is_allowed(),
            "everyone may manage their own account"
        );
    }
}

const ROLES: [&str; 16] = [
    "executive",
    "committee_chair",
    "committee_vice_chair",
    "committee_member",
    "committee_secretariat",
    "ciso",
    "department_head",
    "security_officer",
    "system_admin",
    "education_manager",
    "incident_manager",
    "privacy_contact",
    "auditor",
    "employee",
    "buyer",
    "supplier",
];

proptest! {
    /// The list predicate and the single-record check never disagree, for any mix of roles.
    #[test]
    fn list_and_record_checks_agree(
        roles in proptest::collection::vec((0usize..16, proptest::option::of(0u128..3)), 0..5),
        c in 1i64..=3, record_unit in proptest::option::of(0u128..3), owned in any::<bool>(), other_org in any::<bool>(),
    ) {
        let library = Library::builtin().unwrap();
        let who = actor(&roles.iter().map(|(r, u)| (ROLES[*r], u.map(unit))).collect::<Vec<_>>());
        let facts = RecordFacts {
            org: if other_org { org(2) } else { org(1) },
            register: REG,
            classification: Confidentiality::from_level(c).unwrap(),
            unit: record_unit.map(unit),
            owner: owned.then(|| person(1)),
        };
        let single = authorize(&library, &who, Action::RegisterView, &Resource::Record(facts.clone())).is_allowed();
        prop_assert_eq!(single, visibility(&library, &who, REG).admits(&facts));
    }
}

#[test]
fn catalogs_follow_owner_and_classification() {
    let library = Library::builtin().unwrap();
    let view = |a: &Actor, owner: Option<OrgId>, c: Confidentiality| {
        authorize(&library, a, Action::CatalogView, &Resource::Catalog { owner, classification: c }).is_allowed()
    };
    let employee = actor(&[("employee", Some(unit(1)))]);
    let supplier = actor(&[("supplier", None)]);
    let nobody = actor(&[]);
    // Built-in catalogs: the organisation's people read up to 社外秘; external roles only 公開.
    assert!(view(&employee, None, Confidentiality::Internal));
    assert!(!view(&employee, None, Confidentiality::Secret), "no grant reaches 極秘 catalogs");
    assert!(view(&supplier, None, Confidentiality::Public));
    assert!(!view(&supplier, None, Confidentiality::Internal), "a 社外秘 catalog is hidden from a supplier");
    assert!(!view(&nobody, None, Confidentiality::Public), "no role, no catalogs");
    // An organisation's own catalog is its alone.
    assert!(view(&employee, Some(org(1)), Confidentiality::Public));
    assert!(!view(&employee, Some(org(2)), Confidentiality::Public));
    // catalog.view reads; it never grants anything else on a catalog.
    let ciso = actor(&[("ciso", None)]);
    assert!(
        !authorize(&library, &ciso, Action::RegisterView, &Resource::Catalog { owner: None, classification: Confidentiality::Public })
            .is_allowed()
    );
}

#[test]
fn assessments_follow_the_unit_they_are_for() {
    let library = Library::builtin().unwrap();
    let a = |action, o: u128, u: Option<UnitId>, who: &Actor| {
        authorize(&library, who, action, &Resource::Assessment { org: org(o), unit: u, requester: None, shared: false }).is_allowed()
    };
    let ciso = actor(&[("ciso", None)]);
    let head = actor(&[("department_head", Some(unit(1)))]);
    let officer = actor(&[("security_officer", Some(unit(1)))]);
    let employee = actor(&[("employee", Some(unit(1)))]);
    let supplier = actor(&[("supplier", None)]);
    for action in [Action::AssessmentView, Action::AssessmentAnswer, Action::AssessmentManage, Action::AssessmentReview] {
        assert!(a(action, 1, None, &ciso), "{action:?}");
        assert!(a(action, 1, Some(unit(2)), &ciso), "{action:?}");
        assert!(!a(action, 2, None, &ciso), "another organisation: {action:?}");
        assert!(a(action, 1, None, &supplier), "a supplier runs its own: {action:?}");
        assert!(!a(action, 2, None, &supplier), "never another supplier's: {action:?}");
        assert!(!a(action, 1, None, &employee), "{action:?}");
    }
    // A department head answers and reviews its own unit's assessment, not the organisation's.
    assert!(a(Action::AssessmentAnswer, 1, Some(unit(1)), &head));
    assert!(a(Action::AssessmentReview, 1, Some(unit(1)), &head));
    assert!(!a(Action::AssessmentManage, 1, Some(unit(1)), &head));
    assert!(!a(Action::AssessmentView, 1, Some(unit(2)), &head));
    assert!(!a(Action::AssessmentView, 1, None, &head));
    assert!(a(Action::AssessmentAnswer, 1, Some(unit(1)), &officer));
    assert!(!a(Action::AssessmentReview, 1, Some(unit(1)), &officer));
    // Record actions never apply to assessments.
    assert!(!a(Action::RecordUpdate, 1, None, &ciso));
    use mamori_core::authz::{AssessmentScope, assessment_scope};
    assert_eq!(assessment_scope(&library, &head, Action::AssessmentView), AssessmentScope::Units(vec![unit(1)]));
    assert!(assessment_scope(&library, &employee, Action::AssessmentView).is_nothing());
}

#[test]
fn a_buyer_reads_the_assessments_it_sent_once_they_are_submitted() {
    let library = Library::builtin().unwrap();
    // The buyer's staff are in organisation 1; the supplier is organisation 2.
    let buyer = actor(&[("buyer", None)]);
    let ciso = actor(&[("ciso", None)]);
    let sent = |shared| Resource::Assessment { org: org(2), unit: None, requester: Some(org(1)), shared };
    let other = Resource::Assessment { org: org(2), unit: None, requester: Some(org(3)), shared: true };
    assert!(authorize(&library, &buyer, Action::AssessmentView, &sent(true)).is_allowed());
    assert!(!authorize(&library, &buyer, Action::AssessmentView, &sent(false)).is_allowed(), "not before it is submitted");
    assert!(!authorize(&library, &buyer, Action::AssessmentView, &other).is_allowed(), "not what another buyer sent");
    for action in [Action::AssessmentAnswer, Action::AssessmentManage, Action::AssessmentReview] {
        assert!(!authorize(&library, &buyer, action, &sent(true)).is_allowed(), "the buyer never changes it: {action:?}");
    }
    assert!(!authorize(&library, &ciso, Action::AssessmentView, &sent(true)).is_allowed(), "only the buyer role reads suppliers'");
    assert!(authorize(&library, &buyer, Action::SupplierOversee, &Resource::Organisation(org(1))).is_allowed());
    assert!(!authorize(&library, &ciso, Action::SupplierOversee, &Resource::Organisation(org(1))).is_allowed());
}
