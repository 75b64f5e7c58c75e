//! `generate --data DIR --assets N --people N --units N`: creates a large organisation in a
//! fresh SQLite data directory (or a PostgreSQL database with --database) for the benchmarks.

use clap::Parser;
use mamori_bench::{PASSWORD, generate};
use mamori_store::{Location, Store};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    data: Option<std::path::PathBuf>,
    #[arg(long)]
    database: Option<String>,
    #[arg(long, default_value_t = 200_000)]
    assets: u64,
    #[arg(long, default_value_t = 2_000)]
    people: usize,
    #[arg(long, default_value_t = 40)]
    units: usize,
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let location = match (&args.database, &args.data) {
        (Some(url), _) => Location::Postgres(url.clone()),
        (None, Some(dir)) => Location::Directory(dir.clone()),
        (None, None) => return Err("give --data DIR or --database URL".into()),
    };
    let store = Store::open(&location).await.map_err(|e| e.to_string())?;
    let config = mamori_web::WebConfig::default();
    let hash = mamori_web::auth::hash_password(&config, PASSWORD).await.map_err(|e| e.text.en)?;
    let started = std::time::Instant::now();
    let generated = generate(&store, args.units, args.people, args.assets, &hash).await?;
    println!(
        "{{\"organisation\":\"{}\",\"assets\":{},\"people\":{},\"units\":{},\"seconds\":{:.1},\"login\":\"{}\",\"password\":\"{PASSWORD}\"}}",
        generated.org,
        args.assets,
        generated.people.len(),
        generated.units.len(),
        started.elapsed().as_secs_f64(),
        generated.ciso_email
    );
    Ok(())
}
