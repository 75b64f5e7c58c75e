//! `roundtrip --data DIR [--count N]`: what one statement's hand-over to sqlx's SQLite connection
//! thread costs, on the group writer's kind of connection (`AnyConnection`, the file of DIR),
//! measured for a statement that does nothing (`SELECT 1`) and for the savepoint pair a grouped
//! command ends with (`RELEASE command; SAVEPOINT command`) inside one open transaction.
//! Prints one JSON line of microseconds per round trip (medians of 5 batches of N).

use std::str::FromStr;
use std::time::Instant;

use clap::Parser;
use sqlx::any::AnyConnectOptions;
use sqlx::{Connection, Executor};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    data: std::path::PathBuf,
    #[arg(long, default_value_t = 20_000)]
    count: u32,
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=rwc", args.data.join("mamori.db").display());
    let options = AnyConnectOptions::from_str(&url).map_err(|e| e.to_string())?;
    let mut conn = sqlx::AnyConnection::connect_with(&options).await.map_err(|e| e.to_string())?;
    let mut select = Vec::new();
    let mut savepoint = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..args.count {
            conn.execute("SELECT 1").await.map_err(|e| e.to_string())?;
        }
        select.push(t.elapsed().as_secs_f64() * 1e6 / args.count as f64);
        conn.execute("BEGIN IMMEDIATE; SAVEPOINT command").await.map_err(|e| e.to_string())?;
        let t = Instant::now();
        for _ in 0..args.count {
            conn.execute("RELEASE command; SAVEPOINT command").await.map_err(|e| e.to_string())?;
        }
        savepoint.push(t.elapsed().as_secs_f64() * 1e6 / args.count as f64);
        conn.execute("RELEASE command; ROLLBACK").await.map_err(|e| e.to_string())?;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "{{\"bench\":\"roundtrip\",\"select_1_us\":{:.1},\"release_savepoint_us\":{:.1}}}",
        median(&mut select),
        median(&mut savepoint)
    );
    Ok(())
}
