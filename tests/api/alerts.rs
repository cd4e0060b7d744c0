use std::time::Duration;

use prm_shared::auth::Role;
use prm_shared::events::Delivered;
use prm_tests::{TestApp, TestUser, expect_json, problem_fields};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct World {
    app: TestApp,
    manager: TestUser,
    vendor_admin: TestUser,
    padmin: TestUser,
    puser: TestUser,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let vendor_admin = app.user(Role::VendorAdmin, None).await;
    let manager = app.user(Role::ChannelManager, None).await;
    let pid = app.create_partner(&vendor_admin, "Northwind", "gold", "NA").await["id"].as_str().unwrap().to_owned();
    let padmin = app.partner_person(Role::PartnerAdmin, &pid).await;
    let puser = app.partner_person(Role::PartnerUser, &pid).await;
    World { app, manager, vendor_admin, padmin, puser }
}

fn deal(company: &str) -> Value {
    json!({
        "title": format!("{company} network refresh"),
        "customer": {"company_name": company, "domain": format!("{}.example.org", company.to_lowercase()), "country": "US"},
        "contact": {"name": "Ann Buyer", "email": "ann@customer.example.com"},
        "products": ["FW-500"],
        "amount": {"amount_minor": 12_345_600, "currency": "USD"},
        "expected_close_date": "2027-03-31"
    })
}

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_registered_then_approved_deal_emails_and_notifies_the_right_people_once() {
    let w = world().await;
    let st = w.app.alerts_state().await;
    let d = expect_json(w.app.post("/v1/deals", &w.puser, &deal("Contoso")).await, StatusCode::CREATED).await;
    let id = d["id"].as_str().unwrap();
    assert_eq!(w.app.pump_alerts(&st, 1, WAIT).await.0, 1);

    let mail = w.app.mail_to(&w.manager.email).await;
    assert_eq!(mail.len(), 1, "the channel manager is told: {mail:?}");
    assert_eq!(mail[0].0, "New deal registration: Contoso network refresh");
    // moto keeps the HTML part, where minijinja escapes "/" in the link as &#x2f;.
    assert!(mail[0].1.contains("123,456.00 USD") && mail[0].1.contains(&format!("deals&#x2f;{id}")), "{}", mail[0].1);
    assert!(w.app.mail_to(&w.vendor_admin.email).await.is_empty(), "registrations go to channel managers");
    assert!(w.app.mail_to(&w.puser.email).await.is_empty(), "nobody is told of what they did");

    let inbox = expect_json(w.app.get("/v1/notifications", &w.manager).await, StatusCode::OK).await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 1);
    let n = &inbox["items"][0];
    assert_eq!((n["event_type"].as_str(), n.get("read_at")), (Some("DealRegistered"), None));
    let read = expect_json(
        w.app.post(&format!("/v1/notifications/{}/read", n["id"].as_str().unwrap()), &w.manager, &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert!(read["read_at"].is_string());
    let unread = expect_json(w.app.get("/v1/notifications?unread=true", &w.manager).await, StatusCode::OK).await;
    assert!(unread["items"].as_array().unwrap().is_empty());
    // Nobody reaches another person's notification.
    let other = format!("/v1/notifications/{}/read", n["id"].as_str().unwrap());
    expect_json(w.app.post(&other, &w.padmin, &json!({})).await, StatusCode::NOT_FOUND).await;
    let theirs = expect_json(w.app.get("/v1/notifications", &w.padmin).await, StatusCode::OK).await;
    assert!(theirs["items"].as_array().unwrap().is_empty());

    // Approval: the partner's admins and the registering user, each once,
    // however often the event is delivered.
    expect_json(w.app.post(&format!("/v1/deals/{id}/approve"), &w.manager, &json!({})).await, StatusCode::OK).await;
    let events = w.app.events(1, WAIT).await;
    let (kind, detail) = events.into_iter().find(|(t, _)| t == "DealApproved").expect("DealApproved on the bus");
    let delivered = Delivered { id: "1".into(), source: "prm.deals".into(), detail_type: kind, detail };
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        outcomes.push(alerts::deliver::handle(&st, &delivered, chrono::Utc::now()).await.unwrap());
    }
    assert_eq!((outcomes[0].emailed, outcomes[0].in_app), (2, 2));
    assert_eq!((outcomes[1].emailed, outcomes[2].emailed, outcomes[2].duplicates), (0, 0, 4));
    for who in [&w.padmin, &w.puser] {
        let mail = w.app.mail_to(&who.email).await;
        assert_eq!(mail.len(), 1, "one email for three deliveries: {mail:?}");
        assert_eq!(mail[0].0, "Deal approved: Contoso network refresh");
    }
    assert_eq!(w.app.mail_to(&w.manager.email).await.len(), 1, "the approver is not told of their approval");
}

