//! Creates the platform's resources in the local emulators from
//! `infra/resources.json`, and the users of dev and tests.

use anyhow::Context;
use aws_sdk_cognitoidentityprovider as idp;
use aws_sdk_dynamodb as ddb;
use idp::types::{
    AttributeDataType, AttributeType, AuthFlowType, ExplicitAuthFlowsType, MessageActionType, PasswordPolicyType,
    SchemaAttributeType, StringAttributeConstraintsType, UserPoolPolicyType, UsernameAttributeType,
    VerifiedAttributeType,
};

use crate::resources::Resources;

/// Ids of a created user pool and its app client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPool {
    /// Pool id.
    pub pool_id: String,
    /// App client id.
    pub client_id: String,
}

/// Creates the single table with its indexes and TTL; an existing table is kept.
pub async fn create_table(client: &ddb::Client, res: &Resources, name: &str) -> anyhow::Result<()> {
    use ddb::types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
        ScalarAttributeType, TimeToLiveSpecification,
    };
    let t = &res.table;
    let attr =
        |n: &str| AttributeDefinition::builder().attribute_name(n).attribute_type(ScalarAttributeType::S).build();
    let key = |n: &str, k: KeyType| KeySchemaElement::builder().attribute_name(n).key_type(k).build();
    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr(&t.partition_key)?)
        .attribute_definitions(attr(&t.sort_key)?)
        .key_schema(key(&t.partition_key, KeyType::Hash)?)
        .key_schema(key(&t.sort_key, KeyType::Range)?);
    for i in &t.global_secondary_indexes {
        req = req
            .attribute_definitions(attr(&i.partition_key)?)
            .attribute_definitions(attr(&i.sort_key)?)
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(&i.name)
                    .key_schema(key(&i.partition_key, KeyType::Hash)?)
                    .key_schema(key(&i.sort_key, KeyType::Range)?)
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()?,
            );
    }
    match req.send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => return Ok(()),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("CreateTable {name}"))),
    }
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder().enabled(true).attribute_name(&t.ttl_attribute).build()?,
        )
        .send()
        .await
        .context("UpdateTimeToLive")?;
    Ok(())
}

/// Creates the user pool, its groups and the portal's app client.
pub async fn create_user_pool(client: &idp::Client, res: &Resources, name: &str) -> anyhow::Result<UserPool> {
    let p = &res.user_pool;
    let pp = &p.password_policy;
    let mut req = client.create_user_pool().pool_name(name).policies(
        UserPoolPolicyType::builder()
            .password_policy(
                PasswordPolicyType::builder()
                    .minimum_length(pp.minimum_length)
                    .require_uppercase(pp.require_uppercase)
                    .require_lowercase(pp.require_lowercase)
                    .require_numbers(pp.require_numbers)
                    .require_symbols(pp.require_symbols)
                    .temporary_password_validity_days(pp.temporary_password_validity_days)
                    .build(),
            )
            .build(),
    );
    for a in &p.username_attributes {
        req = req.username_attributes(UsernameAttributeType::from(a.as_str()));
    }
    for a in &p.auto_verified_attributes {
        req = req.auto_verified_attributes(VerifiedAttributeType::from(a.as_str()));
    }
    for a in &p.custom_attributes {
        req = req.schema(
            SchemaAttributeType::builder()
                .name(&a.name)
                .attribute_data_type(AttributeDataType::String)
                .mutable(a.mutable)
                .string_attribute_constraints(
                    StringAttributeConstraintsType::builder()
                        .min_length(a.min_length.to_string())
                        .max_length(a.max_length.to_string())
                        .build(),
                )
                .build(),
        );
    }
    let pool = req.send().await.context("CreateUserPool")?;
    let pool_id = pool.user_pool().and_then(|u| u.id()).context("CreateUserPool returned no id")?.to_owned();
    for g in &p.groups {
        client
            .create_group()
            .user_pool_id(&pool_id)
            .group_name(&g.name)
            .precedence(g.precedence)
            .description(&g.description)
            .send()
            .await
            .with_context(|| format!("CreateGroup {}", g.name))?;
    }
    let c = &p.client;
    let flows =
        c.explicit_auth_flows.iter().chain(&c.local_extra_auth_flows).map(|f| ExplicitAuthFlowsType::from(f.as_str()));
    let out = client
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name(&c.name)
        .generate_secret(false)
        .set_explicit_auth_flows(Some(flows.collect()))
        .set_read_attributes(Some(c.read_attributes.clone()))
        .set_write_attributes(Some(c.write_attributes.clone()))
        .send()
        .await
        .context("CreateUserPoolClient")?;
    let client_id = out.user_pool_client().and_then(|c| c.client_id()).context("no client id")?.to_owned();
    Ok(UserPool { pool_id, client_id })
}

/// Registers the sender address with SES.
pub async fn create_sender(ses: &aws_sdk_sesv2::Client, sender: &str) -> anyhow::Result<()> {
    match ses.create_email_identity().email_identity(sender).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_already_exists_exception()) => Ok(()),
        Err(e) => Err(anyhow::Error::new(e).context("CreateEmailIdentity")),
    }
}

/// Creates the asset bucket with CORS for presigned browser uploads.
pub async fn create_bucket(s3: &aws_sdk_s3::Client, res: &Resources, name: &str) -> anyhow::Result<()> {
    use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
    if let Err(e) = s3.create_bucket().bucket(name).send().await
        && !e.as_service_error().is_some_and(|s| s.is_bucket_already_owned_by_you())
    {
        return Err(anyhow::Error::new(e).context(format!("CreateBucket {name}")));
    }
    let c = &res.bucket.cors;
    let rule = CorsRule::builder()
        .set_allowed_methods(Some(c.allowed_methods.clone()))
        .set_allowed_headers(Some(c.allowed_headers.clone()))
        .set_expose_headers(Some(c.exposed_headers.clone()))
        .allowed_origins("*")
        .max_age_seconds(c.max_age_seconds)
        .build()?;
    s3.put_bucket_cors()
        .bucket(name)
        .cors_configuration(CorsConfiguration::builder().cors_rules(rule).build()?)
        .send()
        .await
        .context("PutBucketCors")?;
    Ok(())
}

