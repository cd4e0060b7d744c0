//! Courses, quizzes, attempts and certifications. Pure.

use chrono::{DateTime, Duration, Utc};
use prm_shared::ApiError;
use prm_shared::validate::{Checker, object_id, text};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

prm_shared::string_enum! {
    /// Where a course is.
    CourseStatus {
        /// Being written; only vendor staff see it.
        Draft => "draft",
        /// Open to partners.
        Published => "published",
    }
}

/// One module of a course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Module {
    /// Title, 1 to 200 characters.
    pub title: String,
    /// Content in Markdown, up to 20,000 characters.
    pub content: String,
    /// Ids of portal assets to read or watch with it.
    #[serde(default)]
    pub asset_ids: Vec<String>,
}

/// A quiz question; `correct` holds the indexes of every right choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The question.
    pub prompt: String,
    /// 2 to 10 choices.
    pub choices: Vec<String>,
    /// Indexes of the right choices (at least one).
    pub correct: Vec<usize>,
}

/// The quiz of a course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Quiz {
    /// Score needed to pass, 1 to 100.
    pub pass_mark_pct: u32,
    /// 1 to 100 questions.
    pub questions: Vec<Question>,
}

/// The certification a course grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificationSpec {
    /// Its name, e.g. "Certified Firewall Specialist".
    pub name: String,
    /// How long it is valid, 1 to 3,650 days.
    pub valid_days: u32,
}

/// A course as stored (with the answers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Course {
    /// ULID.
    pub id: String,
    /// Title.
    pub title: String,
    /// What it teaches.
    pub description: String,
    /// The modules.
    pub modules: Vec<Module>,
    /// The quiz.
    pub quiz: Quiz,
    /// What passing grants.
    pub certification: CertificationSpec,
    /// Attempts allowed per person in any 24 hours.
    pub max_attempts_per_day: u32,
    /// Draft or published.
    pub status: CourseStatus,
    /// 1, then one more per edit.
    pub revision: u32,
    /// Who wrote it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it was first published.
    pub published_at: Option<DateTime<Utc>>,
    /// Incremented on every change.
    pub version: u64,
}

/// A question as partners see it: no answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PublicQuestion {
    /// The question.
    pub prompt: String,
    /// The choices.
    pub choices: Vec<String>,
    /// How many choices are right (so the partner knows to pick several).
    pub answers_expected: usize,
}

/// A quiz as partners see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PublicQuiz {
    /// Score needed to pass.
    pub pass_mark_pct: u32,
    /// The questions, without answers.
    pub questions: Vec<PublicQuestion>,
}

