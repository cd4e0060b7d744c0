//! Training in the single table.
//!
//! | item | pk | sk | indexes |
//! |---|---|---|---|
//! | course | `COURSE#{id}` | `COURSE` | gsi1 `COURSES`/id, gsi3 `COURSES#STATUS#{status}`/id |
//! | course revision (snapshot) | `COURSE#{id}` | `REV#{revision:06}` | |
//! | enrollment | `COURSE#{id}` | `ENROLL#{sub}` | gsi2 `PARTNER#{partner}#ENROLLMENTS`/`{course}#{sub}` |
//! | attempt | `COURSE#{id}` | `ATTEMPT#{sub}#{ulid}` | |
//! | certification | `CERT#{course}#{sub}` | `CERT` | gsi1 `CERTS`, gsi2 `PARTNER#{partner}#CERTS`, gsi3 `CERTS#COURSE#{course}`; each sorted `{expires_at}#{id}` |
//!
//! Certifications sort by expiry in every index, so "expiring within N days"
//! is a key range, never a Scan.

use anyhow::Context;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use prm_shared::cursor::CursorCodec;
use prm_shared::due::DueIndex;
use prm_shared::dynamo::{
    Db, Filter, GSI1, GSI2, GSI3, Keys, PK, Page, PageQuery, Stored, TransactError, keys, n, s, to_item,
};
use prm_shared::error::ApiResult;

use crate::domain::{Attempt, Certification, Course, CourseStatus, Enrollment};

/// Certifications by the day their holder is told they expire soon.
pub const CERT_EXPIRY_DUE: DueIndex = DueIndex { name: "CERT_EXPIRY_REMINDER" };
/// How long before expiry the holder is told.
pub const CERT_REMINDER_DAYS: i64 = 30;

/// When the holder of a certification expiring at `expires_at` is reminded.
pub fn reminder_at(expires_at: DateTime<Utc>) -> DateTime<Utc> {
    expires_at - Duration::days(CERT_REMINDER_DAYS)
}

fn course_pk(id: &str) -> String {
    format!("COURSE#{id}")
}

fn course_item(c: &Course) -> Stored<Course> {
    let keys = Keys::new(course_pk(&c.id), "COURSE", "course").with(GSI1, keys::all("COURSES"), &c.id).with(
        GSI3,
        keys::by_status("COURSES", c.status.as_str()),
        &c.id,
    );
    Stored { keys, record: c.clone() }
}

fn revision_put(db: &Db, c: &Course) -> anyhow::Result<TransactWriteItem> {
    let keys = Keys::new(course_pk(&c.id), format!("REV#{:06}", c.revision), "course-revision");
    put(db, to_item(&Stored { keys, record: c.clone() })?, None)
}

fn put(db: &Db, item: prm_shared::dynamo::Item, condition: Option<(&str, u64)>) -> anyhow::Result<TransactWriteItem> {
    let mut p = Put::builder().table_name(&db.table).set_item(Some(item));
    match condition {
        Some(("new", _)) => {
            p = p.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", PK);
        }
        Some((_, version)) => {
            p = p
                .condition_expression("#version = :version")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":version", n(i64::try_from(version).unwrap_or(i64::MAX)));
        }
        None => {}
    }
    Ok(TransactWriteItem::builder().put(p.build().context("building Put")?).build())
}

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// It exists already, or changed since it was read.
    #[error("conflict")]
    Conflict,
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

fn map(e: TransactError) -> WriteError {
    match e {
        e if e.condition_failed(0) => WriteError::Conflict,
        TransactError::Cancelled(r) if r.iter().any(|c| c == "TransactionConflict") => WriteError::Conflict,
        other => WriteError::Other(anyhow::anyhow!("{other}")),
    }
}

/// Stores a new course and its first revision.
pub async fn create_course(db: &Db, c: &Course) -> Result<(), WriteError> {
    let items = vec![put(db, to_item(&course_item(c))?, Some(("new", 0)))?, revision_put(db, c)?];
    db.transact(items).await.map_err(map)
}

/// Replaces `current` by `next` (an edit, which is a new revision, or publication).
pub async fn update_course(db: &Db, current: &Course, next: &Course) -> Result<(), WriteError> {
    let mut items = vec![put(db, to_item(&course_item(next))?, Some(("version", current.version)))?];
    if next.revision != current.revision {
        items.push(revision_put(db, next)?);
    }
    db.transact(items).await.map_err(map)
}

/// Reads a course.
pub async fn get_course(db: &Db, id: &str) -> anyhow::Result<Option<Course>> {
    Ok(db.get::<Stored<Course>>(&course_pk(id), "COURSE").await?.map(|i| i.record))
}

/// One page of courses, optionally of one status.
pub async fn list_courses(
    db: &Db,
    codec: &CursorCodec,
    status: Option<CourseStatus>,
    limit: usize,
    cursor: Option<&str>,
) -> ApiResult<Page<Course>> {
    let (index, pk) = match status {
        Some(s) => (GSI3, keys::by_status("COURSES", s.as_str())),
        None => (GSI1, keys::all("COURSES")),
    };
    let query = PageQuery {
        index: Some(index),
        pk,
        sk_prefix: None,
        sk_between: None,
        filter: None,
        forward: true,
        scope: format!("courses|status={}", status.map_or("", CourseStatus::as_str)),
    };
    let page: Page<Stored<Course>> = db.query_page(&query, limit, cursor, codec).await?;
    Ok(Page { items: page.items.into_iter().map(|i| i.record).collect(), next_cursor: page.next_cursor })
}

