//! The demo organisation: a small manufacturer with five units, one person per role, an
//! information asset register filled with typical entries, its answers to a customer's
//! checklist (Kubota's standard, partly answered), and a supplier of its own (a second
//! organisation, whose 取引先 account answers the contractor checklist the demo sent it).
//! Created once; reused afterwards.

use mamori_core::Text;
use mamori_core::ids::{OrgId, PersonId, RecordId, UnitId};
use mamori_core::library::RoleKey;
use mamori_core::person::{Email, RoleAssignment};
use mamori_store::{Ctx, NewPerson, NewUnit, Store};
use mamori_web::WebConfig;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::UserError;

/// The password of every demo account (demo data only; never used by `init`).
pub const PASSWORD: &str = "Mamori-Demo-2026!";

const SLUG: &str = "demo";

/// (unit code, Japanese name, English name)
const UNITS: &[(&str, &str, &str)] = &[
    ("mgmt", "経営企画室", "Corporate planning"),
    ("it", "情報システム部", "IT department"),
    ("sales", "営業部", "Sales"),
    ("mfg", "製造部", "Manufacturing"),
    ("hr", "人事総務部", "HR and general affairs"),
];

/// (e-mail local part, display name, role, unit code or "" for organisation-wide)
const PEOPLE: &[(&str, &str, &str, &str)] = &[
    ("president", "山本 一郎", "executive", ""),
    ("chair", "佐藤 健", "committee_chair", ""),
    ("secretariat", "高橋 美咲", "committee_secretariat", ""),
    ("ciso", "鈴木 真一", "ciso", ""),
    ("sales-head", "田中 浩", "department_head", "sales"),
    ("sales-officer", "伊藤 さくら", "security_officer", "sales"),
    ("sysadmin", "渡辺 大輔", "system_admin", ""),
    ("education", "中村 由美", "education_manager", ""),
    ("incident", "小林 誠", "incident_manager", ""),
    ("privacy", "加藤 恵", "privacy_contact", ""),
    ("auditor", "吉田 修", "auditor", ""),
    ("employee", "山田 花子", "employee", "sales"),
    ("buyer", "松本 隆（委託元）", "buyer", ""),
    ("supplier", "井上 彩（取引先）", "supplier", ""),
];

/// The demo's own supplier (the 取引先 account belongs to it, not to the demo organisation).
const SUPPLIER_SLUG: &str = "demo-parts";
const SUPPLIER_NAME: &str = "株式会社デモ部品";

/// (business category, asset name, unit, storage, personal information, C, I, A, notes)
type DemoAsset = (&'static str, &'static str, &'static str, &'static str, &'static str, i64, i64, i64, &'static str);

const ASSETS: &[DemoAsset] = &[
    ("営業", "顧客名簿", "sales", "電子データ・ファイルサーバ", "personal", 3, 2, 2, "取引先担当者の氏名・連絡先"),
    ("営業", "見積書・契約書", "sales", "紙・営業部書庫", "none", 2, 2, 1, ""),
    ("営業", "会社案内パンフレット", "sales", "電子データ・Web サイト", "none", 1, 1, 1, "公開資料"),
    ("製造", "製品図面（CAD データ）", "mfg", "電子データ・設計サーバ", "none", 3, 2, 2, "顧客から預かった図面を含む"),
    ("製造", "作業手順書", "mfg", "紙・製造現場", "none", 2, 2, 2, ""),
    ("人事", "従業員名簿", "hr", "電子データ・人事システム", "personal", 3, 2, 1, ""),
    ("人事", "給与データ", "hr", "電子データ・給与システム", "my_number", 3, 2, 2, "マイナンバーを含む"),
    ("人事", "健康診断結果", "hr", "紙・人事総務部金庫", "sensitive", 3, 2, 1, "要配慮個人情報"),
    ("経営", "中期経営計画", "mgmt", "電子データ・ファイルサーバ", "none", 3, 2, 1, ""),
    ("情報システム", "アカウント管理台帳", "it", "電子データ・ファイルサーバ", "personal", 2, 2, 2, ""),
    ("情報システム", "ネットワーク構成図", "it", "電子データ・ファイルサーバ", "none", 2, 2, 1, ""),
    ("情報システム", "バックアップ媒体", "it", "外付け HDD・サーバラック", "personal", 3, 2, 2, "暗号化済み"),
];

