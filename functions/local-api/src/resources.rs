//! `infra/resources.json`: the one definition of the table, bucket, user pool,
//! sender, bus and rules that both the CDK app and local provisioning read.

use serde::Deserialize;

/// The file, compiled in.
pub const RESOURCES_JSON: &str = include_str!("../../../infra/resources.json");

/// The whole definition.
#[derive(Debug, Clone, Deserialize)]
pub struct Resources {
    /// The single table.
    pub table: TableDef,
    /// The user pool.
    pub user_pool: UserPoolDef,
    /// Outgoing email.
    pub email: EmailDef,
    /// The event bus.
    pub event_bus: BusDef,
    /// Rules on the bus.
    pub rules: Vec<RuleDef>,
    /// Scheduled invocations (`Scheduled Event`s) of functions.
    pub schedules: Vec<ScheduleDef>,
    /// The asset bucket.
    pub bucket: BucketDef,
}

/// The single table.
#[derive(Debug, Clone, Deserialize)]
pub struct TableDef {
    /// Partition key attribute.
    pub partition_key: String,
    /// Sort key attribute.
    pub sort_key: String,
    /// TTL attribute.
    pub ttl_attribute: String,
    /// Global secondary indexes.
    pub global_secondary_indexes: Vec<IndexDef>,
}

/// A global secondary index (string keys).
#[derive(Debug, Clone, Deserialize)]
pub struct IndexDef {
    /// Index name.
    pub name: String,
    /// Its partition key attribute.
    pub partition_key: String,
    /// Its sort key attribute.
    pub sort_key: String,
}

/// The user pool.
#[derive(Debug, Clone, Deserialize)]
pub struct UserPoolDef {
    /// Sign in with these attributes.
    pub username_attributes: Vec<String>,
    /// Verified automatically.
    pub auto_verified_attributes: Vec<String>,
    /// Password rules.
    pub password_policy: PasswordPolicyDef,
    /// Custom attributes.
    pub custom_attributes: Vec<CustomAttributeDef>,
    /// The program's groups.
    pub groups: Vec<GroupDef>,
    /// The portal's app client.
    pub client: ClientDef,
}

/// Password rules.
#[derive(Debug, Clone, Deserialize)]
pub struct PasswordPolicyDef {
    /// Minimum length.
    pub minimum_length: i32,
    /// Needs an upper-case letter.
    pub require_uppercase: bool,
    /// Needs a lower-case letter.
    pub require_lowercase: bool,
    /// Needs a digit.
    pub require_numbers: bool,
    /// Needs a symbol.
    pub require_symbols: bool,
    /// Days a temporary password stays valid.
    pub temporary_password_validity_days: i32,
}

/// A custom attribute.
#[derive(Debug, Clone, Deserialize)]
pub struct CustomAttributeDef {
    /// Name without the `custom:` prefix.
    pub name: String,
    /// Whether it may change after creation.
    pub mutable: bool,
    /// Shortest value.
    pub min_length: u32,
    /// Longest value.
    pub max_length: u32,
}

/// A group.
#[derive(Debug, Clone, Deserialize)]
pub struct GroupDef {
    /// Group name (the role).
    pub name: String,
    /// Lower wins when a user is in several.
    pub precedence: i32,
    /// What it may do.
    pub description: String,
}

/// The app client.
#[derive(Debug, Clone, Deserialize)]
pub struct ClientDef {
    /// Client name.
    pub name: String,
    /// Auth flows in every stage.
    pub explicit_auth_flows: Vec<String>,
    /// Auth flows added locally (password sign-in for dev and tests).
    pub local_extra_auth_flows: Vec<String>,
    /// Attributes the client may read.
    pub read_attributes: Vec<String>,
    /// Attributes the client may write (never `custom:partner_id`).
    pub write_attributes: Vec<String>,
}

/// Outgoing email.
#[derive(Debug, Clone, Deserialize)]
pub struct EmailDef {
    /// The sender identity.
    pub sender: String,
}

/// The event bus.
#[derive(Debug, Clone, Deserialize)]
pub struct BusDef {
    /// Base name.
    pub name: String,
}

/// A rule on the bus.
#[derive(Debug, Clone, Deserialize)]
pub struct RuleDef {
    /// Rule name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The EventBridge pattern.
    pub event_pattern: serde_json::Value,
    /// The consumer (locally an SQS queue named after it).
    pub target: String,
}

/// A function invoked on a fixed rate (locally, `local-api dev` runs the same
/// handler on a timer).
#[derive(Debug, Clone, Deserialize)]
pub struct ScheduleDef {
    /// The schedule's name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Every this many minutes.
    pub rate_minutes: u32,
    /// The function invoked.
    pub target: String,
}

/// The asset bucket.
#[derive(Debug, Clone, Deserialize)]
pub struct BucketDef {
    /// CORS for presigned browser uploads.
    pub cors: CorsDef,
}

/// CORS of the bucket.
#[derive(Debug, Clone, Deserialize)]
pub struct CorsDef {
    /// Methods.
    pub allowed_methods: Vec<String>,
    /// Request headers.
    pub allowed_headers: Vec<String>,
    /// Response headers exposed.
    pub exposed_headers: Vec<String>,
    /// Preflight cache.
    pub max_age_seconds: i32,
}

/// The parsed definition.
pub fn resources() -> anyhow::Result<Resources> {
    Ok(serde_json::from_str(RESOURCES_JSON)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prm_shared::dynamo::{INDEXES, PK, SK, TTL};

    #[test]
    fn the_code_and_the_definition_name_the_same_keys_and_indexes() {
        let r = resources().unwrap();
        assert_eq!(r.table.partition_key, PK);
        assert_eq!(r.table.sort_key, SK);
        assert_eq!(r.table.ttl_attribute, TTL);
        let defined: Vec<(String, String, String)> = r
            .table
            .global_secondary_indexes
            .iter()
            .map(|i| (i.name.clone(), i.partition_key.clone(), i.sort_key.clone()))
            .collect();
        let coded: Vec<(String, String, String)> =
            INDEXES.iter().map(|i| (i.name.to_owned(), i.pk.to_owned(), i.sk.to_owned())).collect();
        assert_eq!(defined, coded);
    }

    #[test]
    fn the_app_client_can_never_write_the_partner_id() {
        let r = resources().unwrap();
        assert!(!r.user_pool.client.write_attributes.iter().any(|a| a == "custom:partner_id"));
        assert!(r.user_pool.client.read_attributes.iter().any(|a| a == "custom:partner_id"));
        let pid = r.user_pool.custom_attributes.iter().find(|a| a.name == "partner_id").unwrap();
        assert!(!pid.mutable);
    }

    #[test]
    fn the_groups_are_the_four_roles() {
        let r = resources().unwrap();
        let groups: Vec<&str> = r.user_pool.groups.iter().map(|g| g.name.as_str()).collect();
        let roles: Vec<&str> = prm_shared::auth::Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(groups, roles);
    }
}
