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
    // Open pipeline: the registered amounts of the deals still submitted or approved.
    let open: i64 = mine
        .iter()
        .filter(|d| d["status"] == "submitted" || d["status"] == "approved")
        .map(|d| d["amount"]["amount_minor"].as_i64().unwrap())
        .sum();
    let pipeline: i64 =
        c["open_pipeline"].as_array().unwrap().iter().map(|m| m["amount_minor"].as_i64().unwrap()).sum();
    assert_eq!(pipeline, open, "{card}");
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

/// Low requirements for tests: silver 1 approved registration, gold 2,
/// platinum 3 and 1,000,000 (minor units) of won revenue; co-op 2.5 % per
/// approval required plus one (silver 5 %, where the configured rate is 2 %).
fn easy_rules(grace_days: u32, auto_apply: bool) -> Value {
    let tier = |name: &str, approved: u32, revenue: i64, days: u32| {
        json!({
            "tier": name,
            "requirements": {"certified_people": 0, "won_revenue_12_months": {"amount_minor": revenue, "currency": "USD"}, "approved_registrations": approved},
            "benefits": {"protection_days": days, "coop_rate_bp": 250 * (approved + 1), "lead_weight": 1000 * (approved + 1)}
        })
    };
    json!({
        "tiers": [tier("registered", 0, 0, 30), tier("silver", 1, 0, 60), tier("gold", 2, 0, 90), tier("platinum", 3, 1_000_000, 120)],
        "demotion_grace_days": grace_days,
        "auto_apply": auto_apply
    })
}

async fn put_rules(w: &World, body: &Value) {
    let res = w.app.req(reqwest::Method::PUT, "/v1/program/tiers", Some(&w.admin)).json(body).send().await.unwrap();
    expect_json(res, StatusCode::OK).await;
}

async fn activate(w: &World, pid: &str) {
    expect_json(
        w.app.patch(&format!("/v1/partners/{pid}"), &w.admin, &json!({"status": "active"})).await,
        StatusCode::OK,
    )
    .await;
}

/// Registers and approves `n` deals of `who`'s partner and counts them into its scorecard.
async fn approved_deals(w: &World, who: &TestUser, first: usize, n: usize) {
    for i in first..first + n {
        let d = expect_json(w.app.post("/v1/deals", who, &deal(i)).await, StatusCode::CREATED).await;
        let id = d["id"].as_str().unwrap();
        expect_json(w.app.post(&format!("/v1/deals/{id}/approve"), &w.manager, &json!({})).await, StatusCode::OK).await;
    }
    // DealRegistered and DealApproved of each.
    assert_eq!(w.app.pump_portal_events(2 * n, Duration::from_secs(20)).await, 2 * n);
}

fn open_proposals_path(extra: &str) -> String {
    format!("/v1/program/tier-proposals{extra}")
}