fn ctx(org: OrgId, actor: Option<PersonId>, role: Option<&str>) -> Result<Ctx, UserError> {
    Ok(Ctx { org, actor, role: role.map(RoleKey::parse).transpose()?, at: OffsetDateTime::now_utc() })
}

/// Creates the demo organisation unless it exists; returns (role name, e-mail) per login.
pub async fn ensure(store: &Store, config: &WebConfig) -> Result<Vec<(String, String)>, UserError> {
    let library = mamori_core::library::Library::builtin()?;
    let logins = PEOPLE
        .iter()
        .map(|(local, _, role, _)| {
            let name = RoleKey::parse(role).ok().and_then(|k| library.role(&k).map(|r| r.name.both())).unwrap_or_else(|| role.to_string());
            (name, format!("{local}@demo.mamori.example"))
        })
        .collect();
    if store.organisation_by_slug(SLUG).await?.is_some() {
        return Ok(logins);
    }
    let org = OrgId::from_uuid(uuid::Uuid::now_v7());
    store.create_organisation(&ctx(org, None, None)?, SLUG, "株式会社デモ製作所").await?;
    let mut units = Vec::new();
    for (code, ja, en) in UNITS {
        let unit = NewUnit { id: UnitId::from_uuid(uuid::Uuid::now_v7()), parent: None, code: code.to_string(), name: Text::new(*ja, *en) };
        store.create_unit(&ctx(org, None, None)?, &unit).await?;
        units.push((*code, unit.id));
    }
    let unit_of = |code: &str| units.iter().find(|(c, _)| *c == code).map(|(_, id)| *id);
    let hash = mamori_web::auth::hash_password(config, PASSWORD).await?;
    let supplier_org = OrgId::from_uuid(uuid::Uuid::now_v7());
    store.create_organisation(&ctx(supplier_org, None, None)?, SUPPLIER_SLUG, SUPPLIER_NAME).await?;
    let (mut ciso, mut buyer) = (None, None);
    for (local, name, role, unit) in PEOPLE {
        let id = PersonId::from_uuid(uuid::Uuid::now_v7());
        let home = if *role == "supplier" { supplier_org } else { org };
        let person = NewPerson {
            id,
            email: Email::parse(&format!("{local}@demo.mamori.example"))?,
            display_name: name.to_string(),
            password_hash: hash.clone(),
            must_change_password: false,
            roles: vec![RoleAssignment { role: RoleKey::parse(role)?, unit: unit_of(unit) }],
        };
        store.create_person(&ctx(home, None, None)?, &person).await?;
        match *role {
            "ciso" => ciso = Some(id),
            "buyer" => buyer = Some(id),
            _ => {}
        }
    }
    let register = library.register("information_assets")?;
    let directory = store.directory(org).await?;
    for (category, name, unit, storage, personal, c, i, a, notes) in ASSETS {
        let mut input = Map::new();
        input.insert("business_category".into(), json!(category));
        input.insert("name".into(), json!(name));
        input.insert("managing_unit".into(), json!(unit_of(unit).map(|u| u.to_string())));
        input.insert("storage".into(), json!(storage));
        input.insert("personal_information".into(), json!(personal));
        input.insert("confidentiality".into(), json!(c));
        input.insert("integrity".into(), json!(i));
        input.insert("availability".into(), json!(a));
        input.insert("labelling".into(), json!(if *c == 1 { "register_only" } else { "folder_name" }));
        input.insert("registered_on".into(), json!("2026-04-01"));
        if !notes.is_empty() {
            input.insert("notes".into(), Value::String(notes.to_string()));
        }
        let valid = register.validate(&input, &directory)?;
        store.create_record(&ctx(org, ciso, Some("ciso"))?, register, RecordId::from_uuid(uuid::Uuid::now_v7()), &valid).await?;
    }
    assessments(store, &library, org, supplier_org, ciso, buyer).await?;
    Ok(logins)
}

