//! The journal: every change is an append-only event in a hash chain, one chain per organisation.
//!
//! An event is two canonical JSON documents (RFC 8785): a header and a payload. The header names
//! the organisation, sequence number, time, actor, acting role, kind and entity, and carries the
//! SHA-256 digest of the payload and the previous event's hash. The event's hash is the SHA-256
//! of the header bytes, which are stored exactly as hashed. Because the chain covers only the
//! payload's digest, a recorded erasure (retention, personal-data deletion) can remove a payload
//! and the chain still verifies; the erasure itself is an event naming what it erased.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::error::CoreError;
use crate::ids::{OrgId, PersonId};
use crate::library::RoleKey;
use crate::text::Text;

/// The hash before the first event of every chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened. Stored as its dotted name; new kinds are added, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    #[serde(rename = "organisation.created")]
    OrganisationCreated,
    #[serde(rename = "unit.created")]
    UnitCreated,
    #[serde(rename = "person.created")]
    PersonCreated,
    #[serde(rename = "role.granted")]
    RoleGranted,
    #[serde(rename = "role.withdrawn")]
    RoleWithdrawn,
    #[serde(rename = "login.succeeded")]
    LoginSucceeded,
    #[serde(rename = "login.failed")]
    LoginFailed,
    #[serde(rename = "account.locked")]
    AccountLocked,
    #[serde(rename = "logout")]
    Logout,
    #[serde(rename = "password.changed")]
    PasswordChanged,
    #[serde(rename = "preference.changed")]
    PreferenceChanged,
    #[serde(rename = "token.created")]
    TokenCreated,
    #[serde(rename = "token.revoked")]
    TokenRevoked,
    #[serde(rename = "record.created")]
    RecordCreated,
    #[serde(rename = "record.updated")]
    RecordUpdated,
    #[serde(rename = "records.imported")]
    RecordsImported,
    #[serde(rename = "payload.erased")]
    PayloadErased,
    #[serde(rename = "catalog.imported")]
    CatalogImported,
    #[serde(rename = "assessment.created")]
    AssessmentCreated,
    #[serde(rename = "assessment.transitioned")]
    AssessmentTransitioned,
    /// An item's answer, assignment, approval or evidence changed.
    #[serde(rename = "assessment.item_changed")]
    AssessmentItemChanged,
    #[serde(rename = "evidence.added")]
    EvidenceAdded,
    /// A buyer registered a supplier organisation (in the buyer's chain).
    #[serde(rename = "supplier.linked")]
    SupplierLinked,
    /// A buyer reminded a supplier of an assessment not yet submitted (in the supplier's chain).
    #[serde(rename = "assessment.reminded")]
    AssessmentReminded,
    /// A buyer recorded an inspection or a finding about a supplier (in the buyer's chain).
    #[serde(rename = "supplier.finding_recorded")]
    SupplierFindingRecorded,
    /// The organisation's key for signing submission packages was made (its public half).
    #[serde(rename = "signing_key.created")]
    SigningKeyCreated,
    /// A buyer imported a supplier's signed submission package (in the buyer's chain; the
    /// assessment it became is created in the supplier's).
    #[serde(rename = "submission.imported")]
    SubmissionImported,
    /// The column mapping a person confirmed for a spreadsheet layout was saved with the
    /// catalog it imported (its entity id is the layout's fingerprint).
    #[serde(rename = "sheet_mapping.saved")]
    SheetMappingSaved,
}

