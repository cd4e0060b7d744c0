use prm_shared::auth::Role;
use prm_tests::{TestApp, expect_json};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn a_request_without_a_token_is_401_problem_json() {
    let app = TestApp::spawn().await;
    for path in ["/v1/me", "/v1/partners", "/v1/partners/01ABC", "/v1/partners/01ABC/users"] {
        let res = app.req(Method::GET, path, None).send().await.unwrap();
        let body = expect_json(res, StatusCode::UNAUTHORIZED).await;
        assert_eq!(body["status"], 401, "{path}");
    }
}

#[tokio::test]
async fn a_tampered_or_foreign_token_is_401() {
    let app = TestApp::spawn().await;
    let user = app.user(Role::VendorAdmin, None).await;
    // Flip a character of the signature.
    let mut tampered = user.token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let res = app.http.get(format!("{}/v1/me", app.url)).bearer_auth(&tampered).send().await.unwrap();
    expect_json(res, StatusCode::UNAUTHORIZED).await;
    // A token of another user pool (same signing key in moto, other issuer).
    let other = TestApp::spawn().await;
    let stranger = other.user(Role::VendorAdmin, None).await;
    let res = app.http.get(format!("{}/v1/me", app.url)).bearer_auth(&stranger.token).send().await.unwrap();
    expect_json(res, StatusCode::UNAUTHORIZED).await;
    let res = app.http.get(format!("{}/v1/me", app.url)).bearer_auth("not-a-jwt").send().await.unwrap();
    expect_json(res, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn health_and_the_openapi_document_are_public() {
    let app = TestApp::spawn().await;
    let health = expect_json(app.req(Method::GET, "/v1/health", None).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(health["status"], "ok");
    let doc = expect_json(app.req(Method::GET, "/v1/openapi.json", None).send().await.unwrap(), StatusCode::OK).await;
    assert!(doc["paths"]["/v1/partners/{id}/users"]["post"].is_object());
}

#[tokio::test]
async fn me_describes_a_vendor_and_a_partner_user() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let me = expect_json(app.get("/v1/me", &admin).await, StatusCode::OK).await;
    assert_eq!(me["sub"], admin.sub.as_str());
    assert_eq!(me["email"], admin.email.as_str());
    assert_eq!(me["roles"], serde_json::json!(["vendor-admin"]));
    assert!(me["partner_id"].is_null() && me["partner"].is_null());

    let partner = app.create_partner(&admin, "Northwind", "gold", "NA").await;
    let pid = partner["id"].as_str().unwrap();
    let rep = app.user(Role::PartnerUser, Some(pid)).await;
    let me = expect_json(app.get("/v1/me", &rep).await, StatusCode::OK).await;
    assert_eq!(me["roles"], serde_json::json!(["partner-user"]));
    assert_eq!(me["partner_id"], pid);
    assert_eq!(me["partner"]["name"], "Northwind");
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    expect_json(app.get("/v1/nothing-here", &admin).await, StatusCode::NOT_FOUND).await;
}
