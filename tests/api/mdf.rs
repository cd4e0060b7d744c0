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
    let reserved: i64 = ledger.iter().filter(|e| e.kind == "reserve").map(|e| e.amount_minor).sum();
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
        vec![("allocate", 100_000), ("reserve", 40_000), ("claim", 30_000), ("release", 5_000), ("pay", 25_000)]
    );
}
