//! `suppliers --data DIR --suppliers 1500`: a buyer organisation (a CISO and a 委託元 account)
//! and N supplier organisations linked to it, each sent Kubota's standard (153 items) and each
//! answer given, about 70% of them submitted, the rest in progress and some overdue; one
//! supplier's 取引先 account to read its checklist. Prints the logins and ids as JSON.

use std::collections::BTreeMap;

use clap::Parser;
use mamori_bench::{PASSWORD, Rng, ctx};
use mamori_core::assessment::{AnswerInput, Answerer, AssessmentState, ItemState, Transition, record_answer};
use mamori_core::ids::{OrgId, PersonId};
use mamori_core::library::{Library, RoleKey};
use mamori_core::person::{Email, RoleAssignment};
use mamori_store::{ItemChange, ItemChangeKind, Location, NewPerson, Store};
use mamori_web::assessments_io as io;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    data: std::path::PathBuf,
    #[arg(long, default_value_t = 1_500)]
    suppliers: usize,
}

async fn person(store: &Store, org: OrgId, email: &str, name: &str, role: &str, hash: &str) -> Result<PersonId, String> {
    let id = PersonId::from_uuid(uuid::Uuid::now_v7());
    let new = NewPerson {
        id,
        email: Email::parse(email).map_err(|e| e.to_string())?,
        display_name: name.to_string(),
        password_hash: hash.to_string(),
        must_change_password: false,
        roles: vec![RoleAssignment { role: RoleKey::parse(role).map_err(|e| e.to_string())?, unit: None }],
    };
    store.create_person(&ctx(org, None), &new).await.map_err(|e| e.to_string())?;
    Ok(id)
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let store = Store::open(&Location::Directory(args.data.clone())).await.map_err(|e| e.to_string())?;
    let library = Library::builtin().map_err(|e| e.to_string())?;
    let config = mamori_web::WebConfig::default();
    let hash = mamori_web::auth::hash_password(&config, PASSWORD).await.map_err(|e| e.text.en)?;
    let started = std::time::Instant::now();

    let buyer_org = OrgId::from_uuid(uuid::Uuid::now_v7());
    store.create_organisation(&ctx(buyer_org, None), "bench-buyer", "ベンチ委託元株式会社").await.map_err(|e| e.to_string())?;
    let buyer = person(&store, buyer_org, "buyer@bench.example", "委託元 担当", "buyer", &hash).await?;
    person(&store, buyer_org, "ciso@bench.example", "情報セキュリティ責任者", "ciso", &hash).await?;
    let mut suppliers = Vec::with_capacity(args.suppliers);
    for i in 0..args.suppliers {
        let org = OrgId::from_uuid(uuid::Uuid::now_v7());
        store
            .create_organisation(&ctx(org, None), &format!("supplier-{i:05}"), &format!("取引先{i:05} 株式会社"))
            .await
            .map_err(|e| e.to_string())?;
        store.link_supplier(&ctx(buyer_org, Some(buyer)), org).await.map_err(|e| e.to_string())?;
        suppliers.push(org);
    }
    let supplier_person = person(&store, suppliers[0], "supplier@bench.example", "取引先 担当", "supplier", &hash).await?;

    let buyer_roles = store.roles_of(buyer_org, buyer).await.map_err(|e| e.to_string())?;
    let actor = mamori_core::person::Actor { org: buyer_org, person: buyer, roles: buyer_roles };
    let kubota = library.catalog("kubota-supplier", Some("2.0")).ok_or("no Kubota catalog")?.clone();
    let scale = library.scale_for(&kubota).ok_or("no scale")?.clone();
    let today = time::OffsetDateTime::now_utc().date();
    let what = io::Distribution {
        catalog: kubota.clone(),
        name: "クボタ 取引先点検".into(),
        period: "2026年度".into(),
        due: today.checked_sub(time::Duration::days(3)),
        scale: scale.clone(),
    };
    let rows = io::distribute(&store, &library, &actor, &suppliers, &what).await.map_err(|e| e.text.en)?;
    eprintln!("{} assessments sent in {:.1} s", rows.len(), started.elapsed().as_secs_f64());

    // Every supplier answers all 153 items in one command; 7 in 10 submit.
    let items = mamori_core::assessment::scope_items(&kubota, None);
    let mut rng = Rng::new(42);
    let values = ["done", "done", "done", "partial", "not_done", "not_applicable"];
    let mut tasks = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let mut changes = Vec::with_capacity(items.len());
        for node in &items {
            let value = values[rng.below(values.len() as u64) as usize];
            let input = AnswerInput { answerer: Answerer::Primary, value: value.into(), comment: "規程第5条に基づき実施".into() };
            let state = record_answer(
                AssessmentState::InProgress,
                &scale,
                &ItemState::default(),
                &input,
                supplier_person,
                time::OffsetDateTime::now_utc(),
            )
            .map_err(|e| e.to_string())?
            .ok_or("no change")?;
            changes.push(ItemChange { ref_id: node.ref_id.clone(), expected_version: None, state });
        }
        let (store, catalog, doc, id, org) = (store.clone(), kubota.clone(), row.doc.clone(), row.id.clone(), row.org);
        let submit = rng.below(10) < 7;
        let rules = library.scoring().clone();
        tasks.push(tokio::spawn(async move {
            let c = ctx(org, Some(supplier_person));
            store
                .change_items(&c, &id, 1, ItemChangeKind::Answer, changes, io::summariser(&rules, catalog.clone(), &doc))
                .await
                .map_err(|e| e.to_string())?;
            if submit {
                let mut d = doc.clone();
                for (v, t) in [(1, Transition::RequestReview), (2, Transition::Submit)] {
                    d.state = t.edge().1;
                    store
                        .update_assessment(&c, &id, v, &d, io::summariser(&rules, catalog.clone(), &d))
                        .await
                        .map_err(|e| e.to_string())?;
                }
            }
            Ok::<_, String>(())
        }));
        if tasks.len() >= 64 || i + 1 == rows.len() {
            for t in tasks.drain(..) {
                t.await.map_err(|e| e.to_string())??;
            }
        }
    }
    let mine = rows.iter().find(|r| r.org == suppliers[0]).map(|r| r.id.clone()).unwrap_or_default();
    let doc: BTreeMap<&str, String> = [
        ("buyer", "buyer@bench.example".to_string()),
        ("ciso", "ciso@bench.example".to_string()),
        ("supplier", "supplier@bench.example".to_string()),
        ("supplier_assessment", mine),
        ("password", PASSWORD.to_string()),
        ("suppliers", args.suppliers.to_string()),
        ("seconds", format!("{:.1}", started.elapsed().as_secs_f64())),
    ]
    .into_iter()
    .collect();
    println!("{}", serde_json::to_string(&doc).map_err(|e| e.to_string())?);
    Ok(())
}
