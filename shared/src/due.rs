//! Due-date indexes for scheduled sweeps: one partition per kind of deadline
//! (`DUE#{name}`), sorted by the deadline, so a sweep Queries the entries that
//! are due instead of scanning. Entries are written and removed in the same
//! transaction as the change that sets or settles the deadline.

use anyhow::Context;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::dynamo::{Db, Keys, Stored, key, to_item};

/// One kind of deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueIndex {
    /// Its name, e.g. `DEAL_PROTECTION`.
    pub name: &'static str,
}

/// An entry that has come due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueEntry {
    /// The id of the object with the deadline.
    pub id: String,
    /// The entry's sort key (deadline and id), to remove it.
    pub sk: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    id: String,
}

impl DueIndex {
    fn pk(&self) -> String {
        format!("DUE#{}", self.name)
    }

    /// The sort key of `id` due at `at`.
    pub fn sk(at: DateTime<Utc>, id: &str) -> String {
        format!("{}#{id}", at.to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    /// The write that records `id` as due at `at`.
    pub fn put(&self, db: &Db, at: DateTime<Utc>, id: &str) -> anyhow::Result<TransactWriteItem> {
        let keys = Keys::new(self.pk(), Self::sk(at, id), "due");
        let put = Put::builder()
            .table_name(&db.table)
            .set_item(Some(to_item(&Stored { keys, record: Record { id: id.to_owned() } })?))
            .build()
            .context("building due Put")?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The write that removes the entry of `id` due at `at`.
    pub fn delete(&self, db: &Db, at: DateTime<Utc>, id: &str) -> anyhow::Result<TransactWriteItem> {
        let d = Delete::builder()
            .table_name(&db.table)
            .set_key(Some(key(self.pk(), Self::sk(at, id))))
            .build()
            .context("building due Delete")?;
        Ok(TransactWriteItem::builder().delete(d).build())
    }

    /// The write that removes `entry` (in the transaction that settles it).
    pub fn delete_entry(&self, db: &Db, entry: &DueEntry) -> anyhow::Result<TransactWriteItem> {
        let d = Delete::builder()
            .table_name(&db.table)
            .set_key(Some(key(self.pk(), &entry.sk)))
            .build()
            .context("building due Delete")?;
        Ok(TransactWriteItem::builder().delete(d).build())
    }

    /// Entries due at or before `now`, oldest first, at most `max`.
    pub async fn due(&self, db: &Db, now: DateTime<Utc>, max: usize) -> anyhow::Result<Vec<DueEntry>> {
        // Every entry due at or before `now` ('~' sorts after the '#' that ends a timestamp).
        let bound = format!("{}~", now.to_rfc3339_opts(SecondsFormat::Millis, true));
        let entries: Vec<Stored<Record>> = db.partition(&self.pk(), Some(&bound), max).await?;
        Ok(entries.into_iter().map(|e| DueEntry { id: e.record.id, sk: e.keys.sk }).collect())
    }

    /// Removes an entry left behind (its object moved on without removing it).
    pub async fn drop(&self, db: &Db, entry: &DueEntry) -> anyhow::Result<()> {
        db.client
            .delete_item()
            .table_name(&db.table)
            .set_key(Some(key(self.pk(), &entry.sk)))
            .send()
            .await
            .context("DeleteItem due entry")?;
        Ok(())
    }
}
