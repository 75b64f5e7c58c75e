//! Flows through real HTTP against a spawned server: sign-in and lockout, the forced password
//! change, CSRF, register CRUD with history, lists, import and export, API tokens, and bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

mod support;

use mamori_core::ids::RecordId;
use mamori_core::journal::EventKind;
use mamori_web::WebConfig;
use support::{PASSWORD, TestApp, asset_fields, asset_input, csrf_of};

async fn person_events(app: &TestApp, who: &str) -> Vec<EventKind> {
    let p = &app.people[who];
    app.store.history(p.org, "person", &p.id.to_string()).await.unwrap().into_iter().map(|h| h.header.kind).collect()
}

#[tokio::test]
async fn sign_in_failures_lock_general_and_privileged_accounts() {
    let app = TestApp::spawn().await;
    let cases = [("emp_sales", 5usize), ("ciso", 3usize)];
    for (who, threshold) in cases {
        let email = app.people[who].email.clone();
        for attempt in 1..=threshold {
            let (_, response) = app.sign_in(&email, "Wrong-Password-1!").await;
            assert_eq!(response.status(), 200, "{who} attempt {attempt} re-shows the form");
            let body = response.text().await.unwrap();
            let expected = if attempt == threshold { "ロックされています" } else { "正しくありません" };
            assert!(body.contains(expected), "{who} attempt {attempt}: {expected}");
        }
        let (_, response) = app.sign_in(&email, PASSWORD).await;
        assert_eq!(response.status(), 200, "{who}: even the right password is refused while locked");
        assert!(response.text().await.unwrap().contains("ロックされています"));
        let events = person_events(&app, who).await;
        assert_eq!(events.iter().filter(|k| **k == EventKind::LoginFailed).count(), threshold + 1, "{who}: every failure journaled");
        assert_eq!(events.iter().filter(|k| **k == EventKind::AccountLocked).count(), 1, "{who}: the lock journaled");
    }
    // Another account is unaffected, and its success is journaled.
    let (_, response) = app.sign_in(&app.people["emp_hr"].email, PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert!(person_events(&app, "emp_hr").await.contains(&EventKind::LoginSucceeded));
    // An unknown address gets the same answer as a wrong password.
    let (_, response) = app.sign_in("nobody@nowhere.example", PASSWORD).await;
    assert!(response.text().await.unwrap().contains("正しくありません"));
}

#[tokio::test]
async fn first_sign_in_forces_a_password_change_that_follows_the_policy() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login("ciso").await;
    let email = "newcomer@a.example";
    let page = client
        .post(app.url("/people"))
        .form(&[("csrf", csrf.as_str()), ("name", "新入 社員"), ("email", email), ("role", "employee"), ("unit", &app.sales.to_string())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "<code>";
    let start =
        page.find("初期パスワード").and_then(|i| page[i..].find(marker).map(|j| i + j + marker.len())).expect("initial password shown");
    let initial: String = page[start..].chars().take_while(|c| *c != '<').collect();

    let (newcomer, response) = app.sign_in(email, &initial).await;
    assert_eq!(response.headers()["location"], "/account/password");
    let response = newcomer.get(app.url("/registers")).send().await.unwrap();
    assert_eq!(response.headers()["location"], "/account/password", "nothing else until the password is changed");
    let csrf = csrf_of(&newcomer.get(app.url("/account/password")).send().await.unwrap().text().await.unwrap());
    let change = |new: &str| {
        let form = [("csrf", csrf.clone()), ("current", initial.clone()), ("new", new.to_string()), ("confirm", new.to_string())];
        newcomer.post(app.url("/account/password")).form(&form).send()
    };
    for (bad, message) in [("Short1!", "10 文字以上"), ("alllowercase123!", "英大文字"), (initial.as_str(), "過去 365 日")] {
        let response = change(bad).await.unwrap();
        assert_eq!(response.status(), 422, "{bad}");
        assert!(response.text().await.unwrap().contains(message), "{bad}: {message}");
    }
    assert_eq!(change("Brand-New-Pass-2026").await.unwrap().status(), 303);
    assert_eq!(newcomer.get(app.url("/registers")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn state_changes_need_the_form_token_and_the_same_origin() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login("ciso").await;
    let count = || async {
        app.store
            .all_records(
                &mamori_core::authz::visibility(
                    &app.library,
                    &mamori_core::person::Actor {
                        org: app.org_a,
                        person: app.people["ciso"].id,
                        roles: app.store.roles_of(app.org_a, app.people["ciso"].id).await.unwrap(),
                    },
                    "information_assets",
                ),
                "information_assets",
                1000,
            )
            .await
            .unwrap()
            .len()
    };
    let url = app.url("/registers/information_assets");
    let mut fields = asset_fields("CSRF 試験", app.sales, 2);
    for (name, token, origin) in [
        ("missing token", None, None),
        ("wrong token", Some("forged"), None),
        ("other site", Some(csrf.as_str()), Some("http://evil.example")),
    ] {
        let mut form = fields.clone();
        if let Some(t) = token {
            form.push(("csrf".into(), t.into()));
        }
        let mut request = client.post(&url).form(&form);
        if let Some(o) = origin {
            request = request.header("origin", o);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 403, "{name}");
        assert!(response.text().await.unwrap().contains("再読み込み"), "{name}: explained");
    }
    assert_eq!(count().await, 0, "nothing was created");
    fields.push(("csrf".into(), csrf.clone()));
    assert_eq!(client.post(&url).form(&fields).send().await.unwrap().status(), 303);
    assert_eq!(count().await, 1);
    // The sign-in form needs the cookie set with it.
    let bare = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response =
        bare.post(app.url("/login")).form(&[("csrf", "x"), ("email", "ciso@a.example"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn create_edit_and_read_the_history_of_an_asset() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login("head").await;
    let url = app.url("/registers/information_assets");
    // Missing fields: 422 with the form and per-field messages, in Japanese...
    let response = client.post(&url).form(&[("csrf", csrf.as_str()), ("name", "名前だけ")]).send().await.unwrap();
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    for message in ["業務分類: 入力してください", "機密性: 入力してください", "aria-invalid=\"true\""] {
        assert!(body.contains(message), "{message}");
    }
    assert!(body.contains("value=\"名前だけ\""), "what was typed is kept");
    // ...and in English once the person switches.
    client.post(app.url("/account/language")).form(&[("csrf", csrf.as_str()), ("lang", "en")]).send().await.unwrap();
    let body = client.post(&url).form(&[("csrf", csrf.as_str()), ("name", "x")]).send().await.unwrap().text().await.unwrap();
    assert!(body.contains("Business category is required"), "English field errors");
    client.post(app.url("/account/language")).form(&[("csrf", csrf.as_str()), ("lang", "ja")]).send().await.unwrap();

    let mut fields = asset_fields("設計図面", app.sales, 3);
    fields.push(("csrf".into(), csrf.clone()));
    let response = client.post(&url).form(&fields).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let record_path = location.split('?').next().unwrap().to_string();
    let page = client.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("class=\"badge c3\">極秘"), "classification label shown");
    assert!(page.contains("<dt>重要度</dt><dd>3</dd>"), "重要度 = max(C, I, A)");

    let mut edit = asset_fields("設計図面（第2版）", app.sales, 2);
    edit.push(("csrf".into(), csrf.clone()));
    edit.push(("_version".into(), "1".into()));
    assert_eq!(client.post(app.url(&record_path)).form(&edit).send().await.unwrap().status(), 303);
    let page = client.get(app.url(&record_path)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<strong>更新</strong>") && page.contains("<strong>登録</strong>"), "both events");
    assert!(page.contains("<td>設計図面</td><td>設計図面（第2版）</td>"), "before → after of the name");
    assert!(page.contains("<td>3 極秘</td><td>2 社外秘</td>"), "before → after of the classification");
    assert!(page.contains("head さん"), "who");
    // The same form submitted again is stale.
    assert_eq!(client.post(app.url(&record_path)).form(&edit).send().await.unwrap().status(), 409);
}

#[tokio::test]
async fn lists_filter_sort_search_and_page() {
    let app = TestApp::spawn().await;
    for i in 0..60 {
        app.asset(app.org_a, &asset_input(&format!("資産 {i:02}"), app.hr, 1 + (i % 3))).await;
    }
    app.asset(app.org_a, &asset_input("顧客アンケート", app.sales, 1)).await;
    let (client, _) = app.login("ciso").await;
    let names = |html: &str| -> Vec<String> {
        html.split("<td><a href=\"/registers/information_assets/")
            .skip(1)
            .filter_map(|s| s.split('>').nth(1))
            .map(|s| s.split('<').next().unwrap_or_default().to_string())
            .collect()
    };
    let page = client.get(app.url("/registers/information_assets?sort=name")).send().await.unwrap().text().await.unwrap();
    let first = names(&page);
    assert_eq!(first.len(), 50, "50 rows a page");
    assert_eq!(first[0], "資産 00");
    let next = page
        .split("rel=\"next\"")
        .next()
        .and_then(|s| s.rsplit("href=\"").next())
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let second = names(&client.get(app.url(&next)).send().await.unwrap().text().await.unwrap());
    assert_eq!(second.len(), 11);
    assert!(first.iter().all(|n| !second.contains(n)), "no row twice");
    let desc = names(&client.get(app.url("/registers/information_assets?sort=-name")).send().await.unwrap().text().await.unwrap());
    assert_eq!(desc[0], "顧客アンケート");
    let secret =
        names(&client.get(app.url("/registers/information_assets?f.confidentiality=3")).send().await.unwrap().text().await.unwrap());
    assert_eq!(secret.len(), 20);
    let found = names(
        &client
            .get(app.url("/registers/information_assets?q=%E3%82%A2%E3%83%B3%E3%82%B1%E3%83%BC%E3%83%88"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(found, vec!["顧客アンケート".to_string()], "search アンケート");
}

#[tokio::test]
async fn import_previews_every_row_then_commits_and_exports_round_trip() {
    let app = TestApp::spawn().await;
    let existing = app.asset(app.org_a, &asset_input("既存の資産", app.sales, 2)).await;
    let (client, csrf) = app.login("ciso").await;
    let upload = |csv: String| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part("file", reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("assets.csv"));
        client.post(app.url("/registers/information_assets/import")).multipart(form).send()
    };
    let header = "ID,業務分類,情報資産名称,管理部署,管理責任者,個人情報の種類,機密性,完全性,可用性,登録日\n";
    let bad = format!(
        "{header}{existing},営業,既存の資産（改訂）,営業部,,含まない,2,1,1,2026-04-01\n,総務,新しい資産,人事部,ciso@a.example,個人情報,極秘,2,2,2026/05/01\n,総務,誤りのある行,存在しない部,,含まない,4,3,1,2026-13-01\n"
    );
    let response = upload(bad).await.unwrap();
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    for message in [
        "管理部署: この組織の部門を選んでください",
        "機密性: 1（公開）、2（社外秘）、3（極秘）のいずれか",
        "完全性: 次のいずれか",
        "登録日: 日付を",
    ] {
        assert!(body.contains(message), "{message}");
    }
    assert!(!body.contains("/import/0"), "no confirm button while rows have errors");
    assert_eq!(app.store.journal_length(app.org_a).await.unwrap(), app.store.journal_length(app.org_a).await.unwrap());
    let before = app.store.journal_length(app.org_a).await.unwrap();

    let good = format!(
        "{header}{existing},営業,既存の資産（改訂）,営業部,,含まない,2,1,1,2026-04-01\n,総務,新しい資産,人事部,ciso@a.example,個人情報,極秘,2,2,2026/05/01\n"
    );
    let body = upload(good).await.unwrap().text().await.unwrap();
    assert_eq!(app.store.journal_length(app.org_a).await.unwrap(), before, "the preview writes nothing");
    let action = body
        .split("action=\"/registers/information_assets/import/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("confirm form")
        .to_string();
    let response = client
        .post(app.url(&format!("/registers/information_assets/import/{action}")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/registers/information_assets?imported=2");
    let updated = app.store.record(app.org_a, existing).await.unwrap().unwrap();
    assert_eq!((updated.version, updated.title.as_str()), (2, "既存の資産（改訂）"));

    let csv = client.get(app.url("/registers/information_assets/export.csv")).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(&csv[..3], &[0xEF, 0xBB, 0xBF], "UTF-8 with BOM");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(text.contains("新しい資産") && text.contains("ciso さん") && text.contains("人事部") && text.contains("極秘"));
    let xlsx = client.get(app.url("/registers/information_assets/export.xlsx")).send().await.unwrap();
    assert!(xlsx.headers()["content-disposition"].to_str().unwrap().contains("filename*=UTF-8''"));
    let bytes = xlsx.bytes().await.unwrap();
    let table = mamori_interop::register_import::read_table(&bytes, &Default::default()).unwrap();
    assert_eq!(table.rows.len(), 2, "the exported workbook opens and holds both rows");
}

#[tokio::test]
async fn api_tokens_work_until_revoked() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login("officer").await;
    let page = client
        .post(app.url("/account/tokens"))
        .form(&[("csrf", csrf.as_str()), ("name", "スクリプト")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token: String = page.split("<code id=\"new-token\">").nth(1).unwrap().chars().take_while(|c| *c != '<').collect();
    let api = app.client();
    let me = api.get(app.url("/api/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<serde_json::Value>().await.unwrap()["email"], "officer@a.example");
    let created = api
        .post(app.url("/api/registers/information_assets/records"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"fields": asset_input("API の資産", app.sales, 2)}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let body: serde_json::Value = created.json().await.unwrap();
    let id = RecordId::parse(body["id"].as_str().unwrap()).unwrap();
    assert_eq!(body["computed"]["importance"], 2);
    let invalid = api
        .post(app.url("/api/registers/information_assets/records"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"fields": {"integrity": 3}}))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
    let error: serde_json::Value = invalid.json().await.unwrap();
    assert!(
        error["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["field"] == "integrity" && f["message_ja"].as_str().unwrap().contains("完全性"))
    );
    let denied = api
        .post(app.url("/api/registers/information_assets/records"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"fields": asset_input("極秘", app.sales, 3)}))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 403, "the officer's clearance is 社外秘");
    assert_eq!(
        app.store.record(app.org_a, id).await.unwrap().unwrap().created_by,
        Some(app.people["officer"].id),
        "journaled as the token's person"
    );

    let tokens = client.get(app.url("/account/tokens")).send().await.unwrap().text().await.unwrap();
    let revoke = tokens.split("action=\"/account/tokens/").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();
    client.post(app.url(&format!("/account/tokens/{revoke}"))).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(api.get(app.url("/api/me")).bearer_auth(&token).send().await.unwrap().status(), 401, "revoked");
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_changes_nothing() {
    let app =
        TestApp::spawn_with(WebConfig { max_body_bytes: 2 * 1024 * 1024, max_import_bytes: 1024 * 1024, ..WebConfig::default() }).await;
    let (client, csrf) = app.login("ciso").await;
    let token = app.token("ciso").await;
    let url = app.url("/registers/information_assets");
    let before = app.store.journal_length(app.org_a).await.unwrap();
    let with = |changes: &[(&str, String)]| {
        let mut f = asset_fields("入力試験", app.sales, 2);
        for (k, v) in changes {
            f.retain(|(key, _)| key != k);
            f.push((k.to_string(), v.clone()));
        }
        f.push(("csrf".into(), csrf.clone()));
        f
    };
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        (
            "unknown enum value",
            client.post(&url).form(&with(&[("personal_information", "secret-kind".into())])),
            422,
            "個人情報の種類: 次のいずれか",
        ),
        ("unknown unit", client.post(&url).form(&with(&[("managing_unit", uuid::Uuid::now_v7().to_string())])), 422, "管理部署"),
        ("name too long", client.post(&url).form(&with(&[("name", "長".repeat(100_000))])), 422, "200 文字以内"),
        ("integrity 3", client.post(&url).form(&with(&[("integrity", "3".into())])), 422, "完全性"),
        (
            "malformed JSON",
            app.client()
                .post(app.url("/api/registers/information_assets/records"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body("{\"fields\":"),
            400,
            "形式",
        ),
        ("not a form", client.post(&url).header("content-type", "application/json").body("{}"), 415, "フォーム形式"),
        (
            "body too large",
            client.post(&url).header("content-type", "application/x-www-form-urlencoded").body(vec![b'a'; 3 * 1024 * 1024]),
            413,
            "大きすぎます",
        ),
        ("not a record id", client.get(app.url("/registers/information_assets/not-an-id")), 404, "見つかりません"),
        ("unknown register", client.get(app.url("/registers/no_such_register")), 404, "見つかりません"),
        (
            "broken xlsx",
            client.post(app.url("/registers/information_assets/import")).multipart(
                reqwest::multipart::Form::new()
                    .text("csrf", csrf.clone())
                    .part("file", reqwest::multipart::Part::bytes(b"PK\x03\x04broken".to_vec()).file_name("x.xlsx")),
            ),
            422,
            "Excel ファイル（xlsx）として読み取れません",
        ),
        (
            "oversized upload",
            client.post(app.url("/registers/information_assets/import")).multipart(
                reqwest::multipart::Form::new()
                    .text("csrf", csrf.clone())
                    .part("file", reqwest::multipart::Part::bytes(vec![b'a'; 1536 * 1024]).file_name("big.csv")),
            ),
            413,
            "大きすぎます",
        ),
    ];
    for (name, request, status, message) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{name}");
        let body = response.text().await.unwrap();
        assert!(body.contains(message), "{name}: message {message:?} in {}", &body[..body.len().min(300)]);
    }
    assert_eq!(app.store.journal_length(app.org_a).await.unwrap(), before, "nothing was written");
}
