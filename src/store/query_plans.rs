//! Proof that the store's queries are served by indexes: every statement a test runs is traced, and
//! its `EXPLAIN QUERY PLAN` may not scan a whole table unless the statement means to read every row
//! (it has no WHERE clause, or says `/* full scan: why */`).

use std::cell::RefCell;

use rusqlite::Connection;
use rusqlite::trace::{TraceEvent, TraceEventCodes};
use rusqlite::types::Null;

thread_local! {
    static TRACED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn record(event: TraceEvent<'_>) {
    if let TraceEvent::Stmt(_, sql) = event {
        TRACED.with(|traced| traced.borrow_mut().push(sql.trim().to_owned()));
    }
}

pub(super) fn start_tracing(conn: &Connection) {
    TRACED.with(|traced| traced.borrow_mut().clear());
    conn.trace_v2(TraceEventCodes::SQLITE_TRACE_STMT, Some(record));
}

/// Stops tracing and returns every distinct data statement the connection ran since it started.
pub(super) fn finish_tracing(conn: &Connection) -> Vec<String> {
    conn.trace_v2(TraceEventCodes::empty(), None);
    let mut statements = TRACED.with(|traced| traced.take());
    statements.retain(|sql| {
        let verb = sql
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        matches!(
            verb.as_str(),
            "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "WITH"
        )
    });
    statements.sort();
    statements.dedup();
    statements
}

/// The plan's steps that read a whole table, when the statement does not mean to.
pub(super) fn unindexed_scans(conn: &Connection, sql: &str) -> Vec<String> {
    let upper = sql.to_ascii_uppercase();
    if !upper.contains("WHERE") || sql.contains("/* full scan:") {
        return Vec::new();
    }
    let mut plan = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .expect("explain");
    let nulls = vec![Null; plan.parameter_count()];
    let steps: Vec<String> = plan
        .query_map(rusqlite::params_from_iter(nulls), |row| {
            row.get::<_, String>(3)
        })
        .expect("plan")
        .collect::<rusqlite::Result<_>>()
        .expect("plan rows");
    steps
        .into_iter()
        .filter(|step| step.starts_with("SCAN ") && !step.starts_with("SCAN CONSTANT ROW"))
        .collect()
}

pub(super) fn assert_indexed(conn: &Connection, sql: &str) {
    let scans = unindexed_scans(conn, sql);
    assert!(
        scans.is_empty(),
        "this statement scans whole tables ({scans:?}); add an index:\n{sql}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn a_filter_on_an_unindexed_column_is_caught() {
        let store = Store::open_in_memory().unwrap();
        let scans = unindexed_scans(
            &store.conn,
            "SELECT raw FROM balances WHERE last_error = ?1",
        );
        assert_eq!(scans, ["SCAN balances"]);
    }

    #[test]
    fn an_indexed_lookup_passes() {
        let store = Store::open_in_memory().unwrap();
        assert!(
            unindexed_scans(
                &store.conn,
                "SELECT raw FROM balances WHERE address_id = ?1 AND asset_id = ?2"
            )
            .is_empty()
        );
    }

    #[test]
    fn data_statements_are_traced_and_others_are_not() {
        let store = Store::open_in_memory().unwrap();
        start_tracing(&store.conn);
        store
            .conn
            .execute_batch("PRAGMA user_version; SELECT count(*) FROM chains WHERE name = 'x';")
            .unwrap();
        let traced = finish_tracing(&store.conn);
        assert_eq!(traced, ["SELECT count(*) FROM chains WHERE name = 'x';"]);
    }
}
