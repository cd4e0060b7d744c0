//! Dev only: serves the built web portal (`web/dist`) under `/`, its
//! `/config.json`, and `/_cognito`, a pass-through of the Cognito calls the
//! portal makes (InitiateAuth, RespondToAuthChallenge, RevokeToken) to the
//! emulated user pool, so that the page talks to one origin as it talks to
//! Cognito's own endpoint in AWS.

use std::path::{Component, Path, PathBuf};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

/// What the portal reads at start.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WebConfig {
    /// Base of the API ("" for the page's own origin).
    pub api_url: String,
    /// Where Cognito's JSON API answers.
    pub cognito_url: String,
    /// The app client.
    pub client_id: String,
    /// The pool's region.
    pub region: String,
    /// The program's name in the header.
    pub program_name: String,
}

#[derive(Clone)]
struct Web {
    dir: PathBuf,
    config: WebConfig,
    cognito_endpoint: String,
    http: reqwest::Client,
}

/// The routes; `dir` holds `index.html` and `assets/`.
pub fn router(dir: PathBuf, config: WebConfig, cognito_endpoint: String) -> Router {
    let web = Web { dir, config, cognito_endpoint, http: reqwest::Client::new() };
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/config.json", get(config_json))
        .route("/assets/{*file}", get(asset))
        .route("/favicon.svg", get(asset))
        .route("/_cognito", post(cognito))
        // Deep links of emails and notifications (`{portal}/deals/{id}`, ...): the page routes them.
        .route("/deals", get(index))
        .route("/deals/{*rest}", get(index))
        .route("/leads", get(index))
        .route("/leads/{*rest}", get(index))
        .route("/mdf", get(index))
        .route("/mdf/{*rest}", get(index))
        .route("/training", get(index))
        .route("/training/{*rest}", get(index))
        .route("/program", get(index))
        .route("/program/{*rest}", get(index))
        .route("/onboarding", get(index))
        .with_state(web)
}

async fn index(State(w): State<Web>) -> Response {
    file(&w.dir.join("index.html"), "no-cache").await
}

async fn config_json(State(w): State<Web>) -> Response {
    let mut res = axum::Json(w.config.clone()).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn asset(State(w): State<Web>, uri: Uri) -> Response {
    // Only plain relative components: no way out of the folder.
    let rel = Path::new(uri.path().trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return StatusCode::NOT_FOUND.into_response();
    }
    // Built assets carry a content hash in their names: cache them for good.
    let cache = if rel.starts_with("assets") { "public, max-age=31536000, immutable" } else { "no-cache" };
    file(&w.dir.join(rel), cache).await
}

async fn file(path: &Path, cache: &'static str) -> Response {
    let Ok(bytes) = tokio::fs::read(path).await else {
        return (StatusCode::NOT_FOUND, "not built: run `npm run build` in web/ (make dev does)").into_response();
    };
    let kind = match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, cache)], bytes).into_response()
}

/// The Cognito operations the portal may call through the pass-through.
const ALLOWED: [&str; 3] = [
    "AWSCognitoIdentityProviderService.InitiateAuth",
    "AWSCognitoIdentityProviderService.RespondToAuthChallenge",
    "AWSCognitoIdentityProviderService.RevokeToken",
];

async fn cognito(State(w): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !ALLOWED.contains(&target) {
        return (StatusCode::BAD_REQUEST, "operation not allowed").into_response();
    }
    let res = w
        .http
        .post(format!("{}/", w.cognito_endpoint.trim_end_matches('/')))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", target)
        .body(body)
        .send()
        .await;
    match res {
        Ok(r) => {
            let status = StatusCode::from_u16(r.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let bytes = r.bytes().await.unwrap_or_default();
            (status, [(header::CONTENT_TYPE, "application/x-amz-json-1.1")], bytes).into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, format!("user pool unreachable: {e}")).into_response(),
    }
}