/// A course as an API answer: vendor staff get the quiz with its answers
/// (`quiz`), everyone else without (`public_quiz`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseView {
    /// ULID.
    pub id: String,
    /// Title.
    pub title: String,
    /// What it teaches.
    pub description: String,
    /// The modules.
    pub modules: Vec<Module>,
    /// The quiz with answers (vendor staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quiz: Option<Quiz>,
    /// The quiz without answers (partner staff).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_quiz: Option<PublicQuiz>,
    /// What passing grants.
    pub certification: CertificationSpec,
    /// Attempts allowed per person in any 24 hours.
    pub max_attempts_per_day: u32,
    /// Draft or published.
    pub status: CourseStatus,
    /// The current revision.
    pub revision: u32,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Course {
    /// The answer for vendor staff (`with_answers`) or anyone else.
    pub fn view(&self, with_answers: bool) -> CourseView {
        let public = PublicQuiz {
            pass_mark_pct: self.quiz.pass_mark_pct,
            questions: self
                .quiz
                .questions
                .iter()
                .map(|q| PublicQuestion {
                    prompt: q.prompt.clone(),
                    choices: q.choices.clone(),
                    answers_expected: q.correct.len(),
                })
                .collect(),
        };
        CourseView {
            id: self.id.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            modules: self.modules.clone(),
            quiz: with_answers.then(|| self.quiz.clone()),
            public_quiz: (!with_answers).then_some(public),
            certification: self.certification.clone(),
            max_attempts_per_day: self.max_attempts_per_day,
            status: self.status,
            revision: self.revision,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// `POST /v1/courses` and `PUT /v1/courses/{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseBody {
    /// Title, 1 to 200 characters.
    pub title: String,
    /// What it teaches, up to 4,000 characters.
    #[serde(default)]
    pub description: String,
    /// 1 to 50 modules.
    pub modules: Vec<Module>,
    /// The quiz.
    pub quiz: Quiz,
    /// What passing grants.
    pub certification: CertificationSpec,
    /// Attempts allowed per person in any 24 hours, 1 to 20 (default 3).
    pub max_attempts_per_day: Option<u32>,
}

/// The checked content of a course body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseContent {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Modules.
    pub modules: Vec<Module>,
    /// Quiz.
    pub quiz: Quiz,
    /// Certification.
    pub certification: CertificationSpec,
    /// Attempt limit.
    pub max_attempts_per_day: u32,
}

impl CourseBody {
    /// Checks every field; a 400 names each bad one (`quiz.questions[2].correct[0]`).
    pub fn parse(self) -> Result<CourseContent, ApiError> {
        let mut c = Checker::new();
        let title = c.check("title", text(&self.title, 1, 200));
        if self.description.chars().count() > 4000 {
            c.fail("description", "must be at most 4000 characters");
        }
        if self.modules.is_empty() || self.modules.len() > 50 {
            c.fail("modules", "must have 1 to 50 modules");
        }
        let mut modules = Vec::new();
        for (i, m) in self.modules.iter().enumerate() {
            let t = c.check(&format!("modules[{i}].title"), text(&m.title, 1, 200));
            if m.content.trim().is_empty() || m.content.chars().count() > 20_000 {
                c.fail(&format!("modules[{i}].content"), "must be 1 to 20000 characters of Markdown");
            }
            if m.asset_ids.len() > 20 {
                c.fail(&format!("modules[{i}].asset_ids"), "must have at most 20 assets");
            }
            for (j, a) in m.asset_ids.iter().enumerate() {
                if object_id(a.trim()).is_err() {
                    c.fail(&format!("modules[{i}].asset_ids[{j}]"), "is not an asset id");
                }
            }
            if let Some(title) = t {
                modules.push(Module {
                    title,
                    content: m.content.trim().to_owned(),
                    asset_ids: m.asset_ids.iter().map(|a| a.trim().to_owned()).collect(),
                });
            }
        }
        if !(1..=100).contains(&self.quiz.pass_mark_pct) {
            c.fail("quiz.pass_mark_pct", "must be from 1 to 100");
        }
        if self.quiz.questions.is_empty() || self.quiz.questions.len() > 100 {
            c.fail("quiz.questions", "must have 1 to 100 questions");
        }
        let mut questions = Vec::new();
        for (i, q) in self.quiz.questions.iter().enumerate() {
            let at = format!("quiz.questions[{i}]");
            let prompt = c.check(&format!("{at}.prompt"), text(&q.prompt, 1, 1000));
            if q.choices.len() < 2 || q.choices.len() > 10 {
                c.fail(&format!("{at}.choices"), "must have 2 to 10 choices");
            }
            let mut choices = Vec::new();
            for (j, ch) in q.choices.iter().enumerate() {
                if let Some(t) = c.check(&format!("{at}.choices[{j}]"), text(ch, 1, 500)) {
                    choices.push(t);
                }
            }
            if q.correct.is_empty() {
                c.fail(&format!("{at}.correct"), "must name at least one right choice");
            }
            let mut correct = q.correct.clone();
            for (j, k) in q.correct.iter().enumerate() {
                if *k >= q.choices.len() {
                    c.fail(&format!("{at}.correct[{j}]"), format!("must be an index below {}", q.choices.len()));
                }
            }
            correct.sort_unstable();
            correct.dedup();
            if correct.len() != q.correct.len() {
                c.fail(&format!("{at}.correct"), "must not repeat an index");
            }
            if let Some(prompt) = prompt {
                questions.push(Question { prompt, choices, correct });
            }
        }
        let name = c.check("certification.name", text(&self.certification.name, 1, 200));
        if !(1..=3650).contains(&self.certification.valid_days) {
            c.fail("certification.valid_days", "must be from 1 to 3650");
        }
        let max_attempts_per_day = self.max_attempts_per_day.unwrap_or(3);
        if !(1..=20).contains(&max_attempts_per_day) {
            c.fail("max_attempts_per_day", "must be from 1 to 20");
        }
        c.finish()?;
        let (Some(title), Some(name)) = (title, name) else {
            return Err(ApiError::field("body", "invalid course"));
        };
        Ok(CourseContent {
            title,
            description: self.description.trim().to_owned(),
            modules,
            quiz: Quiz { pass_mark_pct: self.quiz.pass_mark_pct, questions },
            certification: CertificationSpec { name, valid_days: self.certification.valid_days },
            max_attempts_per_day,
        })
    }
}

/// `POST /v1/courses/{id}/attempts`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttemptBody {
    /// One list of chosen indexes per question, in order.
    pub answers: Vec<Vec<usize>>,
}

