//! The single table: key attribute names, index definitions, item
//! (de)serialization over serde_dynamo, conditional creates, transactions and
//! cursor-paginated queries. Every access is a GetItem, a Query or a write:
//! there is no Scan here.

use std::collections::HashMap;

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::cursor::CursorCodec;
use crate::error::{ApiError, ApiResult};

/// An item as DynamoDB stores it.
pub type Item = HashMap<String, AttributeValue>;

/// Partition key attribute of the table.
pub const PK: &str = "pk";
/// Sort key attribute of the table.
pub const SK: &str = "sk";
/// Expiry attribute (epoch seconds) that DynamoDB's TTL deletes on.
pub const TTL: &str = "ttl";

/// A global secondary index of the table (keys are strings, projection ALL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    /// The index name.
    pub name: &'static str,
    /// Its partition key attribute.
    pub pk: &'static str,
    /// Its sort key attribute.
    pub sk: &'static str,
}

/// Overloaded index 1: "all of a kind" lists (e.g. every partner).
pub const GSI1: Index = Index { name: "gsi1", pk: "gsi1pk", sk: "gsi1sk" };
/// Overloaded index 2: lists by a first attribute (e.g. partners by tier).
pub const GSI2: Index = Index { name: "gsi2", pk: "gsi2pk", sk: "gsi2sk" };
/// Overloaded index 3: lists by a second attribute (e.g. partners by region).
pub const GSI3: Index = Index { name: "gsi3", pk: "gsi3pk", sk: "gsi3sk" };
/// Every index of the table, as `infra/resources.json` defines them.
pub const INDEXES: [Index; 3] = [GSI1, GSI2, GSI3];

/// The key attributes an item carries: its table key, its kind and its
/// entries in the overloaded indexes. Flatten it into an item struct.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Keys {
    /// Partition key.
    pub pk: String,
    /// Sort key.
    pub sk: String,
    /// What kind of item this is.
    pub entity: String,
    /// gsi1 partition key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    /// gsi1 sort key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
    /// gsi2 partition key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi2pk: Option<String>,
    /// gsi2 sort key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi2sk: Option<String>,
    /// gsi3 partition key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi3pk: Option<String>,
    /// gsi3 sort key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi3sk: Option<String>,
}

impl Keys {
    /// Table key and kind, no index entries.
    pub fn new(pk: impl Into<String>, sk: impl Into<String>, entity: &str) -> Self {
        Self { pk: pk.into(), sk: sk.into(), entity: entity.to_owned(), ..Self::default() }
    }

    /// Adds an entry in `index`.
    pub fn with(mut self, index: Index, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        let (p, s) = (Some(pk.into()), Some(sk.into()));
        match index.name {
            "gsi1" => (self.gsi1pk, self.gsi1sk) = (p, s),
            "gsi2" => (self.gsi2pk, self.gsi2sk) = (p, s),
            _ => (self.gsi3pk, self.gsi3sk) = (p, s),
        }
        self
    }
}

/// An item: its keys and its record, stored side by side.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Stored<T> {
    /// Key attributes.
    #[serde(flatten)]
    pub keys: Keys,
    /// The record.
    #[serde(flatten)]
    pub record: T,
}

/// Key builders two functions must agree on (items one writes and another reads).
pub mod keys {
    /// Partition key of a partner and of what belongs to it.
    pub fn partner(id: &str) -> String {
        format!("PARTNER#{id}")
    }

    /// The index key of a region: case and spacing do not split a region.
    pub fn region(region: &str) -> String {
        region.trim().to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// gsi1 partition of every item of a kind (e.g. `DEALS`).
    pub fn all(kind: &str) -> String {
        kind.to_owned()
    }

    /// gsi2 partition of a partner's items of a kind.
    pub fn owned(kind: &str, partner_id: &str) -> String {
        format!("PARTNER#{partner_id}#{kind}")
    }

    /// gsi3 partition of the items of a kind in a status.
    pub fn by_status(kind: &str, status: &str) -> String {
        format!("{kind}#STATUS#{status}")
    }

    /// gsi3 partition of the partners of a region.
    pub fn partners_in_region(region_name: &str) -> String {
        format!("PARTNERS#REGION#{}", region(region_name))
    }
}

/// A string attribute value.
pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A number attribute value.
pub fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The primary key of an item.
pub fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

/// Serializes a record into an item.
pub fn to_item<T: Serialize>(value: &T) -> anyhow::Result<Item> {
    serde_dynamo::to_item(value).context("serializing item")
}

/// Deserializes an item into a record.
pub fn from_item<T: DeserializeOwned>(item: Item) -> anyhow::Result<T> {
    serde_dynamo::from_item(item).context("deserializing item")
}

/// A transactional Put of `item` that succeeds only while the stored item still
/// has `version` and `status`: one step of a state machine, once.
pub fn put_if_unchanged<T: Serialize>(
    db: &Db,
    item: &T,
    version: u64,
    status: &str,
) -> anyhow::Result<aws_sdk_dynamodb::types::TransactWriteItem> {
    let put = aws_sdk_dynamodb::types::Put::builder()
        .table_name(&db.table)
        .set_item(Some(to_item(item)?))
        .condition_expression("#version = :version AND #status = :status")
        .expression_attribute_names("#version", "version")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":version", n(i64::try_from(version).unwrap_or(i64::MAX)))
        .expression_attribute_values(":status", s(status))
        .build()
        .context("building conditional Put")?;
    Ok(aws_sdk_dynamodb::types::TransactWriteItem::builder().put(put).build())
}

