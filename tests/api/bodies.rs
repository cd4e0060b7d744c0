use prm_shared::auth::Role;
use prm_tests::{TestApp, expect_json, partner_body, problem_fields};
use reqwest::StatusCode;
use serde_json::Value;

async fn post_raw(app: &TestApp, token: &str, path: &str, content_type: &str, body: String) -> reqwest::Response {
    app.http
        .post(format!("{}{path}", app.url))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn partner_count(app: &TestApp, token: &prm_tests::TestUser) -> usize {
    let page: Value = app.get("/v1/partners?limit=100", token).await.json().await.unwrap();
    page["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn bad_bodies_are_400_problems_naming_the_field_and_write_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let mut unknown = partner_body("X", "gold", "NA");
    unknown["status"] = "active".into();
    let mut missing = partner_body("X", "gold", "NA");
    missing.as_object_mut().unwrap().remove("contact_email");
    let mut oversized = partner_body("X", "gold", "NA");
    oversized["name"] = "N".repeat(10_000).into();
    let mut wrong_type = partner_body("X", "gold", "NA");
    wrong_type["specialties"] = serde_json::json!("cloud");
    let mut bad_email = partner_body("X", "gold", "NA");
    bad_email["contact_email"] = "not-an-email".into();
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("{\"name\": \"X\",".into(), vec!["body"]),
        ("[]".into(), vec!["body"]),
        (unknown.to_string(), vec!["status"]),
        (missing.to_string(), vec!["contact_email"]),
        (oversized.to_string(), vec!["name"]),
        (wrong_type.to_string(), vec!["specialties"]),
        (bad_email.to_string(), vec!["contact_email"]),
    ];
    for (body, fields) in cases {
        let res = post_raw(&app, &admin.token, "/v1/partners", "application/json", body.clone()).await;
        let problem = expect_json(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(problem_fields(&problem), fields, "body {}", &body[..body.len().min(80)]);
        assert_eq!(problem["status"], 400);
        assert!(problem["type"].is_string() && problem["title"].is_string() && problem["detail"].is_string());
    }
    assert_eq!(partner_count(&app, &admin).await, 0, "no partner was written");
}

#[tokio::test]
async fn an_oversized_body_is_413_and_a_non_json_body_is_415() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let mut huge = partner_body("X", "gold", "NA");
    huge["name"] = "N".repeat(200_000).into();
    let res = post_raw(&app, &admin.token, "/v1/partners", "application/json", huge.to_string()).await;
    expect_json(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    let res =
        post_raw(&app, &admin.token, "/v1/partners", "text/plain", partner_body("X", "gold", "NA").to_string()).await;
    expect_json(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert_eq!(partner_count(&app, &admin).await, 0);
}

/// 10 MB to every kind of route, with and without an Idempotency-Key: a 413
/// problem each time, and the server goes on answering.
#[tokio::test]
async fn a_ten_megabyte_body_is_413_everywhere_and_nothing_breaks() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let p = app.create_partner(&admin, "Big", "gold", "NA").await["id"].as_str().unwrap().to_owned();
    let seller = app.user(Role::PartnerUser, Some(&p)).await;
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(10 * 1024 * 1024));
    for (method, path, who) in [
        (reqwest::Method::POST, "/v1/partners".to_owned(), &admin),
        (reqwest::Method::PATCH, format!("/v1/partners/{p}"), &admin),
        (reqwest::Method::POST, "/v1/deals".to_owned(), &seller),
        (reqwest::Method::POST, "/v1/mdf/requests".to_owned(), &seller),
        (reqwest::Method::POST, "/v1/mdf/allocations".to_owned(), &admin),
        (reqwest::Method::PUT, "/v1/program/tiers".to_owned(), &admin),
        (reqwest::Method::POST, "/v1/courses".to_owned(), &admin),
    ] {
        for key in [None, Some("big-body")] {
            let mut req = app.req(method.clone(), &path, Some(who)).header("content-type", "application/json");
            if let Some(k) = key {
                req = req.header("Idempotency-Key", k);
            }
            let res = req.body(big.clone()).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE, "{method} {path} (key {key:?})");
            assert_eq!(res.headers()["content-type"], "application/problem+json");
        }
    }
    expect_json(app.get(&format!("/v1/partners/{p}"), &admin).await, StatusCode::OK).await;
    assert_eq!(partner_count(&app, &admin).await, 1);
}

#[tokio::test]
async fn every_invalid_field_of_an_invitation_is_named_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let p = app.create_partner(&admin, "P", "gold", "NA").await;
    let body = serde_json::json!({"email": "nope", "name": "", "role": "boss"});
    let res = app.post(&format!("/v1/partners/{}/users", p["id"].as_str().unwrap()), &admin, &body).await;
    let problem = expect_json(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem_fields(&problem), vec!["email", "name", "role"]);
}

/// Found by the contract fuzzing: an enum filter sent empty was read as "no
/// filter", which the OpenAPI document does not allow.
#[tokio::test]
async fn an_empty_choice_in_a_query_is_400_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    for (path, field) in [
        ("/v1/leads?status=", "status"),
        ("/v1/deals?status=", "status"),
        ("/v1/mdf/allocations?fund_type=", "fund_type"),
        ("/v1/mdf/requests?status=", "status"),
        ("/v1/partners?tier=", "tier"),
        ("/v1/partners?status=", "status"),
        ("/v1/assets?kind=", "kind"),
        ("/v1/courses?status=", "status"),
        ("/v1/program/tier-proposals?status=", "status"),
        ("/v1/reports/program?format=", "format"),
        ("/v1/reports/program?format=csv&list=", "list"),
    ] {
        let problem = expect_json(app.get(path, &admin).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(problem_fields(&problem), vec![field.to_owned()], "{path}: {problem}");
    }
    // An empty partner_id is still "no partner filter".
    expect_json(app.get("/v1/deals?partner_id=", &admin).await, StatusCode::OK).await;
}

/// Found by the contract fuzzing: an address Cognito refuses as a username was a 500.
#[tokio::test]
async fn an_address_the_directory_refuses_is_400_naming_email_and_claims_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let p = app.create_partner(&admin, "Directory", "gold", "NA").await["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/partners/{p}/users");
    let odd = serde_json::json!({"email": "'@refused.example.dev", "name": "Odd", "role": "partner-user"});
    for _ in 0..2 {
        // Twice: the first refusal released its claim on the address (no 409 the second time).
        let problem = expect_json(app.post(&path, &admin, &odd).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(problem_fields(&problem), vec!["email"], "{problem}");
    }
    let users = expect_json(app.get(&path, &admin).await, StatusCode::OK).await;
    assert!(users["items"].as_array().unwrap().is_empty(), "{users}");
}