/// Scores `answers` against `quiz`: a question counts when exactly its right
/// choices were picked. The score is rounded down to a whole percent.
pub fn score(quiz: &Quiz, answers: &[Vec<usize>]) -> Result<(u32, bool), ApiError> {
    if answers.len() != quiz.questions.len() {
        return Err(ApiError::field(
            "answers",
            format!("must have {} answers, one per question", quiz.questions.len()),
        ));
    }
    let mut c = Checker::new();
    let mut right = 0u32;
    for (i, (q, a)) in quiz.questions.iter().zip(answers).enumerate() {
        if a.is_empty() {
            c.fail(&format!("answers[{i}]"), "must pick at least one choice");
            continue;
        }
        if let Some(bad) = a.iter().find(|k| **k >= q.choices.len()) {
            c.fail(&format!("answers[{i}]"), format!("{bad} is not a choice (0 to {})", q.choices.len() - 1));
            continue;
        }
        let mut picked = a.clone();
        picked.sort_unstable();
        picked.dedup();
        if picked.len() != a.len() {
            c.fail(&format!("answers[{i}]"), "must not repeat a choice");
            continue;
        }
        if picked == q.correct {
            right += 1;
        }
    }
    c.finish()?;
    let total = u32::try_from(quiz.questions.len()).unwrap_or(u32::MAX).max(1);
    let pct = right * 100 / total;
    Ok((pct, pct >= quiz.pass_mark_pct))
}

/// A person's enrollment in a course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Enrollment {
    /// The course.
    pub course_id: String,
    /// The person (Cognito `sub`).
    pub user_id: String,
    /// Their partner.
    pub partner_id: String,
    /// When they enrolled.
    pub enrolled_at: DateTime<Utc>,
    /// Indexes of the modules they completed.
    pub completed_modules: Vec<usize>,
    /// When they made their recent attempts (the last 24 hours' worth).
    pub recent_attempts: Vec<DateTime<Utc>>,
    /// Attempts ever made.
    pub attempts: u32,
    /// Best score so far.
    pub best_score_pct: Option<u32>,
    /// When they first passed.
    pub passed_at: Option<DateTime<Utc>>,
    /// Incremented on every change.
    pub version: u64,
}

impl Enrollment {
    /// When the next attempt is allowed, if the limit of `max` attempts in 24
    /// hours is reached as of `now`.
    pub fn next_attempt_at(&self, max: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let window: Vec<&DateTime<Utc>> =
            self.recent_attempts.iter().filter(|t| **t > now - Duration::hours(24)).collect();
        if window.len() < max as usize {
            return None;
        }
        // The oldest attempt inside the window leaves it first.
        window.into_iter().min().map(|t| *t + Duration::hours(24))
    }
}

/// One scored attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Attempt {
    /// ULID.
    pub id: String,
    /// The course.
    pub course_id: String,
    /// The revision answered.
    pub revision: u32,
    /// Who.
    pub user_id: String,
    /// The answers given.
    pub answers: Vec<Vec<usize>>,
    /// The score.
    pub score_pct: u32,
    /// Whether it passed.
    pub passed: bool,
    /// When.
    pub at: DateTime<Utc>,
}

