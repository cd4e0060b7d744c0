//! HTTP routes of the training function.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{Duration, Utc};
use prm_shared::auth::{Caller, Role};
use prm_shared::dynamo::{ListParams, Page};
use prm_shared::error::{ApiError, ApiResult};
use prm_shared::events::PendingEvent;
use prm_shared::events::training::{CertificationIssued, CourseCompleted};
use prm_shared::json::{ApiQuery, JsonBody, created};
use prm_shared::openapi::ApiErrors;
use prm_shared::validate::{Checker, now, object_id};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::TrainingState;
use crate::domain::{
    Attempt, AttemptBody, Certification, Course, CourseBody, CourseStatus, CourseView, Enrollment, score,
};
use crate::store::{self, CertFilter, WriteError};

/// A course the caller may see: vendor staff any, partner staff published ones.
async fn visible_course(st: &TrainingState, caller: &Caller, id: &str) -> ApiResult<Course> {
    caller.require_any(&Role::ALL)?;
    if object_id(id).is_err() {
        return Err(ApiError::NotFound);
    }
    let course = store::get_course(&st.db, id).await?.ok_or(ApiError::NotFound)?;
    if !caller.is_vendor() && course.status != CourseStatus::Published {
        return Err(ApiError::NotFound);
    }
    Ok(course)
}

/// A vendor admin writes a course (a draft).
#[utoipa::path(
    post, path = "/v1/courses", tag = "training",
    request_body = CourseBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to a retried request")),
    responses((status = 201, body = CourseView), ApiErrors),
    security(("bearer" = []))
)]
pub async fn create_course(
    State(st): State<TrainingState>,
    caller: Caller,
    body: JsonBody<CourseBody>,
) -> ApiResult<Response> {
    caller.require_any(&[Role::VendorAdmin])?;
    let content = body.parse()?.parse()?;
    let at = now();
    let course = Course {
        id: ulid::Ulid::new().to_string(),
        title: content.title,
        description: content.description,
        modules: content.modules,
        quiz: content.quiz,
        certification: content.certification,
        max_attempts_per_day: content.max_attempts_per_day,
        status: CourseStatus::Draft,
        revision: 1,
        created_by: caller.sub.clone(),
        created_at: at,
        updated_at: at,
        published_at: None,
        version: 1,
    };
    match store::create_course(&st.db, &course).await {
        Ok(()) => Ok(created(&format!("/v1/courses/{}", course.id), course.view(true))),
        Err(WriteError::Conflict) => Err(ApiError::Conflict("the course exists already".into())),
        Err(WriteError::Other(e)) => Err(e.into()),
    }
}

/// A vendor admin edits a course: a new revision (attempts record the revision they answered).
#[utoipa::path(
    put, path = "/v1/courses/{id}", tag = "training",
    params(("id" = String, Path, description = "Course id")),
    request_body = CourseBody,
    responses((status = 200, body = CourseView), ApiErrors),
    security(("bearer" = []))
)]
pub async fn update_course(
    State(st): State<TrainingState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<CourseBody>,
) -> ApiResult<Json<CourseView>> {
    caller.require_any(&[Role::VendorAdmin])?;
    let content = body.parse()?.parse()?;
    let current = visible_course(&st, &caller, &id).await?;
    let mut next = current.clone();
    next.title = content.title;
    next.description = content.description;
    next.modules = content.modules;
    next.quiz = content.quiz;
    next.certification = content.certification;
    next.max_attempts_per_day = content.max_attempts_per_day;
    next.revision = current.revision + 1;
    next.updated_at = now();
    next.version = current.version + 1;
    match store::update_course(&st.db, &current, &next).await {
        Ok(()) => Ok(Json(next.view(true))),
        Err(WriteError::Conflict) => Err(ApiError::Conflict("the course changed meanwhile; read it and retry".into())),
        Err(WriteError::Other(e)) => Err(e.into()),
    }
}