#[tokio::test]
async fn preferences_turn_email_off_or_into_a_daily_digest() {
    let w = world().await;
    let st = w.app.alerts_state().await;
    let defaults = expect_json(w.app.get("/v1/me/notification-preferences", &w.puser).await, StatusCode::OK).await;
    assert_eq!(defaults["preferences"]["DealApproved"], json!({"email": true, "in_app": true, "digest": false}));
    assert_eq!(defaults["preferences"]["DealWon"]["digest"], true);
    let bad = json!({"preferences": {"DealApprovd": {"email": false, "in_app": true, "digest": false}}});
    let refused = expect_json(
        w.app
            .req(reqwest::Method::PUT, "/v1/me/notification-preferences", Some(&w.puser))
            .json(&bad)
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem_fields(&refused), vec!["preferences.DealApprovd"]);
    let off = json!({"preferences": {"DealApproved": {"email": false, "in_app": true, "digest": false}}});
    expect_json(
        w.app
            .req(reqwest::Method::PUT, "/v1/me/notification-preferences", Some(&w.puser))
            .json(&off)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let digest = json!({"preferences": {"DealApproved": {"email": true, "in_app": false, "digest": true}}});
    expect_json(
        w.app
            .req(reqwest::Method::PUT, "/v1/me/notification-preferences", Some(&w.padmin))
            .json(&digest)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;

    let d = expect_json(w.app.post("/v1/deals", &w.puser, &deal("Fabrikam")).await, StatusCode::CREATED).await;
    let id = d["id"].as_str().unwrap();
    expect_json(w.app.post(&format!("/v1/deals/{id}/approve"), &w.manager, &json!({})).await, StatusCode::OK).await;
    assert_eq!(w.app.pump_alerts(&st, 2, WAIT).await.0, 2);

    assert!(w.app.mail_to(&w.puser.email).await.is_empty(), "email turned off");
    let inbox = expect_json(w.app.get("/v1/notifications", &w.puser).await, StatusCode::OK).await;
    assert_eq!(inbox["items"][0]["event_type"], "DealApproved", "in-app still on");
    assert!(w.app.mail_to(&w.padmin.email).await.is_empty(), "digested, not sent at once");
    let none = expect_json(w.app.get("/v1/notifications", &w.padmin).await, StatusCode::OK).await;
    assert!(none["items"].as_array().unwrap().is_empty(), "in-app turned off");

    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    let sent = alerts::digest::send_due(&st, tomorrow, 100).await.unwrap();
    assert_eq!((sent.sent, sent.lines), (1, 1));
    assert_eq!(alerts::digest::send_due(&st, tomorrow, 100).await.unwrap().sent, 0, "a second run sends nothing");
    let mail = w.app.mail_to(&w.padmin.email).await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0].0.contains("summary: 1 update"), "{mail:?}");
    assert!(mail[0].1.contains("Deal approved: Fabrikam network refresh"), "{}", mail[0].1);
}

