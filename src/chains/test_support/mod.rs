//! The integration tests' local servers, for unit tests of a reader's requests: the same servers,
//! answering as the public APIs document, not copies of them.
#![allow(dead_code)] // each unit test uses its own part of them

#[path = "../../../tests/support/http.rs"]
pub mod http;
#[path = "../../../tests/support/solana.rs"]
pub mod solana;
#[path = "../../../tests/support/trongrid.rs"]
pub mod trongrid;
