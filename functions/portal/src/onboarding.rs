//! The onboarding checklist: configured by the vendor (`GET|PUT
//! /v1/program/onboarding`), tracked per partner (`GET
//! /v1/partners/{id}/onboarding`). Manual tasks are ticked by the partner's
//! admin (`POST /v1/partners/{id}/onboarding/{key}/complete`, recording who and
//! when); automatic ones complete themselves from state, re-evaluated when a
//! related event arrives (`DealRegistered`, `CertificationIssued`, through the
//! `portal-events` binary), when the profile changes and when the checklist is
//! read. When every task is done, the partner moves from `onboarding` to
//! `active` and `OnboardingCompleted` is emitted, in one transaction.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | checklist | `PROGRAM` | `ONBOARDING` |
//! | a partner's progress | `PARTNER#{partner}` | `ONBOARDING` |
//!
//! Automatic tasks read other capabilities' items by key: the partner's deals
//! (gsi2 `PARTNER#{partner}#DEALS`, one item) and certifications (gsi2
//! `PARTNER#{partner}#CERTS` from now on, unexpired ones).

use std::collections::BTreeMap;

use anyhow::Context;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, SecondsFormat, Utc};
use prm_shared::auth::{Caller, Role};
use prm_shared::dynamo::{GSI2, Keys, PK, Stored, keys, n, s, to_item};
use prm_shared::error::{ApiError, ApiResult};
use prm_shared::events::PendingEvent;
use prm_shared::json::JsonBody;
use prm_shared::openapi::ApiErrors;
use prm_shared::validate::{Checker, now, object_id, text};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::domain::{Partner, PartnerStatus};

prm_shared::string_enum! {
    /// How a task gets done.
    TaskKind {
        /// The partner's admin ticks it (e.g. accepting the program agreement).
        Manual => "manual",
        /// The profile names at least one specialty.
        ProfileComplete => "profile_complete",
        /// `count` people hold an unexpired certification of `course_id`.
        Certified => "certified",
        /// The partner registered a deal.
        FirstDeal => "first_deal",
    }
}

/// One task of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskDef {
    /// Stable key, e.g. `agreement` (lower-case letters, digits, dashes).
    pub key: String,
    /// What the partner reads.
    pub title: String,
    /// manual, profile_complete, certified or first_deal.
    #[schema(value_type = TaskKind)]
    pub kind: String,
    /// For `certified`: the course.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub course_id: Option<String>,
    /// For `certified`: how many people (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

/// The program's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Checklist {
    /// The tasks, in order.
    pub tasks: Vec<TaskDef>,
    /// Last change (none for the built-in default).
    pub updated_at: Option<DateTime<Utc>>,
}

impl Default for Checklist {
    fn default() -> Self {
        let task = |key: &str, title: &str, kind: TaskKind| TaskDef {
            key: key.into(),
            title: title.into(),
            kind: kind.as_str().into(),
            course_id: None,
            count: None,
        };
        Self {
            tasks: vec![
                task("agreement", "Accept the partner program agreement", TaskKind::Manual),
                task("profile", "Complete the company profile (specialties)", TaskKind::ProfileComplete),
                task("first-deal", "Register a first deal", TaskKind::FirstDeal),
            ],
            updated_at: None,
        }
    }
}

/// `PUT /v1/program/onboarding`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutChecklist {
    /// 1 to 20 tasks.
    pub tasks: Vec<TaskDef>,
}

/// When and by whom a task was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Done {
    /// When.
    pub at: DateTime<Utc>,
    /// Who ticked it (`system` for automatic tasks).
    pub by: String,
}

/// A partner's progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Done tasks by key.
    pub done: BTreeMap<String, Done>,
    /// When every task was done.
    pub completed_at: Option<DateTime<Utc>>,
    /// Incremented on every change (0: never stored).
    pub version: u64,
}

/// One task as the partner sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskView {
    /// Key.
    pub key: String,
    /// Title.
    pub title: String,
    /// How it gets done.
    pub kind: TaskKind,
    /// Whether it is done.
    pub done: bool,
    /// When.
    pub done_at: Option<DateTime<Utc>>,
    /// Who ticked it (`system` for automatic tasks).
    pub done_by: Option<String>,
}

/// `GET /v1/partners/{id}/onboarding`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OnboardingView {
    /// The partner.
    pub partner_id: String,
    /// The partner's status.
    pub partner_status: PartnerStatus,
    /// The checklist with progress.
    pub tasks: Vec<TaskView>,
    /// Whether every task is done.
    pub complete: bool,
    /// When the last task was done.
    pub completed_at: Option<DateTime<Utc>>,
}

