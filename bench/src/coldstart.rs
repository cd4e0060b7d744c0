//! Cold start: a minimal Lambda Runtime API (the two calls a function makes,
//! `invocation/next` and `invocation/{id}/response`, plus the error calls)
//! on loopback; each run starts a fresh process of the release bootstrap, hands
//! it one event and times process start -> response posted.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::oneshot;

/// What one run ended with.
type Outcome = Result<(Instant, Bytes), String>;

#[derive(Default)]
struct Run {
    event: Bytes,
    served: bool,
    done: Option<oneshot::Sender<Outcome>>,
}

#[derive(Clone, Default)]
struct Emulator {
    run: Arc<Mutex<Run>>,
}

impl Emulator {
    fn finish(&self, outcome: Outcome) {
        if let Some(tx) = self.run.lock().ok().and_then(|mut r| r.done.take()) {
            let _ = tx.send(outcome);
        }
    }
}

const REQUEST_ID: &str = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

async fn next(State(em): State<Emulator>) -> Response {
    let event = {
        let mut run = em.run.lock().expect("emulator state");
        if run.served {
            None
        } else {
            run.served = true;
            Some(run.event.clone())
        }
    };
    let Some(event) = event else {
        // One invocation per process: later polls wait until the process is stopped.
        std::future::pending::<()>().await;
        unreachable!()
    };
    let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, HeaderValue::from_str(&value).expect("header value"));
    };
    set("lambda-runtime-aws-request-id", REQUEST_ID.into());
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:123456789012:function:bench".into());
    set("lambda-runtime-trace-id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1".into());
    set("content-type", "application/json".into());
    (headers, event).into_response()
}

async fn response(State(em): State<Emulator>, Path(_id): Path<String>, body: Bytes) -> StatusCode {
    em.finish(Ok((Instant::now(), body)));
    StatusCode::ACCEPTED
}

async fn invocation_error(State(em): State<Emulator>, Path(_id): Path<String>, body: Bytes) -> StatusCode {
    em.finish(Err(format!("invocation error: {}", String::from_utf8_lossy(&body))));
    StatusCode::ACCEPTED
}

async fn init_error(State(em): State<Emulator>, body: Bytes) -> StatusCode {
    em.finish(Err(format!("init error: {}", String::from_utf8_lossy(&body))));
    StatusCode::ACCEPTED
}

/// A running Runtime API emulator.
pub struct RuntimeApi {
    em: Emulator,
    /// `host:port`, for `AWS_LAMBDA_RUNTIME_API`.
    pub addr: String,
}

impl RuntimeApi {
    /// Serves on a free loopback port.
    pub async fn start() -> anyhow::Result<RuntimeApi> {
        let em = Emulator::default();
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(invocation_error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(em.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?.to_string();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(RuntimeApi { em, addr })
    }

    /// Starts `command`, hands it `event`, and returns the time from spawn to
    /// its response and the response.
    pub async fn invoke_cold(&self, command: &Command, event: &[u8]) -> anyhow::Result<(Duration, Bytes)> {
        let (tx, rx) = oneshot::channel();
        *self.em.run.lock().expect("emulator state") =
            Run { event: Bytes::copy_from_slice(event), served: false, done: Some(tx) };
        let mut cmd = tokio::process::Command::new(&command.program);
        cmd.args(&command.args)
            .env_clear()
            .envs(&command.env)
            .env("AWS_LAMBDA_RUNTIME_API", &self.addr)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = cmd.spawn().with_context(|| format!("starting {}", command.program.display()))?;
        let outcome = tokio::time::timeout(Duration::from_secs(20), rx).await;
        let _ = child.start_kill();
        let out = child.wait_with_output().await?;
        match outcome {
            Ok(Ok(Ok((at, body)))) => Ok((at - started, body)),
            Ok(Ok(Err(e))) => bail!("{}: {e}; stderr: {}", command.label, String::from_utf8_lossy(&out.stderr)),
            _ => bail!("{}: no response in 20 s; stderr: {}", command.label, String::from_utf8_lossy(&out.stderr)),
        }
    }
}

/// A process to start for each cold run.
#[derive(Debug, Clone)]
pub struct Command {
    /// Name in the report.
    pub label: String,
    /// The bootstrap (or `node`).
    pub program: PathBuf,
    /// Arguments.
    pub args: Vec<String>,
    /// The whole environment of the process (nothing is inherited).
    pub env: HashMap<String, String>,
}

/// Median and 90th percentile of `samples` in milliseconds.
pub fn median_p90(samples: &mut [Duration]) -> (f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| ms(samples[((samples.len() as f64 - 1.0) * q).round() as usize]);
    (at(0.5), at(0.9))
}