fn enrollment_item(e: &Enrollment) -> Stored<Enrollment> {
    let keys = Keys::new(course_pk(&e.course_id), format!("ENROLL#{}", e.user_id), "enrollment").with(
        GSI2,
        keys::owned("ENROLLMENTS", &e.partner_id),
        format!("{}#{}", e.course_id, e.user_id),
    );
    Stored { keys, record: e.clone() }
}

/// Stores a new enrollment; `false` when the person is enrolled already.
pub async fn enroll(db: &Db, e: &Enrollment) -> anyhow::Result<bool> {
    db.put_new(&enrollment_item(e)).await
}

/// Reads a person's enrollment in a course.
pub async fn get_enrollment(db: &Db, course_id: &str, user_id: &str) -> anyhow::Result<Option<Enrollment>> {
    Ok(db.get::<Stored<Enrollment>>(&course_pk(course_id), &format!("ENROLL#{user_id}")).await?.map(|i| i.record))
}

/// Replaces an enrollment that is still at `current`'s version.
pub async fn update_enrollment(db: &Db, current: &Enrollment, next: &Enrollment) -> Result<(), WriteError> {
    let items = vec![put(db, to_item(&enrollment_item(next))?, Some(("version", current.version)))?];
    db.transact(items).await.map_err(map)
}

fn cert_pk(course_id: &str, user_id: &str) -> String {
    format!("CERT#{course_id}#{user_id}")
}

fn cert_item(c: &Certification) -> Stored<Certification> {
    let sk = format!("{}#{}", c.expires_at.to_rfc3339_opts(SecondsFormat::Millis, true), c.id);
    let keys = Keys::new(cert_pk(&c.course_id, &c.user_id), "CERT", "certification")
        .with(GSI1, keys::all("CERTS"), &sk)
        .with(GSI2, keys::owned("CERTS", &c.partner_id), &sk)
        .with(GSI3, format!("CERTS#COURSE#{}", c.course_id), &sk);
    Stored { keys, record: c.clone() }
}

/// The due-index id of a certification (its course and holder).
pub fn cert_due_id(c: &Certification) -> String {
    format!("{}#{}", c.course_id, c.user_id)
}

/// Reads the certification of `user_id` from `course_id`.
pub async fn get_certification(db: &Db, course_id: &str, user_id: &str) -> anyhow::Result<Option<Certification>> {
    Ok(db.get::<Stored<Certification>>(&cert_pk(course_id, user_id), "CERT").await?.map(|i| i.record))
}

/// Records a scored attempt: the enrollment (only while unchanged since read:
/// this is what makes the attempt limit hold under concurrency), the attempt,
/// and on a pass the certification (issued or renewed) with its expiry
/// reminder moved, plus `outbox`, in one transaction.
pub async fn record_attempt(
    db: &Db,
    current: &Enrollment,
    next: &Enrollment,
    attempt: &Attempt,
    cert: Option<(&Certification, Option<DateTime<Utc>>)>,
    outbox: Vec<TransactWriteItem>,
) -> Result<(), WriteError> {
    let keys =
        Keys::new(course_pk(&attempt.course_id), format!("ATTEMPT#{}#{}", attempt.user_id, attempt.id), "attempt");
    let mut items = vec![
        put(db, to_item(&enrollment_item(next))?, Some(("version", current.version)))?,
        put(db, to_item(&Stored { keys, record: attempt.clone() })?, None)?,
    ];
    if let Some((c, previous_expiry)) = cert {
        items.push(put(db, to_item(&cert_item(c))?, None)?);
        if let Some(old) = previous_expiry {
            items.push(CERT_EXPIRY_DUE.delete(db, reminder_at(old), &cert_due_id(c))?);
        }
        items.push(CERT_EXPIRY_DUE.put(db, reminder_at(c.expires_at), &cert_due_id(c))?);
    }
    items.extend(outbox);
    db.transact(items).await.map_err(map)
}

/// Filters of a certification list.
#[derive(Debug, Clone, Default)]
pub struct CertFilter {
    /// Only this partner's people.
    pub partner_id: Option<String>,
    /// Only this course's.
    pub course_id: Option<String>,
    /// Only those expiring between now and this time.
    pub expiring: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// One page of certifications, soonest expiry first.
pub async fn list_certifications(
    db: &Db,
    codec: &CursorCodec,
    f: &CertFilter,
    limit: usize,
    cursor: Option<&str>,
) -> ApiResult<Page<Certification>> {
    let (index, pk, course_filter) = match (&f.partner_id, &f.course_id) {
        (Some(p), course) => (GSI2, keys::owned("CERTS", p), course.clone()),
        (None, Some(c)) => (GSI3, format!("CERTS#COURSE#{c}"), None),
        (None, None) => (GSI1, keys::all("CERTS"), None),
    };
    let ts = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let query = PageQuery {
        index: Some(index),
        pk,
        sk_prefix: None,
        sk_between: f.expiring.map(|(from, to)| (ts(from), format!("{}~", ts(to)))),
        filter: course_filter.map(|c| Filter {
            expression: "#course = :course".into(),
            names: [("#course".to_owned(), "course_id".to_owned())].into(),
            values: [(":course".to_owned(), s(c))].into(),
        }),
        forward: true,
        scope: format!(
            "certifications|partner={}|course={}|expiring={}",
            f.partner_id.as_deref().unwrap_or(""),
            f.course_id.as_deref().unwrap_or(""),
            f.expiring.map(|(a, b)| format!("{}..{}", ts(a), ts(b))).unwrap_or_default()
        ),
    };
    let page: Page<Stored<Certification>> = db.query_page(&query, limit, cursor, codec).await?;
    Ok(Page { items: page.items.into_iter().map(|i| i.record).collect(), next_cursor: page.next_cursor })
}
