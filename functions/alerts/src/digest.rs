//! The daily digest: events a person chose to read once a day wait as lines
//! under `DIGEST#{sub}`; a due entry per person (one per digest time) tells the
//! scheduled sweep whom to send to. Sending removes the lines it sent and the
//! due entry, so a second run sends nothing.

use anyhow::Context;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use prm_shared::due::DueIndex;
use prm_shared::dynamo::{Keys, Stored, key};
use serde::{Deserialize, Serialize};

use crate::AlertsState;
use crate::catalog::{self, Rendered};

/// People with a digest to send, by the time it is due.
pub const DIGEST_DUE: DueIndex = DueIndex { name: "ALERT_DIGEST" };

/// One event waiting for a person's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestLine {
    /// The event.
    pub event_id: String,
    /// Its type.
    pub event_type: String,
    /// What it said.
    pub subject: String,
    /// Where to read more.
    pub link: Option<String>,
    /// The person's email (as when queued).
    pub email: String,
    /// Their name.
    pub name: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

/// The keys of a digest line.
pub fn digest_line_keys(sub: &str, at: DateTime<Utc>, event_id: &str) -> Keys {
    Keys::new(
        format!("DIGEST#{sub}"),
        format!("{}#{event_id}", at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        "digest-line",
    )
}

/// The next digest time after `now`: `hour`:00 UTC today or tomorrow.
pub fn next_digest_at(now: DateTime<Utc>, hour: u32) -> DateTime<Utc> {
    let today = now.date_naive().and_time(NaiveTime::from_hms_opt(hour.min(23), 0, 0).unwrap_or_default()).and_utc();
    if today > now { today } else { today + Duration::days(1) }
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DigestReport {
    /// Digest emails sent.
    pub sent: usize,
    /// Lines they held.
    pub lines: usize,
    /// People whose digest failed (retried next run).
    pub failed: usize,
}

/// Sends, as of `now`, the digests of at most `max` people whose digest is due.
pub async fn send_due(st: &AlertsState, now: DateTime<Utc>, max: usize) -> anyhow::Result<DigestReport> {
    let mut report = DigestReport::default();
    let env = catalog::environment();
    for entry in DIGEST_DUE.due(&st.db, now, max).await? {
        match send_one(st, &env, &entry.id).await {
            Ok(0) => DIGEST_DUE.drop(&st.db, &entry).await?,
            Ok(n) => {
                DIGEST_DUE.drop(&st.db, &entry).await?;
                report.sent += 1;
                report.lines += n;
            }
            Err(e) => {
                tracing::warn!(sub = %entry.id, error = format!("{e:#}"), "digest failed; retried next run");
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

async fn send_one(st: &AlertsState, env: &minijinja::Environment<'_>, sub: &str) -> anyhow::Result<usize> {
    let lines: Vec<Stored<DigestLine>> = st.db.whole_partition(None, &format!("DIGEST#{sub}"), None, 200).await?;
    let Some(first) = lines.first().map(|l| l.record.clone()) else { return Ok(0) };
    let rendered = Rendered {
        subject: format!("Your {} summary: {} update(s)", st.cfg.program_name, lines.len()),
        lines: lines
            .iter()
            .map(|l| match &l.record.link {
                Some(link) => format!("{} ({}): {link}", l.record.subject, l.record.occurred_at.format("%Y-%m-%d")),
                None => format!("{} ({})", l.record.subject, l.record.occurred_at.format("%Y-%m-%d")),
            })
            .collect(),
        link: Some(st.cfg.portal_url.clone()),
    };
    let (text, html) = catalog::email_bodies(env, &first.name, &st.cfg.program_name, &rendered, &st.cfg.portal_url)?;
    crate::deliver::send_email(st, &first.email, &rendered.subject, text, html).await?;
    for chunk in lines.chunks(25) {
        let deletes = chunk
            .iter()
            .map(|l| {
                let d = Delete::builder()
                    .table_name(&st.db.table)
                    .set_key(Some(key(&l.keys.pk, &l.keys.sk)))
                    .build()
                    .context("building digest Delete")?;
                Ok(TransactWriteItem::builder().delete(d).build())
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        st.db.transact(deletes).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(lines.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_digest_is_today_or_tomorrow_at_the_hour() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(next_digest_at(at("2026-12-03T05:00:00Z"), 7), at("2026-12-03T07:00:00Z"));
        assert_eq!(next_digest_at(at("2026-12-03T07:00:00Z"), 7), at("2026-12-04T07:00:00Z"));
        assert_eq!(next_digest_at(at("2026-12-03T19:30:00Z"), 7), at("2026-12-04T07:00:00Z"));
    }
}
