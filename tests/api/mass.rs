//! Mass assignment: bodies that carry fields the caller may not set
//! (`partner_id`, `status`, `tier`, `approved_amount`, `owner`, a vendor role)
//! are refused with a 400 naming the field, and reading back shows nothing
//! changed.

use prm_shared::auth::Role;
use prm_tests::{TestApp, TestUser, expect_json, problem_fields};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct World {
    app: TestApp,
    admin: TestUser,
    a: String,
    b: String,
    a_admin: TestUser,
    a_user: TestUser,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let a = app.create_partner(&admin, "Alpha", "silver", "NA").await["id"].as_str().unwrap().to_owned();
    let b = app.create_partner(&admin, "Beta", "gold", "NA").await["id"].as_str().unwrap().to_owned();
    let a_admin = app.user(Role::PartnerAdmin, Some(&a)).await;
    let a_user = app.user(Role::PartnerUser, Some(&a)).await;
    World { app, admin, a, b, a_admin, a_user }
}

fn with(mut body: Value, extra: &[(&str, Value)]) -> Value {
    for (k, v) in extra {
        body[*k] = v.clone();
    }
    body
}

fn deal() -> Value {
    prm_tests::deal_body("Mass assignment", "Mass Inc", "mass-assignment.com")
}

fn fund_request() -> Value {
    json!({
        "period": "2026-H2", "activity_type": "event", "title": "Booth", "description": "Trade show",
        "start_date": "2026-09-01", "end_date": "2026-09-03",
        "requested_amount": {"amount_minor": 1_000, "currency": "USD"},
        "expected": {"leads": 1, "pipeline": {"amount_minor": 1, "currency": "USD"}}
    })
}

