use prm_shared::auth::Role;
use prm_tests::{TestApp, TestUser, expect_json, problem_fields};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn registration(company: &str, domain: &str) -> Value {
    json!({
        "title": format!("{company} firewall refresh"),
        "customer": {"company_name": company, "domain": domain, "country": "US"},
        "contact": {"name": "Ann Buyer", "email": "ann@customer.example.com"},
        "products": ["FW-500"],
        "amount": {"amount_minor": 5_000_000, "currency": "USD"},
        "expected_close_date": "2027-03-31"
    })
}

struct World {
    app: TestApp,
    manager: TestUser,
    admin: TestUser,
    a: TestUser,
    b: TestUser,
    a_id: String,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let manager = app.user(Role::ChannelManager, None).await;
    let a_id = app.create_partner(&admin, "Partner A", "gold", "NA").await["id"].as_str().unwrap().to_owned();
    let b_id = app.create_partner(&admin, "Partner B", "silver", "NA").await["id"].as_str().unwrap().to_owned();
    let a = app.user(Role::PartnerUser, Some(&a_id)).await;
    let b = app.user(Role::PartnerAdmin, Some(&b_id)).await;
    World { app, manager, admin, a, b, a_id }
}

async fn register(w: &World, who: &TestUser, company: &str, domain: &str) -> Value {
    expect_json(w.app.post("/v1/deals", who, &registration(company, domain)).await, StatusCode::CREATED).await
}

#[tokio::test]
async fn another_partners_registration_of_the_same_customer_is_flagged_without_naming_anyone() {
    let w = world().await;
    let first = register(&w, &w.a, "Acme Inc", "acme.com").await;
    assert_eq!(first["status"], "submitted");
    assert_eq!(first["conflict"], json!({"conflict": false, "reasons": []}));

    let second = register(&w, &w.b, "ACME, Inc.", "https://WWW.Acme.com:443/about").await;
    assert_eq!(second["conflict"]["conflict"], true);
    assert_eq!(second["conflict"]["reasons"], json!(["same_domain", "same_company_name"]));
    let text = second.to_string();
    assert!(!text.contains(first["id"].as_str().unwrap()) && !text.contains(&w.a_id), "never names the other partner");

    // The vendor sees which registrations collided.
    let seen = expect_json(
        w.app.get(&format!("/v1/deals/{}", second["id"].as_str().unwrap()), &w.manager).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen["conflicting_deal_ids"], json!([first["id"]]));
    let partner_view =
        expect_json(w.app.get(&format!("/v1/deals/{}", second["id"].as_str().unwrap()), &w.b).await, StatusCode::OK)
            .await;
    assert!(partner_view.get("conflicting_deal_ids").is_none());
}

#[tokio::test]
async fn the_check_runs_the_same_matching_without_registering() {
    let w = world().await;
    register(&w, &w.a, "Globex Corporation", "sales.globex.co.uk").await;
    let cases = [
        (
            registration("Globex Ltd", "globex.co.uk"),
            json!({"conflict": true, "reasons": ["same_domain", "same_company_name"]}),
        ),
        (registration("Someone Else", "eu.globex.co.uk"), json!({"conflict": true, "reasons": ["same_domain"]})),
        (registration("GLOBEX", "gmail.com"), json!({"conflict": true, "reasons": ["same_company_name"]})),
        (registration("Initech", "initech.co.uk"), json!({"conflict": false, "reasons": []})),
        (registration("Other Co", "co.uk.example.org"), json!({"conflict": false, "reasons": []})),
    ];
    for (body, want) in cases {
        let got = expect_json(w.app.post("/v1/deals/check", &w.b, &body).await, StatusCode::OK).await;
        assert_eq!(got, want, "{}", body["customer"]);
    }
    let b_deals = expect_json(w.app.get("/v1/deals", &w.b).await, StatusCode::OK).await;
    assert!(b_deals["items"].as_array().unwrap().is_empty(), "a check registers nothing");
    // A partner's own registration is not a conflict with itself.
    let own =
        expect_json(w.app.post("/v1/deals/check", &w.a, &registration("Globex", "globex.co.uk")).await, StatusCode::OK)
            .await;
    assert_eq!(own["conflict"], false);
    expect_json(w.app.post("/v1/deals/check", &w.manager, &registration("X", "x.com")).await, StatusCode::FORBIDDEN)
        .await;
}

