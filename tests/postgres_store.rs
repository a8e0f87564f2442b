//! The store on PostgreSQL (issue 20), at the store's own API: two stores on one database act
//! as two replicas. What one commits the other reads as soon as the announcement reaches it
//! (within a second; the lag is printed); racing writers on both lose nothing and break no limit; a restarted database
//! fails calls cleanly, then serves them again with nothing acknowledged lost. Each test
//! starts its own PostgreSQL (SKIPPED loudly without one).

mod common;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::postgres::Postgres;
use iamd::error::AwsError;
use iamd::store::postgres::Settings;
use iamd::store::{
    AccessKeyRecord, KeyStatus, MasterKey, PolicyHolding, Sealer, Store, TemporaryKeyRecord, UserKeysAndCerts,
    UserRecord, abort,
};

const ACCOUNT: &str = "123456789012";

fn master() -> MasterKey {
    MasterKey::from_bytes([7; 32])
}

fn open(pg: &Postgres) -> Store {
    let mut settings = Settings::new(&pg.url("postgres"));
    settings.timeout = Duration::from_secs(2);
    Store::open_postgres(&settings, |_| Ok(vec![master()])).map(|(s, ..)| s).unwrap_or_else(|e| panic!("{e}"))
}

fn user(name: &str) -> UserRecord {
    UserRecord {
        account: ACCOUNT.into(),
        name: name.into(),
        id: iamd::ids::new_id(iamd::ids::IdKind::User),
        path: "/".into(),
        create_date: time::OffsetDateTime::UNIX_EPOCH,
        tags: vec![],
        access_keys: vec![],
        groups: vec![],
        policies: PolicyHolding::default(),
        permissions_boundary: None,
        login_profile: None,
        credentials: Vec::new(),
        keys_and_certs: UserKeysAndCerts::default(),
    }
}

fn key(id: &str, user: &str) -> AccessKeyRecord {
    AccessKeyRecord {
        id: id.into(),
        account: ACCOUNT.into(),
        user: Some(user.into()),
        status: KeyStatus::Active,
        create_date: time::OffsetDateTime::UNIX_EPOCH,
        secret: Sealer::new(&master()).seal(id, &iamd::sigv4::SecretKey::new("s".repeat(40))).unwrap(),
    }
}

/// What CreateUser does: a name taken in any letter case is refused.
fn create_user(store: &Store, name: &str) -> Result<(), AwsError> {
    let record = user(name);
    store.transact(|tx| {
        if tx.user(ACCOUNT, name)?.is_some() {
            return abort(AwsError::EntityAlreadyExists(format!("User with name {name} already exists.")));
        }
        tx.put_user(&record)
    })
}

/// What CreateAccessKey does: at most two keys per user.
fn create_key(store: &Store, user: &str, id: &str) -> Result<(), AwsError> {
    let record = key(id, user);
    store.transact(|tx| {
        let mut u = tx.user(ACCOUNT, user)?.ok_or_else(|| AwsError::NoSuchEntity(user.into()))?;
        if u.access_keys.len() >= 2 {
            return abort(AwsError::LimitExceeded("Cannot exceed quota for AccessKeysPerUser: 2".into()));
        }
        if !tx.insert_access_key(&record)? {
            return abort(AwsError::internal(&"id taken"));
        }
        u.access_keys.push(record.id.clone());
        tx.put_user(&u)
    })
}