/// The demo's answers to Kubota's standard (label 1 answered, one gap, one link as evidence),
/// and the contractor checklist it sent its own supplier, due in a month.
async fn assessments(
    store: &Store,
    library: &mamori_core::library::Library,
    org: OrgId,
    supplier_org: OrgId,
    ciso: Option<PersonId>,
    buyer: Option<PersonId>,
) -> Result<(), UserError> {
    use mamori_core::assessment::{AnswerInput, Answerer};
    use mamori_web::assessments_io as io;
    let missing = || UserError::new("デモデータを作成できません", "The demo data cannot be created");
    let (ciso, buyer) = (ciso.ok_or_else(missing)?, buyer.ok_or_else(missing)?);
    let roles = store.roles_of(org, ciso).await?;
    let actor = mamori_core::person::Actor { org, person: ciso, roles };
    let kubota = library.catalog("kubota-supplier", Some("2.0")).ok_or_else(missing)?.clone();
    let scale = library.scale_for(&kubota).ok_or_else(missing)?.clone();
    let today = OffsetDateTime::now_utc().date();
    let new = io::NewAssessment {
        catalog: kubota,
        name: "クボタ様 情報セキュリティ対策基準への回答".into(),
        period: "2026年度".into(),
        unit: None,
        scale,
        scope: None,
        previous: None,
        due: today.checked_add(time::Duration::days(45)),
        workbook: None,
        initial: Default::default(),
    };
    let c = ctx(org, Some(ciso), Some("ciso"))?;
    let row = io::create(store, library, &actor, &c, new).await?;
    let answers = [
        ("1", "実施済", "情報セキュリティ基本方針（2025年4月改定）"),
        ("2", "一部実施", "年1回の見直しは未実施。2026年度から委員会で確認する"),
        ("3", "未実施", ""),
    ];
    for (r, value, comment) in answers {
        let loaded = io::load(store, library, &actor, &row.id, mamori_core::authz::Action::AssessmentAnswer).await?;
        let input = AnswerInput { answerer: Answerer::Primary, value: value.into(), comment: comment.into() };
        let version = loaded.items.get(r).map(|i| i.version);
        io::answer(store, library, &c, &loaded, r, &input, version).await?;
    }
    let link = store.add_evidence_link(&c, "情報セキュリティ基本方針（社内ポータル）", "https://intra.demo.example/policy").await?;
    let loaded = io::load(store, library, &actor, &row.id, mamori_core::authz::Action::AssessmentAnswer).await?;
    io::attach(store, library, &c, &loaded, "1", &link.id).await?;

    // The demo as a buyer: its supplier answers seed 003's contractor checklist.
    let buyer_roles = store.roles_of(org, buyer).await?;
    let buyer_actor = mamori_core::person::Actor { org, person: buyer, roles: buyer_roles };
    store.link_supplier(&ctx(org, Some(buyer), Some("buyer"))?, supplier_org).await?;
    let checklist = library.catalog("space-contractor-checklist", None).ok_or_else(missing)?.clone();
    let what = io::Distribution {
        scale: library.scale_for(&checklist).ok_or_else(missing)?.clone(),
        catalog: checklist,
        name: "委託先チェックリスト".into(),
        period: "2026年度".into(),
        due: today.checked_add(time::Duration::days(30)),
    };
    io::distribute(store, library, &buyer_actor, &[supplier_org], &what).await?;
    Ok(())
}
