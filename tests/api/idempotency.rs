use prm_shared::auth::Role;
use prm_tests::{TestApp, expect_json, partner_body};
use reqwest::StatusCode;
use serde_json::Value;

async fn create_with_key(app: &TestApp, user: &prm_tests::TestUser, key: &str, body: &Value) -> reqwest::Response {
    app.req(reqwest::Method::POST, "/v1/partners", Some(user))
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn count(app: &TestApp, user: &prm_tests::TestUser) -> usize {
    let page: Value = app.get("/v1/partners?limit=100", user).await.json().await.unwrap();
    page["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_retried_create_gets_the_first_answer_and_creates_nothing_more() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let body = partner_body("Once Only", "gold", "NA");
    let first = create_with_key(&app, &admin, "create-once-1", &body).await;
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = expect_json(first, StatusCode::CREATED).await;
    let replay = create_with_key(&app, &admin, "create-once-1", &body).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(
        replay.headers()["location"].to_str().unwrap(),
        format!("/v1/partners/{}", first["id"].as_str().unwrap())
    );
    let replay = expect_json(replay, StatusCode::CREATED).await;
    assert_eq!(replay, first);
    assert_eq!(count(&app, &admin).await, 1);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    expect_json(create_with_key(&app, &admin, "k-422", &partner_body("A", "gold", "NA")).await, StatusCode::CREATED)
        .await;
    expect_json(
        create_with_key(&app, &admin, "k-422", &partner_body("B", "gold", "NA")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(count(&app, &admin).await, 1);
}

#[tokio::test]
async fn keys_belong_to_their_caller() {
    let app = TestApp::spawn().await;
    let a = app.user(Role::VendorAdmin, None).await;
    let b = app.user(Role::VendorAdmin, None).await;
    let body = partner_body("Shared Key", "gold", "NA");
    let x = expect_json(create_with_key(&app, &a, "same", &body).await, StatusCode::CREATED).await;
    let y = expect_json(create_with_key(&app, &b, "same", &body).await, StatusCode::CREATED).await;
    assert_ne!(x["id"], y["id"]);
    assert_eq!(count(&app, &a).await, 2);
}

#[tokio::test]
async fn concurrent_retries_create_one_partner() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let body = partner_body("Raced", "gold", "NA");
    let results = futures_join(&app, &admin, &body).await;
    let created: Vec<_> = results.iter().filter(|s| **s == 201).collect();
    assert!(!created.is_empty());
    assert!(results.iter().all(|s| *s == 201 || *s == 409), "{results:?}");
    assert_eq!(count(&app, &admin).await, 1);
}

async fn futures_join(app: &TestApp, admin: &prm_tests::TestUser, body: &Value) -> Vec<u16> {
    let (a, b, c, d, e) = tokio::join!(
        create_with_key(app, admin, "raced", body),
        create_with_key(app, admin, "raced", body),
        create_with_key(app, admin, "raced", body),
        create_with_key(app, admin, "raced", body),
        create_with_key(app, admin, "raced", body),
    );
    [a, b, c, d, e].iter().map(|r| r.status().as_u16()).collect()
}

#[tokio::test]
async fn a_malformed_key_is_400_naming_the_header() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let long = "k".repeat(300);
    let problem = expect_json(
        create_with_key(&app, &admin, &long, &partner_body("A", "gold", "NA")).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(count(&app, &admin).await, 0);
}
