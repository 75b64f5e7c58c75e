//! `listq --data DIR`: times the store's list query alone (the index page plus its records),
//! as the ciso of the generated organisation, filtered on 機密性 = 3 and sorted by name.

use std::time::Instant;

use clap::Parser;
use mamori_core::authz::visibility;
use mamori_core::library::Library;
use mamori_core::person::Actor;
use mamori_core::register::IndexValue;
use mamori_store::{Filter, ListQuery, Location, SortOrder, Store};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    data: std::path::PathBuf,
    #[arg(long, default_value_t = 500)]
    iterations: u32,
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let store = Store::open(&Location::Directory(args.data)).await.map_err(|e| e.to_string())?;
    let library = Library::builtin().map_err(|e| e.to_string())?;
    let register = library.register("information_assets").map_err(|e| e.to_string())?;
    let email = mamori_core::person::Email::parse("ciso@bench.mamori.example").map_err(|e| e.to_string())?;
    let person = store.sign_in_record(&email).await.map_err(|e| e.to_string())?.ok_or("generate first")?.person;
    let roles = store.roles_of(person.org, person.id).await.map_err(|e| e.to_string())?;
    let actor = Actor { org: person.org, person: person.id, roles };
    let vis = visibility(&library, &actor, register.key());
    let filter = Filter { slot: register.slot_of("confidentiality").ok_or("slot")?, value: IndexValue::Number(3.0) };
    let sort = Some((register.slot_of("name").ok_or("slot")?, SortOrder::Ascending));
    let query =
        ListQuery { visibility: &vis, register: register.key(), filters: vec![filter], sort, search: vec![], after: None, limit: 50 };
    let started = Instant::now();
    let mut rows = 0;
    for _ in 0..args.iterations {
        rows = store.list_records(&query).await.map_err(|e| e.to_string())?.rows.len();
    }
    let per = started.elapsed().as_secs_f64() * 1e6 / f64::from(args.iterations);
    let t0 = Instant::now();
    for _ in 0..args.iterations {
        store.units(actor.org).await.map_err(|e| e.to_string())?;
    }
    let units = t0.elapsed().as_secs_f64() * 1e6 / f64::from(args.iterations);
    println!("{{\"list_records_us\":{per:.0},\"rows\":{rows},\"units_us\":{units:.0}}}");
    Ok(())
}