#[tokio::test]
async fn registering_the_same_customer_twice_is_a_duplicate_even_concurrently() {
    let w = world().await;
    let (x, y) = (registration("Umbrella", "umbrella.com"), registration("Umbrella Corp", "www.umbrella.com"));
    let (r1, r2) = tokio::join!(w.app.post("/v1/deals", &w.a, &x), w.app.post("/v1/deals", &w.a, &y));
    let mut statuses = vec![r1.status().as_u16(), r2.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, vec![201, 409]);
    expect_json(
        w.app.post("/v1/deals", &w.a, &registration("Umbrella", "shop.umbrella.com")).await,
        StatusCode::CONFLICT,
    )
    .await;
    let list = expect_json(w.app.get("/v1/deals", &w.a).await, StatusCode::OK).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_partner_never_sees_another_partners_deals() {
    let w = world().await;
    let a_deal = register(&w, &w.a, "Hooli", "hooli.com").await;
    register(&w, &w.b, "Pied Piper", "piedpiper.com").await;
    let path = format!("/v1/deals/{}", a_deal["id"].as_str().unwrap());
    expect_json(w.app.get(&path, &w.b).await, StatusCode::NOT_FOUND).await;
    let missing =
        expect_json(w.app.get("/v1/deals/01ZZZZZZZZZZZZZZZZZZZZZZZZ", &w.b).await, StatusCode::NOT_FOUND).await;
    let foreign = expect_json(w.app.get(&path, &w.b).await, StatusCode::NOT_FOUND).await;
    assert_eq!(missing, foreign);
    // Whatever filter a partner sends, its list holds only its own deals.
    let list = expect_json(w.app.get(&format!("/v1/deals?partner_id={}", w.a_id), &w.b).await, StatusCode::OK).await;
    let names: Vec<_> =
        list["items"].as_array().unwrap().iter().map(|d| d["customer"]["company_name"].clone()).collect();
    assert_eq!(names, vec![json!("Pied Piper")]);
    let all = expect_json(w.app.get("/v1/deals", &w.manager).await, StatusCode::OK).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let only_a = expect_json(
        w.app.get(&format!("/v1/deals?partner_id={}&status=submitted", w.a_id), &w.admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(only_a["items"].as_array().unwrap().len(), 1);
    expect_json(w.app.post(&format!("{path}/close"), &w.b, &json!({"outcome": "lost"})).await, StatusCode::NOT_FOUND)
        .await;
}

#[tokio::test]
async fn deals_move_only_along_the_state_machine_and_keep_their_history() {
    let w = world().await;
    let d = register(&w, &w.a, "Vandelay Industries", "vandelay.com").await;
    let p = format!("/v1/deals/{}", d["id"].as_str().unwrap());
    for who in [&w.a, &w.b] {
        expect_json(w.app.post(&format!("{p}/approve"), who, &json!({})).await, StatusCode::FORBIDDEN).await;
    }
    expect_json(w.app.post(&format!("{p}/close"), &w.a, &json!({"outcome": "won"})).await, StatusCode::CONFLICT).await;
    let bad = expect_json(
        w.app.post(&format!("{p}/approve"), &w.manager, &json!({"protection_days": 0})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem_fields(&bad), vec!["protection_days"]);
    let approved = expect_json(
        w.app.post(&format!("{p}/approve"), &w.manager, &json!({"protection_days": 30})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(approved["status"], "approved");
    let expires = chrono::DateTime::parse_from_rfc3339(approved["protection_expires_at"].as_str().unwrap()).unwrap();
    let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days();
    assert!((29..=30).contains(&days), "{days}");
    expect_json(w.app.post(&format!("{p}/approve"), &w.admin, &json!({})).await, StatusCode::CONFLICT).await;
    expect_json(w.app.post(&format!("{p}/reject"), &w.admin, &json!({"reason": "late"})).await, StatusCode::CONFLICT)
        .await;
    let won = expect_json(
        w.app
            .post(
                &format!("{p}/close"),
                &w.a,
                &json!({"outcome": "won", "amount": {"amount_minor": 4_200_000, "currency": "USD"}}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(won["status"], "won");
    assert_eq!(won["closed_amount"]["amount_minor"], 4_200_000);
    expect_json(w.app.post(&format!("{p}/close"), &w.a, &json!({"outcome": "lost"})).await, StatusCode::CONFLICT).await;
    let read = expect_json(w.app.get(&p, &w.a).await, StatusCode::OK).await;
    let steps: Vec<_> =
        read["history"].as_array().unwrap().iter().map(|h| (h["from"].clone(), h["to"].clone())).collect();
    assert_eq!(
        steps,
        vec![
            (Value::Null, json!("submitted")),
            (json!("submitted"), json!("approved")),
            (json!("approved"), json!("won"))
        ]
    );

    // Rejection needs a reason and frees the customer for the same partner.
    let r = register(&w, &w.b, "Kramerica", "kramerica.com").await;
    let rp = format!("/v1/deals/{}", r["id"].as_str().unwrap());
    let bad = expect_json(
        w.app.post(&format!("{rp}/reject"), &w.manager, &json!({"reason": " "})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem_fields(&bad), vec!["reason"]);
    let rejected = expect_json(
        w.app.post(&format!("{rp}/reject"), &w.manager, &json!({"reason": "existing customer"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rejected["history"][1]["reason"], "existing customer");
    expect_json(w.app.post(&format!("{rp}/approve"), &w.manager, &json!({})).await, StatusCode::CONFLICT).await;
    expect_json(w.app.post(&format!("{rp}/close"), &w.b, &json!({"outcome": "won"})).await, StatusCode::CONFLICT).await;
    register(&w, &w.b, "Kramerica", "kramerica.com").await;
}

#[tokio::test]
async fn twenty_concurrent_approvals_for_one_customer_approve_exactly_one() {
    let w = world().await;
    let mut deals = Vec::new();
    for i in 0..20 {
        let pid = w.app.create_partner(&w.admin, &format!("Racer {i}"), "gold", "NA").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let user = w.app.user(Role::PartnerUser, Some(&pid)).await;
        let domain = if i % 2 == 0 { "initrode.com" } else { "www.initrode.com" };
        deals.push(register(&w, &user, "Initrode", domain).await["id"].as_str().unwrap().to_owned());
    }
    let futures = deals.iter().map(|id| {
        let (app, manager) = (&w.app, &w.manager);
        async move { app.post(&format!("/v1/deals/{id}/approve"), manager, &json!({})).await.status().as_u16() }
    });
    let mut statuses: Vec<u16> = futures::future::join_all(futures).await;
    statuses.sort();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
    let approved = expect_json(w.app.get("/v1/deals?status=approved", &w.manager).await, StatusCode::OK).await;
    let approved = approved["items"].as_array().unwrap();
    assert_eq!(approved.len(), 1);

    // Once the holder loses, another registration of the customer can be approved.
    let holder = approved[0]["id"].as_str().unwrap();
    expect_json(
        w.app.post(&format!("/v1/deals/{holder}/close"), &w.admin, &json!({"outcome": "lost"})).await,
        StatusCode::OK,
    )
    .await;
    let next = deals.iter().find(|d| d.as_str() != holder).unwrap();
    expect_json(w.app.post(&format!("/v1/deals/{next}/approve"), &w.manager, &json!({})).await, StatusCode::OK).await;
}

#[tokio::test]
async fn bad_registrations_name_the_field() {
    let w = world().await;
    let mut body = registration("Acme", "acme.com");
    body["customer"].as_object_mut().unwrap().remove("domain");
    let p = expect_json(w.app.post("/v1/deals", &w.a, &body).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem_fields(&p), vec!["customer.domain"]);
    let mut body = registration("Acme", "co.uk");
    body["amount"] = json!({"amount_minor": 10, "currency": "USD", "fx": 1});
    let p = expect_json(w.app.post("/v1/deals", &w.a, &body).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem_fields(&p), vec!["amount.fx"]);
    let mut body = registration("Acme", "acme.com");
    body["expected_close_date"] = json!("next week");
    let p = expect_json(w.app.post("/v1/deals", &w.a, &body).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem_fields(&p), vec!["expected_close_date"]);
    expect_json(w.app.post("/v1/deals", &w.manager, &registration("Acme", "acme.com")).await, StatusCode::FORBIDDEN)
        .await;
    let list = expect_json(w.app.get("/v1/deals", &w.manager).await, StatusCode::OK).await;
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_partner_asks_for_an_extension_and_the_vendor_grants_it() {
    let w = world().await;
    let d = register(&w, &w.a, "Cyberdyne Systems", "cyberdyne.com").await;
    let p = format!("/v1/deals/{}", d["id"].as_str().unwrap());
    expect_json(w.app.post(&format!("{p}/extension"), &w.a, &json!({})).await, StatusCode::CONFLICT).await;
    let approved = expect_json(
        w.app.post(&format!("{p}/approve"), &w.manager, &json!({"protection_days": 10})).await,
        StatusCode::OK,
    )
    .await;
    let until = chrono::DateTime::parse_from_rfc3339(approved["protection_expires_at"].as_str().unwrap()).unwrap();

    expect_json(w.app.post(&format!("{p}/extension"), &w.b, &json!({"days": 20})).await, StatusCode::NOT_FOUND).await;
    let bad =
        expect_json(w.app.post(&format!("{p}/extension"), &w.a, &json!({"days": 0})).await, StatusCode::BAD_REQUEST)
            .await;
    assert_eq!(problem_fields(&bad), vec!["days"]);
    let asked = expect_json(
        w.app.post(&format!("{p}/extension"), &w.a, &json!({"days": 20, "reason": "procurement slipped"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(asked["extension_request"]["days"], 20);
    assert_eq!(asked["protection_expires_at"], approved["protection_expires_at"], "asking grants nothing");
    expect_json(w.app.post(&format!("{p}/extension"), &w.a, &json!({"days": 5})).await, StatusCode::CONFLICT).await;

    let granted =
        expect_json(w.app.post(&format!("{p}/extension"), &w.manager, &json!({})).await, StatusCode::OK).await;
    let new_until = chrono::DateTime::parse_from_rfc3339(granted["protection_expires_at"].as_str().unwrap()).unwrap();
    assert_eq!((new_until - until).num_days(), 20, "the requested days are granted");
    assert!(granted["extension_request"].is_null());
    let types: Vec<_> = w.app.events(5, std::time::Duration::from_secs(10)).await.into_iter().map(|(t, _)| t).collect();
    assert!(
        types.contains(&"DealExtensionRequested".to_owned()) && types.contains(&"DealExtended".to_owned()),
        "{types:?}"
    );
}

#[tokio::test]
async fn the_expiry_sweep_ends_lapsed_protection_once_and_frees_the_customer() {
    let w = world().await;
    let a_deal = register(&w, &w.a, "Soylent", "soylent.com").await;
    let b_deal = register(&w, &w.b, "Soylent Corp", "soylent.com").await;
    let keep = register(&w, &w.a, "Tyrell", "tyrell.com").await;
    let (ap, bp, kp) = (
        format!("/v1/deals/{}", a_deal["id"].as_str().unwrap()),
        format!("/v1/deals/{}", b_deal["id"].as_str().unwrap()),
        format!("/v1/deals/{}", keep["id"].as_str().unwrap()),
    );
    expect_json(w.app.post(&format!("{ap}/approve"), &w.manager, &json!({"protection_days": 1})).await, StatusCode::OK)
        .await;
    expect_json(w.app.post(&format!("{kp}/approve"), &w.manager, &json!({"protection_days": 1})).await, StatusCode::OK)
        .await;
    expect_json(w.app.post(&format!("{kp}/extension"), &w.admin, &json!({"days": 10})).await, StatusCode::OK).await;
    expect_json(w.app.post(&format!("{bp}/approve"), &w.manager, &json!({})).await, StatusCode::CONFLICT).await;

    let state = local_api::deals_state(&w.app.config).await;
    let later = chrono::Utc::now() + chrono::Duration::days(2);
    let report = deals::sweep::expire_due(&state, later, 100).await.unwrap();
    assert_eq!((report.changed, report.failed), (1, 0), "{report:?}");
    let again = deals::sweep::expire_due(&state, later, 100).await.unwrap();
    assert_eq!((again.changed, again.stale, again.failed), (0, 0, 0), "a second run does nothing");

    let expired = expect_json(w.app.get(&ap, &w.a).await, StatusCode::OK).await;
    assert_eq!(expired["status"], "expired");
    assert_eq!(expired["history"].as_array().unwrap().last().unwrap()["by"], "system");
    let kept = expect_json(w.app.get(&kp, &w.a).await, StatusCode::OK).await;
    assert_eq!(kept["status"], "approved", "an extended deal is not expired");
    expect_json(w.app.post(&format!("{bp}/approve"), &w.manager, &json!({})).await, StatusCode::OK).await;
    let types: Vec<_> = w.app.events(9, std::time::Duration::from_secs(10)).await.into_iter().map(|(t, _)| t).collect();
    assert!(types.contains(&"DealExpired".to_owned()), "{types:?}");
}

#[tokio::test]
async fn a_registration_not_reviewed_in_time_is_flagged_once() {
    let w = world().await;
    let late = register(&w, &w.a, "Oscorp", "oscorp.com").await;
    let reviewed = register(&w, &w.a, "Daily Bugle", "dailybugle.com").await;
    assert!(late["review_due_at"].is_string() && late["review_overdue"] == false);
    expect_json(
        w.app.post(&format!("/v1/deals/{}/approve", reviewed["id"].as_str().unwrap()), &w.manager, &json!({})).await,
        StatusCode::OK,
    )
    .await;
    let state = local_api::deals_state(&w.app.config).await;
    let soon = chrono::Utc::now() + chrono::Duration::hours(1);
    assert_eq!(deals::sweep::flag_overdue_reviews(&state, soon, 100).await.unwrap().changed, 0, "not due yet");
    let later = chrono::Utc::now() + chrono::Duration::hours(49);
    let report = deals::sweep::flag_overdue_reviews(&state, later, 100).await.unwrap();
    assert_eq!((report.changed, report.stale, report.failed), (1, 0, 0), "only the unreviewed one");
    let again = deals::sweep::flag_overdue_reviews(&state, later, 100).await.unwrap();
    assert_eq!((again.changed, again.stale, again.failed), (0, 0, 0));
    let flagged = expect_json(
        w.app.get(&format!("/v1/deals/{}", late["id"].as_str().unwrap()), &w.manager).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(flagged["review_overdue"], true);
    let events = w.app.events(5, std::time::Duration::from_secs(10)).await;
    let overdue: Vec<_> = events.iter().filter(|(t, _)| t == "DealApprovalOverdue").collect();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].1["deal_id"], late["id"]);
    // Approving it afterwards still works.
    expect_json(
        w.app.post(&format!("/v1/deals/{}/approve", late["id"].as_str().unwrap()), &w.manager, &json!({})).await,
        StatusCode::OK,
    )
    .await;
}