#[tokio::test]
async fn a_partner_cannot_set_ownership_or_state_of_a_registration() {
    let w = world().await;
    for (field, value) in [
        ("partner_id", json!(w.b)),
        ("status", json!("approved")),
        ("owner", json!("someone-else")),
        ("protection_expires_at", json!("2030-01-01T00:00:00Z")),
        ("registered_by", json!("another-sub")),
    ] {
        let res = w.app.post("/v1/deals", &w.a_user, &with(deal(), &[(field, value)])).await;
        let problem = expect_json(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(problem_fields(&problem), vec![field.to_owned()], "{problem}");
    }
    let mine = expect_json(w.app.get("/v1/deals", &w.a_user).await, StatusCode::OK).await;
    assert!(mine["items"].as_array().unwrap().is_empty(), "nothing was registered: {mine}");
    let theirs = expect_json(w.app.get(&format!("/v1/deals?partner_id={}", w.b), &w.admin).await, StatusCode::OK).await;
    assert!(theirs["items"].as_array().unwrap().is_empty(), "nothing landed on B: {theirs}");
    // The clean body is registered for the caller's own partner, submitted.
    let d = expect_json(w.app.post("/v1/deals", &w.a_user, &deal()).await, StatusCode::CREATED).await;
    assert_eq!((d["partner_id"].as_str(), d["status"].as_str()), (Some(w.a.as_str()), Some("submitted")));
}

#[tokio::test]
async fn a_partner_admin_cannot_change_its_tier_or_status_and_a_vendor_admin_can() {
    let w = world().await;
    let path = format!("/v1/partners/{}", w.a);
    for body in [json!({"tier": "platinum"}), json!({"status": "active"}), json!({"name": "Alpha", "tier": "gold"})] {
        let res = w.app.patch(&path, &w.a_admin, &body).await;
        assert!(matches!(res.status().as_u16(), 400 | 403), "{body}: {}", res.status());
    }
    let p = expect_json(w.app.get(&path, &w.a_admin).await, StatusCode::OK).await;
    assert_eq!(
        (p["tier"].as_str(), p["status"].as_str(), p["name"].as_str()),
        (Some("silver"), Some("onboarding"), Some("Alpha"))
    );
    // Its own profile fields it may change.
    let renamed =
        expect_json(w.app.patch(&path, &w.a_admin, &json!({"name": "Alpha Renamed"})).await, StatusCode::OK).await;
    assert_eq!(renamed["name"], "Alpha Renamed");
    assert_eq!(renamed["tier"], "silver");
    let moved = expect_json(w.app.patch(&path, &w.admin, &json!({"tier": "gold"})).await, StatusCode::OK).await;
    assert_eq!(moved["tier"], "gold");
    // Nobody sets an id or the creation time.
    let bad = expect_json(w.app.patch(&path, &w.admin, &json!({"id": w.b})).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem_fields(&bad), vec!["id"]);
}

#[tokio::test]
async fn a_partner_admin_invites_only_partner_roles_into_its_own_partner() {
    let w = world().await;
    let path = format!("/v1/partners/{}/users", w.a);
    for role in ["vendor-admin", "channel-manager"] {
        let body = json!({"email": format!("{role}@alpha.example.com"), "name": "X", "role": role});
        let problem = expect_json(w.app.post(&path, &w.a_admin, &body).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(problem_fields(&problem), vec!["role"], "{problem}");
    }
    let body = json!({"email": "x@alpha.example.com", "name": "X", "role": "partner-user", "partner_id": w.b});
    let problem = expect_json(w.app.post(&path, &w.a_admin, &body).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem_fields(&problem), vec!["partner_id"], "{problem}");
    let users = expect_json(w.app.get(&path, &w.a_admin).await, StatusCode::OK).await;
    let emails: Vec<&str> = users["items"].as_array().unwrap().iter().filter_map(|u| u["email"].as_str()).collect();
    assert!(emails.iter().all(|e| !e.ends_with("@alpha.example.com")), "nobody was invited: {emails:?}");
}

#[tokio::test]
async fn a_partner_cannot_approve_its_own_funds_or_claim_them_paid() {
    let w = world().await;
    let allocation =
        json!({"partner_id": w.a, "period": "2026-H2", "amount": {"amount_minor": 100_000, "currency": "USD"}});
    expect_json(w.app.post("/v1/mdf/allocations", &w.admin, &allocation).await, StatusCode::CREATED).await;
    for (field, value) in [
        ("approved_amount", json!({"amount_minor": 1_000, "currency": "USD"})),
        ("status", json!("approved")),
        ("partner_id", json!(w.b)),
    ] {
        let res = w.app.post("/v1/mdf/requests", &w.a_user, &with(fund_request(), &[(field, value)])).await;
        let problem = expect_json(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(problem_fields(&problem), vec![field.to_owned()], "{problem}");
    }
    let listed = expect_json(w.app.get("/v1/mdf/requests", &w.a_user).await, StatusCode::OK).await;
    assert!(listed["items"].as_array().unwrap().is_empty());
    let r = expect_json(w.app.post("/v1/mdf/requests", &w.a_user, &fund_request()).await, StatusCode::CREATED).await;
    assert_eq!(r["status"], "submitted");
    let rid = r["id"].as_str().unwrap();
    expect_json(w.app.post(&format!("/v1/mdf/requests/{rid}/approve"), &w.admin, &json!({})).await, StatusCode::OK)
        .await;
    let claim = json!({
        "amount": {"amount_minor": 500, "currency": "USD"},
        "results": {"leads": 1, "attendees": 5, "pipeline": {"amount_minor": 1, "currency": "USD"}},
        "proofs": [{"name": "proof.pdf", "content_type": "application/pdf", "size_bytes": 10}],
        "status": "paid"
    });
    let problem = expect_json(
        w.app.post(&format!("/v1/mdf/requests/{rid}/claims"), &w.a_user, &claim).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem_fields(&problem), vec!["status"]);
    let balances = expect_json(w.app.get("/v1/mdf/allocations", &w.a_user).await, StatusCode::OK).await;
    assert_eq!((balances["reserved"].as_i64(), balances["claimed"].as_i64()), (Some(1_000), Some(0)), "{balances}");
}