fn task_key(raw: &str) -> Result<String, String> {
    let k = raw.trim();
    let ok =
        (1..=40).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok { Ok(k.to_owned()) } else { Err("must be 1 to 40 lower-case letters, digits or dashes".into()) }
}

/// Reads the checklist (the default until the vendor sets one).
pub async fn checklist(db: &prm_shared::dynamo::Db) -> anyhow::Result<Checklist> {
    Ok(db.get::<Stored<Checklist>>("PROGRAM", "ONBOARDING").await?.map(|c| c.record).unwrap_or_default())
}

async fn progress(db: &prm_shared::dynamo::Db, partner_id: &str) -> anyhow::Result<Progress> {
    Ok(db
        .get::<Stored<Progress>>(&keys::partner(partner_id), "ONBOARDING")
        .await?
        .map(|p| p.record)
        .unwrap_or_default())
}

fn progress_put(
    db: &prm_shared::dynamo::Db,
    partner_id: &str,
    current: &Progress,
    next: &Progress,
) -> anyhow::Result<TransactWriteItem> {
    let item = to_item(&Stored {
        keys: Keys::new(keys::partner(partner_id), "ONBOARDING", "onboarding"),
        record: next.clone(),
    })?;
    let mut p = Put::builder().table_name(&db.table).set_item(Some(item));
    p = if current.version == 0 {
        p.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", PK)
    } else {
        p.condition_expression("#version = :version")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":version", n(i64::try_from(current.version).unwrap_or(i64::MAX)))
    };
    Ok(TransactWriteItem::builder().put(p.build().context("building progress Put")?).build())
}

/// Whether an automatic task is done now.
async fn auto_done(st: &AppState, partner: &Partner, task: &TaskDef, at: DateTime<Utc>) -> anyhow::Result<bool> {
    match TaskKind::parse(&task.kind) {
        Ok(TaskKind::ProfileComplete) => Ok(!partner.specialties.is_empty()),
        Ok(TaskKind::FirstDeal) => {
            let deals: Vec<serde_json::Value> =
                st.db.whole_partition(Some(GSI2), &keys::owned("DEALS", &partner.id), None, 1).await?;
            Ok(!deals.is_empty())
        }
        Ok(TaskKind::Certified) => {
            #[derive(Deserialize)]
            struct Cert {
                course_id: String,
            }
            // Unexpired certifications sort from now on; count the course's.
            let from = at.to_rfc3339_opts(SecondsFormat::Millis, true);
            let out = st
                .db
                .client
                .query()
                .table_name(&st.db.table)
                .index_name(GSI2.name)
                .key_condition_expression("#pk = :pk AND #sk >= :from")
                .expression_attribute_names("#pk", GSI2.pk)
                .expression_attribute_names("#sk", GSI2.sk)
                .expression_attribute_values(":pk", s(keys::owned("CERTS", &partner.id)))
                .expression_attribute_values(":from", s(from))
                .send()
                .await
                .context("Query certifications")?;
            let mut held = 0u32;
            for item in out.items.unwrap_or_default() {
                let c: Cert = prm_shared::dynamo::from_item(item)?;
                if Some(&c.course_id) == task.course_id.as_ref() {
                    held += 1;
                }
            }
            Ok(held >= task.count.unwrap_or(1))
        }
        Ok(TaskKind::Manual) | Err(_) => Ok(false),
    }
}

