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
