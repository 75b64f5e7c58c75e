//! `appends --data DIR --seconds S --concurrency C`: journaled record appends through the store
//! (validation, journal chain, current state, index and search terms in one durable commit each).
//! Prints one JSON line: throughput and latency percentiles, and on SQLite what the group writer
//! did (groups, their mean and largest size, and the milliseconds per group spent beginning,
//! running the commands, writing search terms and committing).

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use mamori_bench::{Rng, asset_input, ctx, percentile};
use mamori_core::ids::RecordId;
use mamori_core::library::Library;
use mamori_store::{Location, Store};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    data: std::path::PathBuf,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Registration dates drawn over eleven years, as the generator's existing assets have,
    /// instead of today's (a new asset is registered on the day it is created). Each append then
    /// lands on its own leaf of the date's index: runs before 2026-12-03 measured this.
    #[arg(long)]
    spread_dates: bool,
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let store = Store::open(&Location::Directory(args.data.clone())).await.map_err(|e| e.to_string())?;
    let org = store.organisation_by_slug("bench").await.map_err(|e| e.to_string())?.ok_or("run generate first")?.id;
    let units: Vec<_> = store.units(org).await.map_err(|e| e.to_string())?.into_iter().map(|u| u.id).collect();
    let library = Arc::new(Library::builtin().map_err(|e| e.to_string())?);
    let directory = Arc::new(store.directory(org).await.map_err(|e| e.to_string())?);
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let stats_before = store.writer_stats().unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..args.concurrency {
        let (store, library, directory, units, today) = (store.clone(), library.clone(), directory.clone(), units.clone(), today.clone());
        let spread_dates = args.spread_dates;
        tasks.push(tokio::spawn(async move {
            let register = library.register("information_assets").map_err(|e| e.to_string())?;
            let mut rng = Rng::new(1000 + t as u64);
            let mut latencies = Vec::new();
            let mut validation = Duration::ZERO;
            let mut i = 0u64;
            while Instant::now() < deadline {
                let mut input = asset_input(&mut rng, 9_000_000 + i, &units, &[]);
                if !spread_dates {
                    input.insert("registered_on".into(), serde_json::json!(today));
                }
                let v0 = Instant::now();
                let valid = register.validate(&input, directory.as_ref()).map_err(|e| e.to_string())?;
                validation += v0.elapsed();
                let t0 = Instant::now();
                store
                    .create_record(&ctx(org, None), register, RecordId::from_uuid(uuid::Uuid::now_v7()), &valid)
                    .await
                    .map_err(|e| e.to_string())?;
                latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
                i += 1;
            }
            Ok::<_, String>((latencies, validation))
        }));
    }
    let mut all = Vec::new();
    let mut validation = Duration::ZERO;
    for t in tasks {
        let (latencies, v) = t.await.map_err(|e| e.to_string())??;
        all.extend(latencies);
        validation += v;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.total_cmp(b));
    let writer = store.writer_stats().map(|after| {
        let groups = (after.groups - stats_before.groups).max(1) as f64;
        let per_group = |a: Duration, b: Duration| (a - b).as_secs_f64() * 1000.0 / groups;
        format!(
            ",\"groups\":{},\"mean_group\":{:.1},\"largest_group\":{},\"begin_ms\":{:.2},\"commands_ms\":{:.2},\"search_ms\":{:.2},\"commit_ms\":{:.2}",
            after.groups - stats_before.groups,
            (after.commands - stats_before.commands) as f64 / groups,
            after.largest_group,
            per_group(after.begin_time, stats_before.begin_time),
            per_group(after.commands_time, stats_before.commands_time),
            per_group(after.search_time, stats_before.search_time),
            per_group(after.commit_time, stats_before.commit_time),
        )
    });
    println!(
        "{{\"appends\":{},\"seconds\":{elapsed:.2},\"per_second\":{:.0},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"concurrency\":{},\"validate_us\":{:.0}{}}}",
        all.len(),
        all.len() as f64 / elapsed,
        percentile(&all, 50.0),
        percentile(&all, 99.0),
        args.concurrency,
        validation.as_secs_f64() * 1e6 / all.len().max(1) as f64,
        writer.unwrap_or_default()
    );
    Ok(())
}
