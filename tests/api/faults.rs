//! Fault injection end to end: the platform on a DynamoDB Local of the test's
//! own (the shared one serves the other tests), frozen (SIGSTOP) in the
//! middle of requests and then stopped. Attempts
//! that time out are retried, a write that landed before its answer was lost
//! is recognized, a client retry with the same key never doubles anything,
//! and a table that stays down is a 503 to retry, never a crash.

use std::time::Duration;

use prm_shared::auth::Role;
use prm_tests::{OwnDynamoDb, TestApp, TestUser, expect_json};
use reqwest::{Method, StatusCode};
use serde_json::Value;

fn deal() -> Value {
    prm_tests::deal_body("Frozen table", "Frozen Inc", "frozen-table.com")
}

/// POSTs with `key` until the answer is final, as a client does: on a 503 or
/// a 409 "still being processed" it waits `Retry-After` and sends the same
/// request again. The answers seen, the last one final.
async fn post_until_final(app: &TestApp, user: &TestUser, path: &str, key: &str, body: &Value) -> Vec<(u16, Value)> {
    let mut seen = Vec::new();
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(45) {
        let res =
            app.req(Method::POST, path, Some(user)).header("Idempotency-Key", key).json(body).send().await.unwrap();
        let status = res.status().as_u16();
        let wait = res.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let v: Value = res.json().await.unwrap_or(Value::Null);
        seen.push((status, v));
        let Some(wait) = wait.filter(|_| matches!(status, 409 | 503)) else { return seen };
        tokio::time::sleep(Duration::from_secs(wait)).await;
    }
    seen
}

#[tokio::test]
async fn a_frozen_table_delays_writes_that_then_land_exactly_once_and_a_dead_one_is_a_503() {
    let mut ddb = OwnDynamoDb::start().await.expect("a DynamoDB Local of our own");
    let mut endpoints = prm_tests::endpoints();
    endpoints.dynamodb = ddb.endpoint.clone();
    endpoints.attempt_timeout = Some(Duration::from_millis(600));
    let app = TestApp::spawn_on(endpoints).await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let partner = app.create_partner(&admin, "Frozen", "gold", "NA").await["id"].as_str().unwrap().to_owned();
    let user = app.user(Role::PartnerUser, Some(&partner)).await;

    // A hiccup shorter than the SDK's retries: the registration just takes longer.
    let deal_body = deal();
    ddb.pause();
    let (deal_answers, ()) =
        tokio::join!(post_until_final(&app, &user, "/v1/deals", "frozen-deal", &deal_body), async {
            tokio::time::sleep(Duration::from_millis(1_200)).await;
            ddb.resume();
        });
    assert_eq!(deal_answers.iter().map(|a| a.0).collect::<Vec<_>>(), vec![201], "{deal_answers:?}");

    // Frozen longer than the retries: a 503 the client retries (after the
    // abandoned claim's lock, a 409 with Retry-After) until it lands.
    let partner_body = prm_tests::partner_body("Thawed", "silver", "EMEA");
    ddb.pause();
    let (partner_answers, ()) =
        tokio::join!(post_until_final(&app, &admin, "/v1/partners", "frozen-partner", &partner_body), async {
            tokio::time::sleep(Duration::from_millis(5_000)).await;
            ddb.resume();
        });
    assert_eq!(partner_answers[0].0, 503, "{partner_answers:?}");
    eprintln!(
        "frozen table: deal answers {:?}, partner answers {:?}",
        deal_answers.iter().map(|a| a.0).collect::<Vec<_>>(),
        partner_answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    assert_eq!(partner_answers.last().unwrap().0, 201, "{partner_answers:?}");
    for (status, body) in deal_answers.iter().chain(&partner_answers) {
        assert!(matches!(status, 201 | 409 | 503), "only final or retryable answers: {status} {body}");
    }
    // Exactly one of each, and a replay is the same answer.
    let deals = expect_json(app.get("/v1/deals", &user).await, StatusCode::OK).await;
    assert_eq!(deals["items"].as_array().unwrap().len(), 1, "{deals}");
    let partners = expect_json(app.get("/v1/partners?limit=100", &admin).await, StatusCode::OK).await;
    let thawed = partners["items"].as_array().unwrap().iter().filter(|p| p["name"] == "Thawed").count();
    assert_eq!(thawed, 1, "{partners}");
    let replay = post_until_final(&app, &user, "/v1/deals", "frozen-deal", &deal()).await;
    assert_eq!(replay.last().unwrap().1["id"], deal_answers.last().unwrap().1["id"]);

    // Gone for good: a 503 problem with Retry-After, fast, and the server stays up.
    ddb.kill();
    let started = std::time::Instant::now();
    let res = app.req(Method::GET, "/v1/deals", Some(&user)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "1");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert!(started.elapsed() < Duration::from_secs(13), "{:?}", started.elapsed());
    let health = app.req(Method::GET, "/v1/health", None).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}
