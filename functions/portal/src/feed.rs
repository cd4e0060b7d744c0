//! The visibility cells of published content (see [`crate::visibility`]): one
//! item per cell, `pk={prefix}#{cell}`, `sk={published_at}#{id}`, holding what a
//! list shows. A partner's page merges its nine cells, newest first.

use std::collections::HashMap;

use anyhow::Context;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use chrono::{DateTime, SecondsFormat, Utc};
use prm_shared::cursor::CursorCodec;
use prm_shared::dynamo::{Db, Filter, Item, Keys, ListParams, Page, SK, Stored, from_item, key, s, to_item};
use prm_shared::error::ApiResult;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Query rounds per cell to fill a filtered page.
const MAX_ROUNDS: usize = 8;

/// One kind of content's cells.
#[derive(Debug, Clone, Copy)]
pub struct Feed {
    /// e.g. `ASSETCELL`.
    pub prefix: &'static str,
}

impl Feed {
    fn pk(&self, cell: &str) -> String {
        format!("{}#{cell}", self.prefix)
    }

    /// The sort key of content published at `at`.
    pub fn sk(at: DateTime<Utc>, id: &str) -> String {
        format!("{}#{id}", at.to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    /// The writes that put `record` in every cell.
    pub fn puts<T: Serialize>(
        &self,
        db: &Db,
        cells: &[String],
        sk: &str,
        record: &T,
    ) -> anyhow::Result<Vec<TransactWriteItem>> {
        cells
            .iter()
            .map(|c| {
                let item = to_item(&Stored { keys: Keys::new(self.pk(c), sk, "feed-entry"), record })?;
                let p =
                    Put::builder().table_name(&db.table).set_item(Some(item)).build().context("building feed Put")?;
                Ok(TransactWriteItem::builder().put(p).build())
            })
            .collect()
    }

    /// The writes that remove the entries from every cell.
    pub fn deletes(&self, db: &Db, cells: &[String], sk: &str) -> anyhow::Result<Vec<TransactWriteItem>> {
        cells
            .iter()
            .map(|c| {
                let d = Delete::builder()
                    .table_name(&db.table)
                    .set_key(Some(key(self.pk(c), sk)))
                    .build()
                    .context("building feed Delete")?;
                Ok(TransactWriteItem::builder().delete(d).build())
            })
            .collect()
    }

    /// One page of the merge of `cells`, newest first, with `filter` applied
    /// within each cell. The cursor is the sort key of the last item returned.
    pub async fn page<T: DeserializeOwned>(
        &self,
        db: &Db,
        codec: &CursorCodec,
        cells: &[String],
        filter: Option<&Filter>,
        scope: &str,
        params: &ListParams,
    ) -> ApiResult<Page<T>> {
        let limit = params.limit.clamp(1, 100);
        let below = params
            .cursor
            .as_deref()
            .map(|c| codec.decode(scope, c))
            .transpose()?
            .and_then(|k| k.get(SK).and_then(|v| v.as_s().ok()).cloned());
        let mut found: Vec<(String, Item)> = Vec::new();
        let mut more = false;
        for cell in cells {
            let (items, cell_more) = self.cell_top(db, cell, below.as_deref(), filter, limit + 1).await?;
            more |= cell_more;
            found.extend(items);
        }
        found.sort_by(|a, b| b.0.cmp(&a.0));
        found.dedup_by(|a, b| a.0 == b.0);
        more |= found.len() > limit;
        found.truncate(limit);
        let next_cursor = match (more, found.last()) {
            (true, Some((sk, _))) => Some(codec.encode(scope, &HashMap::from([(SK.to_owned(), s(sk))]))?),
            _ => None,
        };
        let items = found.into_iter().map(|(_, i)| from_item(i)).collect::<anyhow::Result<Vec<T>>>()?;
        Ok(Page { items, next_cursor })
    }

    /// Up to `want` matching items of one cell below `below`, and whether it
    /// holds more.
    async fn cell_top(
        &self,
        db: &Db,
        cell: &str,
        below: Option<&str>,
        filter: Option<&Filter>,
        want: usize,
    ) -> anyhow::Result<(Vec<(String, Item)>, bool)> {
        let mut names = HashMap::from([("#pk".to_owned(), "pk".to_owned())]);
        let mut values: HashMap<String, AttributeValue> = HashMap::from([(":pk".to_owned(), s(self.pk(cell)))]);
        let mut condition = "#pk = :pk".to_owned();
        if let Some(b) = below {
            condition.push_str(" AND #sk < :below");
            names.insert("#sk".into(), SK.into());
            values.insert(":below".into(), s(b));
        }
        if let Some(f) = filter {
            names.extend(f.names.clone());
            values.extend(f.values.clone());
        }
        let mut out = Vec::new();
        let mut start = None;
        for _ in 0..MAX_ROUNDS {
            let res = db
                .client
                .query()
                .table_name(&db.table)
                .key_condition_expression(&condition)
                .set_filter_expression(filter.map(|f| f.expression.clone()))
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(false)
                .limit(i32::try_from(want - out.len()).unwrap_or(100))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .context("Query feed cell")?;
            for item in res.items.unwrap_or_default() {
                let sk = item.get(SK).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
                out.push((sk, item));
            }
            match res.last_evaluated_key {
                Some(k) if !k.is_empty() && out.len() < want => start = Some(k),
                Some(k) if !k.is_empty() => return Ok((out, true)),
                _ => return Ok((out, false)),
            }
        }
        Ok((out, true))
    }
}
