//! What a new installation starts with.

pub mod chains;
pub mod tokens;