#[test]
fn what_one_replica_commits_the_other_reads_on_its_next_call() {
    let Some(pg) = Postgres::start("what_one_replica_commits_the_other_reads_on_its_next_call") else { return };
    let (a, b) = (open(&pg), open(&pg));
    // B has read (and cached) the absence of the user and the key first.
    assert!(b.user(ACCOUNT, "alice").unwrap().is_none());
    assert!(b.stored_key("AKIAREPLICATEST0001").unwrap().is_none());
    create_user(&a, "alice").unwrap();
    create_key(&a, "alice", "AKIAREPLICATEST0001").unwrap();
    assert_eq!(b.user(ACCOUNT, "ALICE").unwrap().unwrap().access_keys, ["AKIAREPLICATEST0001"]);
    let on_b = b.stored_key("AKIAREPLICATEST0001").unwrap().expect("a key made on A opens on B");
    assert_eq!(on_b.secret.expose(), "s".repeat(40));
    // Deleted on A: refused by B on its next lookup, though B had it cached.
    a.transact(|tx| tx.remove_access_key("AKIAREPLICATEST0001")).unwrap();
    assert!(b.stored_key("AKIAREPLICATEST0001").unwrap().is_none(), "B still has the key deleted on A");
    // And the other way round, for a change to a record A has cached.
    assert!(a.user(ACCOUNT, "alice").unwrap().is_some());
    b.transact(|tx| tx.remove_user(ACCOUNT, "alice")).unwrap();
    assert!(a.user(ACCOUNT, "alice").unwrap().is_none(), "A still has the user deleted on B");
    // Over and over, both ways: the reader's very next call sees each change.
    for round in 0..50 {
        let (writer, reader) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let id = format!("AKIAREPLICAROUND{round:04}");
        create_user(writer, "carol").unwrap();
        create_key(writer, "carol", &id).unwrap();
        assert!(reader.stored_key(&id).unwrap().is_some(), "round {round}: a new key is not seen");
        writer.transact(|tx| tx.remove_access_key(&id)).unwrap();
        assert!(reader.stored_key(&id).unwrap().is_none(), "round {round}: a deleted key is still seen");
        assert!(reader.user(ACCOUNT, "carol").unwrap().is_some());
        writer.transact(|tx| tx.remove_user(ACCOUNT, "carol")).unwrap();
        assert!(reader.user(ACCOUNT, "carol").unwrap().is_none(), "round {round}: a deleted user is still seen");
    }
    // Listing reads the database itself.
    create_user(&b, "bob").unwrap();
    let names: Vec<String> = a.users(ACCOUNT, None, 10, |_| true).unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["bob"]);
}

/// What each of the racing threads does (it is told its number).
type Work = Arc<dyn Fn(usize, &Store) -> Result<(), AwsError> + Send + Sync>;

#[test]
fn racing_writers_on_two_replicas_break_no_limit_and_lose_nothing() {
    let Some(pg) = Postgres::start("racing_writers_on_two_replicas_break_no_limit_and_lose_nothing") else { return };
    let replicas = [open(&pg), open(&pg)];
    create_user(&replicas[0], "carol").unwrap();
    let race = |work: Work| {
        let start = Arc::new(Barrier::new(16));
        let threads: Vec<_> = (0..16)
            .map(|i| {
                let (store, start, work) = (replicas[i % 2].clone(), start.clone(), work.clone());
                std::thread::spawn(move || {
                    start.wait();
                    work(i, &store)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect::<Vec<_>>()
    };
    let keys = race(Arc::new(|i, store| create_key(store, "carol", &format!("AKIARACE{i:012}"))));
    let won = keys.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 2, "{keys:?}");
    for lost in keys.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(lost.code(), "LimitExceeded", "{lost:?}");
    }
    let carol = replicas[1].user(ACCOUNT, "carol").unwrap().unwrap();
    assert_eq!(carol.access_keys.len(), 2);
    for id in &carol.access_keys {
        assert!(replicas[0].access_key(id).unwrap().is_some(), "{id} is stored");
    }
    let spellings = ["dave", "DAVE", "Dave", "dAVE"];
    let users = race(Arc::new(move |i, store| create_user(store, spellings[i % 4])));
    assert_eq!(users.iter().filter(|r| r.is_ok()).count(), 1, "{users:?}");
    for lost in users.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(lost.code(), "EntityAlreadyExists", "{lost:?}");
    }
    // Distinct records do not wait for each other: all 16 land.
    let many = race(Arc::new(|i, store| create_user(store, &format!("user{i}"))));
    assert!(many.iter().all(Result::is_ok), "{many:?}");
    assert_eq!(replicas[0].users(ACCOUNT, None, 100, |_| true).unwrap().len(), 18);
}

#[test]
fn a_restarted_database_fails_calls_cleanly_then_serves_them_with_nothing_lost() {
    let Some(mut pg) = Postgres::start("a_restarted_database_fails_calls_cleanly_then_serves_them_with_nothing_lost")
    else {
        return;
    };
    let store = open(&pg);
    let mut acknowledged = Vec::new();
    for i in 0..20 {
        create_user(&store, &format!("before{i}")).unwrap();
        acknowledged.push(format!("before{i}"));
    }
    pg.stop();
    let down = create_user(&store, "during").unwrap_err();
    assert_eq!((down.code(), down.status()), ("ServiceUnavailable", 503), "{down:?}");
    assert_eq!(store.users(ACCOUNT, None, 10, |_| true).unwrap_err().code(), "ServiceUnavailable");
    assert!(!store.healthy());
    pg.restart();
    // The pool drops the connections the restart closed, and the store recovers by itself.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        match create_user(&store, "after") {
            Ok(()) => break,
            Err(e) if e.code() == "ServiceUnavailable" && std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("did not recover: {e:?}"),
        }
    }
    acknowledged.push("after".into());
    assert!(store.healthy());
    let names: Vec<String> = store.users(ACCOUNT, None, 100, |_| true).unwrap().into_iter().map(|u| u.name).collect();
    for name in &acknowledged {
        assert!(names.contains(name), "{name} was acknowledged and is gone");
    }
    assert!(!names.contains(&"during".to_owned()));
}