/// A vendor admin publishes a draft course.
#[utoipa::path(
    post, path = "/v1/courses/{id}/publish", tag = "training",
    params(("id" = String, Path, description = "Course id")),
    responses((status = 200, body = CourseView), ApiErrors),
    security(("bearer" = []))
)]
pub async fn publish_course(
    State(st): State<TrainingState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<CourseView>> {
    caller.require_any(&[Role::VendorAdmin])?;
    let current = visible_course(&st, &caller, &id).await?;
    if current.status == CourseStatus::Published {
        return Err(ApiError::Conflict("the course is published already".into()));
    }
    let mut next = current.clone();
    next.status = CourseStatus::Published;
    next.updated_at = now();
    next.published_at = Some(next.updated_at);
    next.version = current.version + 1;
    match store::update_course(&st.db, &current, &next).await {
        Ok(()) => Ok(Json(next.view(true))),
        Err(WriteError::Conflict) => Err(ApiError::Conflict("the course changed meanwhile; read it and retry".into())),
        Err(WriteError::Other(e)) => Err(e.into()),
    }
}

/// Filters of `GET /v1/courses`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CourseQuery {
    /// draft or published (vendor staff; partner staff only ever see published).
    #[param(value_type = Option<CourseStatus>)]
    pub status: Option<String>,
    /// Page size, 1 to 100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Courses: vendor staff all, partner staff the published ones (without answers).
#[utoipa::path(
    get, path = "/v1/courses", tag = "training",
    params(CourseQuery),
    responses((status = 200, body = Page<CourseView>), ApiErrors),
    security(("bearer" = []))
)]
pub async fn list_courses(
    State(st): State<TrainingState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CourseQuery>,
) -> ApiResult<Json<Page<CourseView>>> {
    caller.require_any(&Role::ALL)?;
    let status = q.status.as_deref().map(CourseStatus::parse).transpose().map_err(|m| ApiError::field("status", m))?;
    let params = ListParams::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    let vendor = caller.is_vendor();
    let status = if vendor { status } else { Some(CourseStatus::Published) };
    let page = store::list_courses(&st.db, &st.cursors, status, params.limit, params.cursor.as_deref()).await?;
    Ok(Json(Page { items: page.items.iter().map(|c| c.view(vendor)).collect(), next_cursor: page.next_cursor }))
}

/// One course (partners: published only, without answers).
#[utoipa::path(
    get, path = "/v1/courses/{id}", tag = "training",
    params(("id" = String, Path, description = "Course id")),
    responses((status = 200, body = CourseView), ApiErrors),
    security(("bearer" = []))
)]
pub async fn get_course(
    State(st): State<TrainingState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<CourseView>> {
    let course = visible_course(&st, &caller, &id).await?;
    Ok(Json(course.view(caller.is_vendor())))
}

/// Partner staff enroll themselves in a published course.
#[utoipa::path(
    post, path = "/v1/courses/{id}/enrollments", tag = "training",
    params(("id" = String, Path, description = "Course id")),
    responses((status = 201, body = Enrollment), ApiErrors),
    security(("bearer" = []))
)]
pub async fn enroll(State(st): State<TrainingState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let partner_id = caller.require_partner()?.to_owned();
    let course = visible_course(&st, &caller, &id).await?;
    let e = Enrollment {
        course_id: course.id.clone(),
        user_id: caller.sub.clone(),
        partner_id,
        enrolled_at: now(),
        completed_modules: vec![],
        recent_attempts: vec![],
        attempts: 0,
        best_score_pct: None,
        passed_at: None,
        version: 1,
    };
    if !store::enroll(&st.db, &e).await? {
        return Err(ApiError::Conflict("you are enrolled in this course already".into()));
    }
    Ok(created(&format!("/v1/courses/{}/enrollments/me", course.id), e))
}

async fn my_enrollment(st: &TrainingState, caller: &Caller, course: &Course) -> ApiResult<Enrollment> {
    store::get_enrollment(&st.db, &course.id, &caller.sub)
        .await?
        .ok_or_else(|| ApiError::Conflict("enroll in the course first".into()))
}

/// The caller's enrollment in a course.
#[utoipa::path(
    get, path = "/v1/courses/{id}/enrollments/me", tag = "training",
    params(("id" = String, Path, description = "Course id")),
    responses((status = 200, body = Enrollment), ApiErrors),
    security(("bearer" = []))
)]
pub async fn get_my_enrollment(
    State(st): State<TrainingState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Enrollment>> {
    caller.require_partner()?;
    let course = visible_course(&st, &caller, &id).await?;
    let e = store::get_enrollment(&st.db, &course.id, &caller.sub).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(e))
}

