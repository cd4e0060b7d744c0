//! Tracing set-up: JSON lines for CloudWatch, or plain text for a terminal.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once. The level comes from `LOG_LEVEL`
/// (or `RUST_LOG`), default `info`; `LOG_FORMAT=text` switches to plain text.
pub fn init() {
    let filter = EnvFilter::try_from_env("LOG_LEVEL")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let text = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("text"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // A second init (tests, local-api embedding several routers) is harmless.
    let _ = if text {
        builder.with_ansi(false).try_init()
    } else {
        builder.json().flatten_event(true).with_current_span(false).with_ansi(false).try_init()
    };
}