#[test]
fn keyring_temporary_keys_and_a_dump_behave_as_on_sled() {
    let Some(pg) = Postgres::start("keyring_temporary_keys_and_a_dump_behave_as_on_sled") else { return };
    let (a, b) = (open(&pg), open(&pg));
    // Both replicas seal session tokens with the same key, whichever made it.
    let (ka, kb) = (a.token_keys(0, 3600).unwrap(), b.token_keys(0, 3600).unwrap());
    assert_eq!(ka.current.0, kb.current.0);
    assert_eq!(ka.current.1.expose(), kb.current.1.expose());
    let rec = |t: &str, e: i64| TemporaryKeyRecord { token: t.into(), expires_at: e };
    a.put_temporary_key("ASIAEARLY", &rec("x", 1_000)).unwrap();
    a.put_temporary_key("ASIALATE", &rec("y", 5_000)).unwrap();
    assert_eq!(b.prune_temporary_keys(1_001).unwrap(), 1);
    assert!(a.temporary_key("ASIAEARLY").unwrap().is_none());
    assert_eq!(a.temporary_key("ASIALATE").unwrap().unwrap().token, "y");
    // A dump from PostgreSQL loads into an empty sled store and reads the same there.
    for i in 0..600 {
        create_user(&a, &format!("u{i:04}")).unwrap();
    }
    let dump = a.dump().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sled = Store::open(dir.path(), &master()).unwrap();
    let loaded = sled.load(&dump).unwrap();
    assert!(loaded >= 1_200, "{loaded}");
    assert_eq!(sled.users(ACCOUNT, None, 1_000, |_| true).unwrap().len(), 600);
    assert_eq!(sled.users(ACCOUNT, Some("u0598"), 10, |_| true).unwrap().len(), 2);
    // A store under another master key is refused.
    let mut settings = Settings::new(&pg.url("postgres"));
    settings.timeout = Duration::from_secs(2);
    let err = Store::open_postgres(&settings, |new| {
        assert!(!new, "the store is not new");
        Ok(vec![MasterKey::from_bytes([8; 32])])
    })
    .err()
    .expect("another master key is refused");
    assert!(err.to_string().contains("master key"), "{err}");
}

#[test]
fn tls_to_the_database_is_verified_and_a_clear_or_unproven_connection_is_refused() {
    let test = "tls_to_the_database_is_verified_and_a_clear_or_unproven_connection_is_refused";
    let Some(pg) = Postgres::start_tls(test) else { return };
    let at = |query: &str| {
        let mut settings = Settings::new(&format!("{}?{query}", pg.url("postgres")));
        settings.timeout = Duration::from_secs(2);
        Store::open_postgres(&settings, |_| Ok(vec![master()])).map(|(s, ..)| s)
    };
    let ca = pg.ca_file();
    let store = at(&format!("sslmode=verify-full&sslrootcert={}", ca.display())).unwrap_or_else(|e| panic!("{e}"));
    create_user(&store, "alice").unwrap();
    assert!(store.user(ACCOUNT, "alice").unwrap().is_some());
    assert!(store.healthy());
    drop(store);
    // The server takes TLS only, so the store above really spoke TLS.
    let clear = at("sslmode=disable").err().expect("the server turns a connection in the clear away");
    assert!(clear.to_string().contains("cannot connect"), "{clear}");
    // A certificate the public roots do not vouch for is not accepted.
    let unproven = at("sslmode=require").err().expect("an unverified certificate is refused");
    assert!(unproven.to_string().contains("cannot connect"), "{unproven}");
}