/// Re-evaluates a partner's checklist as of `at`: automatic tasks that are
/// done are recorded, `tick` (a manual task key and who ticked it) too, and
/// when everything is done an onboarding partner becomes active with
/// `OnboardingCompleted`. Returns the view.
pub async fn evaluate(
    st: &AppState,
    partner_id: &str,
    tick: Option<(&str, &str)>,
    at: DateTime<Utc>,
) -> ApiResult<OnboardingView> {
    let list = checklist(&st.db).await?;
    for _ in 0..5 {
        let partner = crate::store::get_partner(&st.db, partner_id).await?.ok_or(ApiError::NotFound)?;
        let current = progress(&st.db, partner_id).await?;
        let mut next = current.clone();
        if let Some((key, by)) = tick {
            let task = list.tasks.iter().find(|t| t.key == key).ok_or(ApiError::NotFound)?;
            if TaskKind::parse(&task.kind) != Ok(TaskKind::Manual) {
                return Err(ApiError::Conflict(format!("`{key}` completes itself; it cannot be ticked")));
            }
            next.done.entry(key.to_owned()).or_insert(Done { at, by: by.to_owned() });
        }
        for task in &list.tasks {
            if !next.done.contains_key(&task.key) && auto_done(st, &partner, task, at).await? {
                next.done.insert(task.key.clone(), Done { at, by: "system".into() });
            }
        }
        let complete = list.tasks.iter().all(|t| next.done.contains_key(&t.key));
        if complete && next.completed_at.is_none() {
            next.completed_at = Some(at);
        }
        let activate = complete && partner.status == PartnerStatus::Onboarding;
        let view = |p: &Progress, status: PartnerStatus| OnboardingView {
            partner_id: partner_id.to_owned(),
            partner_status: status,
            tasks: list
                .tasks
                .iter()
                .map(|t| {
                    let d = p.done.get(&t.key);
                    TaskView {
                        key: t.key.clone(),
                        title: t.title.clone(),
                        kind: TaskKind::parse(&t.kind).unwrap_or(TaskKind::Manual),
                        done: d.is_some(),
                        done_at: d.map(|d| d.at),
                        done_by: d.map(|d| d.by.clone()),
                    }
                })
                .collect(),
            complete,
            completed_at: p.completed_at,
        };
        if next == current && !activate {
            return Ok(view(&current, partner.status));
        }
        next.version = current.version + 1;
        let mut items = vec![progress_put(&st.db, partner_id, &current, &next)?];
        let mut events = Vec::new();
        let mut status = partner.status;
        if activate {
            let mut active = partner.clone();
            active.status = PartnerStatus::Active;
            active.updated_at = at;
            active.version = partner.version + 1;
            items.push(crate::store::partner_put_if_unchanged(&st.db, &partner, &active)?);
            let event = PendingEvent::new(
                prm_shared::events::training::OnboardingCompleted {
                    tasks: list.tasks.iter().map(|t| t.key.clone()).collect(),
                },
                Some(partner_id),
                tick.map(|(_, by)| by),
                at,
            )?;
            items.push(st.events.outbox_put(&event)?);
            events.push(event);
            status = PartnerStatus::Active;
        }
        match st.db.transact(items).await {
            Ok(()) => {
                st.events.publish(&events).await;
                return Ok(view(&next, status));
            }
            Err(e) if e.condition_failed(0) || e.condition_failed(1) => continue,
            Err(e) => return Err(anyhow::anyhow!("{e}").into()),
        }
    }
    Err(ApiError::Conflict("the onboarding progress kept changing; retry".into()))
}

/// The onboarding checklist of a partner with its progress.
#[utoipa::path(
    get, path = "/v1/partners/{id}/onboarding", tag = "partners",
    params(("id" = String, Path, description = "Partner id")),
    responses((status = 200, body = OnboardingView), ApiErrors),
    security(("bearer" = []))
)]
pub async fn get_onboarding(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<OnboardingView>> {
    caller.require_any(&Role::ALL)?;
    caller.require_partner_access(object_id(&id)?)?;
    Ok(Json(evaluate(&st, &id, None, now()).await?))
}

/// The partner's admin (or a vendor admin) ticks a manual task.
#[utoipa::path(
    post, path = "/v1/partners/{id}/onboarding/{key}/complete", tag = "partners",
    params(
        ("id" = String, Path, description = "Partner id"),
        ("key" = String, Path, description = "Task key"),
    ),
    responses((status = 200, body = OnboardingView), ApiErrors),
    security(("bearer" = []))
)]
pub async fn complete_task(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, key)): Path<(String, String)>,
) -> ApiResult<Json<OnboardingView>> {
    // Vendor admins and the partner's own admins; a role that may never is 403 whatever the id.
    caller.require_any(&[Role::VendorAdmin, Role::PartnerAdmin])?;
    caller.require_partner_access(object_id(&id)?)?;
    if !caller.administers_partner(&id) {
        return Err(ApiError::forbidden());
    }
    Ok(Json(evaluate(&st, &id, Some((&key, &caller.sub)), now()).await?))
}

/// The program's onboarding checklist.
#[utoipa::path(
    get, path = "/v1/program/onboarding", tag = "program",
    responses((status = 200, body = Checklist), ApiErrors),
    security(("bearer" = []))
)]
pub async fn get_checklist(State(st): State<AppState>, caller: Caller) -> ApiResult<Json<Checklist>> {
    caller.require_any(&Role::ALL)?;
    Ok(Json(checklist(&st.db).await?))
}