/// Why a transaction did not commit.
#[derive(Debug, thiserror::Error)]
pub enum TransactError {
    /// DynamoDB cancelled it; one reason code per item, in order
    /// (`None`, `ConditionalCheckFailed`, `TransactionConflict`, ...).
    #[error("transaction cancelled: {0:?}")]
    Cancelled(Vec<String>),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl TransactError {
    /// Whether item `i`'s condition failed.
    pub fn condition_failed(&self, i: usize) -> bool {
        matches!(self, Self::Cancelled(r) if r.get(i).is_some_and(|c| c == "ConditionalCheckFailed"))
    }
}

/// A page of a list, as every list route answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Extra conditions on the items of a query, evaluated after the key condition.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The filter expression, with `#name` and `:value` placeholders.
    pub expression: String,
    /// Placeholder names.
    pub names: HashMap<String, String>,
    /// Placeholder values.
    pub values: HashMap<String, AttributeValue>,
}

/// One paginated query.
#[derive(Debug, Clone)]
pub struct PageQuery {
    /// The index to query, or the table.
    pub index: Option<Index>,
    /// The partition key value.
    pub pk: String,
    /// Restricts the sort key to this prefix.
    pub sk_prefix: Option<String>,
    /// Restricts the sort key to this inclusive range (instead of a prefix).
    pub sk_between: Option<(String, String)>,
    /// Extra conditions.
    pub filter: Option<Filter>,
    /// Ascending sort key order when true.
    pub forward: bool,
    /// The list's identity for cursors: which list, filters and caller scope.
    pub scope: String,
}

/// Queries at most this many times to fill one filtered page.
const MAX_ROUNDS: usize = 8;

/// The table, with its client.
#[derive(Debug, Clone)]
pub struct Db {
    /// The DynamoDB client, built once per process.
    pub client: Client,
    /// The table name.
    pub table: String,
}

