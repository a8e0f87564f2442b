//! The PostgreSQL the store tests run on (issue 20) starts here from Debian's binaries, as an
//! unprivileged user when the tests run as root, keeps what was committed across a fast restart,
//! and is gone after the test. Without PostgreSQL on the machine it says SKIPPED.

mod common;

use common::postgres::Postgres;

#[test]
fn a_real_postgres_starts_keeps_commits_across_a_restart_and_stops() {
    let Some(mut pg) = Postgres::start("a_real_postgres_starts…") else { return };
    pg.psql("postgres", "CREATE TABLE t (k text PRIMARY KEY, v bytea NOT NULL)").unwrap();
    pg.psql("postgres", "INSERT INTO t VALUES ('a', '\\x01')").unwrap();
    assert_eq!(pg.psql("postgres", "SHOW fsync").unwrap(), "on", "commits reach the disk");
    pg.restart();
    assert_eq!(pg.psql("postgres", "SELECT k || ':' || encode(v, 'hex') FROM t").unwrap(), "a:01");
    let err = pg.psql("postgres", "INSERT INTO t VALUES ('a', '\\x02')").unwrap_err();
    assert!(err.contains("duplicate key"), "{err}");
    let port = pg.port;
    drop(pg);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "the server is gone");
}