/// Marks one module (by index) of the course complete for the caller.
#[utoipa::path(
    post, path = "/v1/courses/{id}/modules/{index}/complete", tag = "training",
    params(
        ("id" = String, Path, description = "Course id"),
        ("index" = usize, Path, description = "Module index, from 0"),
    ),
    responses((status = 200, body = Enrollment), ApiErrors),
    security(("bearer" = []))
)]
pub async fn complete_module(
    State(st): State<TrainingState>,
    caller: Caller,
    Path((id, index)): Path<(String, String)>,
) -> ApiResult<Json<Enrollment>> {
    caller.require_partner()?;
    let course = visible_course(&st, &caller, &id).await?;
    let index: usize = index.parse().ok().filter(|i| *i < course.modules.len()).ok_or(ApiError::NotFound)?;
    for _ in 0..5 {
        let current = my_enrollment(&st, &caller, &course).await?;
        if current.completed_modules.contains(&index) {
            return Ok(Json(current));
        }
        let mut next = current.clone();
        next.completed_modules.push(index);
        next.completed_modules.sort_unstable();
        next.version = current.version + 1;
        match store::update_enrollment(&st.db, &current, &next).await {
            Ok(()) => return Ok(Json(next)),
            Err(WriteError::Conflict) => continue,
            Err(WriteError::Other(e)) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict("the enrollment kept changing; retry".into()))
}

/// The result of an attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptResult {
    /// The attempt's id.
    pub id: String,
    /// The score, a whole percent.
    pub score_pct: u32,
    /// Whether it reached the pass mark.
    pub passed: bool,
    /// The course revision answered.
    pub revision: u32,
    /// Attempts left in the current 24 hours.
    pub attempts_left_today: u32,
    /// The certification issued or renewed by a pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certification: Option<Certification>,
}