impl Db {
    /// A handle on `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    /// A strongly consistent read of one item.
    pub async fn get<T: DeserializeOwned>(&self, pk: &str, sk: &str) -> anyhow::Result<Option<T>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .with_context(|| format!("GetItem {pk}/{sk}"))?;
        out.item.map(from_item).transpose()
    }

    /// Up to `limit` items of one partition, in sort key order, optionally only
    /// those whose sort key is below `sk_below` (one Query, no paging: for
    /// partitions that stay small or are consumed from the front).
    pub async fn partition<T: DeserializeOwned>(
        &self,
        pk: &str,
        sk_below: Option<&str>,
        limit: usize,
    ) -> anyhow::Result<Vec<T>> {
        let mut q = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(pk))
            .limit(i32::try_from(limit.clamp(1, 1000)).unwrap_or(1000));
        q = match sk_below {
            Some(bound) => q
                .key_condition_expression("#pk = :pk AND #sk < :bound")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":bound", s(bound)),
            None => q.key_condition_expression("#pk = :pk"),
        };
        let out = q.send().await.with_context(|| format!("Query {pk}"))?;
        out.items.unwrap_or_default().into_iter().map(from_item).collect()
    }

    /// The items at `keys` that exist (in no particular order), read with
    /// BatchGetItem in chunks of 100, retrying what DynamoDB leaves unprocessed.
    pub async fn batch_get<T: DeserializeOwned>(&self, keys: &[(String, String)]) -> anyhow::Result<Vec<T>> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let mut found = Vec::new();
        for chunk in keys.chunks(100) {
            let mut pending: Vec<Item> = chunk.iter().map(|(pk, sk)| key(pk, sk)).collect();
            for attempt in 0..8u32 {
                if pending.is_empty() {
                    break;
                }
                if attempt > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(25 << attempt.min(5))).await;
                }
                let req = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut pending)))
                    .consistent_read(true)
                    .build()
                    .context("building BatchGetItem keys")?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, req)
                    .send()
                    .await
                    .context("BatchGetItem")?;
                for item in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                    found.push(from_item(item)?);
                }
                pending =
                    out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).map(|k| k.keys).unwrap_or_default();
            }
            anyhow::ensure!(pending.is_empty(), "BatchGetItem left {} keys unprocessed", pending.len());
        }
        Ok(found)
    }

    /// Up to `limit` items of one partition of the table (`index` None) or of
    /// an index, in sort key order, optionally only sort keys starting with
    /// `sk_prefix`, following pages: for aggregates over a partition that is
    /// bounded by design (one partner's requests of a period).
    pub async fn whole_partition<T: DeserializeOwned>(
        &self,
        index: Option<Index>,
        pk: &str,
        sk_prefix: Option<&str>,
        limit: usize,
    ) -> anyhow::Result<Vec<T>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .expression_attribute_names("#pk", index.map_or(PK, |i| i.pk))
                .expression_attribute_values(":pk", s(pk))
                .set_exclusive_start_key(start.take());
            q = match sk_prefix {
                Some(p) => q
                    .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                    .expression_attribute_names("#sk", index.map_or(SK, |i| i.sk))
                    .expression_attribute_values(":prefix", s(p)),
                None => q.key_condition_expression("#pk = :pk"),
            };
            if let Some(i) = index {
                q = q.index_name(i.name);
            }
            let out = q.send().await.with_context(|| format!("Query {pk}"))?;
            for item in out.items.unwrap_or_default() {
                if items.len() >= limit {
                    return Ok(items);
                }
                items.push(from_item(item)?);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    /// Writes `item` only if no item has its key; `false` when one exists.
    /// An attempt that timed out but landed, then retried by the SDK, finds
    /// its own item: that is a success, not a clash.
    pub async fn put_new<T: Serialize>(&self, item: &T) -> anyhow::Result<bool> {
        let item = to_item(item)?;
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item.clone()))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match res {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) => match e.into_err() {
                PutItemError::ConditionalCheckFailedException(c) => Ok(c.item.is_some_and(|old| old == item)),
                other => Err(anyhow::Error::new(other).context("PutItem (create)")),
            },
            Err(e) => Err(anyhow::Error::new(e).context("PutItem (create)")),
        }
    }

    /// Commits `items` atomically.
    pub async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), TransactError> {
        let res = self.client.transact_write_items().set_transact_items(Some(items)).send().await;
        match res {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) => match e.into_err() {
                TransactWriteItemsError::TransactionCanceledException(c) => Err(TransactError::Cancelled(
                    c.cancellation_reasons().iter().map(|r| r.code().unwrap_or("None").to_owned()).collect(),
                )),
                other => Err(anyhow::Error::new(other).context("TransactWriteItems").into()),
            },
            Err(e) => Err(anyhow::Error::new(e).context("TransactWriteItems").into()),
        }
    }

    /// One page of `query`: at most `limit` items after `cursor`. Filtered
    /// queries are repeated (a bounded number of times) to fill the page; the
    /// next cursor then points at the last item returned.
    pub async fn query_page<T: DeserializeOwned>(
        &self,
        query: &PageQuery,
        limit: usize,
        cursor: Option<&str>,
        codec: &CursorCodec,
    ) -> ApiResult<Page<T>> {
        let limit = limit.clamp(1, 100);
        let mut start = cursor.map(|c| codec.decode(&query.scope, c)).transpose()?;
        let (pk_attr, sk_attr) = query.index.map_or((PK, SK), |i| (i.pk, i.sk));
        let mut key_condition = "#qpk = :qpk".to_owned();
        let mut names = HashMap::from([("#qpk".to_owned(), pk_attr.to_owned())]);
        let mut values = HashMap::from([(":qpk".to_owned(), s(&query.pk))]);
        if let Some(prefix) = &query.sk_prefix {
            key_condition.push_str(" AND begins_with(#qsk, :qsk)");
            names.insert("#qsk".into(), sk_attr.into());
            values.insert(":qsk".into(), s(prefix));
        } else if let Some((low, high)) = &query.sk_between {
            key_condition.push_str(" AND #qsk BETWEEN :qlow AND :qhigh");
            names.insert("#qsk".into(), sk_attr.into());
            values.insert(":qlow".into(), s(low));
            values.insert(":qhigh".into(), s(high));
        }
        if let Some(f) = &query.filter {
            names.extend(f.names.clone());
            values.extend(f.values.clone());
        }

        let mut raw: Vec<Item> = Vec::with_capacity(limit);
        let mut next: Option<Item> = None;
        for _ in 0..MAX_ROUNDS {
            let wanted = limit - raw.len();
            // One more than needed tells whether anything follows.
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(query.index.map(|i| i.name.to_owned()))
                .key_condition_expression(&key_condition)
                .set_filter_expression(query.filter.as_ref().map(|f| f.expression.clone()))
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(query.forward)
                .limit(i32::try_from(wanted + 1).unwrap_or(101))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .context("Query")?;
            let mut items = out.items.unwrap_or_default();
            if items.len() > wanted {
                items.truncate(wanted);
                raw.extend(items);
                next = raw.last().map(|it| key_of(it, query.index));
                break;
            }
            raw.extend(items);
            match out.last_evaluated_key {
                None => {
                    next = None;
                    break;
                }
                // Full, or out of rounds: resume after what DynamoDB evaluated.
                Some(lek) => {
                    next = Some(lek.clone());
                    if raw.len() == limit {
                        break;
                    }
                    start = Some(lek);
                }
            }
        }
        let next_cursor = next.map(|k| codec.encode(&query.scope, &k)).transpose()?;
        let items = raw.into_iter().map(from_item).collect::<anyhow::Result<Vec<T>>>()?;
        Ok(Page { items, next_cursor })
    }
}