/// A vendor admin sets the onboarding checklist (partners' progress on tasks
/// whose key stays is kept).
#[utoipa::path(
    put, path = "/v1/program/onboarding", tag = "program",
    request_body = PutChecklist,
    responses((status = 200, body = Checklist), ApiErrors),
    security(("bearer" = []))
)]
pub async fn put_checklist(
    State(st): State<AppState>,
    caller: Caller,
    body: JsonBody<PutChecklist>,
) -> ApiResult<Json<Checklist>> {
    caller.require_any(&[Role::VendorAdmin])?;
    let req = body.parse()?;
    let mut c = Checker::new();
    if req.tasks.is_empty() || req.tasks.len() > 20 {
        c.fail("tasks", "must have 1 to 20 tasks");
    }
    let mut tasks = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, t) in req.tasks.iter().enumerate() {
        let key = c.check(&format!("tasks[{i}].key"), task_key(&t.key));
        if key.as_ref().is_some_and(|k| !seen.insert(k.clone())) {
            c.fail(&format!("tasks[{i}].key"), "is used by another task");
        }
        let title = c.check(&format!("tasks[{i}].title"), text(&t.title, 1, 200));
        let kind = c.check(&format!("tasks[{i}].kind"), TaskKind::parse(&t.kind));
        if kind == Some(TaskKind::Certified) {
            match t.course_id.as_deref().map(str::trim) {
                Some(cid) if object_id(cid).is_ok() => {
                    if st.db.get::<serde_json::Value>(&format!("COURSE#{cid}"), "COURSE").await?.is_none() {
                        c.fail(&format!("tasks[{i}].course_id"), "no such course");
                    }
                }
                _ => c.fail(&format!("tasks[{i}].course_id"), "is required for a certified task"),
            }
            if t.count.is_some_and(|n| !(1..=100).contains(&n)) {
                c.fail(&format!("tasks[{i}].count"), "must be from 1 to 100");
            }
        } else if t.course_id.is_some() || t.count.is_some() {
            c.fail(&format!("tasks[{i}].course_id"), "only a certified task names a course and a count");
        }
        if let (Some(key), Some(title), Some(kind)) = (key, title, kind) {
            tasks.push(TaskDef {
                key,
                title,
                kind: kind.as_str().into(),
                course_id: t.course_id.as_deref().map(|s| s.trim().to_owned()),
                count: (kind == TaskKind::Certified).then(|| t.count.unwrap_or(1)),
            });
        }
    }
    c.finish()?;
    let list = Checklist { tasks, updated_at: Some(now()) };
    st.db
        .client
        .put_item()
        .table_name(&st.db.table)
        .set_item(Some(to_item(&Stored {
            keys: Keys::new("PROGRAM", "ONBOARDING", "onboarding-checklist"),
            record: list.clone(),
        })?))
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e).context("PutItem checklist"))?;
    Ok(Json(list))
}

/// What handling an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// The partner's checklist was re-evaluated.
    Evaluated {
        /// The partner.
        partner_id: String,
        /// Whether it is complete now.
        complete: bool,
    },
    /// Nothing to do, and why.
    Skipped(String),
    /// The schedule's tier evaluation ran.
    TiersEvaluated(crate::evaluation::EvaluationReport),
}

/// Handles a domain event for the portal: the partner's scorecard counters
/// (once per event) and, for `DealRegistered` and `CertificationIssued`, its
/// onboarding checklist (evaluation reads state, so redeliveries are
/// harmless); the schedule's `Scheduled Event` runs the tier evaluation.
/// Errors are transient: a retry can help.
pub async fn handle(st: &AppState, event: &prm_shared::events::Delivered) -> Result<Handled, String> {
    if event.source == "aws.events" && event.detail_type == "Scheduled Event" {
        // The `program-evaluation` schedule.
        let r =
            crate::evaluation::evaluate_all(st, now()).await.map_err(|e| format!("transient failure, retry: {e:#}"))?;
        return Ok(Handled::TiersEvaluated(r));
    }
    crate::scorecard::count(st, event).await.map_err(|e| format!("transient failure, retry: {e:#}"))?;
    if !matches!(event.detail_type.as_str(), "DealRegistered" | "CertificationIssued") {
        return Ok(Handled::Skipped(format!("{} does not move onboarding", event.detail_type)));
    }
    let Some(pid) = event.detail.get("partner_id").and_then(|p| p.as_str()) else {
        return Ok(Handled::Skipped("no partner".into()));
    };
    match evaluate(st, pid, None, now()).await {
        Ok(v) => Ok(Handled::Evaluated { partner_id: pid.to_owned(), complete: v.complete }),
        Err(ApiError::NotFound) => Ok(Handled::Skipped(format!("no partner {pid}"))),
        Err(e) => Err(format!("transient failure, retry: {e}")),
    }
}
