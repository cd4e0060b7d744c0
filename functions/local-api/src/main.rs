//! `local-api dev`: provision the local emulators, seed the demo program and
//! serve every function's routes on 127.0.0.1. `local-api openapi` prints the
//! OpenAPI document, `local-api routes` the route table the CDK app deploys;
//! `local-api token EMAIL` prints an ID token for a demo user.

use std::path::PathBuf;

use anyhow::Context;
use local_api::{LocalConfig, provision, resources::resources, seed};
use prm_shared::aws::LocalEndpoints;
use prm_shared::dynamo::Db;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::json;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

fn endpoints() -> LocalEndpoints {
    LocalEndpoints {
        dynamodb: env_or("PRM_DYNAMODB_ENDPOINT", "http://127.0.0.1:8000"),
        aws: env_or("PRM_AWS_ENDPOINT", "http://127.0.0.1:5055"),
        region: env_or("AWS_REGION", "us-east-1"),
        attempt_timeout: None,
    }
}

fn dev_json_path() -> PathBuf {
    PathBuf::from(env_or("PRM_DEV_JSON", ".local/dev.json"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("dev") => dev().await,
        Some("openapi") => {
            print!("{}", local_api::openapi_json()?);
            Ok(())
        }
        Some("routes") => {
            print!("{}", local_api::routes_json()?);
            Ok(())
        }
        Some("token") => {
            let email = args.get(1).context("usage: local-api token EMAIL [PASSWORD]")?;
            token(email, args.get(2).map(String::as_str)).await
        }
        _ => {
            eprintln!("usage: local-api dev | openapi | routes | token EMAIL [PASSWORD]");
            std::process::exit(2);
        }
    }
}

async fn dev() -> anyhow::Result<()> {
    if std::env::var("LOG_FORMAT").is_err() {
        // SAFETY: set before any other thread reads the environment.
        unsafe { std::env::set_var("LOG_FORMAT", "text") };
    }
    prm_shared::telemetry::init();
    let res = resources()?;
    let endpoints = endpoints();
    let port: u16 = env_or("PRM_API_PORT", "3000").parse().context("PRM_API_PORT")?;
    let sdk = endpoints.sdk_config().await;
    let ddb = endpoints.dynamodb_client(&sdk);
    let idp = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let ses = aws_sdk_sesv2::Client::new(&sdk);
    let s3 = local_api::s3_client(&sdk);
    let eb = aws_sdk_eventbridge::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);

    let table = "prm-dev";
    let bucket = "prm-dev-assets";
    let bus = "prm-dev";
    // A fresh table every run: `make dev` restarts the in-memory emulators anyway.
    if ddb.describe_table().table_name(table).send().await.is_ok() {
        ddb.delete_table().table_name(table).send().await.context("DeleteTable")?;
    }
    provision::create_table(&ddb, &res, table).await?;
    provision::create_bucket(&s3, &res, bucket).await?;
    let pool = provision::create_user_pool(&idp, &res, "prm-dev").await?;
    provision::create_sender(&ses, &res.email.sender).await?;
    let queues = provision::create_bus(&eb, &sqs, &res, bus).await?;
    let db = Db::new(ddb.clone(), table);
    let seeded = seed::seed(&db, &idp, &pool.pool_id).await?;

    let api_url = format!("http://127.0.0.1:{port}");
    let cfg = LocalConfig {
        endpoints: endpoints.clone(),
        table_name: table.into(),
        user_pool_id: pool.pool_id.clone(),
        client_id: pool.client_id.clone(),
        sender_email: res.email.sender.clone(),
        portal_url: api_url.clone(),
        cursor_secret: Alphanumeric.sample_string(&mut rand::rng(), 48),
        event_bus_name: bus.into(),
        bucket_name: bucket.into(),
        dynamodb_meter: None,
    };
    let web_dir = PathBuf::from(env_or("PRM_WEB_DIR", "web/dist"));
    let web_config = local_api::web::WebConfig {
        api_url: String::new(),
        cognito_url: "/_cognito".into(),
        client_id: pool.client_id.clone(),
        region: cfg.endpoints.region.clone(),
        program_name: "Demo Partner Program".into(),
    };
    let app = local_api::app(&cfg).await?.merge(local_api::web::router(web_dir, web_config, cfg.endpoints.aws.clone()));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("binding 127.0.0.1:{port} (is another `make dev` running?)"))?;

    let users: Vec<_> = seeded
        .users
        .iter()
        .map(|u| json!({"email": u.email, "password": u.password, "role": u.role, "partner_id": u.partner_id, "name": u.name}))
        .collect();
    let dev = json!({
        "api_url": api_url,
        "region": endpoints.region,
        "endpoints": {"dynamodb": endpoints.dynamodb, "aws": endpoints.aws},
        "user_pool_id": pool.pool_id,
        "client_id": pool.client_id,
        "issuer": cfg.issuer(),
        "jwks_url": cfg.jwks_url(),
        "table_name": table,
        "bucket_name": bucket,
        "event_bus_name": bus,
        "event_queues": queues,
        "sender_email": res.email.sender,
        "users": users,
        "partners": seeded.partners,
    });
    let path = dev_json_path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&dev)?)?;
    std::fs::rename(&tmp, &path)?;

    println!("\nPRM API serving on {api_url}  (state in {})", path.display());
    println!("Demo users (password {}):", seed::DEMO_PASSWORD);
    for u in &seeded.users {
        println!("  {:<32} {:<16} {}", u.email, u.role, u.partner_id.as_deref().unwrap_or("-"));
    }
    println!("Get a token:  make token USER=admin@northwind.example.com");
    println!("Then:         curl -H \"Authorization: Bearer $TOKEN\" {api_url}/v1/me\nCtrl-C stops everything.\n");

    // What the schedules and rules do on AWS (infra/resources.json), in process.
    let deals_state = local_api::deals_state(&cfg).await;
    let mdf_state = local_api::mdf_state(&cfg).await;
    let training_state = local_api::training_state(&cfg).await;
    let program_state = local_api::portal_state(&cfg).await;
    // What EventBridge's rules do on AWS: deliver `DealWon` to the MDF
    // function's event handler (co-op), registrations and certifications to the
    // portal's (onboarding), and every domain event to the alerts function.
    use local_api::pump::{alerts_handler, mdf_handler, portal_handler, spawn_forever};
    let alerts_state = local_api::alerts_state(&cfg).await;
    for q in &queues {
        let (sqs, url) = (sqs.clone(), q.url.clone());
        match q.target.as_str() {
            "mdf-events" => {
                spawn_forever(
                    sqs,
                    url,
                    "mdf-events",
                    mdf_state.clone(),
                    |st, ev| async move { mdf_handler(&st, ev).await },
                )
            }
            "portal-events" => {
                let st = local_api::portal_state(&cfg).await;
                spawn_forever(sqs, url, "portal-events", st, |st, ev| async move { portal_handler(&st, ev).await })
            }
            "alerts" => spawn_forever(sqs, url, "alerts", alerts_state.clone(), |st, ev| async move {
                alerts_handler(&st, ev).await
            }),
            other => tracing::warn!(target = other, "no local consumer for this rule's target"),
        }
    }
    tokio::spawn(local_api::dev_mail::follow(endpoints.aws.clone(), std::time::Duration::from_secs(2)));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
        let mut ticks: u64 = 0;
        loop {
            tick.tick().await;
            ticks += 1;
            let now = chrono::Utc::now();
            // The daily `program-evaluation` schedule: hourly here, first a minute after start.
            if ticks % 120 == 3 {
                match portal::evaluation::evaluate_all(&program_state, now).await {
                    Ok(r) => tracing::info!(?r, "tier evaluation"),
                    Err(e) => tracing::warn!(error = format!("{e:#}"), "tier evaluation failed"),
                }
            }
            // The `deals-sweeps` schedule (with the outbox republish).
            match deals::sweep::run_all(&deals_state, now).await {
                Ok(reports) => {
                    for (name, r) in reports.into_iter().filter(|(_, r)| r.changed + r.stale + r.failed > 0) {
                        tracing::info!(?r, "{name} sweep");
                    }
                }
                Err(e) => tracing::warn!(error = format!("{e:#}"), "deals sweeps failed"),
            }
            // The alerts schedule: daily digests that are due.
            match alerts::digest::send_due(&alerts_state, now, 200).await {
                Ok(r) if r.sent + r.failed > 0 => tracing::info!(?r, "digest sweep"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = format!("{e:#}"), "digest sweep failed"),
            }
            // The `training-sweeps` schedule.
            match training::sweep::remind_expiring(&training_state, now, 500).await {
                Ok(r) if r.changed + r.stale + r.failed > 0 => tracing::info!(?r, "certification sweep"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = format!("{e:#}"), "certification sweep failed"),
            }
            // The `mdf-sweeps` schedule.
            match mdf::coop::sweep(&mdf_state, now).await {
                Ok(mdf::coop::Handled::Swept { changed: 0, failed: 0 }) => {}
                Ok(done) => tracing::info!(?done, "MDF claim-deadline sweep"),
                Err(e) => tracing::warn!(error = format!("{e:#}"), "MDF claim-deadline sweep failed"),
            }
        }
    });

    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await?;
    std::fs::remove_file(&path).ok();
    Ok(())
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return ctrl_c.await.unwrap_or(()),
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.ok();
}

async fn token(email: &str, password: Option<&str>) -> anyhow::Result<()> {
    let path = dev_json_path();
    let dev: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .with_context(|| format!("reading {} (is `make dev` running?)", path.display()))?,
    )?;
    let password = match password {
        Some(p) => p.to_owned(),
        None => dev["users"]
            .as_array()
            .and_then(|u| u.iter().find(|u| u["email"] == email))
            .and_then(|u| u["password"].as_str())
            .map(str::to_owned)
            .with_context(|| format!("{email} is not a demo user; pass its password too"))?,
    };
    let endpoints = LocalEndpoints {
        dynamodb: dev["endpoints"]["dynamodb"].as_str().unwrap_or_default().to_owned(),
        aws: dev["endpoints"]["aws"].as_str().unwrap_or_default().to_owned(),
        region: dev["region"].as_str().unwrap_or("us-east-1").to_owned(),
        attempt_timeout: None,
    };
    let sdk = endpoints.sdk_config().await;
    let idp = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let client_id = dev["client_id"].as_str().context("client_id missing in dev.json")?;
    println!("{}", provision::sign_in(&idp, client_id, email, &password).await?);
    Ok(())
}
