use std::collections::BTreeSet;

use prm_shared::auth::Role;
use prm_tests::{TestApp, TestUser, expect_json, problem_fields};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct World {
    app: TestApp,
    vendor: TestUser,
    gold_na: TestUser,
    silver_emea: TestUser,
    gold_na_id: String,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let vendor = app.user(Role::ChannelManager, None).await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let a = app.create_partner(&admin, "Gold NA", "gold", "NA").await["id"].as_str().unwrap().to_owned();
    let b = app.create_partner(&admin, "Silver EMEA", "silver", "EMEA").await["id"].as_str().unwrap().to_owned();
    let gold_na = app.user(Role::PartnerUser, Some(&a)).await;
    let silver_emea = app.user(Role::PartnerAdmin, Some(&b)).await;
    World { app, vendor, gold_na, silver_emea, gold_na_id: a }
}

const PDF: &[u8] = b"%PDF-1.7\n% partner playbook\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

fn asset_body(title: &str, visibility: Value, size: usize) -> Value {
    json!({
        "title": title, "description": "Positioning and objection handling", "kind": "document",
        "tags": ["Security", "playbook"], "visibility": visibility,
        "file": {"name": "playbook.pdf", "content_type": "application/pdf", "size_bytes": size}
    })
}

/// Uploads `bytes` with the presigned PUT, sending its signed headers (and `content_type`).
async fn upload(app: &TestApp, created: &Value, bytes: &[u8], content_type: &str) -> StatusCode {
    let up = &created["upload"];
    let mut put = app.http.put(up["url"].as_str().unwrap()).body(bytes.to_vec());
    for (k, v) in up["headers"].as_object().unwrap() {
        if k != "content-length" && k != "content-type" {
            put = put.header(k.as_str(), v.as_str().unwrap());
        }
    }
    put.header("content-type", content_type).send().await.unwrap().status()
}

