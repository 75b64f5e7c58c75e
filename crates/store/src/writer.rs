//! How commands reach the database, and group commit on SQLite.
//!
//! Every write is a closure run inside a transaction ([`Store::write`]). On PostgreSQL each
//! command gets its own transaction. On SQLite, where one writer at a time is the rule anyway
//! and every durable commit costs an fsync, one writer task takes the commands that are waiting,
//! runs each inside its own SAVEPOINT (a command that fails is rolled back alone and reports its
//! own error), commits them together with one fsync, and only then answers each caller. A
//! caller is never told "done" before its command is durable.
//!
//! While a group runs, the writer holds SQLite's write lock (`BEGIN IMMEDIATE`), so nobody else
//! can move a chain head: the group keeps the heads it has read or written in its [`GroupState`],
//! and commands after the first of an organisation seal their events without reading the head
//! again. The cache is emptied before each group, after each failed command (whose savepoint
//! rollback undid its appends) and after each commit.
//!
//! Search terms (the FTS5 table `record_search`) are written once per group, after the last
//! command and before the commit, outside every savepoint: FTS5 flushes its pending terms to a new
//! index segment at each SAVEPOINT, which made a per-command insert cost about ten times a plain
//! one (and merged segments without end). Commands queue their changes in the [`GroupState`]; the
//! changes of a failed command are dropped with its savepoint. The terms are derived from the
//! index row, in the same transaction, so a reader never sees one without the other.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mamori_core::ids::OrgId;
use mamori_core::journal::ChainHead;
use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, Connection, Executor};
use tokio::sync::{mpsc, oneshot};

use crate::{Store, StoreError};

/// What a running group knows beyond the database (see the module comment): the chain heads
/// it holds the lock for, and the search-table changes its commands queued. Valid only inside
/// commands this writer runs.
#[derive(Clone, Default)]
pub(crate) struct GroupState(std::sync::Arc<std::sync::Mutex<GroupInner>>);

#[derive(Default)]
struct GroupInner {
    heads: std::collections::HashMap<OrgId, ChainHead>,
    search: Vec<SearchOp>,
}

impl GroupState {
    fn with<T>(&self, f: impl FnOnce(&mut GroupInner) -> T) -> Option<T> {
        self.0.lock().ok().map(|mut inner| f(&mut inner))
    }

    pub(crate) fn head(&self, org: OrgId) -> Option<ChainHead> {
        self.with(|g| g.heads.get(&org).cloned()).flatten()
    }

    pub(crate) fn set_head(&self, org: OrgId, head: ChainHead) {
        self.with(|g| g.heads.insert(org, head));
    }

    pub(crate) fn push_search(&self, op: SearchOp) {
        self.with(|g| g.search.push(op));
    }

    /// Where a command starts, to undo what it queued if it fails.
    fn mark(&self) -> usize {
        self.with(|g| g.search.len()).unwrap_or(0)
    }

    /// A command failed and its savepoint is rolled back: forget the heads (it may have moved
    /// some) and the search changes it queued after `mark`.
    fn command_failed(&self, mark: usize) {
        self.with(|g| {
            g.heads.clear();
            g.search.truncate(mark);
        });
    }

    /// Empties the state: before and after each group.
    fn reset(&self) {
        self.with(|g| *g = GroupInner::default());
    }

    fn take_search(&self) -> Vec<SearchOp> {
        self.with(|g| std::mem::take(&mut g.search)).unwrap_or_default()
    }
}

/// Most commands committed together.
const MAX_GROUP: usize = 512;

pub(crate) type BoxFuture<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;
type Output = Result<Box<dyn Any + Send>, StoreError>;
type Job = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Output> + Send>;

struct Pending {
    job: Job,
    reply: oneshot::Sender<Output>,
}

enum Message {
    Command(Pending),
    /// Close the writer's connection (it opens again at the next command); answered when done.
    Close(oneshot::Sender<()>),
}

/// What the group writer has done since the store was opened: how many groups, how large, and
/// where their time went. The benchmarks print it (`appends`); nothing decides on it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WriterStats {
    pub groups: u64,
    pub commands: u64,
    pub largest_group: u64,
    /// Taking a connection and `BEGIN IMMEDIATE`.
    pub begin_time: Duration,
    /// The commands themselves, their savepoints included.
    pub commands_time: Duration,
    /// The search-table changes written at the end of each group.
    pub search_time: Duration,
    /// `COMMIT`: the WAL write, its fsync, and any checkpoint SQLite runs then.
    pub commit_time: Duration,
}

