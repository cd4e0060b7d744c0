use std::time::Duration;

use prm_shared::auth::Role;
use prm_tests::{TestApp, TestUser, expect_json, problem_fields};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn course(max_attempts: u32) -> Value {
    json!({
        "title": "Firewall fundamentals",
        "description": "Sizing and selling the FW range",
        "modules": [
            {"title": "The range", "content": "# FW-500\nFor branch offices."},
            {"title": "Sizing", "content": "Throughput **first**."}
        ],
        "quiz": {"pass_mark_pct": 75, "questions": [
            {"prompt": "Which model fits a branch office?", "choices": ["FW-500", "FW-9000"], "correct": [0]},
            {"prompt": "What do you size first?", "choices": ["Colour", "Throughput", "Sessions"], "correct": [1, 2]}
        ]},
        "certification": {"name": "Firewall Associate", "valid_days": 365},
        "max_attempts_per_day": max_attempts
    })
}

struct World {
    app: TestApp,
    admin: TestUser,
    manager: TestUser,
    learner: TestUser,
    padmin: TestUser,
    other: TestUser,
    pid: String,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::VendorAdmin, None).await;
    let manager = app.user(Role::ChannelManager, None).await;
    let pid = app.create_partner(&admin, "Northwind", "gold", "NA").await["id"].as_str().unwrap().to_owned();
    let oid = app.create_partner(&admin, "Contoso", "silver", "EMEA").await["id"].as_str().unwrap().to_owned();
    let learner = app.partner_person(Role::PartnerUser, &pid).await;
    let padmin = app.partner_person(Role::PartnerAdmin, &pid).await;
    let other = app.user(Role::PartnerUser, Some(&oid)).await;
    World { app, admin, manager, learner, padmin, other, pid }
}

async fn published(w: &World, max_attempts: u32) -> String {
    let c = expect_json(w.app.post("/v1/courses", &w.admin, &course(max_attempts)).await, StatusCode::CREATED).await;
    let id = c["id"].as_str().unwrap().to_owned();
    expect_json(w.app.post(&format!("/v1/courses/{id}/publish"), &w.admin, &json!({})).await, StatusCode::OK).await;
    id
}

const FAIL: [[usize; 1]; 2] = [[1], [1]];