/// An enrolled person answers the quiz; scored here. A pass issues (or
/// renews) the course's certification. At most `max_attempts_per_day`
/// attempts in any 24 hours: then a 429 says when the next is allowed.
#[utoipa::path(
    post, path = "/v1/courses/{id}/attempts", tag = "training",
    params(("id" = String, Path, description = "Course id")),
    request_body = AttemptBody,
    responses(
        (status = 200, body = AttemptResult),
        (status = 429, description = "The attempt limit is reached; `Retry-After` says when the next is allowed", content_type = "application/problem+json"),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn attempt(
    State(st): State<TrainingState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<AttemptBody>,
) -> ApiResult<Json<AttemptResult>> {
    let partner_id = caller.require_partner()?.to_owned();
    let course = visible_course(&st, &caller, &id).await?;
    let answers = body.parse()?.answers;
    let (score_pct, passed) = score(&course.quiz, &answers)?;
    for _ in 0..5 {
        let current = my_enrollment(&st, &caller, &course).await?;
        let at = now();
        if let Some(next_at) = current.next_attempt_at(course.max_attempts_per_day, at) {
            let wait = (next_at - at).num_seconds().max(1);
            return Err(ApiError::TooManyRequests {
                detail: format!(
                    "{} attempts in 24 hours is the limit of this course; the next attempt is allowed at {}",
                    course.max_attempts_per_day,
                    next_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
                retry_after_secs: u64::try_from(wait).unwrap_or(1),
            });
        }
        let attempt = Attempt {
            id: ulid::Ulid::new().to_string(),
            course_id: course.id.clone(),
            revision: course.revision,
            user_id: caller.sub.clone(),
            answers: answers.clone(),
            score_pct,
            passed,
            at,
        };
        let mut next = current.clone();
        next.recent_attempts.retain(|t| *t > at - Duration::hours(24));
        next.recent_attempts.push(at);
        next.attempts += 1;
        next.best_score_pct = Some(next.best_score_pct.map_or(score_pct, |b| b.max(score_pct)));
        let first_pass = passed && current.passed_at.is_none();
        if first_pass {
            next.passed_at = Some(at);
        }
        next.version = current.version + 1;
        let mut events = Vec::new();
        let held = if passed { store::get_certification(&st.db, &course.id, &caller.sub).await? } else { None };
        let cert = passed.then(|| Certification {
            id: held.as_ref().map_or_else(|| ulid::Ulid::new().to_string(), |h| h.id.clone()),
            name: course.certification.name.clone(),
            course_id: course.id.clone(),
            course_revision: course.revision,
            user_id: caller.sub.clone(),
            user_email: caller.email.clone(),
            partner_id: partner_id.clone(),
            issued_at: held.as_ref().map_or(at, |h| h.issued_at),
            renewed_at: held.as_ref().map(|_| at),
            // Renewal extends from the later of now and the current expiry.
            expires_at: held.as_ref().map_or(at, |h| h.expires_at.max(at))
                + Duration::days(course.certification.valid_days.into()),
        });
        if first_pass {
            events.push(PendingEvent::new(
                CourseCompleted {
                    course_id: course.id.clone(),
                    title: course.title.clone(),
                    revision: course.revision,
                    holder: caller.sub.clone(),
                    score_pct,
                },
                Some(&partner_id),
                Some(&caller.sub),
                at,
            )?);
        }
        if let Some(c) = &cert {
            events.push(PendingEvent::new(
                CertificationIssued {
                    certification_id: c.id.clone(),
                    name: c.name.clone(),
                    course_id: c.course_id.clone(),
                    holder: c.user_id.clone(),
                    expires_at: c.expires_at,
                    renewed: held.is_some(),
                },
                Some(&partner_id),
                Some(&caller.sub),
                at,
            )?);
        }
        let outbox = events.iter().map(|e| st.events.outbox_put(e)).collect::<anyhow::Result<Vec<_>>>()?;
        let cert_write = cert.as_ref().map(|c| (c, held.as_ref().map(|h| h.expires_at)));
        match store::record_attempt(&st.db, &current, &next, &attempt, cert_write, outbox).await {
            Ok(()) => {
                st.events.publish(&events).await;
                let used = u32::try_from(next.recent_attempts.len()).unwrap_or(u32::MAX);
                return Ok(Json(AttemptResult {
                    id: attempt.id,
                    score_pct,
                    passed,
                    revision: course.revision,
                    attempts_left_today: course.max_attempts_per_day.saturating_sub(used),
                    certification: cert,
                }));
            }
            Err(WriteError::Conflict) => continue,
            Err(WriteError::Other(e)) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict("the enrollment kept changing; retry".into()))
}

/// Filters of `GET /v1/certifications`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CertQuery {
    /// The partner (vendor staff; partner staff always get their own people's).
    pub partner_id: Option<String>,
    /// Only this course's.
    pub course_id: Option<String>,
    /// Only those expiring from today (UTC) to this many days ahead, 1 to 3,650.
    #[param(value_type = Option<u32>)]
    pub expiring_within_days: Option<String>,
    /// Page size, 1 to 100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Certifications, soonest expiry first: vendor staff all (by partner, course,
/// expiry), partner staff their own people's.
#[utoipa::path(
    get, path = "/v1/certifications", tag = "training",
    params(CertQuery),
    responses((status = 200, body = Page<Certification>), ApiErrors),
    security(("bearer" = []))
)]
pub async fn list_certifications(
    State(st): State<TrainingState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CertQuery>,
) -> ApiResult<Json<Page<Certification>>> {
    caller.require_any(&Role::ALL)?;
    let mut c = Checker::new();
    let partner = q.partner_id.as_deref().map(str::trim).filter(|p| !p.is_empty());
    if partner.is_some_and(|p| object_id(p).is_err()) {
        c.fail("partner_id", "is not a partner id");
    }
    let course = q.course_id.as_deref().map(str::trim).filter(|p| !p.is_empty());
    if course.is_some_and(|p| object_id(p).is_err()) {
        c.fail("course_id", "is not a course id");
    }
    let days = q.expiring_within_days.as_deref().map(str::trim).filter(|d| !d.is_empty()).and_then(|d| {
        c.check(
            "expiring_within_days",
            d.parse::<i64>().ok().filter(|n| (1..=3650).contains(n)).ok_or_else(|| "must be from 1 to 3650".to_owned()),
        )
    });
    c.finish()?;
    let partner_id = if caller.is_vendor() {
        partner.map(str::to_owned)
    } else {
        let own = caller.require_partner()?;
        if partner.is_some_and(|p| p != own) {
            return Err(ApiError::NotFound);
        }
        Some(own.to_owned())
    };
    // Whole days, so the window (and the cursor bound to it) holds all day.
    let today = Utc::now().date_naive().and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let filter = CertFilter {
        partner_id,
        course_id: course.map(str::to_owned),
        expiring: days.map(|d| (today, today + Duration::days(d + 1) - Duration::milliseconds(1))),
    };
    let params = ListParams::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    Ok(Json(store::list_certifications(&st.db, &st.cursors, &filter, params.limit, params.cursor.as_deref()).await?))
}
