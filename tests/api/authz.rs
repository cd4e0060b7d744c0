//! The authorization matrix, generated from the route table the code exports
//! (`infra/routes.json`): every route x the four roles x {own partner's
//! object, another partner's object, a missing id}, plus no token and a
//! tampered token. The expectations come from API.md, written out once below;
//! a route without an entry fails the test, so a new route cannot be forgotten.
//!
//! Expected: 401 without or with a bad token; 403 for a role that may never
//! call the route; 404 for another partner's object, with the same body as for
//! a missing id; no id of the other partner's objects in any answer to a
//! partner; a cursor from another partner's list refused.

use std::collections::BTreeSet;

use prm_shared::auth::Role;
use prm_tests::{TestApp, TestUser, expect_json, problem_fields};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const VA: Role = Role::VendorAdmin;
const CM: Role = Role::ChannelManager;
const PA: Role = Role::PartnerAdmin;
const PU: Role = Role::PartnerUser;
const ALL: &[Role] = &[VA, CM, PA, PU];
const VENDOR: &[Role] = &[VA, CM];
const PARTNER: &[Role] = &[PA, PU];

/// What a route's `{id}` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// No id in the path.
    None,
    Partner,
    Deal,
    Lead,
    Request,
    Claim,
    Asset,
    Share,
    /// Program-wide (a published course): no other partner's copy exists.
    Course,
    /// Only a missing id is tried (the object needs a history to exist).
    MissingOnly,
}

struct Policy {
    roles: &'static [Role],
    scope: Scope,
}