#[tokio::test]
async fn author_publish_enroll_fail_pass_and_certify_without_ever_showing_the_answers() {
    let w = world().await;
    expect_json(w.app.post("/v1/courses", &w.manager, &course(3)).await, StatusCode::FORBIDDEN).await;
    let mut bad = course(3);
    bad["quiz"]["questions"][1]["correct"] = json!([5]);
    let refused = expect_json(w.app.post("/v1/courses", &w.admin, &bad).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem_fields(&refused), vec!["quiz.questions[1].correct[0]"]);

    let draft = expect_json(w.app.post("/v1/courses", &w.admin, &course(3)).await, StatusCode::CREATED).await;
    let id = draft["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (draft["status"].as_str(), draft["quiz"]["questions"][1]["correct"].clone()),
        (Some("draft"), json!([1, 2]))
    );
    expect_json(w.app.get(&format!("/v1/courses/{id}"), &w.learner).await, StatusCode::NOT_FOUND).await;
    expect_json(
        w.app.post(&format!("/v1/courses/{id}/enrollments"), &w.learner, &json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_json(w.app.post(&format!("/v1/courses/{id}/publish"), &w.admin, &json!({})).await, StatusCode::OK).await;

    // Everything a partner sees of the course: no answers anywhere.
    let mut seen = Vec::new();
    let one = expect_json(w.app.get(&format!("/v1/courses/{id}"), &w.learner).await, StatusCode::OK).await;
    assert_eq!(one["public_quiz"]["questions"][1]["answers_expected"], 2);
    seen.push(one);
    seen.push(expect_json(w.app.get("/v1/courses", &w.learner).await, StatusCode::OK).await);
    let enrolled = expect_json(
        w.app.post(&format!("/v1/courses/{id}/enrollments"), &w.learner, &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    expect_json(
        w.app.post(&format!("/v1/courses/{id}/enrollments"), &w.learner, &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    seen.push(enrolled);
    let done = expect_json(
        w.app.post(&format!("/v1/courses/{id}/modules/1/complete"), &w.learner, &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["completed_modules"], json!([1]));
    expect_json(
        w.app.post(&format!("/v1/courses/{id}/modules/7/complete"), &w.learner, &json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let malformed = json!({"answers": [[0], [9]]});
    let refused = expect_json(
        w.app.post(&format!("/v1/courses/{id}/attempts"), &w.learner, &malformed).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem_fields(&refused), vec!["answers[1]"]);
    let short = json!({"answers": [[0]]});
    let refused = expect_json(
        w.app.post(&format!("/v1/courses/{id}/attempts"), &w.learner, &short).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem_fields(&refused), vec!["answers"]);

    let failed = expect_json(
        w.app.post(&format!("/v1/courses/{id}/attempts"), &w.learner, &json!({"answers": FAIL})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!((failed["score_pct"].as_u64(), failed["passed"].as_bool()), (Some(0), Some(false)));
    assert!(failed.get("certification").is_none());
    seen.push(failed);
    let passed = expect_json(
        w.app.post(&format!("/v1/courses/{id}/attempts"), &w.learner, &json!({"answers": [[0], [2, 1]]})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (passed["score_pct"].as_u64(), passed["passed"].as_bool(), passed["revision"].as_u64()),
        (Some(100), Some(true), Some(1))
    );
    let cert = passed["certification"].clone();
    assert_eq!(cert["name"], "Firewall Associate");
    let (issued, expires) = (cert["issued_at"].as_str().unwrap(), cert["expires_at"].as_str().unwrap());
    let days =
        chrono::DateTime::parse_from_rfc3339(expires).unwrap() - chrono::DateTime::parse_from_rfc3339(issued).unwrap();
    assert_eq!(days.num_days(), 365);
    seen.push(passed);
    for v in &seen {
        assert!(!v.to_string().contains("\"correct\""), "a partner saw the answers: {v}");
    }

    // The partner sees its people's certifications; vendor staff see all; another partner sees none.
    let mine = expect_json(w.app.get("/v1/certifications", &w.padmin).await, StatusCode::OK).await;
    assert_eq!(mine["items"][0]["id"], cert["id"]);
    let path = format!("/v1/certifications?partner_id={}", w.pid);
    expect_json(w.app.get(&path, &w.other).await, StatusCode::NOT_FOUND).await;
    let theirs = expect_json(w.app.get("/v1/certifications", &w.other).await, StatusCode::OK).await;
    assert!(theirs["items"].as_array().unwrap().is_empty());
    let all =
        expect_json(w.app.get(&format!("/v1/certifications?course_id={id}"), &w.manager).await, StatusCode::OK).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    let soon =
        expect_json(w.app.get("/v1/certifications?expiring_within_days=30", &w.manager).await, StatusCode::OK).await;
    assert!(soon["items"].as_array().unwrap().is_empty(), "a year away is not within 30 days");
    let year =
        expect_json(w.app.get("/v1/certifications?expiring_within_days=366", &w.manager).await, StatusCode::OK).await;
    assert_eq!(year["items"].as_array().unwrap().len(), 1);
    let bad =
        expect_json(w.app.get("/v1/certifications?expiring_within_days=0", &w.manager).await, StatusCode::BAD_REQUEST)
            .await;
    assert_eq!(problem_fields(&bad), vec!["expiring_within_days"]);

    // An edit is a new revision; the next attempt records it, and renewal extends the expiry.
    let mut edited = course(3);
    edited["title"] = json!("Firewall fundamentals (2027)");
    let v2 = expect_json(
        w.app
            .req(reqwest::Method::PUT, &format!("/v1/courses/{id}"), Some(&w.admin))
            .json(&edited)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!((v2["revision"].as_u64(), v2["status"].as_str()), (Some(2), Some("published")));
    let renewed = expect_json(
        w.app.post(&format!("/v1/courses/{id}/attempts"), &w.learner, &json!({"answers": [[0], [1, 2]]})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(renewed["revision"], 2);
    assert_eq!(renewed["certification"]["id"], cert["id"], "renewal keeps the certification");
    assert!(renewed["certification"]["expires_at"].as_str().unwrap() > expires, "renewal extends it");
}

#[tokio::test]
async fn attempts_are_limited_per_day_even_when_sent_at_once() {
    let w = world().await;
    let id = published(&w, 2).await;
    expect_json(
        w.app.post(&format!("/v1/courses/{id}/attempts"), &w.learner, &json!({"answers": FAIL})).await,
        StatusCode::CONFLICT,
    )
    .await;
    expect_json(
        w.app.post(&format!("/v1/courses/{id}/enrollments"), &w.learner, &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    let path = format!("/v1/courses/{id}/attempts");
    let tries = (0..6).map(|_| {
        let (app, learner, path) = (&w.app, &w.learner, &path);
        async move { app.post(path, learner, &json!({"answers": FAIL})).await }
    });
    let answers = futures::future::join_all(tries).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 2, "{statuses:?}");
    assert!(statuses.iter().all(|s| [200, 429, 409].contains(s)), "{statuses:?}");
    let res = w.app.post(&path, &w.learner, &json!({"answers": FAIL})).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 86_000 && retry <= 86_400, "{retry}");
    let problem: Value = res.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("next attempt is allowed at"), "{problem}");
    let me =
        expect_json(w.app.get(&format!("/v1/courses/{id}/enrollments/me"), &w.learner).await, StatusCode::OK).await;
    assert_eq!(me["attempts"], 2);
}

#[tokio::test]
async fn holders_are_told_once_before_a_certification_expires() {
    let w = world().await;
    let id = published(&w, 3).await;
    expect_json(
        w.app.post(&format!("/v1/courses/{id}/enrollments"), &w.learner, &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    let passed = expect_json(
        w.app.post(&format!("/v1/courses/{id}/attempts"), &w.learner, &json!({"answers": [[0], [1, 2]]})).await,
        StatusCode::OK,
    )
    .await;
    let expires =
        chrono::DateTime::parse_from_rfc3339(passed["certification"]["expires_at"].as_str().unwrap()).unwrap().to_utc();
    let st = local_api::training_state(&w.app.config).await;
    let early = expires - chrono::Duration::days(31);
    assert_eq!(training::sweep::remind_expiring(&st, early, 100).await.unwrap().changed, 0);
    let within = expires - chrono::Duration::days(29);
    assert_eq!(training::sweep::remind_expiring(&st, within, 100).await.unwrap().changed, 1);
    assert_eq!(training::sweep::remind_expiring(&st, within, 100).await.unwrap().changed, 0, "once");

    let alerts = w.app.alerts_state().await;
    // CourseCompleted, CertificationIssued, CertificationExpiring.
    assert!(w.app.pump_alerts(&alerts, 3, Duration::from_secs(10)).await.0 >= 3);
    for who in [&w.learner, &w.padmin] {
        let mail = w.app.mail_to(&who.email).await;
        assert!(mail.iter().any(|(s, _)| s.starts_with("Certification expires")), "{}: {mail:?}", who.email);
    }
}

#[tokio::test]
async fn the_onboarding_checklist_completes_from_real_events_and_makes_the_partner_active() {
    let w = world().await;
    let course_id = published(&w, 3).await;
    let mut bad = json!({"tasks": [{"key": "cert", "title": "Certify someone", "kind": "certified"}]});
    let put =
        |body: &Value| w.app.req(reqwest::Method::PUT, "/v1/program/onboarding", Some(&w.admin)).json(body).send();
    let refused = expect_json(put(&bad).await.unwrap(), StatusCode::BAD_REQUEST).await;
    assert_eq!(problem_fields(&refused), vec!["tasks[0].course_id"]);
    bad["tasks"][0]["course_id"] = json!(course_id);
    let checklist = json!({"tasks": [
        {"key": "agreement", "title": "Accept the program agreement", "kind": "manual"},
        {"key": "profile", "title": "Complete the profile", "kind": "profile_complete"},
        {"key": "certified", "title": "One person certified", "kind": "certified", "course_id": course_id, "count": 1},
        {"key": "first-deal", "title": "Register a first deal", "kind": "first_deal"}
    ]});
    expect_json(
        w.app
            .req(reqwest::Method::PUT, "/v1/program/onboarding", Some(&w.manager))
            .json(&checklist)
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_json(put(&checklist).await.unwrap(), StatusCode::OK).await;

    let path = format!("/v1/partners/{}/onboarding", w.pid);
    let start = expect_json(w.app.get(&path, &w.padmin).await, StatusCode::OK).await;
    let done: Vec<bool> = start["tasks"].as_array().unwrap().iter().map(|t| t["done"].as_bool().unwrap()).collect();
    assert_eq!(done, vec![false, true, false, false], "the profile names a specialty already");
    assert_eq!((start["complete"].as_bool(), start["partner_status"].as_str()), (Some(false), Some("onboarding")));
    expect_json(w.app.get(&path, &w.other).await, StatusCode::NOT_FOUND).await;

    let tick = format!("{path}/agreement/complete");
    expect_json(w.app.post(&tick, &w.learner, &json!({})).await, StatusCode::FORBIDDEN).await;
    expect_json(w.app.post(&format!("{path}/first-deal/complete"), &w.padmin, &json!({})).await, StatusCode::CONFLICT)
        .await;
    let ticked = expect_json(w.app.post(&tick, &w.padmin, &json!({})).await, StatusCode::OK).await;
    assert_eq!(ticked["tasks"][0]["done_by"], w.padmin.sub.as_str(), "who accepted the agreement is recorded");

    // A registration (DealRegistered) completes the deal task ...
    let deal = json!({
        "title": "Initech rollout", "customer": {"company_name": "Initech", "domain": "initech.example.org", "country": "US"},
        "contact": {"name": "Ann Buyer", "email": "ann@initech.example.org"}, "products": ["FW-500"],
        "amount": {"amount_minor": 1_000_000, "currency": "USD"}, "expected_close_date": "2027-03-31"
    });
    expect_json(w.app.post("/v1/deals", &w.learner, &deal).await, StatusCode::CREATED).await;
    assert_eq!(w.app.pump_portal_events(1, Duration::from_secs(10)).await, 1);
    let mid = expect_json(w.app.get(&path, &w.manager).await, StatusCode::OK).await;
    assert_eq!((mid["tasks"][3]["done"].as_bool(), mid["complete"].as_bool()), (Some(true), Some(false)));

    // ... and a certification (CertificationIssued) the last one: the partner becomes active.
    expect_json(
        w.app.post(&format!("/v1/courses/{course_id}/enrollments"), &w.learner, &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    expect_json(
        w.app.post(&format!("/v1/courses/{course_id}/attempts"), &w.learner, &json!({"answers": [[0], [1, 2]]})).await,
        StatusCode::OK,
    )
    .await;
    // CourseCompleted and CertificationIssued.
    assert_eq!(w.app.pump_portal_events(2, Duration::from_secs(10)).await, 2);
    let partner = expect_json(w.app.get(&format!("/v1/partners/{}", w.pid), &w.manager).await, StatusCode::OK).await;
    assert_eq!(partner["status"], "active");
    let end = expect_json(w.app.get(&path, &w.padmin).await, StatusCode::OK).await;
    assert_eq!((end["complete"].as_bool(), end["partner_status"].as_str()), (Some(true), Some("active")));
    let events = w.app.events(6, Duration::from_secs(10)).await;
    let completed: Vec<&Value> = events.iter().filter(|(t, _)| t == "OnboardingCompleted").map(|(_, d)| d).collect();
    assert_eq!(completed.len(), 1, "{events:?}");
    assert_eq!(completed[0]["partner_id"], w.pid.as_str());
}
