//! What API Gateway's JWT authorizer does in front of the functions, done
//! locally: verify the bearer token (RS256 signature against the pool's JWKS,
//! `iss`, `exp`, `token_use`, and `aud` for ID tokens or `client_id` for access
//! tokens), then hand the claims to the routers as the Lambda request context.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use prm_shared::ApiError;
use prm_shared::auth::{flatten_claims, request_context_for_claims};
use tokio::sync::RwLock;

/// Verifies Cognito tokens of one user pool.
pub struct JwtAuthorizer {
    jwks_url: String,
    issuer: String,
    audiences: Vec<String>,
    http: reqwest::Client,
    keys: RwLock<HashMap<String, DecodingKey>>,
}

impl std::fmt::Debug for JwtAuthorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuthorizer").field("issuer", &self.issuer).field("audiences", &self.audiences).finish()
    }
}

/// Routes that API Gateway serves without the authorizer.
pub fn is_public(path: &str) -> bool {
    matches!(path, "/v1/health" | "/v1/openapi.json") || path.starts_with("/v1/s/")
}

impl JwtAuthorizer {
    /// An authorizer for the pool's issuer and app clients, with its keys fetched now.
    pub async fn new(jwks_url: String, issuer: String, audiences: Vec<String>) -> anyhow::Result<Self> {
        let auth = Self {
            jwks_url,
            issuer,
            audiences,
            http: reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build()?,
            keys: RwLock::new(HashMap::new()),
        };
        auth.refresh().await?;
        Ok(auth)
    }

    async fn refresh(&self) -> anyhow::Result<()> {
        let set: JwkSet = self
            .http
            .get(&self.jwks_url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .with_context(|| format!("fetching JWKS from {}", self.jwks_url))?
            .json()
            .await
            .context("parsing JWKS")?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            if let (Some(kid), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk)) {
                keys.insert(kid, key);
            }
        }
        *self.keys.write().await = keys;
        Ok(())
    }

    /// The claims of a valid token, flattened as API Gateway hands them over.
    pub async fn verify(&self, token: &str) -> Result<HashMap<String, String>, ApiError> {
        let header = decode_header(token).map_err(|_| ApiError::Unauthorized)?;
        if header.alg != Algorithm::RS256 {
            return Err(ApiError::Unauthorized);
        }
        let kid = header.kid.ok_or(ApiError::Unauthorized)?;
        if !self.keys.read().await.contains_key(&kid) {
            // A rotated key: fetch the set again once.
            self.refresh().await.map_err(ApiError::Unexpected)?;
        }
        let keys = self.keys.read().await;
        let key = keys.get(&kid).ok_or(ApiError::Unauthorized)?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.validate_aud = false;
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        let data = decode::<serde_json::Map<String, serde_json::Value>>(token, key, &validation)
            .map_err(|_| ApiError::Unauthorized)?;
        let claims = data.claims;
        let audience_claim = match claims.get("token_use").and_then(|v| v.as_str()) {
            Some("id") => "aud",
            Some("access") => "client_id",
            _ => return Err(ApiError::Unauthorized),
        };
        let audience_ok = match claims.get(audience_claim) {
            Some(serde_json::Value::String(a)) => self.audiences.contains(a),
            Some(serde_json::Value::Array(list)) => {
                list.iter().filter_map(|v| v.as_str()).any(|a| self.audiences.iter().any(|x| x == a))
            }
            _ => false,
        };
        if !audience_ok {
            return Err(ApiError::Unauthorized);
        }
        Ok(flatten_claims(&claims))
    }
}

/// Axum middleware: 401 without a valid token (but on public routes); otherwise
/// the claims travel in the request context, as on Lambda.
pub async fn layer(State(auth): State<Arc<JwtAuthorizer>>, mut req: Request, next: Next) -> Response {
    let public = is_public(req.uri().path());
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .map(str::to_owned);
    match token {
        Some(t) => match auth.verify(&t).await {
            Ok(claims) => {
                req.extensions_mut().insert(request_context_for_claims(claims));
            }
            Err(e) if !public => return e.into_response(),
            Err(_) => {}
        },
        None if !public => return ApiError::Unauthorized.into_response(),
        None => {}
    }
    next.run(req).await
}