async fn published(w: &World, title: &str, visibility: Value) -> String {
    let created = expect_json(
        w.app.post("/v1/assets", &w.vendor, &asset_body(title, visibility, PDF.len())).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(upload(&w.app, &created, PDF, "application/pdf").await.is_success());
    let id = created["asset"]["id"].as_str().unwrap().to_owned();
    expect_json(w.app.post(&format!("/v1/assets/{id}/publish"), &w.vendor, &json!({})).await, StatusCode::OK).await;
    id
}

#[tokio::test]
async fn a_visible_partner_downloads_the_uploaded_bytes_and_others_get_404() {
    let w = world().await;
    let bad = expect_json(
        w.app
            .post(
                "/v1/assets",
                &w.vendor,
                &json!({"title": "x", "kind": "poster", "visibility": {"tiers": ["diamond"]},
            "file": {"name": "x.exe", "content_type": "application/x-msdownload", "size_bytes": 200_000_000u64}}),
            )
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem_fields(&bad), vec!["kind", "visibility.tiers[0]", "file.content_type", "file.size_bytes"]);
    expect_json(w.app.post("/v1/assets", &w.gold_na, &asset_body("x", json!({}), 10)).await, StatusCode::FORBIDDEN)
        .await;

    let created = expect_json(
        w.app
            .post(
                "/v1/assets",
                &w.vendor,
                &asset_body("Gold playbook", json!({"tiers": ["gold"], "regions": ["na"]}), PDF.len()),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["asset"]["id"].as_str().unwrap().to_owned();
    let key = created["upload"]["headers"].as_object().unwrap();
    assert_eq!(key["content-type"], "application/pdf");
    assert!(!created["file_version"]["key"].as_str().unwrap().contains("playbook"), "the key is not the file name");
    // A draft is invisible to partners, and cannot be published before its file is there.
    expect_json(w.app.get(&format!("/v1/assets/{id}"), &w.gold_na).await, StatusCode::NOT_FOUND).await;
    expect_json(w.app.post(&format!("/v1/assets/{id}/publish"), &w.vendor, &json!({})).await, StatusCode::CONFLICT)
        .await;
    // Uploaded with another content type than signed: refused at publish.
    upload(&w.app, &created, PDF, "text/plain").await;
    let wrong =
        expect_json(w.app.post(&format!("/v1/assets/{id}/publish"), &w.vendor, &json!({})).await, StatusCode::CONFLICT)
            .await;
    assert!(wrong["detail"].as_str().unwrap().contains("text/plain"), "{wrong}");
    assert!(upload(&w.app, &created, PDF, "application/pdf").await.is_success());
    let live =
        expect_json(w.app.post(&format!("/v1/assets/{id}/publish"), &w.vendor, &json!({})).await, StatusCode::OK).await;
    assert_eq!(live["status"], "published");

    let seen = expect_json(w.app.get(&format!("/v1/assets/{id}"), &w.gold_na).await, StatusCode::OK).await;
    assert_eq!(seen["title"], "Gold playbook");
    let list = expect_json(w.app.get("/v1/assets?tag=security&kind=document", &w.gold_na).await, StatusCode::OK).await;
    assert_eq!(list["items"][0]["id"], id.as_str());
    let dl =
        expect_json(w.app.post(&format!("/v1/assets/{id}/download"), &w.gold_na, &json!({})).await, StatusCode::OK)
            .await;
    let bytes = w.app.http.get(dl["url"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(bytes.as_ref(), PDF, "the same bytes");

    // Outside the visibility: 404 on get, download and share, and absent from the list.
    for res in [
        w.app.get(&format!("/v1/assets/{id}"), &w.silver_emea).await,
        w.app.post(&format!("/v1/assets/{id}/download"), &w.silver_emea, &json!({})).await,
        w.app.post(&format!("/v1/assets/{id}/shares"), &w.silver_emea, &json!({})).await,
    ] {
        expect_json(res, StatusCode::NOT_FOUND).await;
    }
    let none = expect_json(w.app.get("/v1/assets", &w.silver_emea).await, StatusCode::OK).await;
    assert!(none["items"].as_array().unwrap().is_empty());

    let counts = expect_json(w.app.get(&format!("/v1/assets/{id}/downloads"), &w.vendor).await, StatusCode::OK).await;
    assert_eq!(counts["total"], 1);
    assert_eq!(counts["by_partner"][0], json!({"partner_id": w.gold_na_id, "download_count": 1}));
    expect_json(w.app.get(&format!("/v1/assets/{id}/downloads"), &w.gold_na).await, StatusCode::FORBIDDEN).await;

    // A new version keeps the old one; downloads serve the newest uploaded.
    let v2 = expect_json(
        w.app
            .post(
                &format!("/v1/assets/{id}/versions"),
                &w.vendor,
                &json!({"file": {"name": "playbook-2.pdf", "content_type": "application/pdf", "size_bytes": 9}}),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let still_v1 =
        expect_json(w.app.post(&format!("/v1/assets/{id}/download"), &w.gold_na, &json!({})).await, StatusCode::OK)
            .await;
    assert_eq!(still_v1["version"], 1, "version 2 is not uploaded yet");
    assert!(upload(&w.app, &v2, b"%PDF-v2!!", "application/pdf").await.is_success());
    let now_v2 =
        expect_json(w.app.post(&format!("/v1/assets/{id}/download"), &w.gold_na, &json!({})).await, StatusCode::OK)
            .await;
    assert_eq!(now_v2["version"], 2);
    let old = expect_json(
        w.app.post(&format!("/v1/assets/{id}/download"), &w.gold_na, &json!({"version": 1})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(old["version"], 1);
    let versions = expect_json(w.app.get(&format!("/v1/assets/{id}/versions"), &w.gold_na).await, StatusCode::OK).await;
    assert_eq!(versions.as_array().unwrap().len(), 2);
    // Partners see what changed, not object keys or who on the vendor's staff uploaded.
    for v in versions.as_array().unwrap() {
        assert!(v.get("key").is_none() && v.get("created_by").is_none(), "{v}");
    }
    let staff = expect_json(w.app.get(&format!("/v1/assets/{id}/versions"), &w.vendor).await, StatusCode::OK).await;
    assert!(staff[0]["key"].is_string() && staff[0]["created_by"].is_string(), "{staff}");

    // Unpublished: gone for partners.
    expect_json(w.app.post(&format!("/v1/assets/{id}/unpublish"), &w.vendor, &json!({})).await, StatusCode::OK).await;
    expect_json(w.app.get(&format!("/v1/assets/{id}"), &w.gold_na).await, StatusCode::NOT_FOUND).await;
    let gone = expect_json(w.app.get("/v1/assets", &w.gold_na).await, StatusCode::OK).await;
    assert!(gone["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_share_link_works_without_signing_in_until_revoked() {
    let w = world().await;
    let id = published(&w, "Datasheet", json!({})).await;
    let share = expect_json(
        w.app.post(&format!("/v1/assets/{id}/shares"), &w.gold_na, &json!({"expires_in_days": 3})).await,
        StatusCode::CREATED,
    )
    .await;
    let path = share["url"].as_str().unwrap().split_once("/v1/s/").map(|(_, t)| format!("/v1/s/{t}")).unwrap();
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = no_redirects.get(format!("{}{path}", w.app.url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let bytes = w.app.http.get(&location).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(bytes.as_ref(), PDF);
    let forged = no_redirects.get(format!("{}/v1/s/{}", w.app.url, "ab".repeat(32))).send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);

    let listed = expect_json(w.app.get(&format!("/v1/assets/{id}/shares"), &w.vendor).await, StatusCode::OK).await;
    assert_eq!(
        (listed["items"][0]["open_count"].as_u64(), listed["items"][0]["id"].clone()),
        (Some(1), share["id"].clone())
    );
    let theirs = expect_json(w.app.get(&format!("/v1/assets/{id}/shares"), &w.silver_emea).await, StatusCode::OK).await;
    assert!(theirs["items"].as_array().unwrap().is_empty(), "a partner sees only its own shares");
    let sid = share["id"].as_str().unwrap();
    let revoke = |who: &TestUser| w.app.req(reqwest::Method::DELETE, &format!("/v1/shares/{sid}"), Some(who)).send();
    expect_json(revoke(&w.silver_emea).await.unwrap(), StatusCode::NOT_FOUND).await;
    let revoked = expect_json(revoke(&w.vendor).await.unwrap(), StatusCode::OK).await;
    assert!(revoked["revoked_at"].is_string());
    let after = no_redirects.get(format!("{}{path}", w.app.url)).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pages_return_every_visible_asset_exactly_once() {
    let w = world().await;
    let mut visible = BTreeSet::new();
    let rules = [
        json!({}),
        json!({"tiers": ["gold"]}),
        json!({"tiers": ["silver"]}),
        json!({"regions": ["NA"], "partner_types": ["reseller"]}),
        json!({"regions": ["EMEA"]}),
        json!({"partner_ids": [w.gold_na_id]}),
        json!({"tiers": ["gold", "platinum"], "regions": ["na", "latam"]}),
    ];
    for i in 0..21 {
        let rule = rules[i % rules.len()].clone();
        let allowed = !matches!(i % rules.len(), 2 | 4);
        let id = published(&w, &format!("Asset {i}"), rule).await;
        if allowed {
            visible.insert(id);
        }
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/assets?limit=4&cursor={c}"),
            None => "/v1/assets?limit=4".to_owned(),
        };
        let page = expect_json(w.app.get(&path, &w.gold_na).await, StatusCode::OK).await;
        seen.extend(page["items"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no asset twice: {seen:?}");
    assert_eq!(unique, visible);
    let bad = expect_json(w.app.get("/v1/assets?kind=poster", &w.gold_na).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem_fields(&bad), vec!["kind"]);
}

#[tokio::test]
async fn announcements_follow_the_same_visibility() {
    let w = world().await;
    for (title, visibility) in [
        ("Everyone", json!({})),
        ("Silver only", json!({"tiers": ["silver"]})),
        ("Gold NA", json!({"tiers": ["gold"], "regions": ["NA"]})),
    ] {
        let body = json!({"title": title, "body": "**News**", "visibility": visibility});
        expect_json(w.app.post("/v1/announcements", &w.vendor, &body).await, StatusCode::CREATED).await;
    }
    let titles = |v: &Value| {
        v["items"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let gold = expect_json(w.app.get("/v1/announcements", &w.gold_na).await, StatusCode::OK).await;
    assert_eq!(titles(&gold), vec!["Gold NA", "Everyone"]);
    assert!(gold["items"][0].get("visibility").is_none(), "partners do not see the rules");
    let silver = expect_json(w.app.get("/v1/announcements", &w.silver_emea).await, StatusCode::OK).await;
    assert_eq!(titles(&silver), vec!["Silver only", "Everyone"]);
    let all = expect_json(w.app.get("/v1/announcements", &w.vendor).await, StatusCode::OK).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 3);
    expect_json(
        w.app.post("/v1/announcements", &w.gold_na, &json!({"title": "x", "body": "y"})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}
