//! The database schema and its versioned migrations, applied at start under a lock so that
//! replicas starting together apply each one once. Every record lives in one table, keyed by
//! the store's table number and its byte key, as in the embedded engine; values are the same
//! JSON documents, secrets sealed under the master key.

use tokio_postgres::Client;

/// Taken (transaction-scoped) while migrating.
const MIGRATION_LOCK: i64 = 0x6961_6d64_0000_0001;

/// Each migration, by version (its index + 1). Never edit one that has shipped: add another.
const MIGRATIONS: &[&str] = &["CREATE TABLE iamd_records (
        tbl smallint NOT NULL,
        key bytea NOT NULL,
        value bytea NOT NULL,
        PRIMARY KEY (tbl, key)
    )"];

/// Brings the schema up to this build's version; returns the version found before.
///
/// # Errors
/// A schema newer than this build, or a statement that fails.
pub async fn migrate(client: &mut Client) -> Result<usize, String> {
    let err = |e: tokio_postgres::Error| format!("cannot migrate the database schema: {e}");
    let tx = client.transaction().await.map_err(err)?;
    // "relation already exists, skipping" on every start but the first is not news.
    tx.batch_execute("SET LOCAL client_min_messages = warning").await.map_err(err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(err)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS iamd_migrations (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(err)?;
    let row = tx.query_one("SELECT coalesce(max(version), 0) FROM iamd_migrations", &[]).await.map_err(err)?;
    let found = usize::try_from(row.get::<_, i32>(0)).unwrap_or(0);
    if found > MIGRATIONS.len() {
        return Err(format!(
            "the database schema is at version {found}, newer than this build understands ({})",
            MIGRATIONS.len()
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found) {
        tx.batch_execute(sql).await.map_err(err)?;
        let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
        tx.execute("INSERT INTO iamd_migrations (version) VALUES ($1)", &[&version]).await.map_err(err)?;
    }
    tx.commit().await.map_err(err)?;
    Ok(found)
}
