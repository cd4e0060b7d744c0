//! The caller, taken from the JWT claims that API Gateway's authorizer puts in
//! the request context, and the policy helpers every route uses. Deny by default:
//! a request without claims is 401, a role that may never act is 403, and an
//! object of another partner answers exactly like a missing one (404).

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription, ApiGatewayV2httpRequestContext,
};
use lambda_http::request::RequestContext;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

/// The four Cognito groups of the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The vendor's program administrators: everything.
    VendorAdmin,
    /// The vendor's channel managers: review, approve, read all partners.
    ChannelManager,
    /// A partner's administrator: manages its own partner.
    PartnerAdmin,
    /// A partner's staff member: works within its own partner.
    PartnerUser,
}

impl Role {
    /// All roles, vendor roles first.
    pub const ALL: [Role; 4] = [Role::VendorAdmin, Role::ChannelManager, Role::PartnerAdmin, Role::PartnerUser];

    /// The Cognito group name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::VendorAdmin => "vendor-admin",
            Role::ChannelManager => "channel-manager",
            Role::PartnerAdmin => "partner-admin",
            Role::PartnerUser => "partner-user",
        }
    }

    /// The role of a Cognito group name; unknown groups are not roles.
    pub fn from_group(group: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == group)
    }

    /// Whether the role belongs to the vendor's channel team.
    pub fn is_vendor(self) -> bool {
        matches!(self, Role::VendorAdmin | Role::ChannelManager)
    }
}

/// Parses `cognito:groups` as it reaches the function: API Gateway flattens the
/// array claim into `"[a b]"`; a JSON array (`["a","b"]`) is accepted too.
pub fn parse_groups(raw: &str) -> Vec<String> {
    let raw = raw.trim();
    if let Ok(list) = serde_json::from_str::<Vec<String>>(raw) {
        return list;
    }
    let inner = raw.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(raw);
    inner
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|g| g.trim_matches('"'))
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The signed-in user making the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Cognito `sub`.
    pub sub: String,
    /// Email claim, when the client may read it.
    pub email: Option<String>,
    /// Program roles from `cognito:groups`.
    pub roles: Vec<Role>,
    /// `custom:partner_id` of partner staff.
    pub partner_id: Option<String>,
}

impl Caller {
    /// Builds the caller from authorizer claims; without `sub` there is no caller.
    pub fn from_claims(claims: &HashMap<String, String>) -> Result<Caller, ApiError> {
        let sub = claims.get("sub").filter(|s| !s.trim().is_empty()).ok_or(ApiError::Unauthorized)?.clone();
        let mut roles: Vec<Role> = claims
            .get("cognito:groups")
            .map(|g| parse_groups(g))
            .unwrap_or_default()
            .iter()
            .filter_map(|g| Role::from_group(g))
            .collect();
        roles.sort_by_key(|r| Role::ALL.iter().position(|x| x == r));
        roles.dedup();
        Ok(Caller {
            sub,
            email: claims.get("email").cloned(),
            roles,
            partner_id: claims.get("custom:partner_id").filter(|p| !p.is_empty()).cloned(),
        })
    }

    /// The caller of a request whose context carries authorizer claims.
    pub fn from_context(ctx: Option<&RequestContext>) -> Result<Caller, ApiError> {
        match ctx {
            Some(RequestContext::ApiGatewayV2(c)) => c
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .map(|jwt| Caller::from_claims(&jwt.claims))
                .unwrap_or(Err(ApiError::Unauthorized)),
            _ => Err(ApiError::Unauthorized),
        }
    }

    /// Whether the caller holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the caller is on the vendor's channel team.
    pub fn is_vendor(&self) -> bool {
        self.roles.iter().any(|r| r.is_vendor())
    }

    /// The partner whose staff the caller is, if it holds a partner role and a partner id.
    pub fn own_partner(&self) -> Option<&str> {
        let partner_role = self.has(Role::PartnerAdmin) || self.has(Role::PartnerUser);
        if partner_role { self.partner_id.as_deref() } else { None }
    }

    /// 403 unless the caller holds one of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.iter().any(|r| self.has(*r)) { Ok(()) } else { Err(ApiError::forbidden()) }
    }

    /// 403 unless the caller is vendor staff.
    pub fn require_vendor(&self) -> Result<(), ApiError> {
        self.require_any(&[Role::VendorAdmin, Role::ChannelManager])
    }

    /// The caller's own partner for a partner-only route; 403 for anyone else.
    pub fn require_partner(&self) -> Result<&str, ApiError> {
        self.own_partner().ok_or_else(ApiError::forbidden)
    }

    /// Whether the caller may see objects of `partner_id`.
    pub fn can_access_partner(&self, partner_id: &str) -> bool {
        self.is_vendor() || self.own_partner() == Some(partner_id)
    }

    /// 404 unless the caller may see objects of `partner_id`.
    pub fn require_partner_access(&self, partner_id: &str) -> Result<(), ApiError> {
        if self.can_access_partner(partner_id) { Ok(()) } else { Err(ApiError::NotFound) }
    }

    /// Whether the caller is an admin of `partner_id` (vendor admins administer every partner).
    pub fn administers_partner(&self, partner_id: &str) -> bool {
        self.has(Role::VendorAdmin) || (self.has(Role::PartnerAdmin) && self.own_partner() == Some(partner_id))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Caller::from_context(parts.extensions.get::<RequestContext>())
    }
}

