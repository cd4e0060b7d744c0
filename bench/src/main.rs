//! `make bench`: cold start, size, DynamoDB cost per request, scale and local
//! throughput, printed as Markdown and written to a file. Needs the emulators
//! (`PRM_TEST_DYNAMODB_ENDPOINT`, `PRM_TEST_AWS_ENDPOINT`) and the release
//! bootstraps that `scripts/bench.sh` builds. Nothing here asserts a timing.

mod coldstart;
mod cost;
mod scale;
mod throughput;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use prm_shared::auth::Role;
use prm_tests::TestApp;
use serde_json::{Value, json};

/// The deployed functions and the event each is measured with.
const FUNCTIONS: [(&str, Event); 9] = [
    ("portal", Event::Http("/v1/me")),
    ("deals", Event::Http("/v1/deals")),
    ("mdf", Event::Http("/v1/mdf/allocations")),
    ("training", Event::Http("/v1/courses")),
    ("portal-events", Event::Scheduled),
    ("deals-sweeps", Event::Scheduled),
    ("mdf-events", Event::Scheduled),
    ("training-sweeps", Event::Scheduled),
    ("alerts", Event::Scheduled),
];

#[derive(Clone, Copy)]
enum Event {
    /// `GET path` as a partner admin (events/apigw-v2-partner-admin.json).
    Http(&'static str),
    /// A schedule's event (events/eventbridge-scheduled.json).
    Scheduled,
}

struct Args {
    lambda_dir: PathBuf,
    arm64_dir: PathBuf,
    node_script: PathBuf,
    runs: usize,
    sizes: Vec<usize>,
    out: PathBuf,
    load_seconds: u64,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        lambda_dir: "target/lambda-bench/x86_64".into(),
        arm64_dir: "target/lambda-bench/arm64".into(),
        node_script: "bench/node/index.mjs".into(),
        runs: 20,
        sizes: vec![1_000, 100_000],
        out: ".local/bench/report.md".into(),
        load_seconds: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--lambda-dir" => a.lambda_dir = value()?.into(),
            "--arm64-dir" => a.arm64_dir = value()?.into(),
            "--node-script" => a.node_script = value()?.into(),
            "--runs" => a.runs = value()?.parse().context("--runs")?,
            "--sizes" => {
                a.sizes = value()?.split(',').map(|s| s.trim().parse()).collect::<Result<_, _>>().context("--sizes")?
            }
            "--out" => a.out = value()?.into(),
            "--load-seconds" => a.load_seconds = value()?.parse().context("--load-seconds")?,
            other => bail!("unknown flag {other}"),
        }
    }
    Ok(a)
}

fn read_json(path: &str) -> anyhow::Result<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?)
        .with_context(|| format!("parsing {path}"))
}

