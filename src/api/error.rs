//! Errors as the app shows them: a code the UI branches on (never the words) and a message for people.

use serde::Serialize;

use crate::secrets::KeyringError;
use crate::store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// What the user typed or chose is not valid; nothing changed.
    InvalidInput,
    /// The wallet, chain or endpoint named does not exist (any more).
    NotFound,
    /// The OS keyring refused or is not running.
    Keyring,
    /// Something went wrong inside: the database, or a bug. The message says what.
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// An error from checking what the user gave: invalid input, unless the database itself failed.
    pub fn from_input(err: anyhow::Error) -> Self {
        let failed_inside = |cause: &(dyn std::error::Error + 'static)| {
            matches!(
                cause.downcast_ref(),
                Some(StoreError::Sqlite(_) | StoreError::Open { .. })
            )
        };
        let code = if err.chain().any(|cause| cause.is::<KeyringError>()) {
            ErrorCode::Keyring
        } else if err.chain().any(failed_inside) {
            ErrorCode::Internal
        } else {
            ErrorCode::InvalidInput
        };
        Self::new(code, format!("{err:#}"))
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, what)
    }
}

/// Anything not about the user's input is internal.
impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        Self::new(ErrorCode::Internal, format!("{err:#}"))
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(message) | StoreError::EntryConflict { message, .. } => {
                Self::new(ErrorCode::InvalidInput, message)
            }
            other => Self::new(ErrorCode::Internal, other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_errors_are_told_from_database_errors() {
        let bad_address = anyhow::anyhow!("not an address");
        assert_eq!(
            AppError::from_input(bad_address).code,
            ErrorCode::InvalidInput
        );
        let broken = anyhow::Error::from(StoreError::Sqlite(rusqlite::Error::InvalidQuery))
            .context("cannot add it");
        let error = AppError::from_input(broken);
        assert_eq!(error.code, ErrorCode::Internal);
        assert!(
            error.message.starts_with("cannot add it: database error"),
            "{}",
            error.message
        );
        let conflict = AppError::from(StoreError::Conflict("already watched".into()));
        assert_eq!(
            conflict,
            AppError::new(ErrorCode::InvalidInput, "already watched")
        );
    }
}
