//! Partners and partner users in the single table.
//!
//! | item | pk | sk | gsi1 | gsi2 | gsi3 |
//! |---|---|---|---|---|---|
//! | partner | `PARTNER#{id}` | `PROFILE` | `PARTNERS` / id | `PARTNERS#TIER#{tier}` / id | `PARTNERS#REGION#{region}` / id |
//! | partner user | `PARTNER#{partner}` | `USER#{ulid}` | | | |
//! | email claim | `USEREMAIL#{email}` | `USEREMAIL` | | | |

use anyhow::Context;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use prm_shared::cursor::CursorCodec;
use prm_shared::dynamo::{Db, Filter, GSI1, GSI2, GSI3, Keys, PK, Page, PageQuery, Stored, key, keys, n, s, to_item};
use prm_shared::error::ApiResult;
use prm_shared::validate::EmailAddress;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::domain::{Partner, PartnerChanges, PartnerStatus, PartnerUser, Tier, region_key};
use prm_shared::validate::now;

/// Partition key of a partner (and of its users).
pub use prm_shared::dynamo::keys::partner as partner_pk;

const PROFILE: &str = "PROFILE";

fn partner_item(p: &Partner) -> Stored<Partner> {
    let keys = Keys::new(partner_pk(&p.id), PROFILE, "partner")
        .with(GSI1, "PARTNERS", &p.id)
        .with(GSI2, format!("PARTNERS#TIER#{}", p.tier.as_str()), &p.id)
        .with(GSI3, keys::partners_in_region(&p.region), &p.id);
    Stored { keys, record: p.clone() }
}

/// Stores a new partner.
pub async fn create_partner(db: &Db, p: &Partner) -> anyhow::Result<()> {
    if db.put_new(&partner_item(p)).await? { Ok(()) } else { anyhow::bail!("partner id {} already taken", p.id) }
}

/// Reads a partner.
pub async fn get_partner(db: &Db, id: &str) -> anyhow::Result<Option<Partner>> {
    Ok(db.get::<Stored<Partner>>(&partner_pk(id), PROFILE).await?.map(|i| i.record))
}

/// The transactional write of `next` over `current`, only while the stored
/// partner is still at `current`'s version and status.
pub fn partner_put_if_unchanged(
    db: &Db,
    current: &Partner,
    next: &Partner,
) -> anyhow::Result<aws_sdk_dynamodb::types::TransactWriteItem> {
    prm_shared::dynamo::put_if_unchanged(db, &partner_item(next), current.version, current.status.as_str())
}

/// Applies `changes` to a partner with an optimistic version check, retrying
/// on a concurrent change; `None` when the partner does not exist.
pub async fn update_partner(db: &Db, id: &str, changes: &PartnerChanges) -> anyhow::Result<Option<Partner>> {
    for _ in 0..5 {
        let Some(current) = get_partner(db, id).await? else { return Ok(None) };
        if changes.is_empty() {
            return Ok(Some(current));
        }
        let next = changes.apply(&current, now());
        let res = db
            .client
            .put_item()
            .table_name(&db.table)
            .set_item(Some(to_item(&partner_item(&next))?))
            .condition_expression("attribute_exists(#pk) AND #version = :version")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":version", n(i64::try_from(current.version).unwrap_or(i64::MAX)))
            .send()
            .await;
        match res {
            Ok(_) => return Ok(Some(next)),
            Err(SdkError::ServiceError(e)) if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) => {
                continue;
            }
            Err(e) => return Err(anyhow::Error::new(e).context("PutItem partner update")),
        }
    }
    anyhow::bail!("partner {id} kept changing under concurrent updates")
}

/// Filters of the partner list.
#[derive(Debug, Clone, Default)]
pub struct PartnerFilter {
    /// Only this tier.
    pub tier: Option<Tier>,
    /// Only this region (case-insensitive).
    pub region: Option<String>,
    /// Only this status.
    pub status: Option<PartnerStatus>,
}