/// (method, path, who may call it, what its `{id}` names), from API.md.
const MATRIX: &[(&str, &str, &[Role], Scope)] = &[
    ("GET", "/v1/announcements", ALL, Scope::None),
    ("POST", "/v1/announcements", VENDOR, Scope::None),
    ("GET", "/v1/assets", ALL, Scope::None),
    ("POST", "/v1/assets", VENDOR, Scope::None),
    ("GET", "/v1/assets/{id}", ALL, Scope::Asset),
    ("POST", "/v1/assets/{id}/archive", VENDOR, Scope::Asset),
    ("POST", "/v1/assets/{id}/download", ALL, Scope::Asset),
    ("GET", "/v1/assets/{id}/downloads", VENDOR, Scope::Asset),
    ("POST", "/v1/assets/{id}/publish", VENDOR, Scope::Asset),
    ("GET", "/v1/assets/{id}/shares", ALL, Scope::Asset),
    ("POST", "/v1/assets/{id}/shares", PARTNER, Scope::Asset),
    ("POST", "/v1/assets/{id}/unpublish", VENDOR, Scope::Asset),
    ("GET", "/v1/assets/{id}/versions", ALL, Scope::Asset),
    ("POST", "/v1/assets/{id}/versions", VENDOR, Scope::Asset),
    ("DELETE", "/v1/shares/{id}", ALL, Scope::Share),
    ("GET", "/v1/certifications", ALL, Scope::None),
    ("GET", "/v1/courses", ALL, Scope::None),
    ("POST", "/v1/courses", &[VA], Scope::None),
    ("GET", "/v1/courses/{id}", ALL, Scope::Course),
    ("PUT", "/v1/courses/{id}", &[VA], Scope::Course),
    ("POST", "/v1/courses/{id}/attempts", PARTNER, Scope::Course),
    ("POST", "/v1/courses/{id}/enrollments", PARTNER, Scope::Course),
    ("GET", "/v1/courses/{id}/enrollments/me", PARTNER, Scope::Course),
    ("POST", "/v1/courses/{id}/modules/{index}/complete", PARTNER, Scope::Course),
    ("POST", "/v1/courses/{id}/publish", &[VA], Scope::Course),
    ("GET", "/v1/deals", ALL, Scope::None),
    ("POST", "/v1/deals", PARTNER, Scope::None),
    ("POST", "/v1/deals/check", PARTNER, Scope::None),
    ("GET", "/v1/deals/{id}", ALL, Scope::Deal),
    ("POST", "/v1/deals/{id}/approve", VENDOR, Scope::Deal),
    ("POST", "/v1/deals/{id}/reject", VENDOR, Scope::Deal),
    ("POST", "/v1/deals/{id}/close", ALL, Scope::Deal),
    ("POST", "/v1/deals/{id}/extension", ALL, Scope::Deal),
    ("GET", "/v1/leads", ALL, Scope::None),
    ("POST", "/v1/leads", VENDOR, Scope::None),
    ("GET", "/v1/leads/{id}", ALL, Scope::Lead),
    ("POST", "/v1/leads/{id}/accept", PARTNER, Scope::Lead),
    ("POST", "/v1/leads/{id}/decline", PARTNER, Scope::Lead),
    ("GET", "/v1/leads/{id}/assignment", VENDOR, Scope::Lead),
    ("GET", "/v1/mdf/allocations", ALL, Scope::None),
    ("POST", "/v1/mdf/allocations", &[VA], Scope::None),
    ("GET", "/v1/mdf/claims", ALL, Scope::None),
    ("GET", "/v1/mdf/claims/{id}", ALL, Scope::Claim),
    ("POST", "/v1/mdf/claims/{id}/approve", VENDOR, Scope::Claim),
    ("POST", "/v1/mdf/claims/{id}/pay", VENDOR, Scope::Claim),
    ("POST", "/v1/mdf/claims/{id}/reject", VENDOR, Scope::Claim),
    ("GET", "/v1/mdf/reports", ALL, Scope::None),
    ("GET", "/v1/mdf/requests", ALL, Scope::None),
    ("POST", "/v1/mdf/requests", PARTNER, Scope::None),
    ("GET", "/v1/mdf/requests/{id}", ALL, Scope::Request),
    ("POST", "/v1/mdf/requests/{id}/approve", VENDOR, Scope::Request),
    ("POST", "/v1/mdf/requests/{id}/reject", VENDOR, Scope::Request),
    ("POST", "/v1/mdf/requests/{id}/claims", PARTNER, Scope::Request),
    ("GET", "/v1/me", ALL, Scope::None),
    ("GET", "/v1/me/notification-preferences", ALL, Scope::None),
    ("PUT", "/v1/me/notification-preferences", ALL, Scope::None),
    ("GET", "/v1/notifications", ALL, Scope::None),
    ("POST", "/v1/notifications/{id}/read", ALL, Scope::MissingOnly),
    ("GET", "/v1/partners", VENDOR, Scope::None),
    ("POST", "/v1/partners", &[VA], Scope::None),
    ("GET", "/v1/partners/{id}", ALL, Scope::Partner),
    ("PATCH", "/v1/partners/{id}", &[VA, PA], Scope::Partner),
    ("GET", "/v1/partners/{id}/onboarding", ALL, Scope::Partner),
    ("POST", "/v1/partners/{id}/onboarding/{key}/complete", &[VA, PA], Scope::Partner),
    ("GET", "/v1/partners/{id}/scorecard", ALL, Scope::Partner),
    ("GET", "/v1/partners/{id}/users", &[VA, CM, PA], Scope::Partner),
    ("POST", "/v1/partners/{id}/users", &[VA, PA], Scope::Partner),
    ("GET", "/v1/program/onboarding", ALL, Scope::None),
    ("PUT", "/v1/program/onboarding", &[VA], Scope::None),
    ("GET", "/v1/program/tier-proposals", VENDOR, Scope::None),
    ("POST", "/v1/program/tier-proposals/{id}/approve", &[VA], Scope::MissingOnly),
    ("POST", "/v1/program/tier-proposals/{id}/reject", &[VA], Scope::MissingOnly),
    ("GET", "/v1/program/tiers", ALL, Scope::None),
    ("PUT", "/v1/program/tiers", &[VA], Scope::None),
    ("GET", "/v1/reports/program", VENDOR, Scope::None),
];

fn policy(method: &str, path: &str) -> Option<Policy> {
    MATRIX.iter().find(|e| e.0 == method && e.1 == path).map(|e| Policy { roles: e.2, scope: e.3 })
}

struct RouteDef {
    method: String,
    path: String,
    public: bool,
}