#[tokio::test]
async fn tier_evaluation_proposes_moves_with_evidence_and_a_grace_period_before_demotions() {
    let w = world().await;
    let oid = w.other.partner_id.clone().unwrap();
    activate(&w, &w.pid).await;
    activate(&w, &oid).await;
    put_rules(&w, &easy_rules(30, false)).await;
    // Contoso (silver) gets two approved registrations: it qualifies for gold.
    approved_deals(&w, &w.other, 0, 2).await;
    let st = local_api::portal_state(&w.app.config).await;
    let t0 = chrono::Utc::now();
    let r = portal::evaluation::evaluate_all(&st, t0).await.unwrap();
    // Northwind (gold, nothing approved) falls short: within grace, nothing proposed yet.
    assert_eq!((r.evaluated, r.proposed, r.in_grace, r.failed), (2, 1, 1, 0), "{r:?}");
    let open = expect_json(w.app.get(&open_proposals_path(""), &w.manager).await, StatusCode::OK).await;
    let items = open["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{open}");
    let up = &items[0];
    assert_eq!((up["partner_id"].as_str(), up["direction"].as_str()), (Some(oid.as_str()), Some("promotion")));
    assert_eq!((up["from_tier"].as_str(), up["to_tier"].as_str()), (Some("silver"), Some("gold")));
    let evidence = up["evidence"].as_array().unwrap();
    let approved = evidence.iter().find(|g| g["requirement"] == "approved_registrations").unwrap();
    assert_eq!(
        (approved["current"].as_i64(), approved["required"].as_i64(), approved["met"].as_bool()),
        (Some(2), Some(2), Some(true))
    );
    assert_eq!(up["distance_to_next"]["tier"], "platinum");
    // Evaluating again changes nothing: the same move is already proposed.
    let again = portal::evaluation::evaluate_all(&st, t0 + chrono::Duration::hours(1)).await.unwrap();
    assert_eq!(again.proposed, 0);

    // After the grace period the demotion is proposed, with the held tier's unmet requirements.
    let later = t0 + chrono::Duration::days(31);
    let r = portal::evaluation::evaluate_all(&st, later).await.unwrap();
    assert_eq!((r.proposed, r.in_grace), (1, 0), "{r:?}");
    let mine =
        expect_json(w.app.get(&open_proposals_path(&format!("?partner_id={}", w.pid)), &w.admin).await, StatusCode::OK)
            .await;
    let down = &mine["items"][0];
    assert_eq!((down["direction"].as_str(), down["to_tier"].as_str()), (Some("demotion"), Some("registered")));
    let unmet: Vec<&str> = down["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["met"] == false)
        .map(|g| g["requirement"].as_str().unwrap())
        .collect();
    assert_eq!(unmet, vec!["approved_registrations"]);
    assert!(down["short_since"].is_string());

    // Only vendor staff see proposals; only a vendor admin decides.
    expect_json(w.app.get(&open_proposals_path(""), &w.user).await, StatusCode::FORBIDDEN).await;
    let up_id = up["id"].as_str().unwrap();
    let approve = format!("/v1/program/tier-proposals/{up_id}/approve");
    expect_json(w.app.post(&approve, &w.manager, &json!({})).await, StatusCode::FORBIDDEN).await;
    let done = expect_json(w.app.post(&approve, &w.admin, &json!({"note": "well earned"})).await, StatusCode::OK).await;
    assert_eq!((done["status"].as_str(), done["note"].as_str()), (Some("approved"), Some("well earned")));
    expect_json(w.app.post(&approve, &w.admin, &json!({})).await, StatusCode::CONFLICT).await;
    let contoso = expect_json(w.app.get(&format!("/v1/partners/{oid}"), &w.admin).await, StatusCode::OK).await;
    assert_eq!(contoso["tier"], "gold");
    let mut changed = None;
    for _ in 0..10 {
        let events = w.app.events(1, Duration::from_secs(2)).await;
        changed = events.into_iter().find(|(t, _)| t == "PartnerTierChanged").map(|(_, d)| d).or(changed);
        if changed.is_some() {
            break;
        }
    }
    let changed = changed.expect("PartnerTierChanged on the bus");
    assert_eq!((changed["partner_id"].as_str(), changed["to_tier"].as_str()), (Some(oid.as_str()), Some("gold")));

    // A rejection needs a reason and quiets the same move for 30 days.
    let down_id = down["id"].as_str().unwrap();
    let reject = format!("/v1/program/tier-proposals/{down_id}/reject");
    let refused = expect_json(w.app.post(&reject, &w.admin, &json!({})).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem_fields(&refused), vec!["note"]);
    expect_json(w.app.post(&reject, &w.admin, &json!({"note": "strategic account"})).await, StatusCode::OK).await;
    let r = portal::evaluation::evaluate_all(&st, later + chrono::Duration::days(1)).await.unwrap();
    assert_eq!((r.proposed, r.failed), (0, 0), "gold fits Contoso now; Northwind's demotion is quiet: {r:?}");
    let open = expect_json(w.app.get(&open_proposals_path(""), &w.manager).await, StatusCode::OK).await;
    assert_eq!(open["items"].as_array().unwrap().len(), 0, "{open}");
    let history =
        expect_json(w.app.get(&open_proposals_path("?status=rejected"), &w.manager).await, StatusCode::OK).await;
    assert_eq!(history["items"][0]["id"].as_str(), Some(down_id));
    let bad =
        expect_json(w.app.get(&open_proposals_path("?status=maybe"), &w.manager).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem_fields(&bad), vec!["status"]);
    let r = portal::evaluation::evaluate_all(&st, later + chrono::Duration::days(31)).await.unwrap();
    assert_eq!(r.proposed, 1, "the quiet period (30 days from the proposal) is over: {r:?}");
}

#[tokio::test]
async fn auto_applied_tier_moves_change_the_partner_at_once() {
    let w = world().await;
    let oid = w.other.partner_id.clone().unwrap();
    activate(&w, &oid).await;
    put_rules(&w, &easy_rules(0, true)).await;
    approved_deals(&w, &w.other, 0, 1).await;
    let st = local_api::portal_state(&w.app.config).await;
    // Northwind is not active: not evaluated. Contoso (silver) fits silver with one approval.
    let r = portal::evaluation::evaluate_all(&st, chrono::Utc::now()).await.unwrap();
    assert_eq!((r.evaluated, r.proposed, r.applied), (1, 0, 0), "{r:?}");
    approved_deals(&w, &w.other, 1, 1).await;
    let r = portal::evaluation::evaluate_all(&st, chrono::Utc::now()).await.unwrap();
    assert_eq!((r.evaluated, r.applied), (1, 1), "{r:?}");
    let contoso = expect_json(w.app.get(&format!("/v1/partners/{oid}"), &w.admin).await, StatusCode::OK).await;
    assert_eq!(contoso["tier"], "gold");
    let applied =
        expect_json(w.app.get(&open_proposals_path("?status=approved"), &w.admin).await, StatusCode::OK).await;
    assert_eq!(
        (applied["items"][0]["auto_applied"].as_bool(), applied["items"][0]["decided_by"].as_str()),
        (Some(true), Some("auto"))
    );
    let card = expect_json(w.app.get(&format!("/v1/partners/{oid}/scorecard"), &w.other).await, StatusCode::OK).await;
    assert_eq!((card["tier"].as_str(), card["next_tier"]["tier"].as_str()), (Some("gold"), Some("platinum")));
}

/// Once the vendor sets tier rules, the benefits of a partner's current tier
/// apply: deal protection, co-op accrual and lead weight.
#[tokio::test]
async fn benefits_follow_the_partners_current_tier() {
    let w = world().await;
    let oid = w.other.partner_id.clone().unwrap();
    let approve_days = |who: &TestUser, i: usize| {
        let (app, manager, who) = (&w.app, &w.manager, who.clone());
        async move {
            let d = expect_json(app.post("/v1/deals", &who, &deal(i)).await, StatusCode::CREATED).await;
            let id = d["id"].as_str().unwrap().to_owned();
            let a =
                expect_json(app.post(&format!("/v1/deals/{id}/approve"), manager, &json!({})).await, StatusCode::OK)
                    .await;
            let until: chrono::DateTime<chrono::Utc> = a["protection_expires_at"].as_str().unwrap().parse().unwrap();
            ((until - chrono::Utc::now()).num_hours() + 12) / 24
        }
    };
    // No rules set: the deployment's default protection (90 days) for everyone.
    assert_eq!(approve_days(&w.other, 0).await, 90);
    put_rules(&w, &easy_rules(30, false)).await;
    // Northwind is gold (90 days in these rules), Contoso silver (60).
    assert_eq!(approve_days(&w.user, 1).await, 90);
    assert_eq!(approve_days(&w.other, 2).await, 60);
    // The approver may still set the period.
    let d = expect_json(w.app.post("/v1/deals", &w.other, &deal(3)).await, StatusCode::CREATED).await;
    let id = d["id"].as_str().unwrap();
    let a = expect_json(
        w.app.post(&format!("/v1/deals/{id}/approve"), &w.manager, &json!({"protection_days": 10})).await,
        StatusCode::OK,
    )
    .await;
    let until: chrono::DateTime<chrono::Utc> = a["protection_expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(((until - chrono::Utc::now()).num_hours() + 12) / 24, 10);

    // Co-op at the silver rate of these rules (5 %), not the configured 2 %.
    let close = json!({"outcome": "won", "amount": {"amount_minor": 1_000_000, "currency": "USD"}});
    expect_json(w.app.post(&format!("/v1/deals/{id}/close"), &w.other, &close).await, StatusCode::OK).await;
    assert_eq!(w.app.pump_mdf_events(1, Duration::from_secs(10)).await, 1);
    let period = mdf::rules::PeriodKind::Half.of(chrono::Utc::now().date_naive());
    let coop = expect_json(
        w.app.get(&format!("/v1/mdf/allocations?period={period}&fund_type=coop&partner_id={oid}"), &w.manager).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(coop["items"][0]["allocated"].as_i64(), Some(50_000), "{coop}");
}

/// The program report sums what the partners did: tiers, open pipeline and
/// won revenue per partner and region, the period's MDF, the funnel and the
/// top list; each list is a CSV download; only vendor staff read it.
#[tokio::test]
async fn the_program_report_sums_partners_regions_and_funds_and_exports_csv() {
    let w = world().await;
    let oid = w.other.partner_id.clone().unwrap();
    let period = mdf::rules::PeriodKind::Half.of(chrono::Utc::now().date_naive());
    // Northwind: one won (registered at 1,000,000), one rejected, one open (1,000,002); Contoso: one open.
    let mut ids = Vec::new();
    for (i, who) in [(0, &w.user), (1, &w.user), (2, &w.user), (3, &w.other)] {
        let d = expect_json(w.app.post("/v1/deals", who, &deal(i)).await, StatusCode::CREATED).await;
        ids.push(d["id"].as_str().unwrap().to_owned());
    }
    expect_json(w.app.post(&format!("/v1/deals/{}/approve", ids[0]), &w.manager, &json!({})).await, StatusCode::OK)
        .await;
    let won = json!({"outcome": "won", "amount": {"amount_minor": 250_000, "currency": "USD"}});
    expect_json(w.app.post(&format!("/v1/deals/{}/close", ids[0]), &w.user, &won).await, StatusCode::OK).await;
    let reject = json!({"reason": "existing customer"});
    expect_json(w.app.post(&format!("/v1/deals/{}/reject", ids[1]), &w.manager, &reject).await, StatusCode::OK).await;
    let allocation =
        json!({"partner_id": w.pid, "period": period, "amount": {"amount_minor": 500_000, "currency": "USD"}});
    expect_json(w.app.post("/v1/mdf/allocations", &w.admin, &allocation).await, StatusCode::CREATED).await;
    // 4 registrations, an approval, a win and a rejection reach the counters.
    assert!(w.app.pump_portal_events(7, Duration::from_secs(20)).await >= 7);

    let path = format!("/v1/reports/program?period={period}");
    let r = expect_json(w.app.get(&path, &w.manager).await, StatusCode::OK).await;
    assert_eq!((r["partner_count"].as_i64(), r["currency"].as_str()), (Some(2), Some("USD")), "{r}");
    let tiers: Vec<(&str, i64)> = r["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["tier"].as_str().unwrap(), t["total"].as_i64().unwrap()))
        .collect();
    assert_eq!(tiers, vec![("silver", 1), ("gold", 1)]);
    let row = |id: &str| r["partners"].as_array().unwrap().iter().find(|p| p["partner_id"] == id).unwrap().clone();
    let nw = row(&w.pid);
    assert_eq!(
        (nw["deals_registered"].as_i64(), nw["deals_won"].as_i64(), nw["win_rate_pct"].as_i64()),
        (Some(3), Some(1), Some(100))
    );
    assert_eq!(
        (nw["open_pipeline_minor"].as_i64(), nw["won_revenue_minor"].as_i64()),
        (Some(1_000_002), Some(250_000))
    );
    assert_eq!(nw["mdf_allocated_minor"].as_i64(), Some(500_000));
    assert_eq!(row(&oid)["open_pipeline_minor"].as_i64(), Some(1_000_003));
    let na = &r["regions"][0];
    assert_eq!((na["region"].as_str(), na["partners"].as_i64()), (Some("NA"), Some(2)));
    assert_eq!(
        (na["open_pipeline_minor"].as_i64(), na["won_revenue_minor"].as_i64()),
        (Some(2_000_005), Some(250_000))
    );
    assert_eq!((r["mdf"]["allocated"].as_i64(), r["mdf"]["available"].as_i64()), (Some(500_000), Some(500_000)));
    assert_eq!(r["top_partners"][0]["partner_id"], w.pid.as_str());
    assert_eq!(r["top_partners"].as_array().unwrap().len(), 1);
    assert_eq!(
        (r["onboarding"][0]["stage"].as_str(), r["onboarding"][0]["partners"].as_i64()),
        (Some("joined"), Some(2))
    );
    // "Register a first deal" is done by both, from the DealRegistered events.
    let first = r["onboarding"].as_array().unwrap().iter().find(|s| s["stage"] == "first-deal").unwrap();
    assert_eq!(first["partners"].as_i64(), Some(2), "{r}");

    let res = w.app.get(&format!("{path}&format=csv&list=regions"), &w.admin).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains(&format!("program-regions-{period}.csv")));
    let body = res.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines[0],
        "region,partners,active_partners,currency,open_pipeline_minor,won_revenue_minor,won_revenue_12_months_minor,deals_won"
    );
    assert_eq!(lines[1], "NA,2,0,USD,2000005,250000,250000,1");
    let partners_csv = w.app.get(&format!("{path}&format=csv"), &w.manager).await.text().await.unwrap();
    assert_eq!(partners_csv.lines().count(), 3, "{partners_csv}");
    assert!(partners_csv.starts_with("partner_id,name,tier,status,region,"));

    expect_json(w.app.get(&path, &w.user).await, StatusCode::FORBIDDEN).await;
    expect_json(w.app.get(&path, &w.other).await, StatusCode::FORBIDDEN).await;
    let bad = expect_json(
        w.app.get("/v1/reports/program?period=2026-H3&format=xml", &w.manager).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem_fields(&bad), vec!["period", "format"]);
    let bad = expect_json(w.app.get("/v1/reports/program?list=top", &w.manager).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem_fields(&bad), vec!["list"]);
}
