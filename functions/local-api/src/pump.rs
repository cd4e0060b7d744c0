//! Dev-only: what Lambda's EventBridge integration does on AWS. Receives the
//! events a rule delivered to its local SQS queue and hands each to the target
//! function's handler; an event the handler fails stays in the queue, is
//! delivered again after the visibility timeout and, after
//! [`crate::provision::MAX_RECEIVES`] receives, moves to the dead-letter queue.

use std::future::Future;

use anyhow::Context;
use prm_shared::events::Delivered;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pumped {
    /// Events handled (and deleted from the queue).
    pub handled: usize,
    /// Events the handler failed (left for redelivery or the DLQ).
    pub failed: usize,
}

/// Receives up to ten events from `queue_url` (waiting up to `wait_seconds`
/// for the first) and hands each to `handle`.
pub async fn pump_once<F, Fut>(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    wait_seconds: i32,
    handle: F,
) -> anyhow::Result<Pumped>
where
    F: Fn(Delivered) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let out = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait_seconds)
        .send()
        .await
        .context("ReceiveMessage")?;
    let mut done = Pumped::default();
    for m in out.messages() {
        let event: Result<Delivered, _> = serde_json::from_str(m.body().unwrap_or_default());
        let outcome = match event {
            Ok(e) => handle(e).await,
            Err(e) => Err(format!("not an EventBridge event: {e}")),
        };
        match outcome {
            Ok(()) => {
                if let Some(h) = m.receipt_handle() {
                    sqs.delete_message()
                        .queue_url(queue_url)
                        .receipt_handle(h)
                        .send()
                        .await
                        .context("DeleteMessage")?;
                }
                done.handled += 1;
            }
            Err(e) => {
                tracing::warn!(queue = queue_url, error = %e, "event handler failed; it will be redelivered");
                done.failed += 1;
            }
        }
    }
    Ok(done)
}

/// Pumps `queue_url` into `handle` for as long as the process runs (what
/// Lambda's event source does on AWS); `name` labels the log lines.
pub fn spawn_forever<S, F, Fut>(sqs: aws_sdk_sqs::Client, queue_url: String, name: &'static str, state: S, handle: F)
where
    S: Send + Sync + 'static,
    F: Fn(std::sync::Arc<S>, Delivered) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let state = std::sync::Arc::new(state);
    tokio::spawn(async move {
        loop {
            let st = &state;
            if let Err(e) = pump_once(&sqs, &queue_url, 10, |ev| handle(st.clone(), ev)).await {
                tracing::warn!(error = format!("{e:#}"), "{name} pump failed");
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            }
        }
    });
}

/// The MDF function's event handler as a pump handler.
pub async fn mdf_handler(st: &mdf::MdfState, event: Delivered) -> Result<(), String> {
    match mdf::coop::handle(st, &event, chrono::Utc::now()).await {
        Ok(done) => {
            tracing::info!(?done, detail_type = %event.detail_type, "mdf-events handled");
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}

/// The portal's event handler (onboarding) as a pump handler.
pub async fn portal_handler(st: &portal::AppState, event: Delivered) -> Result<(), String> {
    let done = portal::onboarding::handle(st, &event).await?;
    tracing::info!(?done, detail_type = %event.detail_type, "portal-events handled");
    Ok(())
}

/// The alerts function's event handler as a pump handler.
pub async fn alerts_handler(st: &alerts::AlertsState, event: Delivered) -> Result<(), String> {
    match alerts::deliver::handle(st, &event, chrono::Utc::now()).await {
        Ok(done) => {
            tracing::info!(?done, detail_type = %event.detail_type, "alerts handled");
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}
