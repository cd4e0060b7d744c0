//! Delivers one event: for each recipient, per their preferences, an in-app
//! notification, an email now, or a line in the next daily digest. Each
//! (event, recipient, channel) is claimed with a conditional put before it is
//! delivered, so a redelivered event delivers nothing twice; a failed email
//! releases its claim so the retry sends it.

use anyhow::Context;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use chrono::{DateTime, Duration, Utc};
use prm_shared::dynamo::{Keys, PK, Stored, key, to_item};
use prm_shared::events::Delivered;
use prm_shared::notify::{Notification, StoredPreferences, notification_keys, preferences_keys};
use serde::{Deserialize, Serialize};

use crate::catalog::{self, Rendered};
use crate::digest::{DIGEST_DUE, DigestLine, digest_line_keys, next_digest_at};
use crate::recipients::{self, Recipient};
use crate::{AlertsState, HandleError};

/// What handling one event did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Emails sent now.
    pub emailed: usize,
    /// Lines queued for digests.
    pub digested: usize,
    /// In-app notifications written.
    pub in_app: usize,
    /// Deliveries skipped because they were made before (a redelivery).
    pub duplicates: usize,
    /// Deliveries the recipients' preferences turned off.
    pub muted: usize,
    /// Emails held for the digest because the hourly cap was reached.
    pub capped: usize,
    /// Set when the event is not one people are told of, or for the schedule.
    pub note: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    event_id: String,
    channel: String,
    ttl: i64,
}

fn marker_put(st: &AlertsState, event_id: &str, sub: &str, channel: &str, now: DateTime<Utc>) -> anyhow::Result<Put> {
    let keys = Keys::new(format!("ALERT#{event_id}"), format!("{sub}#{channel}"), "alert-delivery");
    let record = Marker {
        event_id: event_id.to_owned(),
        channel: channel.to_owned(),
        ttl: (now + Duration::days(14)).timestamp(),
    };
    Put::builder()
        .table_name(&st.db.table)
        .set_item(Some(to_item(&Stored { keys, record })?))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .build()
        .context("building delivery marker")
}

fn put(st: &AlertsState, item: prm_shared::dynamo::Item) -> anyhow::Result<TransactWriteItem> {
    let p = Put::builder().table_name(&st.db.table).set_item(Some(item)).build().context("building Put")?;
    Ok(TransactWriteItem::builder().put(p).build())
}

