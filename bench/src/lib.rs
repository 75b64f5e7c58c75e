//! Shared parts of Mamori's benchmarks: a deterministic generator of a large organisation
//! (units, people, information assets) and percentile arithmetic.

use mamori_core::Text;
use mamori_core::ids::{OrgId, PersonId, RecordId, UnitId};
use mamori_core::library::{Library, RoleKey};
use mamori_core::person::{Email, RoleAssignment};
use mamori_store::{Ctx, ImportRow, NewPerson, NewUnit, Store};
use serde_json::{Map, json};
use time::OffsetDateTime;

/// The password of every generated person.
pub const PASSWORD: &str = "Bench-Password-2026!";

/// A small deterministic pseudo-random sequence (xorshift), so two runs generate the same data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

pub fn ctx(org: OrgId, actor: Option<PersonId>) -> Ctx {
    Ctx { org, actor, role: RoleKey::parse("ciso").ok(), at: OffsetDateTime::now_utc() }
}

const CATEGORIES: &[&str] = &["営業", "製造", "人事", "経理", "総務", "情報システム", "品質保証", "購買", "設計", "経営"];
const NOUNS: &[&str] = &[
    "顧客名簿",
    "見積書",
    "契約書",
    "図面",
    "作業手順書",
    "給与データ",
    "従業員名簿",
    "請求書",
    "検査記録",
    "議事録",
    "仕様書",
    "試験成績書",
    "設計データ",
    "ログ",
    "バックアップ",
];
const STORAGE: &[&str] = &["電子データ・ファイルサーバ", "紙・書庫", "電子データ・クラウド", "外付け HDD", "電子データ・基幹システム"];
const PERSONAL: &[&str] = &["none", "none", "none", "personal", "sensitive", "my_number"];

/// One generated asset's input, as a form or import row would send it.
pub fn asset_input(rng: &mut Rng, i: u64, units: &[UnitId], people: &[PersonId]) -> Map<String, serde_json::Value> {
    let mut m = Map::new();
    let category = CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize];
    let noun = NOUNS[rng.below(NOUNS.len() as u64) as usize];
    m.insert("business_category".into(), json!(category));
    m.insert("name".into(), json!(format!("{category}{noun} {i:06}")));
    m.insert("managing_unit".into(), json!(units[rng.below(units.len() as u64) as usize].to_string()));
    if !people.is_empty() && rng.below(2) == 0 {
        m.insert("owner".into(), json!(people[rng.below(people.len() as u64) as usize].to_string()));
    }
    m.insert("storage".into(), json!(STORAGE[rng.below(STORAGE.len() as u64) as usize]));
    m.insert("personal_information".into(), json!(PERSONAL[rng.below(PERSONAL.len() as u64) as usize]));
    m.insert("confidentiality".into(), json!(1 + rng.below(3)));
    m.insert("integrity".into(), json!(1 + rng.below(2)));
    m.insert("availability".into(), json!(1 + rng.below(2)));
    m.insert("registered_on".into(), json!(format!("20{:02}-{:02}-{:02}", 15 + rng.below(11), 1 + rng.below(12), 1 + rng.below(28))));
    if rng.below(4) == 0 {
        m.insert("notes".into(), json!("取引先から預かった情報を含む。アクセスは担当者に限定する。"));
    }
    m
}

/// The organisation a generator run produced.
pub struct Generated {
    pub org: OrgId,
    pub units: Vec<UnitId>,
    pub people: Vec<PersonId>,
    pub ciso_email: String,
}

/// Creates an organisation with `units` units and `people` people (one ciso, the rest
/// employees spread over the units), and `assets` information assets in batches.
pub async fn generate(store: &Store, units: usize, people: usize, assets: u64, password_hash: &str) -> Result<Generated, String> {
    let library = Library::builtin().map_err(|e| e.to_string())?;
    let register = library.register("information_assets").map_err(|e| e.to_string())?;
    let org = OrgId::from_uuid(uuid::Uuid::now_v7());
    store.create_organisation(&ctx(org, None), "bench", "ベンチマーク株式会社").await.map_err(|e| e.to_string())?;
    let mut unit_ids = Vec::new();
    for u in 0..units.max(1) {
        let id = UnitId::from_uuid(uuid::Uuid::now_v7());
        let unit =
            NewUnit { id, parent: None, code: format!("u{u:03}"), name: Text::new(format!("第{}部", u + 1), format!("Unit {}", u + 1)) };
        store.create_unit(&ctx(org, None), &unit).await.map_err(|e| e.to_string())?;
        unit_ids.push(id);
    }
    let mut person_ids = Vec::new();
    let ciso_email = "ciso@bench.mamori.example".to_string();
    for p in 0..people.max(1) {
        let id = PersonId::from_uuid(uuid::Uuid::now_v7());
        let (email, role, unit) = if p == 0 {
            (ciso_email.clone(), "ciso", None)
        } else {
            (format!("person{p:05}@bench.mamori.example"), "employee", Some(unit_ids[p % unit_ids.len()]))
        };
        let person = NewPerson {
            id,
            email: Email::parse(&email).map_err(|e| e.to_string())?,
            display_name: format!("利用者 {p:05}"),
            password_hash: password_hash.to_string(),
            must_change_password: false,
            roles: vec![RoleAssignment { role: RoleKey::parse(role).map_err(|e| e.to_string())?, unit }],
        };
        store.create_person(&ctx(org, None), &person).await.map_err(|e| e.to_string())?;
        person_ids.push(id);
    }
    let directory = store.directory(org).await.map_err(|e| e.to_string())?;
    let mut rng = Rng::new(20261124);
    let mut i = 0u64;
    while i < assets {
        let batch: Vec<ImportRow> = (i..(i + 2_000).min(assets))
            .map(|n| {
                let input = asset_input(&mut rng, n, &unit_ids, &person_ids);
                register
                    .validate(&input, &directory)
                    .map(|valid| ImportRow::Create { id: RecordId::from_uuid(uuid::Uuid::now_v7()), valid })
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        i += batch.len() as u64;
        store.import_records(&ctx(org, Some(person_ids[0])), register, &batch, "bench generator").await.map_err(|e| e.to_string())?;
    }
    Ok(Generated { org, units: unit_ids, people: person_ids, ciso_email })
}

/// The value at percentile `p` (0–100) of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// The median of a list of figures (the number quoted from several runs).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    percentile(&v, 50.0)
}