/// The request context API Gateway would pass for these claims, used by
/// `local-api` and tests so both go through the same extraction as Lambda.
pub fn request_context_for_claims(claims: HashMap<String, String>) -> RequestContext {
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims = claims;
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    let mut ctx = ApiGatewayV2httpRequestContext::default();
    ctx.authorizer = Some(authorizer);
    RequestContext::ApiGatewayV2(ctx)
}

/// Flattens JSON claims into the strings API Gateway hands over: arrays become
/// `"[a b]"`, numbers and booleans their text, objects their JSON.
pub fn flatten_claims(claims: &serde_json::Map<String, serde_json::Value>) -> HashMap<String, String> {
    use serde_json::Value;
    claims
        .iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Array(items) => {
                    let parts: Vec<String> =
                        items.iter().map(|i| i.as_str().map(str::to_owned).unwrap_or_else(|| i.to_string())).collect();
                    format!("[{}]", parts.join(" "))
                }
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (k.clone(), s)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;

    fn fixture(name: &str) -> lambda_http::Request {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        let raw = std::fs::read_to_string(path).unwrap();
        lambda_http::request::from_str(&raw).unwrap()
    }

    #[test]
    fn groups_flattened_by_api_gateway_are_parsed() {
        assert_eq!(parse_groups("[partner-admin partner-user]"), vec!["partner-admin", "partner-user"]);
        assert_eq!(parse_groups("[vendor-admin]"), vec!["vendor-admin"]);
        assert_eq!(parse_groups("[]"), Vec::<String>::new());
        assert_eq!(parse_groups(""), Vec::<String>::new());
    }

    #[test]
    fn groups_as_a_json_array_are_parsed() {
        assert_eq!(parse_groups(r#"["vendor-admin","channel-manager"]"#), vec!["vendor-admin", "channel-manager"]);
    }

    #[test]
    fn the_caller_comes_from_a_real_http_api_event() {
        let req = fixture("apigw-v2-partner-admin.json");
        let caller = Caller::from_context(req.request_context_ref()).unwrap();
        assert_eq!(caller.sub, "6f1c2a6e-8f0e-4c1e-9a53-1a2b3c4d5e6f");
        assert_eq!(caller.roles, vec![Role::PartnerAdmin, Role::PartnerUser]);
        assert_eq!(caller.partner_id.as_deref(), Some("01JDEMOPARTNER00000000000A"));
        assert_eq!(caller.email.as_deref(), Some("pat.admin@northwind.example.com"));
        assert!(!caller.is_vendor());
        assert_eq!(caller.require_partner().unwrap(), "01JDEMOPARTNER00000000000A");
    }

    #[test]
    fn json_array_groups_in_an_event_are_parsed() {
        let req = fixture("apigw-v2-vendor-admin-json-groups.json");
        let caller = Caller::from_context(req.request_context_ref()).unwrap();
        assert_eq!(caller.roles, vec![Role::VendorAdmin, Role::ChannelManager]);
        assert!(caller.is_vendor());
        assert_eq!(caller.own_partner(), None);
    }

    #[test]
    fn no_claims_means_unauthorized() {
        assert!(matches!(Caller::from_context(None), Err(ApiError::Unauthorized)));
        let ctx = request_context_for_claims(HashMap::new());
        assert!(matches!(Caller::from_context(Some(&ctx)), Err(ApiError::Unauthorized)));
    }

    #[test]
    fn unknown_groups_grant_nothing() {
        let claims = HashMap::from([
            ("sub".to_owned(), "u1".to_owned()),
            ("cognito:groups".to_owned(), "[admins superusers]".to_owned()),
        ]);
        let caller = Caller::from_claims(&claims).unwrap();
        assert!(caller.roles.is_empty());
        assert!(caller.require_vendor().is_err());
        assert!(caller.require_partner().is_err());
        assert!(!caller.can_access_partner("p1"));
    }

    #[test]
    fn a_partner_sees_only_its_own_partner_and_a_foreign_one_is_not_found() {
        let claims = HashMap::from([
            ("sub".to_owned(), "u1".to_owned()),
            ("cognito:groups".to_owned(), "[partner-user]".to_owned()),
            ("custom:partner_id".to_owned(), "p1".to_owned()),
        ]);
        let caller = Caller::from_claims(&claims).unwrap();
        assert!(caller.require_partner_access("p1").is_ok());
        assert!(matches!(caller.require_partner_access("p2"), Err(ApiError::NotFound)));
        assert!(!caller.administers_partner("p1"));
    }

    #[test]
    fn a_partner_role_without_a_partner_id_is_denied() {
        let claims = HashMap::from([
            ("sub".to_owned(), "u1".to_owned()),
            ("cognito:groups".to_owned(), "[partner-admin]".to_owned()),
        ]);
        let caller = Caller::from_claims(&claims).unwrap();
        assert!(caller.require_partner().is_err());
        assert!(!caller.can_access_partner(""));
    }

    #[test]
    fn flattened_claims_round_trip_through_the_parser() {
        let json = serde_json::json!({"sub": "u", "cognito:groups": ["vendor-admin", "channel-manager"], "exp": 12});
        let flat = flatten_claims(json.as_object().unwrap());
        assert_eq!(flat["cognito:groups"], "[vendor-admin channel-manager]");
        assert_eq!(flat["exp"], "12");
        let caller = Caller::from_claims(&flat).unwrap();
        assert_eq!(caller.roles, vec![Role::VendorAdmin, Role::ChannelManager]);
    }
}
