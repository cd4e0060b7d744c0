use prm_shared::auth::Role;
use prm_tests::{TestApp, TestUser, expect_json, problem_fields};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn request(amount: i64) -> Value {
    json!({
        "period": "2026-H1",
        "activity_type": "webinar",
        "title": "Security webinar",
        "description": "Two sessions with a customer panel",
        "start_date": "2026-03-01",
        "end_date": "2026-03-02",
        "requested_amount": {"amount_minor": amount, "currency": "USD"},
        "expected": {"leads": 40, "pipeline": {"amount_minor": 5_000_000, "currency": "USD"}}
    })
}

struct World {
    app: TestApp,
    admin: TestUser,
    manager: TestUser,
    a_id: String,
    a: TestUser,
    b: TestUser,
}

async fn world(allocated: i64) -> World {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let manager = app.user(Role::ChannelManager, None).await;
    let a_id = app.create_partner(&admin, "A", "gold", "NA").await["id"].as_str().unwrap().to_owned();
    let b_id = app.create_partner(&admin, "B", "gold", "NA").await["id"].as_str().unwrap().to_owned();
    let a = app.user(Role::PartnerAdmin, Some(&a_id)).await;
    let b = app.user(Role::PartnerUser, Some(&b_id)).await;
    let body =
        json!({"partner_id": a_id, "period": "2026-H1", "amount": {"amount_minor": allocated, "currency": "USD"}});
    expect_json(app.post("/v1/mdf/allocations", &admin, &body).await, StatusCode::CREATED).await;
    World { app, admin, manager, a_id, a, b }
}

async fn balances(w: &World) -> Value {
    let path = format!("/v1/mdf/allocations?partner_id={}&period=2026-H1", w.a_id);
    expect_json(w.app.get(&path, &w.manager).await, StatusCode::OK).await
}

