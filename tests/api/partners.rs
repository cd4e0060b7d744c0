use std::collections::HashSet;

use prm_tests::{TestApp, TestUser, World, expect_json, partner_body, problem_fields};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn world() -> World {
    World::spawn().await
}

#[tokio::test]
async fn a_vendor_admin_creates_a_partner_that_starts_onboarding() {
    let w = world().await;
    let res = w.app.post("/v1/partners", &w.admin, &partner_body("Tailspin Toys", "Platinum", "emea")).await;
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let p = expect_json(res, StatusCode::CREATED).await;
    assert_eq!(p["status"], "onboarding");
    assert_eq!(p["tier"], "platinum");
    assert_eq!(p["type"], "reseller");
    assert_eq!(location, format!("/v1/partners/{}", p["id"].as_str().unwrap()));
    assert_eq!(p["id"].as_str().unwrap().len(), 26, "a ULID");
    let read = expect_json(w.app.get(&location, &w.manager).await, StatusCode::OK).await;
    assert_eq!(read, p);
}

#[tokio::test]
async fn only_a_vendor_admin_may_create_a_partner() {
    let w = world().await;
    for who in [&w.manager, &w.partner_admin, &w.partner_user] {
        let res = w.app.post("/v1/partners", who, &partner_body("X", "gold", "NA")).await;
        expect_json(res, StatusCode::FORBIDDEN).await;
    }
}

