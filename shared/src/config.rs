//! Typed configuration from the environment, failing fast with the name of
//! the variable that is missing or wrong.

use std::str::FromStr;

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is absent or empty.
    #[error("missing required environment variable {0}")]
    Missing(String),
    /// A variable is present but cannot be used.
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid {
        /// The variable's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A source of configuration values (the process environment, or a map in tests).
pub trait Source {
    /// The value of `name`, if set and not blank.
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Env;

impl Source for Env {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl<F: Fn(&str) -> Option<String>> Source for F {
    fn get(&self, name: &str) -> Option<String> {
        self(name).filter(|v| !v.trim().is_empty())
    }
}

/// A required variable.
pub fn required(src: &impl Source, name: &str) -> Result<String, ConfigError> {
    src.get(name).ok_or_else(|| ConfigError::Missing(name.to_owned()))
}

/// An optional variable parsed into `T`, or `default` when absent.
pub fn parsed_or<T: FromStr>(src: &impl Source, name: &str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match src.get(name) {
        None => Ok(default),
        Some(v) => {
            v.trim().parse().map_err(|e: T::Err| ConfigError::Invalid { name: name.to_owned(), reason: e.to_string() })
        }
    }
}

/// Settings every HTTP function needs.
#[derive(Clone)]
pub struct CoreConfig {
    /// The single DynamoDB table (`TABLE_NAME`).
    pub table_name: String,
    /// Key that signs pagination cursors (`CURSOR_SECRET`, at least 32 bytes).
    pub cursor_secret: Vec<u8>,
}

impl std::fmt::Debug for CoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreConfig")
            .field("table_name", &self.table_name)
            .field("cursor_secret", &"<redacted>")
            .finish()
    }
}

impl CoreConfig {
    /// Reads `TABLE_NAME` and `CURSOR_SECRET`.
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        let table_name = required(src, "TABLE_NAME")?;
        let cursor_secret = required(src, "CURSOR_SECRET")?.into_bytes();
        if cursor_secret.len() < 32 {
            return Err(ConfigError::Invalid {
                name: "CURSOR_SECRET".into(),
                reason: "must be at least 32 bytes".into(),
            });
        }
        Ok(Self { table_name, cursor_secret })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn src(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |k: &str| map.get(k).cloned()
    }

    #[test]
    fn a_missing_variable_is_named() {
        let err = CoreConfig::from_source(&src(&[("CURSOR_SECRET", &"x".repeat(32))])).unwrap_err();
        assert_eq!(err, ConfigError::Missing("TABLE_NAME".into()));
        assert!(err.to_string().contains("TABLE_NAME"));
    }

    #[test]
    fn a_blank_variable_counts_as_missing() {
        let err = required(&src(&[("TABLE_NAME", "  ")]), "TABLE_NAME").unwrap_err();
        assert_eq!(err, ConfigError::Missing("TABLE_NAME".into()));
    }

    #[test]
    fn a_short_cursor_secret_is_refused() {
        let err = CoreConfig::from_source(&src(&[("TABLE_NAME", "t"), ("CURSOR_SECRET", "short")])).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { ref name, .. } if name == "CURSOR_SECRET"));
    }

    #[test]
    fn parsed_values_fall_back_to_the_default_and_name_bad_ones() {
        assert_eq!(parsed_or(&src(&[]), "PORT", 3000u16), Ok(3000));
        assert_eq!(parsed_or(&src(&[("PORT", "8080")]), "PORT", 3000u16), Ok(8080));
        assert!(matches!(
            parsed_or(&src(&[("PORT", "x")]), "PORT", 3000u16),
            Err(ConfigError::Invalid { ref name, .. }) if name == "PORT"
        ));
    }
}