/// The handle of the SQLite writer task.
#[derive(Clone)]
pub(crate) struct GroupWriter {
    queue: mpsc::Sender<Message>,
    /// Valid only inside commands that this writer runs.
    pub(crate) group: GroupState,
    stats: Arc<Mutex<WriterStats>>,
}

impl GroupWriter {
    /// Starts the writer task. It keeps one connection of its own, opened with `options` and
    /// set up by `setup` (the store's durability settings and the writer's page cache), so the
    /// index pages it changes stay in its cache from one group to the next.
    pub(crate) fn start(options: AnyConnectOptions, setup: &'static str) -> GroupWriter {
        let (queue, receiver) = mpsc::channel(4 * MAX_GROUP);
        let group = GroupState::default();
        let stats = Arc::new(Mutex::new(WriterStats::default()));
        tokio::spawn(run(options, setup, receiver, group.clone(), stats.clone()));
        GroupWriter { queue, group, stats }
    }

    /// Closes the writer's connection, so that the last connection to close can checkpoint the
    /// WAL into the database file.
    pub(crate) async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.queue.send(Message::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
    }
}

/// One change to the search table, queued by a command inside the group.
#[derive(Debug)]
pub(crate) enum SearchOp {
    Insert { rid: i64, terms: String },
    Delete { rid: i64 },
}

/// Rows per multi-row insert into the search table (two values each; far below SQLite's limit
/// of bound values per statement).
const SEARCH_ROWS_PER_INSERT: usize = 128;

/// Applies a group's search-table changes in order: runs of inserts as multi-row statements.
async fn apply_search(conn: &mut AnyConnection, ops: Vec<SearchOp>) -> Result<(), sqlx::Error> {
    let mut inserts: Vec<(i64, String)> = Vec::new();
    for op in ops {
        match op {
            SearchOp::Insert { rid, terms } => {
                inserts.push((rid, terms));
                if inserts.len() == SEARCH_ROWS_PER_INSERT {
                    insert_search(conn, std::mem::take(&mut inserts)).await?;
                }
            }
            SearchOp::Delete { rid } => {
                insert_search(conn, std::mem::take(&mut inserts)).await?;
                sqlx::query("DELETE FROM record_search WHERE rowid = $1").bind(rid).execute(&mut *conn).await?;
            }
        }
    }
    insert_search(conn, inserts).await
}

async fn insert_search(conn: &mut AnyConnection, rows: Vec<(i64, String)>) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = (0..rows.len()).map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2)).collect();
    let sql = format!("INSERT INTO record_search (rowid, terms) VALUES {}", values.join(", "));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (rid, terms) in rows {
        q = q.bind(rid).bind(terms);
    }
    q.execute(&mut *conn).await.map(|_| ())
}

async fn connect(options: &AnyConnectOptions, setup: &'static str) -> Result<AnyConnection, sqlx::Error> {
    let mut conn = AnyConnection::connect_with(options).await?;
    conn.execute(setup).await?;
    Ok(conn)
}

async fn run(
    options: AnyConnectOptions,
    setup: &'static str,
    mut receiver: mpsc::Receiver<Message>,
    state: GroupState,
    stats: Arc<Mutex<WriterStats>>,
) {
    let mut conn: Option<AnyConnection> = None;
    while let Some(message) = receiver.recv().await {
        let first = match message {
            Message::Command(pending) => pending,
            Message::Close(done) => {
                if let Some(c) = conn.take() {
                    let _ = c.close().await;
                }
                let _ = done.send(());
                continue;
            }
        };
        let mut group = vec![first];
        let mut close = None;
        while group.len() < MAX_GROUP {
            match receiver.try_recv() {
                Ok(Message::Command(p)) => group.push(p),
                Ok(Message::Close(done)) => {
                    close = Some(done);
                    break;
                }
                Err(_) => break,
            }
        }
        if conn.is_none() {
            match connect(&options, setup).await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    fail_all(group, &e.to_string());
                    group = Vec::new();
                }
            }
        }
        if let (Some(c), false) = (conn.as_mut(), group.is_empty()) {
            state.reset();
            let size = group.len() as u64;
            let (phases, healthy) = commit_group(c, group, &state).await;
            state.reset();
            if !healthy {
                // A connection that could not begin or end a transaction is not trusted again.
                conn = None;
            }
            if let Ok(mut stats) = stats.lock() {
                stats.groups += 1;
                stats.commands += size;
                stats.largest_group = stats.largest_group.max(size);
                stats.begin_time += phases.begin;
                stats.commands_time += phases.commands;
                stats.search_time += phases.search;
                stats.commit_time += phases.commit;
            }
        }
        if let Some(done) = close {
            if let Some(c) = conn.take() {
                let _ = c.close().await;
            }
            let _ = done.send(());
        }
    }
}

