use std::time::Duration;

use prm_shared::auth::Role;
use prm_tests::{TestApp, TestUser, expect_json, problem_fields};
use reqwest::StatusCode;
use serde_json::{Value, json};

const NAMES: [&str; 12] =
    ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India", "Juliet", "Kilo", "Lima"];

fn deal(i: usize) -> Value {
    let name = NAMES[i];
    json!({
        "title": format!("Deal {i}"),
        "customer": {"company_name": format!("{name} Industries"), "domain": format!("{}-industries.com", name.to_lowercase()), "country": "US"},
        "contact": {"name": "Ann Buyer", "email": "ann@customer.example.org"},
        "products": ["FW-500"],
        "amount": {"amount_minor": 1_000_000 + i as i64, "currency": "USD"},
        "expected_close_date": "2027-03-31"
    })
}

struct World {
    app: TestApp,
    admin: TestUser,
    manager: TestUser,
    user: TestUser,
    other: TestUser,
    pid: String,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let manager = app.user(Role::ChannelManager, None).await;
    let pid = app.create_partner(&admin, "Northwind", "gold", "NA").await["id"].as_str().unwrap().to_owned();
    let oid = app.create_partner(&admin, "Contoso", "silver", "NA").await["id"].as_str().unwrap().to_owned();
    let user = app.user(Role::PartnerUser, Some(&pid)).await;
    let other = app.user(Role::PartnerAdmin, Some(&oid)).await;
    World { app, admin, manager, user, other, pid }
}

/// Random deal life cycles (seeded): the scorecard's counters, fed by the
/// events (each delivered twice), match a recount of the deals themselves.
#[tokio::test]
async fn scorecard_counters_match_a_recount_after_random_actions() {
    use rand::{Rng, SeedableRng};
    let w = world().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(12);
    let mut events = 0;
    for i in 0..12 {
        let d = expect_json(w.app.post("/v1/deals", &w.user, &deal(i)).await, StatusCode::CREATED).await;
        let id = d["id"].as_str().unwrap().to_owned();
        events += 1;
        match rng.random_range(0..4) {
            0 => {}
            1 => {
                let r = json!({"reason": "existing customer"});
                expect_json(w.app.post(&format!("/v1/deals/{id}/reject"), &w.manager, &r).await, StatusCode::OK).await;
                events += 1;
            }
            outcome => {
                expect_json(
                    w.app.post(&format!("/v1/deals/{id}/approve"), &w.manager, &json!({})).await,
                    StatusCode::OK,
                )
                .await;
                let close = if outcome == 2 {
                    json!({"outcome": "won", "amount": {"amount_minor": 250_000 * (i as i64 + 1), "currency": "USD"}})
                } else {
                    json!({"outcome": "lost", "reason": "price"})
                };
                expect_json(w.app.post(&format!("/v1/deals/{id}/close"), &w.user, &close).await, StatusCode::OK).await;
                events += 2;
            }
        }
    }
    // Every event delivered twice: the second delivery counts nothing.
    let st = local_api::portal_state(&w.app.config).await;
    let url = w.app.queue("portal-events").url.clone();
    let mut handled = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while handled < events && tokio::time::Instant::now() < deadline {
        let st = &st;
        handled += local_api::pump::pump_once(&w.app.sqs, &url, 1, |ev| async move {
            portal::onboarding::handle(st, &ev).await?;
            portal::onboarding::handle(st, &ev).await.map(|_| ())
        })
        .await
        .unwrap()
        .handled;
    }
    assert_eq!(handled, events);

    let card =
        expect_json(w.app.get(&format!("/v1/partners/{}/scorecard", w.pid), &w.user).await, StatusCode::OK).await;
    let deals = expect_json(w.app.get("/v1/deals?limit=100", &w.manager).await, StatusCode::OK).await;
    let mine: Vec<&Value> =
        deals["items"].as_array().unwrap().iter().filter(|d| d["partner_id"] == w.pid.as_str()).collect();
    let count = |s: &str| mine.iter().filter(|d| d["status"] == s).count() as i64;
    let won_revenue: i64 = mine
        .iter()
        .filter(|d| d["status"] == "won")
        .map(|d| d["closed_amount"]["amount_minor"].as_i64().unwrap())
        .sum();
    let approved = count("approved") + count("won") + count("lost");
    let c = &card["deals"];
    assert_eq!(c["registered"].as_i64(), Some(mine.len() as i64), "{card}");
    assert_eq!(c["approved"].as_i64(), Some(approved));
    assert_eq!(c["rejected"].as_i64(), Some(count("rejected")));
    assert_eq!((c["won"].as_i64(), c["lost"].as_i64()), (Some(count("won")), Some(count("lost"))));
    let recorded: i64 = c["won_revenue"].as_array().unwrap().iter().map(|m| m["amount_minor"].as_i64().unwrap()).sum();
    assert_eq!(recorded, won_revenue);
    assert_eq!(c["won_revenue_trailing_12_months"], c["won_revenue"]);
    if count("won") + count("lost") > 0 {
        assert_eq!(c["win_rate_pct"].as_i64(), Some(count("won") * 100 / (count("won") + count("lost"))));
    }
    // Next tier: platinum, with the evidence.
    assert_eq!(card["next_tier"]["tier"], "platinum");
    let gap = card["next_tier"]["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["requirement"] == "approved_registrations")
        .unwrap();
    assert_eq!((gap["current"].as_i64(), gap["required"].as_i64()), (Some(approved), Some(15)));

    expect_json(w.app.get(&format!("/v1/partners/{}/scorecard", w.pid), &w.other).await, StatusCode::NOT_FOUND).await;
    expect_json(w.app.get(&format!("/v1/partners/{}/scorecard", w.pid), &w.admin).await, StatusCode::OK).await;
}

#[tokio::test]
async fn tier_rules_are_versioned_data_only_a_vendor_admin_changes() {
    let w = world().await;
    let rules = expect_json(w.app.get("/v1/program/tiers", &w.user).await, StatusCode::OK).await;
    assert_eq!((rules["version"].as_u64(), rules["tiers"].as_array().unwrap().len()), (Some(0), 4));
    let put = |who: &TestUser, body: &Value| {
        w.app.req(reqwest::Method::PUT, "/v1/program/tiers", Some(who)).json(body).send()
    };
    let mut body = json!({"tiers": rules["tiers"].clone(), "demotion_grace_days": 60});
    body["tiers"][3]["requirements"]["approved_registrations"] = json!(3);
    expect_json(put(&w.manager, &body).await.unwrap(), StatusCode::FORBIDDEN).await;
    let mut wrong = body.clone();
    wrong["tiers"].as_array_mut().unwrap().swap(0, 1);
    let refused = expect_json(put(&w.admin, &wrong).await.unwrap(), StatusCode::BAD_REQUEST).await;
    assert_eq!(problem_fields(&refused), vec!["tiers"]);
    let v1 = expect_json(put(&w.admin, &body).await.unwrap(), StatusCode::OK).await;
    assert_eq!((v1["version"].as_u64(), v1["demotion_grace_days"].as_u64()), (Some(1), Some(60)));
    let v2 = expect_json(put(&w.admin, &body).await.unwrap(), StatusCode::OK).await;
    assert_eq!(v2["version"], 2);
    let card =
        expect_json(w.app.get(&format!("/v1/partners/{}/scorecard", w.pid), &w.manager).await, StatusCode::OK).await;
    let gap = card["next_tier"]["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["requirement"] == "approved_registrations")
        .unwrap();
    assert_eq!(gap["required"], 3, "the scorecard measures against the rules in force");
}