impl EventKind {
    pub fn label(self) -> Text {
        let (ja, en) = match self {
            EventKind::OrganisationCreated => ("組織を作成", "Organisation created"),
            EventKind::UnitCreated => ("部門を作成", "Unit created"),
            EventKind::PersonCreated => ("利用者を登録", "Person added"),
            EventKind::RoleGranted => ("役割を付与", "Role granted"),
            EventKind::RoleWithdrawn => ("役割を解除", "Role withdrawn"),
            EventKind::LoginSucceeded => ("ログイン", "Signed in"),
            EventKind::LoginFailed => ("ログイン失敗", "Sign-in failed"),
            EventKind::AccountLocked => ("アカウントをロック", "Account locked"),
            EventKind::Logout => ("ログアウト", "Signed out"),
            EventKind::PasswordChanged => ("パスワードを変更", "Password changed"),
            EventKind::PreferenceChanged => ("設定を変更", "Preference changed"),
            EventKind::TokenCreated => ("API トークンを発行", "API token created"),
            EventKind::TokenRevoked => ("API トークンを失効", "API token revoked"),
            EventKind::RecordCreated => ("登録", "Created"),
            EventKind::RecordUpdated => ("更新", "Updated"),
            EventKind::RecordsImported => ("一括取込", "Imported"),
            EventKind::PayloadErased => ("内容を消去", "Payload erased"),
            EventKind::CatalogImported => ("カタログを取り込み", "Catalog imported"),
            EventKind::AssessmentCreated => ("評価を作成", "Assessment created"),
            EventKind::AssessmentTransitioned => ("評価の状態を変更", "Assessment state changed"),
            EventKind::AssessmentItemChanged => ("回答を更新", "Answer updated"),
            EventKind::EvidenceAdded => ("証跡を登録", "Evidence added"),
            EventKind::SupplierLinked => ("取引先を登録", "Supplier registered"),
            EventKind::AssessmentReminded => ("提出を督促", "Reminder sent"),
            EventKind::SupplierFindingRecorded => ("点検結果を記録", "Inspection finding recorded"),
            EventKind::SigningKeyCreated => ("署名鍵を作成", "Signing key created"),
            EventKind::SubmissionImported => ("提出パッケージを取り込み", "Submission package imported"),
            EventKind::SheetMappingSaved => ("列の対応付けを保存", "Column mapping saved"),
        };
        Text::new(ja, en)
    }
}

/// An event before it is sealed into a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    pub org: OrgId,
    pub at: OffsetDateTime,
    /// `None` for the system itself, or a failed login naming no known person.
    pub actor: Option<PersonId>,
    pub role: Option<RoleKey>,
    pub kind: EventKind,
    pub entity_type: String,
    pub entity_id: String,
    /// Before and after states, computed values as they were, and any detail of the change.
    pub payload: serde_json::Value,
}

/// The hashed header of an event, as encoded canonically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventHeader {
    pub v: u32,
    pub org: OrgId,
    pub seq: i64,
    /// RFC 3339 UTC with nanoseconds.
    pub at: String,
    pub actor: Option<PersonId>,
    pub role: Option<RoleKey>,
    pub kind: EventKind,
    pub entity_type: String,
    pub entity_id: String,
    pub payload_digest: String,
    pub prev: String,
}

/// An event sealed into its chain, exactly as it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SealedEvent {
    pub org: OrgId,
    pub seq: i64,
    pub hash: String,
    pub header: EventHeader,
    pub header_bytes: String,
    pub payload_bytes: String,
}

/// The latest event of a chain: the sequence number and hash the next event builds on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

impl ChainHead {
    pub fn genesis() -> ChainHead {
        ChainHead { seq: 0, hash: GENESIS_HASH.to_string() }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn canonical<T: Serialize>(value: &T) -> Result<String, CoreError> {
    serde_json_canonicalizer::to_string(value).map_err(|e| CoreError::Encoding(e.to_string()))
}

fn rfc3339(at: OffsetDateTime) -> Result<String, CoreError> {
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| CoreError::Encoding(e.to_string()))
}

/// A draft whose payload is encoded and digested: every part of an event that does not depend
/// on the chain. Preparing is most of sealing's work and needs no lock, so it can be done before
/// a command reaches the one writer that holds the chain's head.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedEvent {
    org: OrgId,
    at: String,
    actor: Option<PersonId>,
    role: Option<RoleKey>,
    kind: EventKind,
    entity_type: String,
    entity_id: String,
    payload_digest: String,
    payload_bytes: String,
}

impl PreparedEvent {
    pub fn org(&self) -> OrgId {
        self.org
    }
}

impl EventDraft {
    /// Encodes the payload canonically and digests it (see [`PreparedEvent`]).
    pub fn prepare(self) -> Result<PreparedEvent, CoreError> {
        let payload_bytes = canonical(&self.payload)?;
        Ok(PreparedEvent {
            org: self.org,
            at: rfc3339(self.at)?,
            actor: self.actor,
            role: self.role,
            kind: self.kind,
            entity_type: self.entity_type,
            entity_id: self.entity_id,
            payload_digest: sha256_hex(payload_bytes.as_bytes()),
            payload_bytes,
        })
    }
}

/// Seals a draft onto the chain whose head is `head`, returning the event and the new head.
pub fn seal(head: &ChainHead, draft: EventDraft) -> Result<SealedEvent, CoreError> {
    seal_prepared(head, draft.prepare()?)
}