/// The partner-admin fixture as a `GET path[?query]` by `user`.
fn http_event(fixture: &Value, target: &str, sub: &str, partner_id: &str, email: &str) -> Value {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut e = fixture.clone();
    e["rawQueryString"] = json!(query);
    if !query.is_empty() {
        let params: serde_json::Map<String, Value> =
            query.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_owned(), json!(v))).collect();
        e["queryStringParameters"] = Value::Object(params);
    }
    e["routeKey"] = json!(format!("GET {path}"));
    e["rawPath"] = json!(path);
    e["requestContext"]["routeKey"] = json!(format!("GET {path}"));
    e["requestContext"]["http"]["path"] = json!(path);
    let claims = &mut e["requestContext"]["authorizer"]["jwt"]["claims"];
    claims["sub"] = json!(sub);
    claims["cognito:username"] = json!(sub);
    claims["custom:partner_id"] = json!(partner_id);
    claims["email"] = json!(email);
    e
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn zip_size(dir: &Path, name: &str) -> Option<u64> {
    std::fs::metadata(dir.join(name).join("bootstrap.zip")).ok().map(|m| m.len())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let app = TestApp::spawn().await;
    let mut report = String::new();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    writeln!(report, "# Benchmarks ({})\n", chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"))?;
    writeln!(
        report,
        "Machine: {} cores, {cpu}. Emulators: DynamoDB Local and moto on 127.0.0.1. Reproduce: `make bench`.\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    )?;

    // 1. Cold start.
    eprintln!("== cold start ({} runs each)", a.runs);
    let admin = app.user(Role::VendorAdmin, None).await;
    let partner = app.create_partner(&admin, "Cold Start", "gold", "NA").await;
    let pid = partner["id"].as_str().context("partner id")?.to_owned();
    let me = app.user(Role::PartnerAdmin, Some(&pid)).await;
    let fixture = read_json("events/apigw-v2-partner-admin.json")?;
    let scheduled = read_json("events/eventbridge-scheduled.json")?;
    let runtime = coldstart::RuntimeApi::start().await?;
    let mut env: HashMap<String, String> = [
        ("TABLE_NAME", app.config.table_name.as_str()),
        ("CURSOR_SECRET", app.config.cursor_secret.as_str()),
        ("USER_POOL_ID", app.config.user_pool_id.as_str()),
        ("SENDER_EMAIL", app.config.sender_email.as_str()),
        ("PORTAL_URL", app.config.portal_url.as_str()),
        ("EVENT_BUS_NAME", app.config.event_bus_name.as_str()),
        ("BUCKET_NAME", app.config.bucket_name.as_str()),
        ("LOG_LEVEL", "info"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_ENDPOINT_URL", app.endpoints.aws.as_str()),
        ("AWS_ENDPOINT_URL_DYNAMODB", app.endpoints.dynamodb.as_str()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "2026/12/04/[$LATEST]bench"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
    let me_event = serde_json::to_vec(&http_event(&fixture, "/v1/me", &me.sub, &pid, &me.email))?;
    // (command, event name, event, the status an HTTP answer must have)
    let mut targets: Vec<(coldstart::Command, String, Vec<u8>, Option<u16>)> = Vec::new();
    let bootstrap = |name: &str| -> anyhow::Result<coldstart::Command> {
        let program = a.lambda_dir.join(name).join("bootstrap");
        anyhow::ensure!(program.exists(), "{} is missing: build with scripts/bench.sh", program.display());
        let mut env = env.clone();
        env.insert("AWS_LAMBDA_FUNCTION_NAME".into(), name.into());
        Ok(coldstart::Command { label: name.into(), program, args: vec![], env })
    };
    targets.push((bootstrap("empty-lambda")?, "GET /v1/me (fixed answer)".into(), me_event.clone(), None));
    for (name, event) in FUNCTIONS {
        match event {
            Event::Http(path) => {
                let ev = |target: &str| serde_json::to_vec(&http_event(&fixture, target, &me.sub, &pid, &me.email));
                targets.push((bootstrap(name)?, format!("GET {path}"), ev(path)?, Some(200)));
                // The same process start, answered without any AWS call: init cost alone.
                let (target, status) =
                    if name == "portal" { ("/v1/health".to_owned(), 200) } else { (format!("{path}?limit=0"), 400) };
                let mut cmd = bootstrap(name)?;
                cmd.label = format!("{name} (no AWS call)");
                targets.push((cmd, format!("GET {target} -> {status}"), ev(&target)?, Some(status)));
            }
            Event::Scheduled => {
                targets.push((bootstrap(name)?, "Scheduled Event".into(), serde_json::to_vec(&scheduled)?, None))
            }
        }
    }
    let node = which("node").context("node is not on PATH")?;
    let mut node_env = env.clone();
    node_env.insert("AWS_LAMBDA_FUNCTION_NAME".into(), "node-reference".into());
    targets.push((
        coldstart::Command {
            label: "node-reference".into(),
            program: node,
            args: vec![a.node_script.display().to_string()],
            env: node_env,
        },
        "GET /v1/me (clients built, fixed answer)".into(),
        me_event.clone(),
        Some(200),
    ));
    let mut cold: Vec<(String, String, f64, f64)> = Vec::new();
    for (cmd, event_name, event, status) in &targets {
        // One run first, not counted, so that every binary is in the page cache.
        runtime.invoke_cold(cmd, event).await?;
        let mut samples = Vec::with_capacity(a.runs);
        for _ in 0..a.runs {
            let (took, body) = runtime.invoke_cold(cmd, event).await?;
            if let Some(want) = status {
                let res: Value = serde_json::from_slice(&body).context("an API Gateway response")?;
                anyhow::ensure!(res["statusCode"] == *want, "{}: answered {res}", cmd.label);
            }
            samples.push(took);
        }
        let (median, p90) = coldstart::median_p90(&mut samples);
        eprintln!("{}: median {median:.1} ms, p90 {p90:.1} ms", cmd.label);
        cold.push((cmd.label.clone(), event_name.clone(), median, p90));
    }
    let empty = cold.iter().find(|c| c.0 == "empty-lambda").map_or(f64::NAN, |c| c.2);
    let nodejs = cold.iter().find(|c| c.0 == "node-reference").map_or(f64::NAN, |c| c.2);
    writeln!(report, "## 1. Cold start (process start -> first response posted, {} runs)\n", a.runs)?;
    writeln!(
        report,
        "Release bootstraps (x86_64, `cargo lambda build --release`) under a local Runtime API emulator, \
         each with its real event: HTTP functions a partner admin's `GET` (their DynamoDB reads against \
         DynamoDB Local included) and the same start answered without any AWS call (init cost alone), \
         the others a schedule's event (their sweeps' queries included). \
         Targets: <= 2x the empty function, <= 1/8 of Node.js.\n"
    )?;
    writeln!(report, "| function | event | median ms | p90 ms | x empty | x Node.js | targets |")?;
    writeln!(report, "|---|---|---:|---:|---:|---:|---|")?;
    for (label, event, median, p90) in &cold {
        let met = if label == "empty-lambda" || label == "node-reference" {
            "reference".to_owned()
        } else if median / empty <= 2.0 && median / nodejs <= 0.125 {
            "met".to_owned()
        } else {
            "not met".to_owned()
        };
        writeln!(
            report,
            "| {label} | {event} | {median:.1} | {p90:.1} | {:.2} | {:.3} | {met} |",
            median / empty,
            median / nodejs
        )?;
    }

    // 2. Size.
    eprintln!("== size");
    writeln!(
        report,
        "\n## 2. Size (zipped bootstrap, `cargo lambda build --release --output-format zip`; target <= 4 MB)\n"
    )?;
    writeln!(report, "| function | x86_64 | arm64 |")?;
    writeln!(report, "|---|---:|---:|")?;
    let mb = |b: Option<u64>| b.map_or("not built".to_owned(), |b| format!("{:.2} MB", b as f64 / 1_048_576.0));
    for name in std::iter::once("empty-lambda").chain(FUNCTIONS.iter().map(|f| f.0)) {
        writeln!(report, "| {name} | {} | {} |", mb(zip_size(&a.lambda_dir, name)), mb(zip_size(&a.arm64_dir, name)))?;
    }
    if zip_size(&a.arm64_dir, "portal").is_none() {
        writeln!(
            report,
            "\narm64: not built on this machine (the aarch64 Rust standard library is not installed and rustup's \
             download server is out of reach); `make deploy` builds arm64 where it is."
        )?;
    }

    // 3. DynamoDB cost per request.
    eprintln!("== DynamoDB cost");
    let rows = cost::measure(&app).await?;
    writeln!(
        report,
        "\n## 3. DynamoDB cost per request (ReturnConsumedCapacity=TOTAL, DynamoDB Local; target <= 1.5x the floor, 0 Scans)\n"
    )?;
    writeln!(
        report,
        "| operation | requests | capacity units | floor (requests) | x floor | Scans | calls (capacity units) |"
    )?;
    writeln!(report, "|---|---:|---:|---:|---:|---:|---|")?;
    for r in &rows {
        writeln!(
            report,
            "| {} | {} | {} | {} | {:.2} | {} | {} |",
            r.path,
            r.calls.len(),
            r.units(),
            r.floor.requests,
            r.calls.len() as f64 / r.floor.requests as f64,
            r.scans(),
            r.operations()
        )?;
    }
    writeln!(
        report,
        "\nFloors (every create carries an `Idempotency-Key`, as the portal sends: claiming it and storing \
         the answer are 2 of the requests; events go through a transactional outbox, whose entry is deleted \
         once published):\n"
    )?;
    for r in &rows {
        writeln!(report, "- {}: {}", r.path, r.floor.why)?;
    }

    // 4. Scale.
    eprintln!("== scale ({:?} items)", a.sizes);
    let measured = scale::measure(&app, &a.sizes).await?;
    writeln!(
        report,
        "\n## 4. Scale (one partner's first page; 500 partners; median of 21 requests through the API)\n"
    )?;
    writeln!(
        report,
        "| list | items in table | requests | ScannedCount | items returned | capacity units | median ms |"
    )?;
    writeln!(report, "|---|---:|---:|---:|---:|---:|---:|")?;
    for m in &measured {
        writeln!(
            report,
            "| {} | {} | {} | {} | {} | {} | {:.1} |",
            m.path,
            m.items_in_table,
            m.calls.len(),
            m.calls.iter().map(|c| c.scanned).sum::<u64>(),
            m.returned,
            m.calls.iter().map(|c| c.capacity_units).sum::<f64>(),
            ms(m.median)
        )?;
    }
    for path in ["GET /v1/deals (first page)", "GET /v1/assets (first page)"] {
        let of: Vec<&scale::Measured> = measured.iter().filter(|m| m.path == path).collect();
        if let (Some(small), Some(big)) = (of.first(), of.last()) {
            writeln!(
                report,
                "\n{path}: {} -> {} items, latency ratio {:.2}, ScannedCount ratio {:.2}",
                small.items_in_table,
                big.items_in_table,
                ms(big.median) / ms(small.median),
                big.calls.iter().map(|c| c.scanned).sum::<u64>() as f64
                    / small.calls.iter().map(|c| c.scanned).sum::<u64>().max(1) as f64
            )?;
        }
    }

    // 5. Local throughput.
    eprintln!("== throughput ({} s per route)", a.load_seconds);
    let user = app.user(Role::PartnerUser, Some(&pid)).await;
    let duration = Duration::from_secs(a.load_seconds);
    let register = |n: usize| {
        prm_tests::deal_body(&format!("Load {n}"), &format!("Load Customer {n}"), &format!("load-customer-{n}.com"))
    };
    let loads = vec![
        throughput::run(&app, &user, "GET /v1/deals?limit=25", "/v1/deals?limit=25", None, 8, duration).await?,
        throughput::run(&app, &user, "POST /v1/deals", "/v1/deals", Some(register), 8, duration).await?,
    ];
    writeln!(
        report,
        "\n## 5. Local throughput (the API as local-api serves it, against the emulators; a regression guard: \
         DynamoDB Local and moto dominate, and the harness is a debug build)\n"
    )?;
    writeln!(report, "| route | concurrency | seconds | requests/s | p50 ms | p99 ms | failed |")?;
    writeln!(report, "|---|---:|---:|---:|---:|---:|---:|")?;
    for l in &loads {
        writeln!(
            report,
            "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
            l.route,
            l.concurrency,
            l.seconds,
            l.per_second(),
            ms(l.p50),
            ms(l.p99),
            l.failed
        )?;
    }

    println!("{report}");
    if let Some(dir) = a.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&a.out, &report).with_context(|| format!("writing {}", a.out.display()))?;
    eprintln!("report written to {}", a.out.display());
    Ok(())
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(program)).find(|p| p.is_file())
}