/// The route table the code exports (a test in local-api keeps it current).
fn routes() -> Vec<RouteDef> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/routes.json")).unwrap();
    let table: Vec<Value> = serde_json::from_str(&text).unwrap();
    table
        .iter()
        .map(|r| RouteDef {
            method: r["method"].as_str().unwrap().to_owned(),
            path: r["path"].as_str().unwrap().to_owned(),
            public: r["public"].as_bool().unwrap(),
        })
        .collect()
}

/// The world: partner A (the callers' own) and partner B (the foreign one).
struct World {
    app: TestApp,
    admin: TestUser,
    manager: TestUser,
    a: String,
    b: String,
    /// A's staff by role, then B's.
    a_users: Vec<TestUser>,
    b_user: TestUser,
    course: String,
    task: String,
    /// Every id of B's objects (and B's name): none may reach A's staff.
    foreign: std::sync::Mutex<BTreeSet<String>>,
    n: std::sync::atomic::AtomicUsize,
}

const PDF: &[u8] = b"%PDF-1.7\n% authz\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
const B_NAME: &str = "Zeta Foreign Partner";

impl World {
    async fn new() -> World {
        let app = TestApp::spawn().await;
        let admin = app.user(VA, None).await;
        let manager = app.user(CM, None).await;
        let a = app.create_partner(&admin, "Alpha Own Partner", "gold", "NA").await["id"].as_str().unwrap().to_owned();
        let b = app.create_partner(&admin, B_NAME, "silver", "EMEA").await["id"].as_str().unwrap().to_owned();
        for p in [&a, &b] {
            expect_json(
                app.patch(&format!("/v1/partners/{p}"), &admin, &json!({"status": "active"})).await,
                StatusCode::OK,
            )
            .await;
            let allocation = json!({"partner_id": p, "period": "2026-H2", "amount": {"amount_minor": 10_000_000, "currency": "USD"}});
            expect_json(app.post("/v1/mdf/allocations", &admin, &allocation).await, StatusCode::CREATED).await;
        }
        let a_users = vec![app.user(PA, Some(&a)).await, app.user(PU, Some(&a)).await];
        let b_user = app.user(PU, Some(&b)).await;
        let course =
            expect_json(app.post("/v1/courses", &admin, &course_body()).await, StatusCode::CREATED).await["id"]
                .as_str()
                .unwrap()
                .to_owned();
        expect_json(app.post(&format!("/v1/courses/{course}/publish"), &admin, &json!({})).await, StatusCode::OK).await;
        let checklist = expect_json(app.get("/v1/program/onboarding", &admin).await, StatusCode::OK).await;
        let task = checklist["tasks"][0]["key"].as_str().expect("an onboarding task").to_owned();
        let foreign = std::sync::Mutex::new(BTreeSet::from([b.clone(), B_NAME.to_owned()]));
        World { app, admin, manager, a, b, a_users, b_user, course, task, foreign, n: 0.into() }
    }