/// One page of partners, newest last. The most selective key (tier, then
/// region) picks the index; the other filters are applied to that index's items.
pub async fn list_partners(
    db: &Db,
    codec: &CursorCodec,
    f: &PartnerFilter,
    limit: usize,
    cursor: Option<&str>,
) -> ApiResult<Page<Partner>> {
    let region = f.region.as_deref().map(region_key);
    let (index, pk) = match (f.tier, &region) {
        (Some(t), _) => (GSI2, format!("PARTNERS#TIER#{}", t.as_str())),
        (None, Some(r)) => (GSI3, keys::partners_in_region(r)),
        (None, None) => (GSI1, "PARTNERS".to_owned()),
    };
    let mut conditions = Vec::new();
    let mut filter = Filter::default();
    if let (Some(_), Some(r)) = (f.tier, &region) {
        conditions.push("#f_region = :f_region");
        filter.names.insert("#f_region".into(), "gsi3pk".into());
        filter.values.insert(":f_region".into(), s(keys::partners_in_region(r)));
    }
    if let Some(st) = f.status {
        conditions.push("#f_status = :f_status");
        filter.names.insert("#f_status".into(), "status".into());
        filter.values.insert(":f_status".into(), s(st.as_str()));
    }
    filter.expression = conditions.join(" AND ");
    let scope = format!(
        "partners|tier={}|region={}|status={}",
        f.tier.map(|t| t.as_str()).unwrap_or(""),
        region.as_deref().unwrap_or(""),
        f.status.map(|s| s.as_str()).unwrap_or("")
    );
    let query = PageQuery {
        index: Some(index),
        pk,
        sk_prefix: None,
        sk_between: None,
        filter: (!conditions.is_empty()).then_some(filter),
        forward: true,
        scope,
    };
    let page: Page<Stored<Partner>> = db.query_page(&query, limit, cursor, codec).await?;
    Ok(Page { items: page.items.into_iter().map(|i| i.record).collect(), next_cursor: page.next_cursor })
}

/// Reserves an email address for one user, program-wide. `false` when taken.
#[derive(Debug, Serialize, Deserialize)]
struct EmailClaim {
    pk: String,
    sk: String,
    entity: String,
    partner_id: String,
    claimed_at: String,
}

fn email_pk(email: &EmailAddress) -> String {
    format!("USEREMAIL#{email}")
}

/// Claims `email` for a new user of `partner_id`; `false` when already in use.
pub async fn claim_email(db: &Db, email: &EmailAddress, partner_id: &str) -> anyhow::Result<bool> {
    db.put_new(&EmailClaim {
        pk: email_pk(email),
        sk: "USEREMAIL".into(),
        entity: "email-claim".into(),
        partner_id: partner_id.into(),
        claimed_at: now().to_rfc3339(),
    })
    .await
}

/// Gives up a claim made for an invitation that failed.
pub async fn release_email(db: &Db, email: &EmailAddress) -> anyhow::Result<()> {
    db.client
        .delete_item()
        .table_name(&db.table)
        .set_key(Some(key(email_pk(email), "USEREMAIL")))
        .send()
        .await
        .context("DeleteItem email claim")?;
    Ok(())
}

/// Stores an invited user (its email already claimed); returns its sort key.
pub async fn put_user(db: &Db, user: &PartnerUser) -> anyhow::Result<String> {
    let sk = format!("USER#{}", ulid::Ulid::new());
    let item = Stored { keys: Keys::new(partner_pk(&user.partner_id), &sk, "partner-user"), record: user.clone() };
    if !db.put_new(&item).await? {
        anyhow::bail!("user key {sk} already taken");
    }
    Ok(sk)
}

/// Removes a user record and its email claim together.
pub async fn delete_user(db: &Db, partner_id: &str, user_sk: &str, email: &EmailAddress) -> anyhow::Result<()> {
    let del = |k: HashMap<_, _>| {
        Delete::builder()
            .table_name(&db.table)
            .set_key(Some(k))
            .build()
            .map(|d| TransactWriteItem::builder().delete(d).build())
    };
    let items = vec![
        del(key(partner_pk(partner_id), user_sk)).context("building Delete")?,
        del(key(email_pk(email), "USEREMAIL")).context("building Delete")?,
    ];
    db.transact(items).await.map_err(|e| anyhow::anyhow!("{e}"))
}

/// One page of a partner's users, in invitation order.
pub async fn list_users(
    db: &Db,
    codec: &CursorCodec,
    partner_id: &str,
    limit: usize,
    cursor: Option<&str>,
) -> ApiResult<Page<PartnerUser>> {
    let query = PageQuery {
        index: None,
        pk: partner_pk(partner_id),
        sk_prefix: Some("USER#".into()),
        sk_between: None,
        filter: None,
        forward: true,
        scope: format!("users|partner={partner_id}"),
    };
    let page: Page<Stored<PartnerUser>> = db.query_page(&query, limit, cursor, codec).await?;
    Ok(Page { items: page.items.into_iter().map(|i| i.record).collect(), next_cursor: page.next_cursor })
}