#[tokio::test]
async fn a_failing_ses_call_is_retried_then_the_event_lands_in_the_dead_letter_queue() {
    let w = world().await;
    let mut st = w.app.alerts_state().await;
    st.cfg.sender_email = "nobody@unverified.example.net".into(); // SES refuses an unverified sender
    expect_json(w.app.post("/v1/deals", &w.puser, &deal("Tailspin")).await, StatusCode::CREATED).await;
    let mut failed = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while failed < 3 && tokio::time::Instant::now() < deadline {
        failed += w.app.pump_alerts(&st, 1, Duration::from_secs(1)).await.1;
    }
    assert_eq!(failed, 3, "one try and two retries");
    let dlq = w.app.queue("alerts").dlq_url.clone();
    let mut dead = Vec::new();
    for _ in 0..10 {
        let out = w.app.sqs.receive_message().queue_url(&dlq).wait_time_seconds(1).send().await.unwrap();
        dead.extend(out.messages().iter().filter_map(|m| m.body().map(str::to_owned)));
        if !dead.is_empty() {
            break;
        }
        // The redrive happens on the receive after the last failure.
        w.app.pump_alerts(&st, 1, Duration::from_secs(3)).await;
    }
    assert_eq!(dead.len(), 1, "the event is in the dead-letter queue, not dropped");
    let event: Value = serde_json::from_str(&dead[0]).unwrap();
    assert_eq!(event["detail-type"], "DealRegistered");
    assert!(w.app.mail_to(&w.manager.email).await.is_empty());
    // The in-app notification was written once; the email claim was released for a retry.
    let inbox = expect_json(w.app.get("/v1/notifications", &w.manager).await, StatusCode::OK).await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn partners_are_told_once_when_protection_ends_within_a_week_and_again_after_an_extension() {
    let w = world().await;
    let st = w.app.alerts_state().await;
    let deals = local_api::deals_state(&w.app.config).await;
    let d = expect_json(w.app.post("/v1/deals", &w.puser, &deal("Wingtip")).await, StatusCode::CREATED).await;
    let id = d["id"].as_str().unwrap();
    let approve = json!({"protection_days": 5});
    expect_json(w.app.post(&format!("/v1/deals/{id}/approve"), &w.manager, &approve).await, StatusCode::OK).await;
    assert_eq!(w.app.pump_alerts(&st, 2, WAIT).await.0, 2, "registered and approved");

    let now = chrono::Utc::now();
    let first = deals::sweep::remind_protection_ending(&deals, now, 100).await.unwrap();
    assert_eq!(first.changed, 1, "5 days of protection: within a week at once");
    assert_eq!(deals::sweep::remind_protection_ending(&deals, now, 100).await.unwrap().changed, 0, "once");
    assert_eq!(w.app.pump_alerts(&st, 1, WAIT).await.0, 1);
    for who in [&w.padmin, &w.puser] {
        let mail = w.app.mail_to(&who.email).await;
        assert!(mail.iter().any(|(s, _)| s.starts_with("Deal protection ends")), "{mail:?}");
    }

    // Extended by 30 days: the next reminder is a week before the new end.
    let grant = json!({"days": 30});
    expect_json(w.app.post(&format!("/v1/deals/{id}/extension"), &w.manager, &grant).await, StatusCode::OK).await;
    assert_eq!(deals::sweep::remind_protection_ending(&deals, now, 100).await.unwrap().changed, 0);
    let later = now + chrono::Duration::days(29);
    assert_eq!(deals::sweep::remind_protection_ending(&deals, later, 100).await.unwrap().changed, 1);
}

#[tokio::test]
async fn a_partner_is_reminded_once_of_a_lead_waiting_for_its_answer() {
    let w = world().await;
    let st = w.app.alerts_state().await;
    let deals = local_api::deals_state(&w.app.config).await;
    let lead = json!({
        "company_name": "Prospect Ltd", "domain": "prospect.example.com", "country": "US", "region": "NA",
        "product_interest": ["security"], "contact": {"name": "Pat Prospect", "email": "pat@prospect.example.com"}
    });
    let created = expect_json(w.app.post("/v1/leads", &w.manager, &lead).await, StatusCode::CREATED).await;
    assert_eq!(created["status"], "assigned", "{created}");
    let accept_by = chrono::DateTime::parse_from_rfc3339(created["accept_by"].as_str().unwrap()).unwrap().to_utc();

    let early = accept_by - chrono::Duration::hours(13);
    assert_eq!(deals::sweep::remind_unanswered_leads(&deals, early, 100).await.unwrap().changed, 0);
    let close = accept_by - chrono::Duration::hours(11);
    assert_eq!(deals::sweep::remind_unanswered_leads(&deals, close, 100).await.unwrap().changed, 1);
    assert_eq!(deals::sweep::remind_unanswered_leads(&deals, close, 100).await.unwrap().changed, 0, "once");
    assert!(w.app.pump_alerts(&st, 2, WAIT).await.0 >= 2, "LeadAssigned and the reminder");
    let mail = w.app.mail_to(&w.padmin.email).await;
    let subjects: Vec<&str> = mail.iter().map(|(s, _)| s.as_str()).collect();
    assert!(subjects.iter().any(|s| s.starts_with("A lead is waiting for your answer")), "{subjects:?}");
    assert!(subjects.iter().any(|s| s.starts_with("New lead for you")), "{subjects:?}");
}

/// An event storm does not flood a partner's inboxes: past the hourly cap per
/// partner, alerts wait for the daily digest (still in-app at once).
#[tokio::test]
async fn past_the_hourly_email_cap_alerts_wait_for_the_digest() {
    let w = world().await;
    let mut st = w.app.alerts_state().await;
    st.cfg.email_cap_per_hour = 3;
    let mut ids = Vec::new();
    for n in 0..3 {
        let mut d = deal(&format!("Capped{n}"));
        d["customer"]["domain"] = json!(format!("capped-customer-{n}.com"));
        ids.push(expect_json(w.app.post("/v1/deals", &w.puser, &d).await, StatusCode::CREATED).await["id"].clone());
    }
    // Three approvals: each emails the partner admin and the registering user: 6 emails against a cap of 3.
    for id in &ids {
        let path = format!("/v1/deals/{}/approve", id.as_str().unwrap());
        expect_json(w.app.post(&path, &w.manager, &json!({})).await, StatusCode::OK).await;
    }
    w.app.pump_alerts(&st, 6, WAIT).await;
    let approvals = |mail: Vec<(String, String)>| mail.into_iter().filter(|(s, _)| s.contains("approved")).count();
    let sent = approvals(w.app.mail_to(&w.padmin.email).await) + approvals(w.app.mail_to(&w.puser.email).await);
    assert_eq!(sent, 3, "three emails in the hour");
    // Every alert is in the inbox, and the held ones wait in the digest.
    let inbox = expect_json(w.app.get("/v1/notifications", &w.puser).await, StatusCode::OK).await;
    let approved_in_app =
        inbox["items"].as_array().unwrap().iter().filter(|n| n["event_type"] == "DealApproved").count();
    assert_eq!(approved_in_app, 3);
    let lines = |sub: &str| {
        let db = w.app.db.clone();
        let pk = format!("DIGEST#{sub}");
        async move {
            db.client
                .query()
                .table_name(&db.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(pk))
                .send()
                .await
                .unwrap()
                .count as usize
        }
    };
    assert_eq!(lines(&w.padmin.sub).await + lines(&w.puser.sub).await, 3, "the other three wait for the digest");
}
