//! Local throughput of the API (every router behind the local JWT check, as
//! `local-api` serves it) against the emulators, at a fixed concurrency for a
//! fixed time: requests/s and latency percentiles. A regression guard only:
//! DynamoDB Local and moto dominate, and the harness is a debug build.

use std::time::{Duration, Instant};

use anyhow::ensure;
use prm_tests::{TestApp, TestUser};
use reqwest::Method;
use serde_json::Value;

pub struct Load {
    pub route: &'static str,
    pub concurrency: usize,
    pub seconds: f64,
    pub ok: usize,
    pub failed: usize,
    pub p50: Duration,
    pub p99: Duration,
}

impl Load {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.seconds
    }
}

/// Sends `route` from `concurrency` workers for `duration`; `body` makes it a
/// POST with a fresh `Idempotency-Key` each time.
pub async fn run(
    app: &TestApp,
    user: &TestUser,
    route: &'static str,
    path: &str,
    body: Option<fn(usize) -> Value>,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Load> {
    let started = Instant::now();
    let workers = (0..concurrency).map(|w| {
        let (app, user, path) = (app, user, path.to_owned());
        async move {
            let mut latencies = Vec::new();
            let mut failed = 0;
            let mut n = w * 1_000_000;
            while started.elapsed() < duration {
                n += 1;
                let mut req = app.req(if body.is_some() { Method::POST } else { Method::GET }, &path, Some(user));
                if let Some(b) = body {
                    req = req.header("Idempotency-Key", format!("load-{n}")).json(&b(n));
                }
                let t = Instant::now();
                match req.send().await {
                    Ok(res) if res.status().is_success() => {
                        let _ = res.bytes().await;
                        latencies.push(t.elapsed());
                    }
                    _ => failed += 1,
                }
            }
            (latencies, failed)
        }
    });
    let results = futures::future::join_all(workers).await;
    let seconds = started.elapsed().as_secs_f64();
    let mut all: Vec<Duration> = results.iter().flat_map(|(l, _)| l.iter().copied()).collect();
    let failed = results.iter().map(|(_, f)| f).sum();
    ensure!(!all.is_empty(), "{route}: no request succeeded");
    all.sort();
    let at = |q: f64| all[((all.len() as f64 - 1.0) * q).round() as usize];
    Ok(Load { route, concurrency, seconds, ok: all.len(), failed, p50: at(0.5), p99: at(0.99) })
}