/// Seals a prepared event onto the chain whose head is `head`: the header (sequence number,
/// previous hash, payload digest) encoded canonically and hashed.
pub fn seal_prepared(head: &ChainHead, event: PreparedEvent) -> Result<SealedEvent, CoreError> {
    let header = EventHeader {
        v: 1,
        org: event.org,
        seq: head.seq + 1,
        at: event.at,
        actor: event.actor,
        role: event.role,
        kind: event.kind,
        entity_type: event.entity_type,
        entity_id: event.entity_id,
        payload_digest: event.payload_digest,
        prev: head.hash.clone(),
    };
    let header_bytes = canonical(&header)?;
    let hash = sha256_hex(header_bytes.as_bytes());
    Ok(SealedEvent { org: event.org, seq: header.seq, hash, header, header_bytes, payload_bytes: event.payload_bytes })
}

/// An event as read back from storage, for verification.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: i64,
    pub hash: String,
    pub header_bytes: String,
    /// `None` when the payload was erased by a recorded erasure.
    pub payload_bytes: Option<String>,
}

/// Why a chain does not verify, naming the first bad event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("journal event {seq} of organisation {org}: {reason}")]
pub struct ChainBreak {
    pub org: OrgId,
    pub seq: i64,
    pub reason: String,
}

impl ChainBreak {
    pub fn text(&self) -> Text {
        Text::new(
            format!("組織 {} の記録 {} 番で改ざんまたは欠落を検出しました: {}", self.org, self.seq, self.reason),
            format!("Journal event {} of organisation {} is broken: {}", self.seq, self.org, self.reason),
        )
    }
}

/// Walks one chain event by event (so a chain of any length verifies in constant memory).
pub struct ChainVerifier {
    org: OrgId,
    head: ChainHead,
    missing_payloads: BTreeSet<i64>,
    erased: BTreeSet<i64>,
}

impl ChainVerifier {
    pub fn new(org: OrgId) -> ChainVerifier {
        ChainVerifier { org, head: ChainHead::genesis(), missing_payloads: BTreeSet::new(), erased: BTreeSet::new() }
    }

    /// Checks the next event; returns its parsed header and payload (when present).
    pub fn check(&mut self, event: &StoredEvent) -> Result<(EventHeader, Option<serde_json::Value>), ChainBreak> {
        let fail = |seq: i64, reason: &str| ChainBreak { org: self.org, seq, reason: reason.to_string() };
        let expected_seq = self.head.seq + 1;
        if event.seq != expected_seq {
            return Err(fail(expected_seq, &format!("event {expected_seq} is missing (found {})", event.seq)));
        }
        if sha256_hex(event.header_bytes.as_bytes()) != event.hash {
            return Err(fail(event.seq, "the stored header does not match its hash"));
        }
        let header: EventHeader =
            serde_json::from_str(&event.header_bytes).map_err(|_| fail(event.seq, "the stored header is not a valid event header"))?;
        let recanonical = canonical(&header).map_err(|_| fail(event.seq, "the header cannot be re-encoded"))?;
        if recanonical != event.header_bytes {
            return Err(fail(event.seq, "the stored header is not in canonical form"));
        }
        if header.seq != event.seq || header.org != self.org {
            return Err(fail(event.seq, "the header names another position or organisation"));
        }
        if header.prev != self.head.hash {
            return Err(fail(event.seq, "the previous-hash link is broken"));
        }
        let payload = match &event.payload_bytes {
            Some(bytes) => {
                if sha256_hex(bytes.as_bytes()) != header.payload_digest {
                    return Err(fail(event.seq, "the payload does not match the digest in the header"));
                }
                let value: serde_json::Value = serde_json::from_str(bytes).map_err(|_| fail(event.seq, "the payload is not valid JSON"))?;
                if header.kind == EventKind::PayloadErased
                    && let Some(seqs) = value.get("erased_seqs").and_then(|v| v.as_array())
                {
                    self.erased.extend(seqs.iter().filter_map(|s| s.as_i64()));
                }
                Some(value)
            }
            None => {
                self.missing_payloads.insert(event.seq);
                None
            }
        };
        self.head = ChainHead { seq: event.seq, hash: event.hash.clone() };
        Ok((header, payload))
    }