/// Writes `writes` only if this delivery was not made before: `Ok(false)` for a duplicate.
async fn once(st: &AlertsState, marker: Put, writes: Vec<TransactWriteItem>) -> anyhow::Result<bool> {
    let mut items = vec![TransactWriteItem::builder().put(marker).build()];
    items.extend(writes);
    match st.db.transact(items).await {
        Ok(()) => Ok(true),
        Err(e) if e.condition_failed(0) => Ok(false),
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

/// Sends one email (text and HTML parts).
pub async fn send_email(st: &AlertsState, to: &str, subject: &str, text: String, html: String) -> anyhow::Result<()> {
    let content = |data: String| Content::builder().data(data).charset("UTF-8").build().context("building content");
    let message = Message::builder()
        .subject(content(subject.to_owned())?)
        .body(Body::builder().text(content(text)?).html(content(html)?).build())
        .build();
    st.ses
        .send_email()
        .from_email_address(&st.cfg.sender_email)
        .destination(Destination::builder().to_addresses(to).build())
        .content(EmailContent::builder().simple(message).build())
        .send()
        .await
        .context("SES SendEmail")?;
    Ok(())
}

#[derive(Debug, Deserialize)]
struct Head {
    event_id: String,
    occurred_at: DateTime<Utc>,
    #[serde(default)]
    partner_id: Option<String>,
    #[serde(default)]
    actor: Option<String>,
}

/// Handles one delivered event (or the schedule's `Scheduled Event`: the digests).
pub async fn handle(st: &AlertsState, event: &Delivered, now: DateTime<Utc>) -> Result<Outcome, HandleError> {
    if event.source == "aws.events" && event.detail_type == "Scheduled Event" {
        let sent = crate::digest::send_due(st, now, 200).await.map_err(HandleError::Transient)?;
        return Ok(Outcome { emailed: sent.sent, note: Some(format!("digests: {sent:?}")), ..Outcome::default() });
    }
    let Some(entry) = catalog::entry(&event.detail_type) else {
        return Ok(Outcome { note: Some(format!("nobody is told of {}", event.detail_type)), ..Outcome::default() });
    };
    let head: Head = serde_json::from_value(event.detail.clone())
        .map_err(|e| HandleError::Permanent(format!("{} detail without its envelope: {e}", event.detail_type)))?;
    let env = catalog::environment();
    let rendered = catalog::render(&env, entry, &event.detail, &st.cfg.portal_url)
        .map_err(|e| HandleError::Permanent(format!("rendering {}: {e}", event.detail_type)))?;
    let people =
        recipients::resolve(st, entry.audience, head.partner_id.as_deref(), &event.detail, head.actor.as_deref())
            .await
            .map_err(HandleError::Transient)?;
    // Whose hourly email cap the emails count against.
    let bucket = match (entry.audience, head.partner_id.as_deref()) {
        (catalog::Audience::Vendor(_), _) | (_, None) => "vendor".to_owned(),
        (_, Some(p)) => format!("PARTNER#{p}"),
    };
    let mut outcome = Outcome::default();
    let mut failures = Vec::new();
    for person in &people {
        if let Err(e) =
            deliver_to(st, &env, &event.detail_type, &head, &rendered, person, &bucket, now, &mut outcome).await
        {
            tracing::warn!(event_id = %head.event_id, sub = %person.sub, error = format!("{e:#}"), "delivery failed");
            failures.push(format!("{}: {e:#}", person.sub));
        }
    }
    if failures.is_empty() {
        Ok(outcome)
    } else {
        Err(HandleError::Transient(anyhow::anyhow!(
            "{} of {} deliveries failed ({}); the others are not repeated on retry",
            failures.len(),
            people.len(),
            failures.join("; ")
        )))
    }
}

/// The digest line of an alert and its digest's due entry.
fn digest_writes(
    st: &AlertsState,
    event_type: &str,
    head: &Head,
    rendered: &Rendered,
    person: &Recipient,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<TransactWriteItem>> {
    let line = DigestLine {
        event_id: head.event_id.clone(),
        event_type: event_type.to_owned(),
        subject: rendered.subject.clone(),
        link: rendered.link.clone(),
        email: person.email.clone(),
        name: person.name.clone(),
        occurred_at: head.occurred_at,
    };
    let item =
        to_item(&Stored { keys: digest_line_keys(&person.sub, head.occurred_at, &head.event_id), record: line })?;
    let due = DIGEST_DUE.put(&st.db, next_digest_at(now, st.cfg.digest_hour_utc), &person.sub)?;
    Ok(vec![put(st, item)?, due])
}

/// Takes one of the hour's email slots of `bucket` (a partner, or `vendor`);
/// `false` once the hour's cap is reached. One conditional ADD per email.
async fn email_slot(st: &AlertsState, bucket: &str, now: DateTime<Utc>) -> anyhow::Result<bool> {
    use aws_sdk_dynamodb::error::SdkError;
    use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
    use aws_sdk_dynamodb::types::AttributeValue;
    let res = st
        .db
        .client
        .update_item()
        .table_name(&st.db.table)
        .set_key(Some(key(format!("EMAILRATE#{bucket}"), now.format("%Y-%m-%dT%H").to_string())))
        .update_expression("ADD #n :one SET #ttl = :ttl")
        .condition_expression("attribute_not_exists(#n) OR #n < :cap")
        .expression_attribute_names("#n", "sent")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .expression_attribute_values(":cap", AttributeValue::N(st.cfg.email_cap_per_hour.to_string()))
        .expression_attribute_values(":ttl", AttributeValue::N((now + Duration::days(2)).timestamp().to_string()))
        .send()
        .await;
    match res {
        Ok(_) => Ok(true),
        Err(SdkError::ServiceError(e)) if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) => {
            Ok(false)
        }
        Err(e) => Err(anyhow::Error::new(e).context("UpdateItem (email rate)")),
    }
}

#[allow(clippy::too_many_arguments)]
async fn deliver_to(
    st: &AlertsState,
    env: &minijinja::Environment<'_>,
    event_type: &str,
    head: &Head,
    rendered: &Rendered,
    person: &Recipient,
    bucket: &str,
    now: DateTime<Utc>,
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    let prefs = st
        .db
        .get::<Stored<StoredPreferences>>(&preferences_keys(&person.sub).pk, "PREFS")
        .await?
        .map(|p| p.record)
        .unwrap_or_default()
        .for_type(event_type);
    if prefs.in_app {
        let n = Notification {
            id: ulid::Ulid::new().to_string(),
            event_id: head.event_id.clone(),
            event_type: event_type.to_owned(),
            title: rendered.subject.clone(),
            body: rendered.lines.join("\n"),
            link: rendered.link.clone(),
            created_at: now,
            read_at: None,
        };
        let item = to_item(&Stored { keys: notification_keys(&person.sub, &n.id), record: n })?;
        let marker = marker_put(st, &head.event_id, &person.sub, "in_app", now)?;
        if once(st, marker, vec![put(st, item)?]).await? {
            outcome.in_app += 1;
        } else {
            outcome.duplicates += 1;
        }
    } else {
        outcome.muted += 1;
    }
    if !prefs.email {
        outcome.muted += 1;
        return Ok(());
    }
    if prefs.digest {
        let marker = marker_put(st, &head.event_id, &person.sub, "email", now)?;
        if once(st, marker, digest_writes(st, event_type, head, rendered, person, now)?).await? {
            outcome.digested += 1;
        } else {
            outcome.duplicates += 1;
        }
        return Ok(());
    }
    let marker = marker_put(st, &head.event_id, &person.sub, "email", now)?;
    if !once(st, marker, vec![]).await? {
        outcome.duplicates += 1;
        return Ok(());
    }
    if !email_slot(st, bucket, now).await? {
        // Past the hourly cap: the alert waits for the next digest (nothing is lost).
        st.db
            .transact(digest_writes(st, event_type, head, rendered, person, now)?)
            .await
            .map_err(anyhow::Error::from)?;
        tracing::info!(bucket, sub = %person.sub, "hourly email cap reached; alert held for the digest");
        outcome.capped += 1;
        outcome.digested += 1;
        return Ok(());
    }
    let sent = async {
        let (text, html) =
            catalog::email_bodies(env, &person.name, &st.cfg.program_name, rendered, &st.cfg.portal_url)?;
        send_email(st, &person.email, &rendered.subject, text, html).await
    }
    .await;
    if let Err(e) = sent {
        // Release the claim so that the retry sends it.
        st.db
            .client
            .delete_item()
            .table_name(&st.db.table)
            .set_key(Some(key(format!("ALERT#{}", head.event_id), format!("{}#email", person.sub))))
            .send()
            .await
            .context("releasing the delivery marker")?;
        return Err(e);
    }
    outcome.emailed += 1;
    Ok(())
}
