use std::collections::HashSet;
use std::time::Duration;

use prm_shared::auth::Role;
use prm_tests::{TestApp, expect_json};
use reqwest::StatusCode;
use serde_json::json;

fn registration(company: &str, domain: &str) -> serde_json::Value {
    json!({
        "title": "Expansion",
        "customer": {"company_name": company, "domain": domain, "country": "DE"},
        "contact": {"name": "Bo Buyer", "email": "bo@customer.example.com"},
        "amount": {"amount_minor": 1_000_000, "currency": "EUR"},
        "expected_close_date": "2027-06-30"
    })
}

#[tokio::test]
async fn every_deal_change_reaches_the_bus_with_its_envelope_and_leaves_no_outbox() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let manager = app.user(Role::ChannelManager, None).await;
    let a = app.create_partner(&admin, "A", "gold", "EMEA").await["id"].as_str().unwrap().to_owned();
    let b = app.create_partner(&admin, "B", "gold", "EMEA").await["id"].as_str().unwrap().to_owned();
    let ua = app.user(Role::PartnerUser, Some(&a)).await;
    let ub = app.user(Role::PartnerUser, Some(&b)).await;
    let first = expect_json(
        app.post("/v1/deals", &ua, &registration("Wayne Enterprises", "wayne.com")).await,
        StatusCode::CREATED,
    )
    .await;
    let second =
        expect_json(app.post("/v1/deals", &ub, &registration("Wayne", "www.wayne.com")).await, StatusCode::CREATED)
            .await;
    let id = first["id"].as_str().unwrap();
    expect_json(app.post(&format!("/v1/deals/{id}/approve"), &manager, &json!({})).await, StatusCode::OK).await;
    expect_json(app.post(&format!("/v1/deals/{id}/close"), &ua, &json!({"outcome": "won"})).await, StatusCode::OK)
        .await;

    let events = app.events(5, Duration::from_secs(10)).await;
    let mut types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    types.sort();
    assert_eq!(types, vec!["DealApproved", "DealConflictDetected", "DealRegistered", "DealRegistered", "DealWon"]);
    let ids: HashSet<&str> = events.iter().map(|(_, d)| d["event_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 5, "event ids are unique");
    let conflict = &events.iter().find(|(t, _)| t == "DealConflictDetected").unwrap().1;
    assert_eq!(conflict["deal_id"], second["id"]);
    assert_eq!(conflict["partner_id"], b.as_str());
    assert_eq!(conflict["conflicting_deal_ids"], json!([id]));
    let won = &events.iter().find(|(t, _)| t == "DealWon").unwrap().1;
    assert_eq!((won["deal_id"].as_str(), won["version"].as_u64()), (Some(id), Some(1)));
    assert_eq!(won["amount"], json!({"amount_minor": 1_000_000, "currency": "EUR"}));
    assert_eq!(won["actor"], ua.sub.as_str());

    let swept = local_api::publisher(&app.config).await.sweep(chrono::Duration::zero(), 100).await.unwrap();
    assert_eq!((swept.published, swept.failed), (0, 0), "the outbox is empty once published");
}

#[tokio::test]
async fn an_event_whose_publication_fails_after_the_commit_is_published_by_the_sweep() {
    let app = TestApp::spawn_with_broken_bus().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let p = app.create_partner(&admin, "A", "gold", "EMEA").await["id"].as_str().unwrap().to_owned();
    let user = app.user(Role::PartnerUser, Some(&p)).await;
    // The registration commits although PutEvents fails.
    let deal = expect_json(
        app.post("/v1/deals", &user, &registration("Stark Industries", "stark.com")).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(app.events(1, Duration::from_secs(2)).await.is_empty(), "nothing reached the bus");

    // The sweep (publishing to the real bus) delivers it, once.
    let publisher = local_api::publisher(&app.config).await;
    let swept = publisher.sweep(chrono::Duration::zero(), 100).await.unwrap();
    assert_eq!((swept.published, swept.failed), (1, 0));
    let events = app.events(1, Duration::from_secs(10)).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "DealRegistered");
    assert_eq!(events[0].1["deal_id"], deal["id"]);
    let again = publisher.sweep(chrono::Duration::zero(), 100).await.unwrap();
    assert_eq!((again.published, again.failed), (0, 0));
}