/// Creates the event bus and its rules. Locally each rule's target is an SQS
/// queue named `{bus}-{target}` (moto does not invoke Lambda), with a dead-letter
/// queue `{bus}-{target}-dlq`; returns them.
pub async fn create_bus(
    eb: &aws_sdk_eventbridge::Client,
    sqs: &aws_sdk_sqs::Client,
    res: &Resources,
    bus: &str,
) -> anyhow::Result<Vec<RuleQueue>> {
    use aws_sdk_eventbridge::types::Target;
    use aws_sdk_sqs::types::QueueAttributeName;
    if let Err(e) = eb.create_event_bus().name(bus).send().await
        && !e.as_service_error().is_some_and(|s| s.is_resource_already_exists_exception())
    {
        return Err(anyhow::Error::new(e).context("CreateEventBus"));
    }
    let arn_of = |url: String| async move {
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .context("GetQueueAttributes")?;
        anyhow::Ok(
            attrs.attributes().and_then(|a| a.get(&QueueAttributeName::QueueArn)).context("no queue arn")?.clone(),
        )
    };
    let mut queues = Vec::new();
    for rule in &res.rules {
        let name = format!("{bus}-{}", rule.target);
        let dlq = sqs.create_queue().queue_name(format!("{name}-dlq")).send().await.context("CreateQueue (DLQ)")?;
        let dlq_url = dlq.queue_url().context("no queue url")?.to_owned();
        let dlq_arn = arn_of(dlq_url.clone()).await?;
        // What the Lambda target's retries and dead-letter queue do on AWS:
        // a message received this many times without success moves to the DLQ.
        let redrive = serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES}).to_string();
        let queue = sqs
            .create_queue()
            .queue_name(&name)
            .attributes(QueueAttributeName::RedrivePolicy, redrive)
            .attributes(QueueAttributeName::VisibilityTimeout, VISIBILITY_SECONDS.to_string())
            .send()
            .await
            .context("CreateQueue")?;
        let url = queue.queue_url().context("no queue url")?.to_owned();
        let arn = arn_of(url.clone()).await?;
        eb.put_rule()
            .name(&rule.name)
            .event_bus_name(bus)
            .description(&rule.description)
            .event_pattern(rule.event_pattern.to_string())
            .send()
            .await
            .context("PutRule")?;
        eb.put_targets()
            .rule(&rule.name)
            .event_bus_name(bus)
            .targets(Target::builder().id(&rule.target).arn(arn).build()?)
            .send()
            .await
            .context("PutTargets")?;
        queues.push(RuleQueue { target: rule.target.clone(), url, dlq_url });
    }
    Ok(queues)
}

/// Receives of one event before it moves to the dead-letter queue (one try
/// and two retries, as Lambda does for asynchronous invocations).
pub const MAX_RECEIVES: u32 = 3;
/// Seconds a received event stays hidden before it is delivered again.
pub const VISIBILITY_SECONDS: u32 = 2;

/// The local stand-in of a rule's target: the queue the rule delivers to and
/// its dead-letter queue.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuleQueue {
    /// The function the rule targets on AWS, e.g. `alerts`.
    pub target: String,
    /// The queue.
    pub url: String,
    /// Where events go after [`MAX_RECEIVES`] failed receives.
    pub dlq_url: String,
}

/// A user with a permanent password in `group`, with `custom:partner_id` when given. Returns its `sub`.
pub async fn create_user(
    client: &idp::Client,
    pool_id: &str,
    email: &str,
    name: &str,
    password: &str,
    group: &str,
    partner_id: Option<&str>,
) -> anyhow::Result<String> {
    let attr = |n: &str, v: &str| AttributeType::builder().name(n).value(v).build();
    let mut req = client
        .admin_create_user()
        .user_pool_id(pool_id)
        .username(email)
        .message_action(MessageActionType::Suppress)
        .user_attributes(attr("email", email)?)
        .user_attributes(attr("email_verified", "true")?)
        .user_attributes(attr("name", name)?);
    if let Some(p) = partner_id {
        req = req.user_attributes(attr("custom:partner_id", p)?);
    }
    let out = req.send().await.with_context(|| format!("AdminCreateUser {email}"))?;
    let sub = portal::directory::sub_of(out.user()).context("AdminCreateUser returned no sub")?;
    client
        .admin_set_user_password()
        .user_pool_id(pool_id)
        .username(email)
        .password(password)
        .permanent(true)
        .send()
        .await
        .context("AdminSetUserPassword")?;
    client
        .admin_add_user_to_group()
        .user_pool_id(pool_id)
        .username(email)
        .group_name(group)
        .send()
        .await
        .context("AdminAddUserToGroup")?;
    Ok(sub)
}

/// Signs in with email and password; the ID token.
pub async fn sign_in(client: &idp::Client, client_id: &str, email: &str, password: &str) -> anyhow::Result<String> {
    let out = client
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", email)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .with_context(|| format!("InitiateAuth {email}"))?;
    out.authentication_result()
        .and_then(|r| r.id_token())
        .map(str::to_owned)
        .with_context(|| format!("no ID token for {email} (challenge {:?})", out.challenge_name()))
}