/// The key (table and index) of an item, to resume a query after it.
fn key_of(item: &Item, index: Option<Index>) -> Item {
    let mut attrs = vec![PK, SK];
    if let Some(i) = index {
        attrs.extend([i.pk, i.sk]);
    }
    attrs.into_iter().filter_map(|a| item.get(a).map(|v| (a.to_owned(), v.clone()))).collect()
}

/// The list of a kind of item (indexed with [`keys::all`], [`keys::owned`] and
/// [`keys::by_status`]) narrowed by owning partner and status: the partner's
/// index with the status as a filter, else the status index, else all.
pub fn owned_list(kind: &str, partner_id: Option<&str>, status: Option<&str>) -> PageQuery {
    let (index, pk) = match (partner_id, status) {
        (Some(p), _) => (GSI2, keys::owned(kind, p)),
        (None, Some(st)) => (GSI3, keys::by_status(kind, st)),
        (None, None) => (GSI1, keys::all(kind)),
    };
    let filter = match (partner_id, status) {
        (Some(_), Some(st)) => Some(Filter {
            expression: "#f_status = :f_status".into(),
            names: HashMap::from([("#f_status".to_owned(), "status".to_owned())]),
            values: HashMap::from([(":f_status".to_owned(), s(st))]),
        }),
        _ => None,
    };
    let scope = format!("{kind}|partner={}|status={}", partner_id.unwrap_or(""), status.unwrap_or(""));
    PageQuery { index: Some(index), pk, sk_prefix: None, sk_between: None, filter, forward: true, scope }
}

/// `?limit=&cursor=` of a list route, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListParams {
    /// Page size, 1 to 100 (default 25).
    pub limit: usize,
    /// The cursor of the previous page.
    pub cursor: Option<String>,
}

impl ListParams {
    /// Default page size.
    pub const DEFAULT_LIMIT: usize = 25;
    /// Largest page size.
    pub const MAX_LIMIT: usize = 100;

    /// Parses the raw query values; a bad `limit` is a 400 naming it.
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> ApiResult<Self> {
        let limit = match limit.map(str::trim) {
            None | Some("") => Self::DEFAULT_LIMIT,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=Self::MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::field(
                        "limit",
                        format!("must be a whole number from 1 to {}", Self::MAX_LIMIT),
                    ));
                }
            },
        };
        let cursor = cursor.map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned);
        Ok(Self { limit, cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_defaults_and_is_capped() {
        assert_eq!(ListParams::parse(None, None).unwrap().limit, 25);
        assert_eq!(ListParams::parse(Some("100"), None).unwrap().limit, 100);
        for bad in ["0", "101", "-1", "ten", "1.5"] {
            let err = ListParams::parse(Some(bad), None).unwrap_err();
            assert_eq!(err.problem().errors[0].field, "limit", "{bad}");
        }
    }

    #[test]
    fn an_empty_cursor_is_no_cursor() {
        assert_eq!(ListParams::parse(None, Some("")).unwrap().cursor, None);
    }

    #[test]
    fn the_resume_key_includes_the_index_keys() {
        let item: Item = HashMap::from([
            ("pk".into(), s("A")),
            ("sk".into(), s("B")),
            ("gsi2pk".into(), s("C")),
            ("gsi2sk".into(), s("D")),
            ("name".into(), s("x")),
        ]);
        let k = key_of(&item, Some(GSI2));
        assert_eq!(k.len(), 4);
        assert!(!k.contains_key("name"));
        assert_eq!(key_of(&item, None).len(), 2);
    }
}