/// A certification a person holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Certification {
    /// ULID (kept across renewals).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The course that grants it.
    pub course_id: String,
    /// The revision last passed.
    pub course_revision: u32,
    /// Who holds it (Cognito `sub`).
    pub user_id: String,
    /// Their email, as signed in.
    pub user_email: Option<String>,
    /// Their partner.
    pub partner_id: String,
    /// When first issued.
    pub issued_at: DateTime<Utc>,
    /// When last renewed.
    pub renewed_at: Option<DateTime<Utc>>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiz() -> Quiz {
        Quiz {
            pass_mark_pct: 75,
            questions: vec![
                Question { prompt: "a".into(), choices: vec!["x".into(), "y".into()], correct: vec![1] },
                Question { prompt: "b".into(), choices: vec!["x".into(), "y".into(), "z".into()], correct: vec![0, 2] },
                Question { prompt: "c".into(), choices: vec!["x".into(), "y".into()], correct: vec![0] },
                Question { prompt: "d".into(), choices: vec!["x".into(), "y".into()], correct: vec![0] },
            ],
        }
    }

    #[test]
    fn a_question_counts_only_with_exactly_its_right_choices() {
        assert_eq!(score(&quiz(), &[vec![1], vec![2, 0], vec![0], vec![0]]).unwrap(), (100, true));
        assert_eq!(score(&quiz(), &[vec![1], vec![0], vec![0], vec![0]]).unwrap(), (75, true));
        assert_eq!(score(&quiz(), &[vec![0], vec![0, 1, 2], vec![0], vec![1]]).unwrap(), (25, false));
    }

    #[test]
    fn malformed_answers_name_the_question() {
        let fields = |a: &[Vec<usize>]| -> Vec<String> {
            score(&quiz(), a).unwrap_err().problem().errors.into_iter().map(|e| e.field).collect()
        };
        assert_eq!(fields(&[vec![1]]), vec!["answers"]);
        assert_eq!(fields(&[vec![2], vec![0, 0], vec![], vec![0]]), vec!["answers[0]", "answers[1]", "answers[2]"]);
    }

    #[test]
    fn partners_never_see_the_answers() {
        let body: CourseBody = serde_json::from_value(serde_json::json!({
            "title": "Firewall basics", "modules": [{"title": "Intro", "content": "# Hello"}],
            "quiz": {"pass_mark_pct": 50, "questions": [{"prompt": "Pick", "choices": ["a", "b"], "correct": [1]}]},
            "certification": {"name": "Firewall Associate", "valid_days": 365}
        }))
        .unwrap();
        let content = body.parse().unwrap();
        let at = Utc::now();
        let course = Course {
            id: "C".into(),
            title: content.title,
            description: content.description,
            modules: content.modules,
            quiz: content.quiz,
            certification: content.certification,
            max_attempts_per_day: content.max_attempts_per_day,
            status: CourseStatus::Published,
            revision: 1,
            created_by: "v".into(),
            created_at: at,
            updated_at: at,
            published_at: Some(at),
            version: 1,
        };
        let json = serde_json::to_string(&course.view(false)).unwrap();
        assert!(!json.contains("correct"), "{json}");
        assert!(serde_json::to_string(&course.view(true)).unwrap().contains("\"correct\":[1]"));
    }

    #[test]
    fn a_course_names_its_bad_fields() {
        let body: CourseBody = serde_json::from_value(serde_json::json!({
            "title": "", "modules": [],
            "quiz": {"pass_mark_pct": 0, "questions": [{"prompt": "Pick", "choices": ["a"], "correct": [3]}]},
            "certification": {"name": "X", "valid_days": 0}
        }))
        .unwrap();
        let fields: Vec<String> = body.parse().unwrap_err().problem().errors.into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                "title",
                "modules",
                "quiz.pass_mark_pct",
                "quiz.questions[0].choices",
                "quiz.questions[0].correct[0]",
                "certification.valid_days"
            ]
        );
    }

    #[test]
    fn the_attempt_limit_reopens_when_the_oldest_attempt_leaves_the_window() {
        let now = Utc::now();
        let e = Enrollment {
            course_id: "C".into(),
            user_id: "u".into(),
            partner_id: "P".into(),
            enrolled_at: now,
            completed_modules: vec![],
            recent_attempts: vec![now - Duration::hours(30), now - Duration::hours(5), now - Duration::hours(1)],
            attempts: 3,
            best_score_pct: None,
            passed_at: None,
            version: 1,
        };
        assert_eq!(e.next_attempt_at(3, now), None, "the 30-hour-old attempt is outside the window");
        assert_eq!(e.next_attempt_at(2, now), Some(now + Duration::hours(19)));
    }
}