#[tokio::test]
async fn approvals_reserve_funds_within_the_allocation_and_the_ledger_adds_up() {
    let w = world(100_000).await;
    let dup = json!({"partner_id": w.a_id, "period": "2026-h1", "amount": {"amount_minor": 5, "currency": "USD"}});
    expect_json(w.app.post("/v1/mdf/allocations", &w.admin, &dup).await, StatusCode::CONFLICT).await;
    expect_json(w.app.post("/v1/mdf/allocations", &w.manager, &dup).await, StatusCode::FORBIDDEN).await;

    let r1 = expect_json(w.app.post("/v1/mdf/requests", &w.a, &request(30_000)).await, StatusCode::CREATED).await;
    assert_eq!(r1["status"], "submitted");
    let approved = expect_json(
        w.app.post(&format!("/v1/mdf/requests/{}/approve", r1["id"].as_str().unwrap()), &w.manager, &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(approved["approved_amount"]["amount_minor"], 30_000);
    let b = balances(&w).await;
    assert_eq!(
        (b["allocated"].as_i64(), b["reserved"].as_i64(), b["available"].as_i64()),
        (Some(100_000), Some(30_000), Some(70_000))
    );

    let r2 = expect_json(w.app.post("/v1/mdf/requests", &w.a, &request(80_000)).await, StatusCode::CREATED).await;
    let p2 = format!("/v1/mdf/requests/{}/approve", r2["id"].as_str().unwrap());
    let refused = expect_json(w.app.post(&p2, &w.admin, &json!({})).await, StatusCode::CONFLICT).await;
    assert!(refused["detail"].as_str().unwrap().contains("70000"), "{refused}");
    let bad = expect_json(
        w.app.post(&p2, &w.admin, &json!({"approved_amount": {"amount_minor": 90_000, "currency": "USD"}})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem_fields(&bad), vec!["approved_amount"]);
    let partial = expect_json(
        w.app.post(&p2, &w.admin, &json!({"approved_amount": {"amount_minor": 50_000, "currency": "USD"}})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(partial["approved_amount"]["amount_minor"], 50_000);
    expect_json(w.app.post(&p2, &w.admin, &json!({})).await, StatusCode::CONFLICT).await;

    let b = balances(&w).await;
    assert_eq!((b["reserved"].as_i64(), b["available"].as_i64()), (Some(80_000), Some(20_000)));
    let state = local_api::mdf_state(&w.app.config).await;
    let ledger = mdf::store::ledger(&state.db, &w.a_id, "2026-H1", mdf::domain::FundType::Mdf).await.unwrap();
    let kinds: Vec<(&str, i64)> = ledger.iter().map(|e| (e.kind.as_str(), e.amount_minor)).collect();
    assert_eq!(kinds, vec![("allocate", 100_000), ("reserve", 30_000), ("reserve", 50_000)]);
    let reserved: i64 =
        ledger.iter().filter(|e| e.kind == mdf::domain::LedgerKind::Reserve).map(|e| e.amount_minor).sum();
    assert_eq!(reserved, b["reserved"].as_i64().unwrap(), "the ledger sums to the balance");
}

#[tokio::test]
async fn a_hundred_concurrent_approvals_never_over_commit_the_allocation() {
    let w = world(2_500).await;
    let mut ids = Vec::new();
    for _ in 0..100 {
        ids.push(
            expect_json(w.app.post("/v1/mdf/requests", &w.a, &request(50)).await, StatusCode::CREATED).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let futures = ids.iter().map(|id| {
        let (app, manager) = (&w.app, &w.manager);
        async move { app.post(&format!("/v1/mdf/requests/{id}/approve"), manager, &json!({})).await.status().as_u16() }
    });
    let statuses: Vec<u16> = futures::future::join_all(futures).await;
    let accepted = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 409).count();
    let b = balances(&w).await;
    eprintln!(
        "MDF concurrency: attempted 100, accepted {accepted}, refused {refused}; allocated {}, reserved {}, available {}",
        b["allocated"], b["reserved"], b["available"]
    );
    assert_eq!(accepted + refused, 100, "every refusal is a clean 409: {statuses:?}");
    assert_eq!(accepted, 50, "2,500 covers exactly 50 reservations of 50");
    assert_eq!((b["reserved"].as_i64(), b["available"].as_i64()), (Some(2_500), Some(0)));
}

#[tokio::test]
async fn a_partner_sees_only_its_own_funds() {
    let w = world(10_000).await;
    let r = expect_json(w.app.post("/v1/mdf/requests", &w.a, &request(1_000)).await, StatusCode::CREATED).await;
    let path = format!("/v1/mdf/requests/{}", r["id"].as_str().unwrap());
    expect_json(w.app.get(&path, &w.b).await, StatusCode::NOT_FOUND).await;
    expect_json(w.app.get(&path, &w.a).await, StatusCode::OK).await;
    let theirs =
        expect_json(w.app.get(&format!("/v1/mdf/allocations?partner_id={}", w.a_id), &w.b).await, StatusCode::OK).await;
    assert!(theirs["items"].as_array().unwrap().is_empty(), "B's view holds only B's allocations");
    let mine = expect_json(w.app.get("/v1/mdf/allocations", &w.a).await, StatusCode::OK).await;
    assert_eq!((mine["items"].as_array().unwrap().len(), mine["available"].as_i64()), (1, Some(10_000)));
    let list = expect_json(w.app.get("/v1/mdf/requests", &w.b).await, StatusCode::OK).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    expect_json(w.app.post(&format!("{path}/approve"), &w.a, &json!({})).await, StatusCode::FORBIDDEN).await;
    expect_json(
        w.app.post(&format!("{path}/reject"), &w.manager, &json!({"reason": "off-strategy"})).await,
        StatusCode::OK,
    )
    .await;
    expect_json(w.app.post(&format!("{path}/approve"), &w.manager, &json!({})).await, StatusCode::CONFLICT).await;
    let euros = json!({"period": "2026-H1", "activity_type": "event", "title": "t", "description": "d", "start_date": "2026-01-01",
        "end_date": "2026-01-02", "requested_amount": {"amount_minor": 5, "currency": "EUR"},
        "expected": {"leads": 1, "pipeline": {"amount_minor": 1, "currency": "EUR"}}});
    let bad = expect_json(w.app.post("/v1/mdf/requests", &w.a, &euros).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem_fields(&bad), vec!["requested_amount.currency"]);
}

#[tokio::test]
async fn a_claim_with_uploaded_proofs_is_approved_for_less_then_paid_and_the_balances_follow() {
    let w = world(100_000).await;
    let r = expect_json(w.app.post("/v1/mdf/requests", &w.a, &request(40_000)).await, StatusCode::CREATED).await;
    let rid = r["id"].as_str().unwrap();
    let early = json!({"amount": {"amount_minor": 1, "currency": "USD"}, "results": {"leads": 1, "attendees": 1,
        "pipeline": {"amount_minor": 0, "currency": "USD"}}, "proofs": [{"name": "x.pdf", "content_type": "application/pdf", "size_bytes": 3}]});
    expect_json(w.app.post(&format!("/v1/mdf/requests/{rid}/claims"), &w.a, &early).await, StatusCode::CONFLICT).await;
    expect_json(w.app.post(&format!("/v1/mdf/requests/{rid}/approve"), &w.manager, &json!({})).await, StatusCode::OK)
        .await;

    let proof = b"%PDF-1.4 attendance list".to_vec();
    let claim_body = json!({
        "amount": {"amount_minor": 30_000, "currency": "USD"},
        "results": {"leads": 35, "attendees": 120, "pipeline": {"amount_minor": 4_000_000, "currency": "USD"}},
        "proofs": [{"name": "attendance.pdf", "content_type": "application/pdf", "size_bytes": proof.len(),
                    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]
    });
    let post_claim = |key: &'static str| {
        w.app
            .req(reqwest::Method::POST, &format!("/v1/mdf/requests/{rid}/claims"), Some(&w.a))
            .header("Idempotency-Key", key)
            .json(&claim_body)
            .send()
    };
    let created = expect_json(post_claim("claim-1").await.unwrap(), StatusCode::CREATED).await;
    let replay = expect_json(post_claim("claim-1").await.unwrap(), StatusCode::CREATED).await;
    assert_eq!(created, replay, "a replayed claim is the same claim");
    let claim_id = created["claim"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created["claim"]["proofs"][0]["sha256"],
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    );

    // Upload the proof with the presigned URL and its signed headers.
    let upload = &created["uploads"][0];
    let mut put = w.app.http.put(upload["url"].as_str().unwrap()).body(proof.clone());
    for (k, v) in upload["headers"].as_object().unwrap() {
        if k != "content-length" {
            put = put.header(k.as_str(), v.as_str().unwrap());
        }
    }
    assert!(put.send().await.unwrap().status().is_success());
    let sdk = w.app.endpoints.sdk_config().await;
    let stored = local_api::s3_client(&sdk)
        .get_object()
        .bucket(&w.app.config.bucket_name)
        .key(upload["key"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(stored.body.collect().await.unwrap().into_bytes().to_vec(), proof);

    let b = balances(&w).await;
    assert_eq!(
        (b["reserved"].as_i64(), b["claimed"].as_i64(), b["available"].as_i64()),
        (Some(10_000), Some(30_000), Some(60_000))
    );
    let too_much = json!({"amount": {"amount_minor": 10_001, "currency": "USD"}, "results": claim_body["results"], "proofs": claim_body["proofs"]});
    let refused =
        expect_json(w.app.post(&format!("/v1/mdf/requests/{rid}/claims"), &w.a, &too_much).await, StatusCode::CONFLICT)
            .await;
    assert!(refused["detail"].as_str().unwrap().contains("10000"), "{refused}");
    expect_json(w.app.get(&format!("/v1/mdf/claims/{claim_id}"), &w.b).await, StatusCode::NOT_FOUND).await;
    let theirs =
        expect_json(w.app.get(&format!("/v1/mdf/claims?partner_id={}", w.a_id), &w.b).await, StatusCode::OK).await;
    assert!(theirs["items"].as_array().unwrap().is_empty(), "a partner never lists another's claims");
    let pending = expect_json(w.app.get("/v1/mdf/claims?status=submitted", &w.manager).await, StatusCode::OK).await;
    assert_eq!(pending["items"][0]["id"], claim_id.as_str());

    expect_json(
        w.app.post(&format!("/v1/mdf/claims/{claim_id}/pay"), &w.manager, &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    expect_json(
        w.app.post(&format!("/v1/mdf/claims/{claim_id}/approve"), &w.a, &json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let approved = expect_json(
        w.app
            .post(
                &format!("/v1/mdf/claims/{claim_id}/approve"),
                &w.manager,
                &json!({"approved_amount": {"amount_minor": 25_000, "currency": "USD"}}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(approved["status"], "approved");
    let paid =
        expect_json(w.app.post(&format!("/v1/mdf/claims/{claim_id}/pay"), &w.admin, &json!({})).await, StatusCode::OK)
            .await;
    assert_eq!(paid["status"], "paid");

    let b = balances(&w).await;
    let got = (
        b["allocated"].as_i64(),
        b["reserved"].as_i64(),
        b["claimed"].as_i64(),
        b["paid"].as_i64(),
        b["available"].as_i64(),
    );
    assert_eq!(got, (Some(100_000), Some(10_000), Some(0), Some(25_000), Some(65_000)));
    let state = local_api::mdf_state(&w.app.config).await;
    let ledger = mdf::store::ledger(&state.db, &w.a_id, "2026-H1", mdf::domain::FundType::Mdf).await.unwrap();
    let kinds: Vec<(&str, i64)> = ledger.iter().map(|e| (e.kind.as_str(), e.amount_minor)).collect();
    assert_eq!(
        kinds,
        vec![("allocate", 100_000), ("reserve", 40_000), ("claim", 30_000), ("unclaim", 5_000), ("pay", 25_000)]
    );
}

fn claim_body(amount: i64, leads: u32) -> Value {
    json!({
        "amount": {"amount_minor": amount, "currency": "USD"},
        "results": {"leads": leads, "attendees": 50, "pipeline": {"amount_minor": 1_000_000, "currency": "USD"}},
        "proofs": [{"name": "proof.pdf", "content_type": "application/pdf", "size_bytes": 1024}]
    })
}

async fn approved_request(w: &World, amount: i64) -> String {
    let r = expect_json(w.app.post("/v1/mdf/requests", &w.a, &request(amount)).await, StatusCode::CREATED).await;
    let id = r["id"].as_str().unwrap().to_owned();
    expect_json(w.app.post(&format!("/v1/mdf/requests/{id}/approve"), &w.manager, &json!({})).await, StatusCode::OK)
        .await;
    id
}

async fn ledger_matches_balances(w: &World, period: &str, fund: mdf::domain::FundType) -> [i64; 5] {
    let ledger = mdf::store::ledger(&w.app.db, &w.a_id, period, fund).await.unwrap();
    let a = mdf::store::get_allocation(&w.app.db, &w.a_id, period, fund).await.unwrap().expect("the fund exists");
    assert_eq!(mdf::domain::replay(&ledger), a.balances(), "the ledger sums to the balances: {ledger:?}");
    assert_eq!(a.available + a.reserved + a.claimed + a.paid, a.allocated, "{a:?}");
    assert!(a.balances().iter().all(|b| *b >= 0), "{a:?}");
    a.balances()
}

#[tokio::test]
async fn the_claim_window_reminds_before_the_deadline_and_releases_what_is_unclaimed_after() {
    let w = world(100_000).await;
    let rid = approved_request(&w, 40_000).await;
    let got = expect_json(w.app.get(&format!("/v1/mdf/requests/{rid}"), &w.a).await, StatusCode::OK).await;
    let deadline = chrono::NaiveDate::parse_from_str(got["claim_deadline"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    // The activity ended in March 2026; approved today, the 60-day window runs from today.
    assert_eq!(deadline, chrono::Utc::now().date_naive() + chrono::Days::new(60));
    expect_json(
        w.app.post(&format!("/v1/mdf/requests/{rid}/claims"), &w.a, &claim_body(15_000, 10)).await,
        StatusCode::CREATED,
    )
    .await;
    w.app.events(4, std::time::Duration::from_secs(5)).await; // drain what came before

    let st = w.app.mdf_state().await;
    let close = mdf::rules::closes_at(deadline);
    let early = mdf::sweep::remind_claim_deadlines(&st, close - chrono::Duration::days(20), 100).await.unwrap();
    assert_eq!(early.changed, 0, "not yet within the reminder period");
    let reminded = mdf::sweep::remind_claim_deadlines(&st, close - chrono::Duration::days(10), 100).await.unwrap();
    assert_eq!(reminded.changed, 1, "{reminded:?}");
    let again = mdf::sweep::remind_claim_deadlines(&st, close - chrono::Duration::days(9), 100).await.unwrap();
    assert_eq!((again.changed, again.stale), (0, 0), "reminded once");
    let events = w.app.events(1, std::time::Duration::from_secs(5)).await;
    let near = events.iter().find(|(t, _)| t == "MdfClaimDeadlineNear").expect("a reminder event");
    assert_eq!(
        (near.1["request_id"].as_str(), near.1["unclaimed"]["amount_minor"].as_i64()),
        (Some(rid.as_str()), Some(25_000))
    );
    assert_eq!(near.1["partner_id"], w.a_id.as_str());

    let before = mdf::sweep::close_claim_windows(&st, close - chrono::Duration::seconds(1), 100).await.unwrap();
    assert_eq!(before.changed, 0, "the deadline day is still open");
    let closed = mdf::sweep::close_claim_windows(&st, close, 100).await.unwrap();
    assert_eq!(closed.changed, 1);
    assert_eq!(mdf::sweep::close_claim_windows(&st, close + chrono::Duration::days(1), 100).await.unwrap().changed, 0);
    let got = expect_json(w.app.get(&format!("/v1/mdf/requests/{rid}"), &w.a).await, StatusCode::OK).await;
    assert_eq!(
        (got["status"].as_str(), got["released_amount"]["amount_minor"].as_i64()),
        (Some("closed"), Some(25_000))
    );
    let b = ledger_matches_balances(&w, "2026-H1", mdf::domain::FundType::Mdf).await;
    assert_eq!(b, [100_000, 85_000, 0, 15_000, 0], "(allocated, available, reserved, claimed, paid)");
    let late = expect_json(
        w.app.post(&format!("/v1/mdf/requests/{rid}/claims"), &w.a, &claim_body(1_000, 1)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(late["detail"].as_str().unwrap().contains("closed"), "{late}");
    let events = w.app.events(1, std::time::Duration::from_secs(5)).await;
    assert!(
        events.iter().any(|(t, d)| t == "MdfRequestClosed" && d["released"]["amount_minor"] == 25_000),
        "{events:?}"
    );
}

fn won_deal_body(company: &str, mdf_request_id: Option<&str>) -> Value {
    let mut body = json!({
        "title": format!("{company} rollout"),
        "customer": {"company_name": company, "domain": format!("{}.example.org", company.to_lowercase()), "country": "US"},
        "contact": {"name": "Ann Buyer", "email": "ann@customer.example.com"},
        "products": ["FW-500"],
        "amount": {"amount_minor": 2_000_000, "currency": "USD"},
        "expected_close_date": "2027-03-31"
    });
    if let Some(rid) = mdf_request_id {
        body["mdf_request_id"] = json!(rid);
    }
    body
}

async fn win(w: &World, company: &str, mdf_request_id: Option<&str>, won_minor: i64) -> String {
    let deal =
        expect_json(w.app.post("/v1/deals", &w.a, &won_deal_body(company, mdf_request_id)).await, StatusCode::CREATED)
            .await;
    let id = deal["id"].as_str().unwrap().to_owned();
    expect_json(w.app.post(&format!("/v1/deals/{id}/approve"), &w.manager, &json!({})).await, StatusCode::OK).await;
    let close = json!({"outcome": "won", "amount": {"amount_minor": won_minor, "currency": "USD"}});
    expect_json(w.app.post(&format!("/v1/deals/{id}/close"), &w.a, &close).await, StatusCode::OK).await;
    id
}

#[tokio::test]
async fn a_won_deal_accrues_co_op_once_however_often_the_event_is_delivered() {
    let w = world(1_000).await;
    let deal_id = win(&w, "Initech", None, 1_000_000).await;
    assert_eq!(
        w.app.pump_mdf_events(1, std::time::Duration::from_secs(10)).await,
        1,
        "DealWon reached the MDF function"
    );
    let period = mdf::rules::PeriodKind::Half.of(chrono::Utc::now().date_naive());
    let coop = expect_json(
        w.app.get(&format!("/v1/mdf/allocations?period={period}&fund_type=coop"), &w.a).await,
        StatusCode::OK,
    )
    .await;
    // Partner A is gold: 3 % of 10,000.00 USD.
    assert_eq!(
        (coop["items"][0]["allocated"].as_i64(), coop["items"][0]["available"].as_i64()),
        (Some(30_000), Some(30_000))
    );

    // The same DealWon delivered three more times (as the alerts queue got it) changes nothing.
    let events = w.app.events(1, std::time::Duration::from_secs(5)).await;
    let (_, detail) = events.iter().find(|(t, _)| t == "DealWon").expect("DealWon on the bus").clone();
    assert_eq!(detail["deal_id"], deal_id.as_str());
    let delivered = prm_shared::events::Delivered {
        id: "redelivery".into(),
        source: "prm.deals".into(),
        detail_type: "DealWon".into(),
        detail,
    };
    let st = w.app.mdf_state().await;
    for _ in 0..3 {
        let done = mdf::coop::handle(&st, &delivered, chrono::Utc::now()).await.unwrap();
        assert_eq!(done, mdf::coop::Handled::Duplicate);
    }
    let b = ledger_matches_balances(&w, &period, mdf::domain::FundType::Coop).await;
    assert_eq!(b, [30_000, 30_000, 0, 0, 0]);
    let ledger = mdf::store::ledger(&w.app.db, &w.a_id, &period, mdf::domain::FundType::Coop).await.unwrap();
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].deal_id.as_deref(), Some(deal_id.as_str()));

    // A malformed or partner-less event is a permanent failure, named as such.
    let bad = prm_shared::events::Delivered { detail: json!({"deal_id": "X"}), ..delivered.clone() };
    let err = mdf::coop::handle(&st, &bad, chrono::Utc::now()).await.unwrap_err();
    assert!(!err.retryable(), "{err}");
}

#[tokio::test]
async fn the_roi_report_sets_won_revenue_of_sourced_deals_against_what_was_paid() {
    let w = world(100_000).await;
    let rid = approved_request(&w, 40_000).await;
    // A foreign or unapproved request cannot source a deal.
    let other = expect_json(w.app.post("/v1/mdf/requests", &w.a, &request(1_000)).await, StatusCode::CREATED).await;
    let bad = expect_json(
        w.app.post("/v1/deals", &w.a, &won_deal_body("Hooli", other["id"].as_str())).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem_fields(&bad), vec!["mdf_request_id"]);
    let bad =
        expect_json(w.app.post("/v1/deals", &w.b, &won_deal_body("Hooli", Some(&rid))).await, StatusCode::BAD_REQUEST)
            .await;
    assert_eq!(problem_fields(&bad), vec!["mdf_request_id"]);

    win(&w, "Initech", Some(&rid), 1_700_000).await;
    let open =
        expect_json(w.app.post("/v1/deals", &w.a, &won_deal_body("Globex", Some(&rid))).await, StatusCode::CREATED)
            .await;
    assert_eq!(open["mdf_request_id"], rid.as_str());
    let claim = expect_json(
        w.app.post(&format!("/v1/mdf/requests/{rid}/claims"), &w.a, &claim_body(40_000, 30)).await,
        StatusCode::CREATED,
    )
    .await;
    let cid = claim["claim"]["id"].as_str().unwrap();
    expect_json(w.app.post(&format!("/v1/mdf/claims/{cid}/approve"), &w.manager, &json!({})).await, StatusCode::OK)
        .await;
    expect_json(w.app.post(&format!("/v1/mdf/claims/{cid}/pay"), &w.manager, &json!({})).await, StatusCode::OK).await;

    let path = format!("/v1/mdf/reports?partner_id={}&period=2026-H1", w.a_id);
    let report = expect_json(w.app.get(&path, &w.manager).await, StatusCode::OK).await;
    let line = report["requests"].as_array().unwrap().iter().find(|l| l["request_id"] == rid.as_str()).unwrap().clone();
    assert_eq!((line["paid"].as_i64(), line["won_revenue"].as_i64()), (Some(40_000), Some(1_700_000)));
    assert_eq!((line["deals"].as_i64(), line["deals_won"].as_i64()), (Some(2), Some(1)));
    assert_eq!(line["sourced_pipeline"], 3_700_000);
    assert_eq!(line["roi"], "42.50");
    assert_eq!(line["leads_per_unit"], "0.0750", "30 leads for 400.00 USD");
    assert_eq!(line["cost_per_lead"], 1_333);
    assert_eq!(report["totals"][0]["roi"], "42.50");
    assert_eq!(report["funds"][0]["paid"], 40_000);

    let mine = expect_json(w.app.get("/v1/mdf/reports?period=2026-H1", &w.a).await, StatusCode::OK).await;
    assert_eq!(mine["requests"], report["requests"]);
    expect_json(w.app.get(&path, &w.b).await, StatusCode::NOT_FOUND).await;
    let missing =
        expect_json(w.app.get("/v1/mdf/reports?period=2026-H7", &w.manager).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem_fields(&missing), vec!["period", "partner_id"]);
}

/// Random sequences of every MDF operation (seeded, so a failure replays):
/// after each sequence the ledger sums to the balances and no balance is negative.
#[tokio::test]
async fn the_ledger_sums_to_the_balances_after_random_operations() {
    use rand::{Rng, SeedableRng};
    for seed in [7u64, 42, 2026] {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let w = world(200_000).await;
        // (id, amount): submitted requests (requested), approved (claimable), claims (claimed), approved claims.
        let mut submitted: Vec<(String, i64)> = Vec::new();
        let mut approved: Vec<(String, i64)> = Vec::new();
        let mut claims: Vec<(String, i64)> = Vec::new();
        let mut approved_claims: Vec<String> = Vec::new();
        let mut log = Vec::new();
        while log.len() < 40 {
            let op = rng.random_range(0..7);
            let pick = |rng: &mut rand::rngs::StdRng, len: usize| rng.random_range(0..len);
            let usd = |m: i64| json!({"amount_minor": m, "currency": "USD"});
            let status = match op {
                0 => {
                    let amount = rng.random_range(1..=60_000);
                    let v =
                        expect_json(w.app.post("/v1/mdf/requests", &w.a, &request(amount)).await, StatusCode::CREATED)
                            .await;
                    submitted.push((v["id"].as_str().unwrap().to_owned(), amount));
                    201
                }
                1 if !submitted.is_empty() => {
                    let (id, asked) = submitted.swap_remove(pick(&mut rng, submitted.len()));
                    let amount = if rng.random_bool(0.5) { asked } else { rng.random_range(1..=asked) };
                    let body = json!({"approved_amount": usd(amount)});
                    let s = w.app.post(&format!("/v1/mdf/requests/{id}/approve"), &w.manager, &body).await.status();
                    if s == StatusCode::OK {
                        approved.push((id, amount));
                    }
                    s.as_u16()
                }
                2 if !submitted.is_empty() => {
                    let (id, _) = submitted.swap_remove(pick(&mut rng, submitted.len()));
                    let body = json!({"reason": "not this quarter"});
                    w.app.post(&format!("/v1/mdf/requests/{id}/reject"), &w.manager, &body).await.status().as_u16()
                }
                3 if !approved.is_empty() => {
                    let i = pick(&mut rng, approved.len());
                    let amount = rng.random_range(1..=approved[i].1 + 100);
                    let path = format!("/v1/mdf/requests/{}/claims", approved[i].0);
                    let r = w.app.post(&path, &w.a, &claim_body(amount, 3)).await;
                    let s = r.status().as_u16();
                    if s == 201 {
                        let v: Value = r.json().await.unwrap();
                        claims.push((v["claim"]["id"].as_str().unwrap().to_owned(), amount));
                        approved[i].1 -= amount;
                    } else {
                        assert!(amount > approved[i].1, "seed {seed}: a claim within the approval was refused");
                    }
                    s
                }
                4 if !claims.is_empty() => {
                    let (id, amount) = claims.swap_remove(pick(&mut rng, claims.len()));
                    let body = json!({"approved_amount": usd(rng.random_range(1..=amount))});
                    let s = w.app.post(&format!("/v1/mdf/claims/{id}/approve"), &w.manager, &body).await.status();
                    if s == StatusCode::OK {
                        approved_claims.push(id);
                    }
                    s.as_u16()
                }
                5 if !claims.is_empty() => {
                    let (id, _) = claims.swap_remove(pick(&mut rng, claims.len()));
                    let body = json!({"reason": "no proof"});
                    w.app.post(&format!("/v1/mdf/claims/{id}/reject"), &w.manager, &body).await.status().as_u16()
                }
                6 if !approved_claims.is_empty() => {
                    let id = approved_claims.swap_remove(pick(&mut rng, approved_claims.len()));
                    w.app.post(&format!("/v1/mdf/claims/{id}/pay"), &w.admin, &json!({})).await.status().as_u16()
                }
                _ => continue,
            };
            assert!([200, 201, 409].contains(&status), "seed {seed}: op {op} answered {status}; {log:?}");
            log.push((op, status));
        }
        let mid = ledger_matches_balances(&w, "2026-H1", mdf::domain::FundType::Mdf).await;
        // Then every claim window closes.
        let st = w.app.mdf_state().await;
        mdf::sweep::close_claim_windows(&st, chrono::Utc::now() + chrono::Duration::days(400), 1000).await.unwrap();
        let end = ledger_matches_balances(&w, "2026-H1", mdf::domain::FundType::Mdf).await;
        assert_eq!(end[2], 0, "seed {seed}: nothing stays reserved once every window closed");
        let refused = log.iter().filter(|(_, s)| *s == 409).count();
        eprintln!(
            "MDF ledger property, seed {seed}: {} operations ({refused} refused with 409); balances (allocated, available, reserved, claimed, paid) {mid:?}, after the windows closed {end:?}",
            log.len()
        );
    }
}
