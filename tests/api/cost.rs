//! What requests cost in DynamoDB, measured on DynamoDB Local with a meter on
//! the functions' client. Run with `--nocapture` to see the figures.

use prm_shared::auth::Role;
use prm_shared::meter::Call;
use prm_tests::{TestApp, expect_json};
use reqwest::StatusCode;
use serde_json::json;

fn report(label: &str, calls: &[Call]) {
    let units: f64 = calls.iter().map(|c| c.capacity_units).sum();
    let ops: Vec<String> = calls.iter().map(|c| format!("{} ({})", c.operation, c.capacity_units)).collect();
    eprintln!("{label}: {} DynamoDB requests, {units} capacity units: {}", calls.len(), ops.join(", "));
}

#[tokio::test]
async fn registering_and_approving_a_deal_each_commit_in_one_transaction_without_a_scan() {
    let app = TestApp::spawn().await;
    let meter = app.config.dynamodb_meter.clone().unwrap();
    let admin = app.user(Role::VendorAdmin, None).await;
    let manager = app.user(Role::ChannelManager, None).await;
    let p = app.create_partner(&admin, "A", "gold", "NA").await["id"].as_str().unwrap().to_owned();
    let user = app.user(Role::PartnerUser, Some(&p)).await;
    let body = json!({
        "title": "Metered",
        "customer": {"company_name": "Metered Inc", "domain": "metered.example.com", "country": "US"},
        "contact": {"name": "M", "email": "m@metered.example.com"},
        "amount": {"amount_minor": 100, "currency": "USD"},
        "expected_close_date": "2027-01-31"
    });
    meter.take();
    let deal = expect_json(app.post("/v1/deals", &user, &body).await, StatusCode::CREATED).await;
    let register = meter.take();
    report("POST /v1/deals", &register);
    expect_json(
        app.post(&format!("/v1/deals/{}/approve", deal["id"].as_str().unwrap()), &manager, &json!({})).await,
        StatusCode::OK,
    )
    .await;
    let approve = meter.take();
    report("POST /v1/deals/{id}/approve", &approve);

    for calls in [&register, &approve] {
        assert_eq!(calls.iter().filter(|c| c.operation == "TransactWriteItems").count(), 1, "{calls:?}");
        assert!(calls.iter().all(|c| c.operation != "Scan"));
        assert!(calls.iter().all(|c| !c.operation.is_empty()));
        assert!(calls.iter().any(|c| c.capacity_units > 0.0), "DynamoDB reported the capacity");
    }
}

#[tokio::test]
async fn approving_a_fund_request_commits_in_one_transaction_without_a_scan() {
    let app = TestApp::spawn().await;
    let meter = app.config.dynamodb_meter.clone().unwrap();
    let admin = app.user(Role::VendorAdmin, None).await;
    let p = app.create_partner(&admin, "A", "gold", "NA").await["id"].as_str().unwrap().to_owned();
    let user = app.user(Role::PartnerUser, Some(&p)).await;
    let allocation =
        json!({"partner_id": p, "period": "2026-H2", "amount": {"amount_minor": 10_000, "currency": "USD"}});
    expect_json(app.post("/v1/mdf/allocations", &admin, &allocation).await, StatusCode::CREATED).await;
    let request = json!({
        "period": "2026-H2", "activity_type": "event", "title": "Booth", "description": "Trade show booth",
        "start_date": "2026-09-01", "end_date": "2026-09-03",
        "requested_amount": {"amount_minor": 4_000, "currency": "USD"},
        "expected": {"leads": 10, "pipeline": {"amount_minor": 100_000, "currency": "USD"}}
    });
    let r = expect_json(app.post("/v1/mdf/requests", &user, &request).await, StatusCode::CREATED).await;
    meter.take();
    expect_json(
        app.post(&format!("/v1/mdf/requests/{}/approve", r["id"].as_str().unwrap()), &admin, &json!({})).await,
        StatusCode::OK,
    )
    .await;
    let approve = meter.take();
    report("POST /v1/mdf/requests/{id}/approve", &approve);
    assert_eq!(approve.iter().filter(|c| c.operation == "TransactWriteItems").count(), 1, "{approve:?}");
    assert!(approve.iter().all(|c| c.operation != "Scan"));
}

/// `GET /v1/assets` for a partner reads its nine visibility cells: the number
/// of requests (and the capacity) must not grow with the assets other partners see.
#[tokio::test]
async fn a_partners_asset_page_costs_the_same_with_10_or_1000_assets_in_the_table() {
    let app = TestApp::spawn().await;
    let meter = app.config.dynamodb_meter.clone().unwrap();
    let admin = app.user(Role::VendorAdmin, None).await;
    let p = app.create_partner(&admin, "A", "gold", "NA").await["id"].as_str().unwrap().to_owned();
    let user = app.user(Role::PartnerUser, Some(&p)).await;
    // 10 published assets: half for gold partners, half for silver EMEA ones.
    let entry = |i: usize, cell: &str| {
        let id = format!("01J{i:023}");
        let at = format!("2026-11-{:02}T00:00:00.{:03}Z", 1 + i % 28, i % 1000);
        let item = json!({
            "pk": format!("ASSETCELL#{cell}"), "sk": format!("{at}#{id}"), "entity": "feed-entry",
            "id": id, "title": format!("Asset {i}"), "description": "", "kind": "document", "tags": [],
            "status": "published", "current_version": 1, "published_at": at
        });
        item
    };
    let write = |items: Vec<serde_json::Value>| {
        let db = app.db.clone();
        async move { prm_tests::put_json(&db, &items).await.unwrap() }
    };
    write((0..10).map(|i| entry(i, if i % 2 == 0 { "gold#*#*" } else { "silver#emea#*" })).collect()).await;
    meter.take();
    let page = expect_json(app.get("/v1/assets?limit=25", &user).await, StatusCode::OK).await;
    let ten = meter.take();
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    // 990 more that only other partners may see.
    write((10..1000).map(|i| entry(i, if i % 2 == 0 { "silver#emea#*" } else { "platinum#*#msp" })).collect()).await;
    meter.take();
    let page = expect_json(app.get("/v1/assets?limit=25", &user).await, StatusCode::OK).await;
    let thousand = meter.take();
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    report("GET /v1/assets (10 assets in the table)", &ten);
    report("GET /v1/assets (1,000 assets in the table)", &thousand);
    assert_eq!(ten.len(), thousand.len(), "the same requests");
    let units = |c: &[Call]| c.iter().map(|x| x.capacity_units).sum::<f64>();
    assert!((units(&ten) - units(&thousand)).abs() < f64::EPSILON, "the same capacity");
    assert!(thousand.iter().all(|c| c.operation != "Scan"));
}

#[tokio::test]
async fn a_scorecard_is_a_handful_of_key_reads() {
    let app = TestApp::spawn().await;
    let meter = app.config.dynamodb_meter.clone().unwrap();
    let admin = app.user(Role::VendorAdmin, None).await;
    let p = app.create_partner(&admin, "A", "gold", "NA").await["id"].as_str().unwrap().to_owned();
    meter.take();
    expect_json(app.get(&format!("/v1/partners/{p}/scorecard"), &admin).await, StatusCode::OK).await;
    let calls = meter.take();
    report("GET /v1/partners/{id}/scorecard", &calls);
    assert!(calls.len() <= 5, "{calls:?}");
    assert!(calls.iter().all(|c| c.operation == "GetItem" || c.operation == "Query"));
}
