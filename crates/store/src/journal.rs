//! Appending to the journal inside a command's transaction, and reading an entity's history.

use mamori_core::ids::PersonId;
use mamori_core::journal::{ChainHead, EventDraft, EventHeader, PreparedEvent, SealedEvent, seal_prepared};
use sqlx::{AnyConnection, Row};

use crate::params::{Param, bind_all};
use crate::writer::GroupState;
use crate::{Store, StoreError};

/// Seals and inserts events at the end of their organisation's chain; a database trigger moves
/// the head (`journal_heads`) to each inserted event, in the same transaction. Must run inside the
/// command's transaction. `group` is the SQLite group writer's state, given only by commands that
/// it runs (see writer.rs).
pub(crate) async fn append(
    conn: &mut AnyConnection,
    drafts: Vec<EventDraft>,
    group: Option<&GroupState>,
) -> Result<Vec<SealedEvent>, StoreError> {
    let sealed = seal_at_head(conn, drafts, group).await?;
    for event in &sealed {
        bind_event(sqlx::query(INSERT_EVENT), event).execute(&mut *conn).await?;
    }
    Ok(sealed)
}

/// Seals events onto their organisation's chain head without inserting them: the caller inserts
/// them with [`INSERT_EVENT`] in the same transaction, in order. The first statement locks the
/// chain head (a row lock on PostgreSQL, the database write lock on SQLite), so appends from
/// several app instances keep one order and a reader of the head never races a writer. Inside
/// the SQLite group writer, a head this group already read or wrote comes from its `group` state.
pub(crate) async fn seal_at_head(
    conn: &mut AnyConnection,
    drafts: Vec<EventDraft>,
    group: Option<&GroupState>,
) -> Result<Vec<SealedEvent>, StoreError> {
    let Some(first) = drafts.first() else {
        return Ok(Vec::new());
    };
    let org = first.org;
    let head = match group.and_then(|g| g.head(org)) {
        Some(head) => head,
        None => read_head(conn, org).await?,
    };
    let prepared = drafts.into_iter().map(EventDraft::prepare).collect::<Result<Vec<_>, _>>()?;
    seal_onto(head, prepared, group)
}

/// [`seal_at_head`] for a direct command of the SQLite group writer (writer.rs), on its own
/// connection. The events come prepared (their payloads encoded and digested before the
/// command was queued), so the writer only seals their headers.
pub(crate) fn seal_at_head_direct(
    conn: &rusqlite::Connection,
    events: Vec<PreparedEvent>,
    group: &GroupState,
) -> Result<Vec<SealedEvent>, StoreError> {
    let Some(first) = events.first() else {
        return Ok(Vec::new());
    };
    let org = first.org();
    let head = match group.head(org) {
        Some(head) => head,
        None => {
            let key = Param::text(org);
            let found = conn
                .prepare_cached(LOCK_HEAD)?
                .query_row([&key], |row| Ok(ChainHead { seq: row.get(0)?, hash: row.get(1)? }))
                .map(Some)
                .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })?;
            match found {
                Some(head) => head,
                None => {
                    let genesis = ChainHead::genesis();
                    conn.prepare_cached(INSERT_HEAD)?.execute(rusqlite::params_from_iter(genesis_params(org, &genesis)))?;
                    genesis
                }
            }
        }
    };
    seal_onto(head, events, Some(group))
}

/// Seals prepared `events` in order onto `head`; all must belong to the head's organisation.
fn seal_onto(mut head: ChainHead, events: Vec<PreparedEvent>, group: Option<&GroupState>) -> Result<Vec<SealedEvent>, StoreError> {
    let org = match events.first() {
        Some(first) => first.org(),
        None => return Ok(Vec::new()),
    };
    let mut sealed_events = Vec::with_capacity(events.len());
    for event in events {
        if event.org() != org {
            return Err(StoreError::Corrupt("one command appended to two organisations' journals".to_string()));
        }
        let sealed = seal_prepared(&head, event)?;
        head = ChainHead { seq: sealed.seq, hash: sealed.hash.clone() };
        sealed_events.push(sealed);
    }
    // The head in the database follows each insert through the trigger `journal_advances_head`;
    // the cache follows here (a failed command empties it).
    if let Some(group) = group {
        group.set_head(org, head);
    }
    Ok(sealed_events)
}