/// Where one group's time went (see [`WriterStats`]).
#[derive(Default)]
struct Phases {
    begin: Duration,
    commands: Duration,
    search: Duration,
    commit: Duration,
}

/// Runs and commits one group; false when the connection failed to begin or end the transaction.
async fn commit_group(conn: &mut AnyConnection, group: Vec<Pending>, state: &GroupState) -> (Phases, bool) {
    let mut phases = Phases::default();
    let started = Instant::now();
    if let Err(e) = conn.execute("BEGIN IMMEDIATE").await {
        fail_all(group, &e.to_string());
        return (phases, false);
    }
    phases.begin = started.elapsed();
    let started = Instant::now();
    let mut outcomes = Vec::with_capacity(group.len());
    // Each command runs inside its own savepoint; ending one savepoint and opening the next is
    // one round trip.
    let mut open_savepoint = conn.execute("SAVEPOINT command").await.map(|_| ()).map_err(|e| e.to_string());
    let count = group.len();
    for (i, pending) in group.into_iter().enumerate() {
        let mark = state.mark();
        let outcome = match &open_savepoint {
            Err(e) => Err(StoreError::CommitFailed(e.clone())),
            Ok(()) => (pending.job)(&mut *conn).await,
        };
        if outcome.is_err() {
            // Its savepoint is rolled back below, and with it any head it moved and any search
            // change it queued.
            state.command_failed(mark);
        }
        let last = i + 1 == count;
        let end = match (outcome.is_ok(), last) {
            (true, true) => "RELEASE command",
            (true, false) => "RELEASE command; SAVEPOINT command",
            (false, true) => "ROLLBACK TO command; RELEASE command",
            (false, false) => "ROLLBACK TO command; RELEASE command; SAVEPOINT command",
        };
        let outcome = match conn.execute(end).await {
            Ok(_) => outcome,
            Err(e) => {
                open_savepoint = Err(e.to_string());
                Err(StoreError::CommitFailed(e.to_string()))
            }
        };
        outcomes.push((pending.reply, outcome));
    }
    phases.commands = started.elapsed();
    let started = Instant::now();
    let searched = apply_search(&mut *conn, state.take_search()).await;
    phases.search = started.elapsed();
    let started = Instant::now();
    let committed = match searched {
        Ok(()) => conn.execute("COMMIT").await.map(|_| ()),
        Err(e) => Err(e),
    };
    phases.commit = started.elapsed();
    let healthy = committed.is_ok();
    match committed {
        Ok(_) => {
            for (reply, outcome) in outcomes {
                let _ = reply.send(outcome);
            }
        }
        Err(e) => {
            let _ = conn.execute("ROLLBACK").await;
            for (reply, outcome) in outcomes {
                // A command that failed on its own keeps its own error.
                let _ = reply.send(match outcome {
                    Ok(_) => Err(StoreError::CommitFailed(e.to_string())),
                    Err(own) => Err(own),
                });
            }
        }
    }
    (phases, healthy)
}

fn fail_all(group: Vec<Pending>, detail: &str) {
    for pending in group {
        let _ = pending.reply.send(Err(StoreError::CommitFailed(detail.to_string())));
    }
}

impl Store {
    /// The group writer's counters (SQLite only), for the benchmarks.
    pub fn writer_stats(&self) -> Option<WriterStats> {
        self.writer.as_ref().and_then(|w| w.stats.lock().ok().map(|s| *s))
    }

    /// Runs one command in a transaction: alone on PostgreSQL, grouped with others on SQLite.
    /// The closure gets the connection of that transaction; it must do all of the command's
    /// writes through it, starting with the chain-head lock if it appends to the journal.
    pub(crate) async fn write<T, F>(&self, command: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        match &self.writer {
            None => {
                let mut tx = self.pool().begin().await?;
                let value = command(&mut tx).await?;
                tx.commit().await?;
                Ok(value)
            }
            Some(writer) => {
                let job: Job =
                    Box::new(move |conn| Box::pin(async move { command(conn).await.map(|v| Box::new(v) as Box<dyn Any + Send>) }));
                let (reply, answer) = oneshot::channel();
                writer
                    .queue
                    .send(Message::Command(Pending { job, reply }))
                    .await
                    .map_err(|_| StoreError::CommitFailed("the writer has stopped".into()))?;
                let value = answer.await.map_err(|_| StoreError::CommitFailed("the writer has stopped".into()))??;
                value.downcast::<T>().map(|b| *b).map_err(|_| StoreError::CommitFailed("unexpected result type".into()))
            }
        }
    }
}