    /// Ends the walk: every missing payload must have been erased by a recorded erasure event.
    pub fn finish(self, stored_head: Option<&ChainHead>) -> Result<ChainHead, ChainBreak> {
        if let Some(seq) = self.missing_payloads.iter().find(|s| !self.erased.contains(s)) {
            return Err(ChainBreak { org: self.org, seq: *seq, reason: "the payload is missing and no erasure was recorded".to_string() });
        }
        if let Some(stored) = stored_head
            && stored != &self.head
        {
            return Err(ChainBreak {
                org: self.org,
                seq: stored.seq.max(self.head.seq),
                reason: format!("the chain head records event {} but the journal ends at event {}", stored.seq, self.head.seq),
            });
        }
        Ok(self.head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;
    use uuid::Uuid;

    fn org() -> OrgId {
        OrgId::from_uuid(Uuid::from_u128(1))
    }

    fn chain(n: usize) -> Vec<StoredEvent> {
        let mut head = ChainHead::genesis();
        let mut out = Vec::new();
        for i in 0..n {
            let draft = EventDraft {
                org: org(),
                at: OffsetDateTime::from_unix_timestamp(1_700_000_000 + i as i64).unwrap(),
                actor: Some(PersonId::from_uuid(Uuid::from_u128(7))),
                role: RoleKey::parse("ciso").ok(),
                kind: EventKind::RecordUpdated,
                entity_type: "record".into(),
                entity_id: format!("r{i}"),
                payload: json!({"before": {"name": format!("資産{i}")}, "after": {"name": format!("資産{}", i + 1)}, "computed": {"importance": 3}}),
            };
            let sealed = seal(&head, draft).unwrap();
            head = ChainHead { seq: sealed.seq, hash: sealed.hash.clone() };
            out.push(StoredEvent {
                seq: sealed.seq,
                hash: sealed.hash,
                header_bytes: sealed.header_bytes,
                payload_bytes: Some(sealed.payload_bytes),
            });
        }
        out
    }

    fn verify(events: &[StoredEvent]) -> Result<ChainHead, ChainBreak> {
        let mut v = ChainVerifier::new(org());
        for e in events {
            v.check(e)?;
        }
        v.finish(None)
    }

    #[test]
    fn intact_chain_verifies() {
        let events = chain(5);
        assert_eq!(verify(&events).unwrap().seq, 5);
    }

    #[test]
    fn header_is_canonical_json() {
        let events = chain(1);
        let h = &events[0].header_bytes;
        assert!(h.starts_with("{\"actor\":"), "keys are sorted: {h}");
        assert!(!h.contains(' '));
    }

    #[test]
    fn erased_payload_needs_a_recorded_erasure() {
        let mut events = chain(3);
        events[1].payload_bytes = None;
        assert_eq!(verify(&events).unwrap_err().seq, 2);

        // Record the erasure as event 4; now the chain verifies.
        let head = ChainHead { seq: 3, hash: events[2].hash.clone() };
        let erasure = seal(
            &head,
            EventDraft {
                org: org(),
                at: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
                actor: None,
                role: None,
                kind: EventKind::PayloadErased,
                entity_type: "journal".into(),
                entity_id: "2".into(),
                payload: json!({"erased_seqs": [2], "reason": "APPI deletion request"}),
            },
        )
        .unwrap();
        events.push(StoredEvent {
            seq: 4,
            hash: erasure.hash,
            header_bytes: erasure.header_bytes,
            payload_bytes: Some(erasure.payload_bytes),
        });
        assert_eq!(verify(&events).unwrap().seq, 4);
    }

    #[test]
    fn missing_event_and_wrong_head_are_named() {
        let mut events = chain(4);
        events.remove(2);
        assert_eq!(verify(&events).unwrap_err().seq, 3);

        let events = chain(4);
        let mut v = ChainVerifier::new(org());
        for e in &events[..3] {
            v.check(e).unwrap();
        }
        let stored = ChainHead { seq: 4, hash: events[3].hash.clone() };
        assert!(v.finish(Some(&stored)).is_err(), "a truncated journal is detected from the stored head");
    }

    proptest! {
        /// Changing any single byte of any stored header or payload breaks verification at that event.
        #[test]
        fn any_changed_byte_is_caught(which in 0usize..6, in_payload in any::<bool>(), pos in any::<prop::sample::Index>(), replacement in any::<u8>()) {
            let mut events = chain(6);
            let target = &mut events[which];
            let field = if in_payload { target.payload_bytes.as_mut().unwrap() } else { &mut target.header_bytes };
            let mut bytes = field.clone().into_bytes();
            let i = pos.index(bytes.len());
            prop_assume!(bytes[i] != replacement);
            bytes[i] = replacement;
            match String::from_utf8(bytes) {
                Ok(s) => *field = s,
                Err(_) => return Ok(()), // storage holds text; a non-UTF-8 edit cannot be stored
            }
            let err = verify(&events).unwrap_err();
            prop_assert_eq!(err.seq, which as i64 + 1);
        }
    }
}