/// Locks an organisation's chain head and reads it (no row: the chain has not begun).
const LOCK_HEAD: &str = "UPDATE journal_heads SET seq = seq WHERE org_id = $1 RETURNING seq, hash";
/// Begins a chain at genesis.
const INSERT_HEAD: &str = "INSERT INTO journal_heads (org_id, seq, hash) VALUES ($1, $2, $3)";

fn genesis_params(org: mamori_core::ids::OrgId, genesis: &ChainHead) -> Vec<Param> {
    vec![Param::text(org), Param::Int(genesis.seq), Param::text(&genesis.hash)]
}

/// Locks and reads an organisation's chain head, creating it at genesis for a new chain.
async fn read_head(conn: &mut AnyConnection, org: mamori_core::ids::OrgId) -> Result<ChainHead, StoreError> {
    let row = sqlx::query(LOCK_HEAD).bind(org.to_string()).fetch_optional(&mut *conn).await?;
    Ok(match row {
        Some(row) => ChainHead { seq: row.try_get("seq")?, hash: row.try_get("hash")? },
        None => {
            let genesis = ChainHead::genesis();
            bind_all(sqlx::query(INSERT_HEAD), genesis_params(org, &genesis)).execute(&mut *conn).await?;
            genesis
        }
    })
}

/// Inserts one sealed event; its ten values are bound as `$1`..`$10` by [`bind_event`], so other
/// statements can follow it in one SQLite round trip with their values from `$11`.
pub(crate) const INSERT_EVENT: &str = "INSERT INTO journal (org_id, seq, hash, header, payload, kind, entity_type, entity_id, at, actor_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// The `at` column: the header's RFC 3339 time as fixed-width UTC text (time_text).
fn column_time(rfc3339: &str) -> String {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .map(crate::time_text::to_text)
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// Binds an event's values for [`INSERT_EVENT`].
pub(crate) fn bind_event<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    e: &SealedEvent,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    bind_all(q, event_params(e))
}

/// An event's ten values for [`INSERT_EVENT`], in order.
pub(crate) fn event_params(e: &SealedEvent) -> Vec<Param> {
    let h: &EventHeader = &e.header;
    let kind = serde_json::to_value(h.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    vec![
        Param::text(e.org),
        Param::Int(e.seq),
        Param::text(&e.hash),
        Param::text(&e.header_bytes),
        Param::text(&e.payload_bytes),
        Param::Text(Some(kind)),
        Param::text(&h.entity_type),
        Param::text(&h.entity_id),
        Param::Text(Some(column_time(&h.at))),
        Param::opt_text(h.actor),
    ]
}

/// One event of an entity's history, with the actor's name resolved.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub seq: i64,
    pub header: EventHeader,
    pub actor_name: Option<String>,
    /// `None` when the payload was erased.
    pub payload: Option<serde_json::Value>,
}

impl Store {
    /// Every event about one entity of an organisation, oldest first.
    pub async fn history(&self, org: mamori_core::ids::OrgId, entity_type: &str, entity_id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT j.seq, j.header, j.payload, p.display_name FROM journal j \
             LEFT JOIN people p ON p.id = j.actor_id \
             WHERE j.org_id = $1 AND j.entity_type = $2 AND j.entity_id = $3 ORDER BY j.seq",
        )
        .bind(org.to_string())
        .bind(entity_type.to_string())
        .bind(entity_id.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|row| {
                let header_text: String = row.try_get("header")?;
                let header: EventHeader = serde_json::from_str(&header_text).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let payload: Option<String> = row.try_get("payload")?;
                let payload = payload.map(|p| serde_json::from_str(&p)).transpose().map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(HistoryEntry { seq: row.try_get("seq")?, header, actor_name: row.try_get("display_name")?, payload })
            })
            .collect()
    }

    /// The number of events in an organisation's chain.
    pub async fn journal_length(&self, org: mamori_core::ids::OrgId) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT seq FROM journal_heads WHERE org_id = $1").bind(org.to_string()).fetch_optional(self.pool()).await?;
        Ok(match row {
            Some(r) => r.try_get("seq")?,
            None => 0,
        })
    }
}

/// Reads a person id column.
pub(crate) fn person_id(text: Option<String>) -> Option<PersonId> {
    text.and_then(|t| PersonId::parse(&t).ok())
}
