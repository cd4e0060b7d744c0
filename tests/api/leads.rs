use std::collections::HashMap;

use prm_shared::auth::Role;
use prm_tests::{TestApp, TestUser, expect_json, problem_fields};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn lead(region: &str) -> Value {
    json!({
        "company_name": "Prospect Ltd",
        "domain": "prospect.example.com",
        "country": "GB",
        "region": region,
        "product_interest": ["security"],
        "contact": {"name": "Pat Prospect", "email": "pat@prospect.example.com"}
    })
}

struct World {
    app: TestApp,
    admin: TestUser,
    manager: TestUser,
    /// Partner id -> a user of it.
    users: HashMap<String, TestUser>,
}

async fn world(partners: &[(&str, &str, &str)]) -> (World, Vec<String>) {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let manager = app.user(Role::ChannelManager, None).await;
    let mut users = HashMap::new();
    let mut ids = Vec::new();
    for (name, tier, region) in partners {
        let id = app.create_partner(&admin, name, tier, region).await["id"].as_str().unwrap().to_owned();
        users.insert(id.clone(), app.user(Role::PartnerUser, Some(&id)).await);
        ids.push(id);
    }
    (World { app, admin, manager, users }, ids)
}

#[tokio::test]
async fn a_lead_goes_to_an_eligible_partner_with_evidence_that_replays() {
    let (w, ids) =
        world(&[("A", "gold", "EMEA"), ("B", "silver", "emea"), ("C", "platinum", "NA"), ("D", "platinum", "EMEA")])
            .await;
    expect_json(
        w.app.patch(&format!("/v1/partners/{}", ids[3]), &w.admin, &json!({"status": "suspended"})).await,
        StatusCode::OK,
    )
    .await;
    let created = expect_json(w.app.post("/v1/leads", &w.manager, &lead("EMEA")).await, StatusCode::CREATED).await;
    assert_eq!(created["status"], "assigned");
    let assigned = created["partner_id"].as_str().unwrap().to_owned();
    assert!(assigned == ids[0] || assigned == ids[1], "only A or B are eligible");
    assert!(created["accept_by"].is_string());

    let path = format!("/v1/leads/{}/assignment", created["id"].as_str().unwrap());
    let ev = expect_json(w.app.get(&path, &w.admin).await, StatusCode::OK).await;
    assert_eq!(ev["outcome"], assigned.as_str());
    assert!(ev["rule_version"].is_string());
    let considered: Vec<&str> =
        ev["candidates"].as_array().unwrap().iter().map(|c| c["partner_id"].as_str().unwrap()).collect();
    assert!(!considered.contains(&ids[2].as_str()), "partners of other regions are not even read");
    let suspended = ev["candidates"].as_array().unwrap().iter().find(|c| c["partner_id"] == ids[3].as_str()).unwrap();
    assert_eq!((suspended["eligible"].as_bool(), suspended["weight"].as_u64()), (Some(false), Some(0)));
    let weights: HashMap<&str, u64> = ev["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["partner_id"].as_str().unwrap(), c["weight"].as_u64().unwrap()))
        .collect();
    assert!(weights[ids[0].as_str()] > weights[ids[1].as_str()], "gold outweighs silver");

    // Replaying the evidence gives the same partner.
    let candidates: Vec<deals::distribution::Candidate> = serde_json::from_value(ev["candidates"].clone()).unwrap();
    assert_eq!(
        deals::distribution::choose(&candidates, ev["seed"].as_u64().unwrap()).as_deref(),
        Some(assigned.as_str())
    );

    for u in w.users.values() {
        expect_json(w.app.get(&path, u).await, StatusCode::FORBIDDEN).await;
    }
    let unassigned = expect_json(w.app.post("/v1/leads", &w.admin, &lead("LATAM")).await, StatusCode::CREATED).await;
    assert_eq!((unassigned["status"].as_str(), unassigned["partner_id"].as_str()), (Some("unassigned"), None));
    let bad =
        expect_json(w.app.post("/v1/leads", &w.admin, &json!({"company_name": "X"})).await, StatusCode::BAD_REQUEST)
            .await;
    assert_eq!(problem_fields(&bad), vec!["domain"]);
    let partner = w.users.values().next().unwrap();
    expect_json(w.app.post("/v1/leads", partner, &lead("EMEA")).await, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_declined_lead_moves_on_to_the_next_eligible_partner_and_keeps_its_history() {
    let (w, _) = world(&[("A", "gold", "EMEA"), ("B", "registered", "EMEA")]).await;
    let created = expect_json(w.app.post("/v1/leads", &w.manager, &lead("EMEA")).await, StatusCode::CREATED).await;
    let id = created["id"].as_str().unwrap();
    let first = created["partner_id"].as_str().unwrap().to_owned();
    let first_user = &w.users[&first];
    let bad = expect_json(
        w.app.post(&format!("/v1/leads/{id}/decline"), first_user, &json!({"reason": ""})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem_fields(&bad), vec!["reason"]);
    expect_json(
        w.app.post(&format!("/v1/leads/{id}/decline"), first_user, &json!({"reason": "no capacity"})).await,
        StatusCode::OK,
    )
    .await;
    expect_json(w.app.get(&format!("/v1/leads/{id}"), first_user).await, StatusCode::NOT_FOUND).await;

    let now = expect_json(w.app.get(&format!("/v1/leads/{id}"), &w.admin).await, StatusCode::OK).await;
    let second = now["partner_id"].as_str().unwrap().to_owned();
    assert_ne!(second, first, "the decliner is never chosen again");
    let second_user = &w.users[&second];
    let mine = expect_json(w.app.get("/v1/leads", second_user).await, StatusCode::OK).await;
    assert_eq!(mine["items"][0]["id"], id);
    assert!(mine["items"][0].get("assignments").is_none(), "partners never see the evidence");
    expect_json(
        w.app.post(&format!("/v1/leads/{id}/decline"), second_user, &json!({"reason": "not our market"})).await,
        StatusCode::OK,
    )
    .await;

    let ev = expect_json(w.app.get(&format!("/v1/leads/{id}/assignment"), &w.manager).await, StatusCode::OK).await;
    assert_eq!(ev["status"], "unassigned");
    assert_eq!(ev["attempt"], 2);
    let results: Vec<_> = ev["history"].as_array().unwrap().iter().map(|a| a["result"].clone()).collect();
    assert_eq!(results, vec![json!("declined"), json!("declined"), Value::Null]);
    assert_eq!(ev["history"][0]["reason"], "no capacity");
}

#[tokio::test]
async fn only_the_assigned_partner_accepts_a_lead_and_only_once() {
    let (w, _) = world(&[("A", "gold", "APAC"), ("B", "gold", "APAC")]).await;
    let created = expect_json(w.app.post("/v1/leads", &w.admin, &lead("APAC")).await, StatusCode::CREATED).await;
    let id = created["id"].as_str().unwrap();
    let owner = created["partner_id"].as_str().unwrap().to_owned();
    let (other_id, other) = w.users.iter().find(|(k, _)| **k != owner).unwrap();
    expect_json(w.app.post(&format!("/v1/leads/{id}/accept"), other, &json!({})).await, StatusCode::NOT_FOUND).await;
    expect_json(w.app.post(&format!("/v1/leads/{id}/accept"), &w.manager, &json!({})).await, StatusCode::FORBIDDEN)
        .await;
    let accepted =
        expect_json(w.app.post(&format!("/v1/leads/{id}/accept"), &w.users[&owner], &json!({})).await, StatusCode::OK)
            .await;
    assert_eq!(accepted["status"], "accepted");
    expect_json(
        w.app.post(&format!("/v1/leads/{id}/accept"), &w.users[&owner], &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    expect_json(
        w.app.post(&format!("/v1/leads/{id}/decline"), &w.users[&owner], &json!({"reason": "x"})).await,
        StatusCode::CONFLICT,
    )
    .await;
    let others = expect_json(w.app.get("/v1/leads", other).await, StatusCode::OK).await;
    assert!(others["items"].as_array().unwrap().is_empty());
    let filtered = expect_json(w.app.get(&format!("/v1/leads?partner_id={owner}"), other).await, StatusCode::OK).await;
    assert!(filtered["items"].as_array().unwrap().is_empty(), "a partner's filter never reaches another's leads");
    let by_partner = expect_json(
        w.app.get(&format!("/v1/leads?partner_id={owner}&status=accepted"), &w.admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_partner["items"].as_array().unwrap().len(), 1);
    let none =
        expect_json(w.app.get(&format!("/v1/leads?partner_id={other_id}"), &w.admin).await, StatusCode::OK).await;
    assert!(none["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_lead_left_unanswered_past_its_deadline_moves_on_once() {
    let (w, _) = world(&[("A", "gold", "LATAM"), ("B", "gold", "LATAM")]).await;
    let created = expect_json(w.app.post("/v1/leads", &w.admin, &lead("LATAM")).await, StatusCode::CREATED).await;
    let id = created["id"].as_str().unwrap();
    let first = created["partner_id"].as_str().unwrap().to_owned();
    let answered = expect_json(w.app.post("/v1/leads", &w.admin, &lead("LATAM")).await, StatusCode::CREATED).await;
    let answered_owner = answered["partner_id"].as_str().unwrap().to_owned();
    expect_json(
        w.app
            .post(
                &format!("/v1/leads/{}/accept", answered["id"].as_str().unwrap()),
                &w.users[&answered_owner],
                &json!({}),
            )
            .await,
        StatusCode::OK,
    )
    .await;

    let state = local_api::deals_state(&w.app.config).await;
    let early = deals::sweep::lapse_unanswered_leads(&state, chrono::Utc::now(), 100).await.unwrap();
    assert_eq!(early.changed, 0, "nothing is due yet");
    let later = chrono::Utc::now() + chrono::Duration::hours(49);
    let report = deals::sweep::lapse_unanswered_leads(&state, later, 100).await.unwrap();
    assert_eq!((report.changed, report.failed), (1, 0), "{report:?}");
    let again = deals::sweep::lapse_unanswered_leads(&state, later, 100).await.unwrap();
    assert_eq!((again.changed, again.failed), (0, 0), "the new assignment is not due at that time yet");

    let ev = expect_json(w.app.get(&format!("/v1/leads/{id}/assignment"), &w.manager).await, StatusCode::OK).await;
    assert_eq!(ev["history"][0]["result"], "lapsed");
    assert_ne!(ev["partner_id"].as_str().unwrap(), first, "the lapsed partner is passed over");
    assert_eq!(ev["status"], "assigned");
    let types: Vec<_> = w.app.events(6, std::time::Duration::from_secs(10)).await.into_iter().map(|(t, _)| t).collect();
    assert!(types.contains(&"LeadLapsed".to_owned()), "{types:?}");
}

#[tokio::test]
async fn accepting_a_lead_can_register_its_deal_in_the_same_step() {
    let (w, ids) = world(&[("A", "gold", "NA")]).await;
    let owner = &w.users[&ids[0]];
    let deal = json!({"title": "Prospect rollout", "amount": {"amount_minor": 250_000, "currency": "USD"}, "expected_close_date": "2027-05-01"});
    let first = expect_json(w.app.post("/v1/leads", &w.admin, &lead("NA")).await, StatusCode::CREATED).await;
    let accepted = expect_json(
        w.app
            .post(
                &format!("/v1/leads/{}/accept", first["id"].as_str().unwrap()),
                owner,
                &json!({"register_deal": deal}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    let deal_id = accepted["deal_id"].as_str().unwrap();
    let registered = expect_json(w.app.get(&format!("/v1/deals/{deal_id}"), owner).await, StatusCode::OK).await;
    assert_eq!(registered["status"], "submitted");
    assert_eq!(registered["customer"]["company_name"], "Prospect Ltd");
    assert_eq!(registered["contact"]["email"], "pat@prospect.example.com");

    // A second lead of the same customer: the registration is a duplicate, so nothing is accepted.
    let second = expect_json(w.app.post("/v1/leads", &w.admin, &lead("NA")).await, StatusCode::CREATED).await;
    let path = format!("/v1/leads/{}", second["id"].as_str().unwrap());
    expect_json(
        w.app.post(&format!("{path}/accept"), owner, &json!({"register_deal": deal})).await,
        StatusCode::CONFLICT,
    )
    .await;
    let still = expect_json(w.app.get(&path, owner).await, StatusCode::OK).await;
    assert_eq!((still["status"].as_str(), still["deal_id"].as_str()), (Some("assigned"), None));
    let bad = expect_json(
        w.app.post(&format!("{path}/accept"), owner, &json!({"register_deal": {"title": "x"}})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem_fields(&bad), vec!["register_deal.amount"]);
    expect_json(w.app.post(&format!("{path}/accept"), owner, &json!({})).await, StatusCode::OK).await;
}