#[tokio::test]
async fn each_role_reads_its_own_partner_and_never_a_foreign_one() {
    let w = world().await;
    let missing = "01ZZZZZZZZZZZZZZZZZZZZZZZZ";
    let cases: [(&TestUser, &str, StatusCode); 12] = [
        (&w.admin, &w.own, StatusCode::OK),
        (&w.admin, &w.foreign, StatusCode::OK),
        (&w.admin, missing, StatusCode::NOT_FOUND),
        (&w.manager, &w.own, StatusCode::OK),
        (&w.manager, &w.foreign, StatusCode::OK),
        (&w.manager, missing, StatusCode::NOT_FOUND),
        (&w.partner_admin, &w.own, StatusCode::OK),
        (&w.partner_admin, &w.foreign, StatusCode::NOT_FOUND),
        (&w.partner_admin, missing, StatusCode::NOT_FOUND),
        (&w.partner_user, &w.own, StatusCode::OK),
        (&w.partner_user, &w.foreign, StatusCode::NOT_FOUND),
        (&w.partner_user, missing, StatusCode::NOT_FOUND),
    ];
    let mut not_found_bodies = HashSet::new();
    for (who, id, status) in cases {
        let body = expect_json(w.app.get(&format!("/v1/partners/{id}"), who).await, status).await;
        if status == StatusCode::NOT_FOUND {
            not_found_bodies.insert(body.to_string());
            assert!(!body.to_string().contains("Foreign Partner"));
        } else {
            assert_eq!(body["id"], id);
        }
    }
    // Ids no object can have (too long for a key, odd characters) are missing too.
    for odd in ["x".repeat(3000), "a%20b".to_owned()] {
        let body = expect_json(w.app.get(&format!("/v1/partners/{odd}"), &w.admin).await, StatusCode::NOT_FOUND).await;
        not_found_bodies.insert(body.to_string());
        expect_json(
            w.app.patch(&format!("/v1/partners/{odd}"), &w.admin, &json!({"name": "x"})).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        expect_json(w.app.get(&format!("/v1/partners/{odd}/users"), &w.admin).await, StatusCode::NOT_FOUND).await;
    }
    assert_eq!(not_found_bodies.len(), 1, "foreign and missing partners answer byte for byte alike");
}

#[tokio::test]
async fn only_vendor_roles_list_partners() {
    let w = world().await;
    for who in [&w.partner_admin, &w.partner_user] {
        expect_json(w.app.get("/v1/partners", who).await, StatusCode::FORBIDDEN).await;
    }
    for who in [&w.admin, &w.manager] {
        let page = expect_json(w.app.get("/v1/partners", who).await, StatusCode::OK).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        assert!(page["next_cursor"].is_null());
    }
}

async fn all_pages(app: &TestApp, user: &TestUser, base: &str, limit: usize) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let sep = if base.contains('?') { '&' } else { '?' };
        let mut url = format!("{base}{sep}limit={limit}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = expect_json(app.get(&url, user).await, StatusCode::OK).await;
        let got = page["items"].as_array().unwrap();
        assert!(got.len() <= limit);
        items.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
    panic!("pagination did not end");
}

#[tokio::test]
async fn partners_are_listed_by_filter_in_pages_without_gaps_or_repeats() {
    let w = world().await;
    for (i, (tier, region)) in
        [("gold", "EMEA"), ("gold", "emea"), ("gold", "NA"), ("silver", "EMEA"), ("registered", "APAC")]
            .iter()
            .enumerate()
    {
        w.app.create_partner(&w.admin, &format!("P{i}"), tier, region).await;
    }
    // 7 partners in all: own (gold, EMEA), foreign (silver, NA) and the five above.
    let all = all_pages(&w.app, &w.manager, "/v1/partners", 2).await;
    let ids: HashSet<_> = all.iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!((all.len(), ids.len()), (7, 7));

    let gold = all_pages(&w.app, &w.admin, "/v1/partners?tier=gold", 2).await;
    assert_eq!(gold.len(), 4);
    assert!(gold.iter().all(|p| p["tier"] == "gold"));

    let emea = all_pages(&w.app, &w.admin, "/v1/partners?region=Emea", 1).await;
    assert_eq!(emea.len(), 4, "regions match case-insensitively");

    let gold_emea = all_pages(&w.app, &w.admin, "/v1/partners?tier=gold&region=EMEA", 1).await;
    assert_eq!(gold_emea.len(), 3);

    let onboarding = all_pages(&w.app, &w.admin, "/v1/partners?status=onboarding&tier=silver", 1).await;
    assert_eq!(onboarding.len(), 2);
    let active = all_pages(&w.app, &w.admin, "/v1/partners?status=active", 3).await;
    assert!(active.is_empty());
}

#[tokio::test]
async fn bad_filters_limits_and_cursors_are_400_naming_them() {
    let w = world().await;
    let long_region = format!("/v1/partners?region={}", "r".repeat(3000));
    for (url, field) in [
        ("/v1/partners?tier=diamond", "tier"),
        ("/v1/partners?status=gone", "status"),
        ("/v1/partners?limit=0", "limit"),
        ("/v1/partners?limit=101", "limit"),
        ("/v1/partners?limit=abc", "limit"),
        ("/v1/partners?cursor=forged", "cursor"),
        (long_region.as_str(), "region"),
    ] {
        let body = expect_json(w.app.get(url, &w.admin).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(problem_fields(&body), vec![field], "{url}");
    }
    // A genuine cursor of one list is refused by another.
    w.app.create_partner(&w.admin, "Third", "gold", "NA").await;
    let page = expect_json(w.app.get("/v1/partners?limit=1", &w.admin).await, StatusCode::OK).await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let body = expect_json(
        w.app.get(&format!("/v1/partners?tier=gold&limit=1&cursor={cursor}"), &w.admin).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem_fields(&body), vec!["cursor"]);
    // And a cursor of one partner's user list is refused for another partner's.
    for n in 0..2 {
        let invite = json!({"email": format!("rep{n}-{}@own.example.com", w.own.to_lowercase()), "name": "Rep", "role": "partner-user"});
        expect_json(w.app.post(&format!("/v1/partners/{}/users", w.own), &w.admin, &invite).await, StatusCode::CREATED)
            .await;
    }
    let users =
        expect_json(w.app.get(&format!("/v1/partners/{}/users?limit=1", w.own), &w.admin).await, StatusCode::OK).await;
    assert!(users["next_cursor"].is_string(), "two users, one per page");
    let cursor = users["next_cursor"].as_str().unwrap();
    let body = expect_json(
        w.app.get(&format!("/v1/partners/{}/users?cursor={cursor}", w.foreign), &w.admin).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem_fields(&body), vec!["cursor"]);
}

#[tokio::test]
async fn a_vendor_admin_changes_any_field_and_the_lists_follow() {
    let w = world().await;
    let p = expect_json(
        w.app
            .patch(&format!("/v1/partners/{}", w.foreign), &w.admin, &json!({"tier": "platinum", "status": "active"}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (p["tier"].as_str(), p["status"].as_str(), p["version"].as_u64()),
        (Some("platinum"), Some("active"), Some(2))
    );
    let silver = expect_json(w.app.get("/v1/partners?tier=silver", &w.admin).await, StatusCode::OK).await;
    assert!(silver["items"].as_array().unwrap().is_empty());
    let platinum =
        expect_json(w.app.get("/v1/partners?tier=platinum&status=active", &w.admin).await, StatusCode::OK).await;
    assert_eq!(platinum["items"][0]["id"], w.foreign.as_str());
}

#[tokio::test]
async fn a_partner_admin_edits_only_its_own_profile_fields() {
    let w = world().await;
    let path = format!("/v1/partners/{}", w.own);
    let p = expect_json(
        w.app.patch(&path, &w.partner_admin, &json!({"name": "Own Partner GmbH", "specialties": ["security"]})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(p["name"], "Own Partner GmbH");
    assert_eq!(p["specialties"], json!(["security"]));

    let body =
        expect_json(w.app.patch(&path, &w.partner_admin, &json!({"tier": "platinum"})).await, StatusCode::BAD_REQUEST)
            .await;
    assert_eq!(problem_fields(&body), vec!["tier"]);
    let body = expect_json(
        w.app.patch(&path, &w.partner_admin, &json!({"status": "active", "name": "Y"})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem_fields(&body), vec!["status"]);
    // Nothing of the refused requests was written.
    let read = expect_json(w.app.get(&path, &w.admin).await, StatusCode::OK).await;
    assert_eq!(
        (read["tier"].as_str(), read["status"].as_str(), read["name"].as_str()),
        (Some("gold"), Some("onboarding"), Some("Own Partner GmbH"))
    );

    expect_json(
        w.app.patch(&format!("/v1/partners/{}", w.foreign), &w.partner_admin, &json!({"name": "Hijacked"})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    for who in [&w.partner_user, &w.manager] {
        expect_json(w.app.patch(&path, who, &json!({"name": "Nope"})).await, StatusCode::FORBIDDEN).await;
    }
    let foreign = expect_json(w.app.get(&format!("/v1/partners/{}", w.foreign), &w.admin).await, StatusCode::OK).await;
    assert_eq!(foreign["name"], "Foreign Partner");
}

#[tokio::test]
async fn patching_a_missing_partner_is_404() {
    let w = world().await;
    expect_json(
        w.app.patch("/v1/partners/01ZZZZZZZZZZZZZZZZZZZZZZZZ", &w.admin, &json!({"name": "x"})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn concurrent_patches_of_different_fields_all_land() {
    let w = world().await;
    let path = format!("/v1/partners/{}", w.foreign);
    let (x, y, z) = (json!({"name": "Renamed"}), json!({"country": "FR"}), json!({"specialties": ["iot"]}));
    let (a, b, c) = tokio::join!(
        w.app.patch(&path, &w.admin, &x),
        w.app.patch(&path, &w.admin, &y),
        w.app.patch(&path, &w.admin, &z)
    );
    for r in [a, b, c] {
        assert_eq!(r.status(), StatusCode::OK);
    }
    let p = expect_json(w.app.get(&path, &w.admin).await, StatusCode::OK).await;
    assert_eq!(
        (p["name"].as_str(), p["country"].as_str(), p["version"].as_u64()),
        (Some("Renamed"), Some("FR"), Some(4))
    );
    assert_eq!(p["specialties"], json!(["iot"]));
}