    fn next(&self) -> usize {
        self.n.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    fn partner_user(&self, partner: &str) -> &TestUser {
        if partner == self.a { &self.a_users[1] } else { &self.b_user }
    }

    async fn deal(&self, partner: &str) -> String {
        let n = self.next();
        let body = prm_tests::deal_body(
            &format!("Authz deal {n}"),
            &format!("Authz Customer {n}"),
            &format!("authz-customer-{n}.com"),
        );
        id(self.app.post("/v1/deals", self.partner_user(partner), &body).await, "id").await
    }

    async fn lead(&self, partner: &str) -> String {
        let n = self.next();
        let region = if partner == self.a { "NA" } else { "EMEA" };
        let body = json!({
            "company_name": format!("Authz Prospect {n}"), "domain": format!("authz-prospect-{n}.com"), "country": "US",
            "region": region, "product_interest": ["security"],
            "contact": {"name": "P", "email": format!("p@authz-prospect-{n}.com")}
        });
        let lead = expect_json(self.app.post("/v1/leads", &self.admin, &body).await, StatusCode::CREATED).await;
        assert_eq!(lead["partner_id"].as_str(), Some(partner), "the lead goes to the only eligible partner: {lead}");
        lead["id"].as_str().unwrap().to_owned()
    }

    async fn request(&self, partner: &str) -> String {
        let body = json!({
            "period": "2026-H2", "activity_type": "event", "title": "Authz booth", "description": "Trade show",
            "start_date": "2026-09-01", "end_date": "2026-09-03",
            "requested_amount": {"amount_minor": 1_000, "currency": "USD"},
            "expected": {"leads": 1, "pipeline": {"amount_minor": 1, "currency": "USD"}}
        });
        id(self.app.post("/v1/mdf/requests", self.partner_user(partner), &body).await, "id").await
    }

    async fn claim(&self, partner: &str) -> String {
        let r = self.request(partner).await;
        expect_json(
            self.app.post(&format!("/v1/mdf/requests/{r}/approve"), &self.manager, &json!({})).await,
            StatusCode::OK,
        )
        .await;
        let body = json!({
            "amount": {"amount_minor": 500, "currency": "USD"},
            "results": {"leads": 1, "attendees": 5, "pipeline": {"amount_minor": 1, "currency": "USD"}},
            "proofs": [{"name": "proof.pdf", "content_type": "application/pdf", "size_bytes": 10}]
        });
        let res = self.app.post(&format!("/v1/mdf/requests/{r}/claims"), self.partner_user(partner), &body).await;
        let v = expect_json(res, StatusCode::CREATED).await;
        self.remember(partner, &r);
        v["claim"]["id"].as_str().unwrap().to_owned()
    }

    async fn asset(&self, partner: &str) -> String {
        let n = self.next();
        let body = json!({
            "title": format!("Authz asset {n}"), "description": "", "kind": "document", "tags": [],
            "visibility": {"tiers": [], "regions": [], "partner_types": [], "partner_ids": [partner]},
            "file": {"name": "a.pdf", "content_type": "application/pdf", "size_bytes": PDF.len()}
        });
        let created = expect_json(self.app.post("/v1/assets", &self.manager, &body).await, StatusCode::CREATED).await;
        let up = &created["upload"];
        let mut put = self.app.http.put(up["url"].as_str().unwrap()).body(PDF.to_vec());
        for (k, v) in up["headers"].as_object().unwrap() {
            if k != "content-length" {
                put = put.header(k.as_str(), v.as_str().unwrap());
            }
        }
        assert!(put.send().await.unwrap().status().is_success());
        let asset = created["asset"]["id"].as_str().unwrap().to_owned();
        expect_json(
            self.app.post(&format!("/v1/assets/{asset}/publish"), &self.manager, &json!({})).await,
            StatusCode::OK,
        )
        .await;
        asset
    }

    async fn share(&self, partner: &str) -> String {
        let asset = self.asset(partner).await;
        self.remember(partner, &asset);
        let res = self.app.post(&format!("/v1/assets/{asset}/shares"), self.partner_user(partner), &json!({})).await;
        id(res, "id").await
    }

    /// A fresh object of `scope` belonging to `partner`.
    async fn object(&self, scope: Scope, partner: &str) -> Option<String> {
        let id = match scope {
            Scope::None | Scope::MissingOnly => return None,
            Scope::Partner => partner.to_owned(),
            Scope::Course => return (partner == self.a).then(|| self.course.clone()),
            Scope::Deal => self.deal(partner).await,
            Scope::Lead => self.lead(partner).await,
            Scope::Request => self.request(partner).await,
            Scope::Claim => self.claim(partner).await,
            Scope::Asset => self.asset(partner).await,
            Scope::Share => self.share(partner).await,
        };
        self.remember(partner, &id);
        Some(id)
    }

    fn remember(&self, partner: &str, id: &str) {
        if partner == self.b {
            self.foreign.lock().unwrap().insert(id.to_owned());
        }
    }

    fn caller(&self, role: Role) -> &TestUser {
        match role {
            Role::VendorAdmin => &self.admin,
            Role::ChannelManager => &self.manager,
            Role::PartnerAdmin => &self.a_users[0],
            Role::PartnerUser => &self.a_users[1],
        }
    }

    fn path(&self, template: &str, id: &str) -> String {
        template.replace("{id}", id).replace("{key}", &self.task).replace("{index}", "0")
    }

    async fn call(&self, method: &str, template: &str, path: &str, token: Option<&str>) -> (StatusCode, String) {
        let method: Method = method.parse().unwrap();
        let mut req = self.app.http.request(method.clone(), format!("{}{path}", self.app.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if matches!(method, Method::POST | Method::PUT | Method::PATCH) {
            req = req.json(&body(method.as_str(), template));
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        (status, res.text().await.unwrap())
    }

    /// Fails when `body`, an answer to A's staff, holds an id of B's objects.
    fn assert_no_foreign(&self, what: &str, body: &str, sent: &str) {
        for id in self.foreign.lock().unwrap().iter() {
            if id != sent {
                assert!(!body.contains(id.as_str()), "{what}: the answer to partner A holds B's {id}: {body}");
            }
        }
    }
}

async fn id(res: reqwest::Response, field: &str) -> String {
    let v = expect_json(res, StatusCode::CREATED).await;
    v[field].as_str().unwrap_or_else(|| panic!("no {field} in {v}")).to_owned()
}

fn course_body() -> Value {
    json!({
        "title": "Authz course", "description": "d",
        "modules": [{"title": "One", "content": "text"}],
        "quiz": {"pass_mark_pct": 50, "questions": [{"prompt": "?", "choices": ["a", "b"], "correct": [0]}]},
        "certification": {"name": "Authz cert", "valid_days": 365}
    })
}

/// A body the route accepts where one is needed, so that the object lookup
/// (not the body's validation) decides the answer; `{}` elsewhere.
fn body(method: &str, path: &str) -> Value {
    match (method, path) {
        ("POST", "/v1/deals/{id}/close") => json!({"outcome": "lost"}),
        ("POST", "/v1/deals/{id}/reject" | "/v1/mdf/requests/{id}/reject" | "/v1/mdf/claims/{id}/reject") => {
            json!({"reason": "authorization matrix"})
        }
        ("POST", "/v1/leads/{id}/decline") => json!({"reason": "no capacity"}),
        ("POST", "/v1/program/tier-proposals/{id}/reject") => json!({"note": "authorization matrix"}),
        ("POST", "/v1/assets/{id}/versions") => {
            json!({"file": {"name": "b.pdf", "content_type": "application/pdf", "size_bytes": PDF.len()}})
        }
        ("PUT", "/v1/courses/{id}") => course_body(),
        _ => json!({}),
    }
}

/// The body with the id that was asked for replaced, to compare shapes.
fn normalized(body: &str, id: &str) -> String {
    if id.is_empty() { body.to_owned() } else { body.replace(id, "{id}") }
}

fn denied(s: StatusCode) -> bool {
    matches!(s.as_u16(), 401 | 403 | 404 | 405)
}

#[tokio::test]
async fn every_route_answers_each_role_own_foreign_and_missing_objects_as_the_contract_says() {
    let w = World::new().await;
    let routes = routes();
    let mut failures = Vec::new();
    let mut cases = 0;
    for r in routes.iter().filter(|r| !r.public) {
        let Some(policy) = policy(&r.method, &r.path) else {
            failures.push(format!("{} {}: no expectation in the matrix: add the route to policy()", r.method, r.path));
            continue;
        };
        let missing = ulid::Ulid::new().to_string();
        // No token, and a tampered one.
        let mut tampered = w.admin.token.clone();
        tampered.pop();
        tampered.push(if w.admin.token.ends_with('A') { 'B' } else { 'A' });
        for (label, token) in [("no token", None), ("tampered token", Some(tampered.as_str()))] {
            cases += 1;
            let (s, body) = w.call(&r.method, &r.path, &w.path(&r.path, &missing), token).await;
            if s != StatusCode::UNAUTHORIZED {
                failures.push(format!("{} {} with {label}: {s} {body}", r.method, r.path));
            }
        }
        for role in ALL.iter().copied() {
            let user = w.caller(role);
            let allowed = policy.roles.contains(&role);
            let vendor = VENDOR.contains(&role);
            let own = w.object(policy.scope, &w.a).await;
            let foreign = w.object(policy.scope, &w.b).await;
            let mut tries: Vec<(&str, String)> = Vec::new();
            match policy.scope {
                Scope::None => tries.push(("", String::new())),
                _ => {
                    if let Some(o) = &own {
                        tries.push(("own", o.clone()));
                    }
                    if let Some(f) = &foreign {
                        tries.push(("foreign", f.clone()));
                    }
                    tries.push(("missing", missing.clone()));
                }
            }
            let mut answers = Vec::new();
            for (case, id) in &tries {
                cases += 1;
                let path = w.path(&r.path, id);
                let (s, body) = w.call(&r.method, &r.path, &path, Some(&user.token)).await;
                let what = format!("{} {} as {} ({case})", r.method, r.path, role.as_str());
                if !vendor {
                    w.assert_no_foreign(&what, &body, id);
                }
                let ok = match (allowed, *case) {
                    (false, _) => s == StatusCode::FORBIDDEN,
                    (true, "missing") => s == StatusCode::NOT_FOUND,
                    (true, "foreign") if !vendor => s == StatusCode::NOT_FOUND,
                    (true, _) => !denied(s) && !s.is_server_error(),
                };
                if !ok {
                    failures.push(format!("{what}: {s} {body}"));
                }
                answers.push((*case, s, normalized(&body, id)));
            }
            // A foreign object answers exactly as a missing one.
            let of = |c: &str| answers.iter().find(|a| a.0 == c).map(|a| (a.1, a.2.clone()));
            if !vendor
                && allowed
                && let (Some(f), Some(m)) = (of("foreign"), of("missing"))
                && f != m
            {
                failures.push(format!(
                    "{} {} as {}: foreign {f:?} differs from missing {m:?}",
                    r.method,
                    r.path,
                    role.as_str()
                ));
            }
            // Lists: asking for B by filter shows nothing of B.
            if policy.scope == Scope::None && r.method == "GET" && !vendor && allowed {
                cases += 1;
                let (s, body) =
                    w.call("GET", &r.path, &format!("{}?partner_id={}", r.path, w.b), Some(&user.token)).await;
                w.assert_no_foreign(&format!("GET {}?partner_id=B as {}", r.path, role.as_str()), &body, "");
                if s.is_server_error() {
                    failures.push(format!("GET {}?partner_id=B as {}: {s} {body}", r.path, role.as_str()));
                }
            }
        }
    }
    eprintln!(
        "authorization matrix: {} routes x 4 roles x own/foreign/missing, plus no token and a tampered token: {cases} requests",
        routes.iter().filter(|r| !r.public).count()
    );
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_matrix_names_only_routes_that_exist() {
    let known: BTreeSet<(String, String)> = routes().into_iter().map(|r| (r.method, r.path)).collect();
    for (m, p, _, _) in MATRIX {
        assert!(known.contains(&(m.to_string(), p.to_string())), "{m} {p} is in the matrix but not a route");
    }
}

#[tokio::test]
async fn a_cursor_from_another_partners_list_is_refused() {
    let w = World::new().await;
    for _ in 0..2 {
        w.deal(&w.b).await;
        w.request(&w.b).await;
        w.lead(&w.b).await;
    }
    for list in ["/v1/deals", "/v1/mdf/requests", "/v1/leads"] {
        let theirs = expect_json(w.app.get(&format!("{list}?limit=1"), &w.b_user).await, StatusCode::OK).await;
        let cursor = theirs["next_cursor"].as_str().unwrap_or_else(|| panic!("{list}: B has a second page: {theirs}"));
        let q = prm_tests::query(&[("limit", "1"), ("cursor", cursor)]);
        for user in &w.a_users {
            let refused = expect_json(w.app.get(&format!("{list}?{q}"), user).await, StatusCode::BAD_REQUEST).await;
            assert_eq!(problem_fields(&refused), vec!["cursor"], "{list}");
        }
        // The vendor's list of everything is another list too.
        let all = expect_json(w.app.get(&format!("{list}?limit=1"), &w.admin).await, StatusCode::OK).await;
        let q = prm_tests::query(&[("limit", "1"), ("cursor", all["next_cursor"].as_str().unwrap())]);
        expect_json(w.app.get(&format!("{list}?{q}"), &w.a_users[1]).await, StatusCode::BAD_REQUEST).await;
    }
}
