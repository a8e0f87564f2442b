//! Two iamd replicas (the real binary, twice) on one PostgreSQL database (issue 20), driven
//! with the AWS SDK for Rust: a key made through one verifies through the other at once and,
//! deleted, is refused on the next request; a policy changed through one applies through the
//! other at once; 16 racing writers split over both break no IAM limit; a database restart
//! fails requests cleanly (503) and they succeed again after it. SKIPPED without PostgreSQL.

mod common;

use std::time::{Duration, Instant};

use common::binary::{self, Running};
use common::postgres::Postgres;

const ROOT: (&str, &str) = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");

struct Fleet {
    pg: Postgres,
    a: Running,
    b: Running,
    _dirs: [tempfile::TempDir; 3],
}

fn fleet(test: &str) -> Option<Fleet> {
    let pg = Postgres::start(test)?;
    let shared = tempfile::tempdir().unwrap();
    let key = shared.path().join("master.key");
    let url = pg.url("postgres");
    let vars = [("IAMD_STORE_URL", url.as_str()), ("IAMD_MASTER_KEY_FILE", key.to_str().unwrap())];
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = binary::start_with_env(da.path(), Some(ROOT), &vars);
    // The first replica made the shared key (0600); the second reads it.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let b = binary::start_with_env(db.path(), Some(ROOT), &vars);
    assert!(!da.path().join("db").exists() && !db.path().join("db").exists(), "no sled store is made");
    Some(Fleet { pg, a, b, _dirs: [shared, da, db] })
}

impl Fleet {
    /// Runs `f` with what every replica and offline command is started with: the database and
    /// the shared key.
    fn with_vars<T>(&self, f: impl FnOnce(&[(&str, &str)]) -> T) -> T {
        let (url, key) = (self.pg.url("postgres"), self._dirs[0].path().join("master.key"));
        f(&[("IAMD_STORE_URL", url.as_str()), ("IAMD_MASTER_KEY_FILE", key.to_str().unwrap())])
    }

    /// Starts another replica on the fleet's database, in `dir`.
    fn replica(&self, dir: &std::path::Path) -> Running {
        self.with_vars(|vars| binary::start_with_env(dir, Some(ROOT), vars))
    }
}

/// Temporary credentials of the root, through `r`.
async fn root_session(r: &Running) -> aws_sdk_sts::types::Credentials {
    binary::sts(&r.endpoint(), ROOT.0, ROOT.1, None).get_session_token().send().await.unwrap().credentials.unwrap()
}

fn root_iam(r: &Running) -> aws_sdk_iam::Client {
    binary::iam(&r.endpoint(), ROOT.0, ROOT.1)
}

fn code<E: aws_sdk_iam::error::ProvideErrorMetadata, R>(e: &aws_sdk_iam::error::SdkError<E, R>) -> String {
    e.as_service_error().and_then(|s| s.code()).unwrap_or("(no service error)").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_and_policies_changed_on_one_replica_apply_on_the_other_at_once() {
    let Some(f) = fleet("keys_and_policies_changed_on_one_replica_apply_on_the_other_at_once") else { return };
    let (ia, ib) = (root_iam(&f.a), root_iam(&f.b));
    ia.create_user().user_name("alice").send().await.unwrap();
    let key = ia.create_access_key().user_name("alice").send().await.unwrap().access_key.unwrap();
    let (id, secret) = (key.access_key_id, key.secret_access_key);
    // Made on A, it signs on B at once.
    let on_b = binary::sts(&f.b.endpoint(), &id, &secret, None);
    let who = on_b.get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn(), Some("arn:aws:iam::000000000000:user/alice"));
    // B now has the key in its view; A deletes it; B refuses it on the very next request.
    ia.delete_access_key().user_name("alice").access_key_id(&id).send().await.unwrap();
    let refused = on_b.get_caller_identity().send().await.expect_err("B accepted a key deleted on A");
    assert_eq!(code(&refused), "InvalidClientTokenId", "{refused:?}");

    // A policy put through B applies to the next request through A, and its removal too.
    let key = ib.create_access_key().user_name("alice").send().await.unwrap().access_key.unwrap();
    let alice_on_a = binary::iam(&f.a.endpoint(), &key.access_key_id, &key.secret_access_key);
    let denied = alice_on_a.list_users().send().await.unwrap_err();
    assert_eq!(code(&denied), "AccessDenied");
    let allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#;
    for round in 0..20 {
        let put = Instant::now();
        ib.put_user_policy().user_name("alice").policy_name("list").policy_document(allow).send().await.unwrap();
        let put = put.elapsed();
        let listed = alice_on_a
            .list_users()
            .send()
            .await
            .unwrap_or_else(|e| panic!("round {round}: A ignored B's policy: {e:?}"));
        assert_eq!(listed.users().len(), 1);
        ib.delete_user_policy().user_name("alice").policy_name("list").send().await.unwrap();
        let denied = alice_on_a.list_users().send().await.expect_err("A kept a policy B deleted");
        assert_eq!(code(&denied), "AccessDenied", "round {round}");
        if round == 0 {
            eprintln!("replicas: a PutUserPolicy confirmed by both replicas took {put:?}");
        }
    }
    // Session tokens are the shared key ring's: one issued by A verifies on B.
    let sa = binary::sts(&f.a.endpoint(), &key.access_key_id, &key.secret_access_key, None);
    let creds = sa.get_session_token().send().await.unwrap().credentials.unwrap();
    let session_on_b =
        binary::sts(&f.b.endpoint(), &creds.access_key_id, &creds.secret_access_key, Some(creds.session_token));
    assert!(session_on_b.get_caller_identity().send().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_racing_writers_over_two_replicas_break_no_limit() {
    let Some(f) = fleet("sixteen_racing_writers_over_two_replicas_break_no_limit") else { return };
    let clients = [root_iam(&f.a), root_iam(&f.b)];
    clients[0].create_user().user_name("carol").send().await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let c = clients[i % 2].clone();
        tasks.push(tokio::spawn(
            async move { c.create_access_key().user_name("carol").send().await.map_err(|e| code(&e)) },
        ));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap().map(|_| ()));
    }
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 2, "{outcomes:?}");
    assert!(outcomes.iter().filter_map(|o| o.as_ref().err()).all(|c| c == "LimitExceeded"), "{outcomes:?}");
    let keys = clients[1].list_access_keys().user_name("carol").send().await.unwrap();
    assert_eq!(keys.access_key_metadata().len(), 2);

    let names = ["dave", "DAVE", "Dave", "dAvE"];
    let mut tasks = Vec::new();
    for i in 0..16 {
        let c = clients[i % 2].clone();
        let name = names[i % 4];
        tasks.push(tokio::spawn(async move { c.create_user().user_name(name).send().await.map_err(|e| code(&e)) }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap().map(|_| ()));
    }
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().filter_map(|o| o.as_ref().err()).all(|c| c == "EntityAlreadyExists"), "{outcomes:?}");
    let users = clients[0].list_users().send().await.unwrap();
    assert_eq!(users.users().len(), 2, "carol and one dave");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_fails_requests_cleanly_then_they_succeed_with_nothing_lost() {
    let Some(mut f) = fleet("a_database_restart_fails_requests_cleanly_then_they_succeed_with_nothing_lost") else {
        return;
    };
    let (ia, ib) = (root_iam(&f.a), root_iam(&f.b));
    let mut acknowledged = Vec::new();
    for i in 0..10 {
        let name = format!("before{i}");
        [&ia, &ib][i % 2].create_user().user_name(&name).send().await.unwrap();
        acknowledged.push(name);
    }
    let health = |r: &Running| {
        let url = format!("{}/healthz", r.endpoint());
        std::process::Command::new("curl").args(["-s", "-o", "/dev/null", "-w", "%{http_code}", &url]).output()
    };
    f.pg.stop();
    let down = ia.create_user().user_name("during").send().await.unwrap_err();
    assert_eq!(code(&down), "ServiceUnavailable", "{down:?}");
    assert_eq!(down.raw_response().map(|r| r.status().as_u16()), Some(503));
    if let Ok(out) = health(&f.b) {
        assert_eq!(String::from_utf8_lossy(&out.stdout), "503", "/healthz reports the database");
    }
    f.pg.restart();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match ib.create_user().user_name("after").send().await {
            Ok(_) => break,
            Err(e) if code(&e) == "ServiceUnavailable" && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("the replica did not recover: {e:?}"),
        }
    }
    acknowledged.push("after".into());
    if let Ok(out) = health(&f.a) {
        assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
    }
    let listed = ia.list_users().send().await.unwrap();
    let names: Vec<&str> = listed.users().iter().map(|u| u.user_name()).collect();
    for name in &acknowledged {
        assert!(names.contains(&name.as_str()), "{name} was acknowledged and is gone: {names:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_stops_or_dies_is_soon_not_waited_for() {
    let Some(mut f) = fleet("a_replica_that_stops_or_dies_is_soon_not_waited_for") else { return };
    let ia = root_iam(&f.a);
    let create = |name: &'static str| {
        let ia = ia.clone();
        async move {
            let t = Instant::now();
            ia.create_user().user_name(name).send().await.unwrap();
            t.elapsed()
        }
    };
    let quick = Duration::from_millis(500);
    let both = create("u-both").await;
    assert!(both < quick, "a write confirmed by both replicas took {both:?}");
    // Stopped cleanly, B says goodbye: A's next write does not wait for it.
    f.b.sigterm();
    f.b.wait_exit(Duration::from_secs(10));
    let after_goodbye = create("u-after-goodbye").await;
    assert!(after_goodbye < quick, "{after_goodbye:?} after B's goodbye");
    // A replica killed outright says nothing: A waits for it once (at most a second), then not.
    let dc = tempfile::tempdir().unwrap();
    let mut c = f.replica(dc.path());
    let with_c = create("u-with-c").await;
    assert!(with_c < quick, "a write confirmed by A and C took {with_c:?}");
    c.kill9();
    let first = create("u-c-dead").await;
    assert!(first < Duration::from_millis(1_600), "the first write after C died took {first:?}");
    let next = create("u-c-dead-2").await;
    assert!(next < quick, "{next:?}: A kept waiting for a dead replica");
    eprintln!(
        "replicas: write with both {both:?}, after a goodbye {after_goodbye:?}, first after a kill -9 {first:?}, next {next:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_key_rotates_on_the_shared_database_while_the_replicas_serve() {
    let Some(mut f) = fleet("the_token_key_rotates_on_the_shared_database_while_the_replicas_serve") else { return };
    let before = root_session(&f.a).await;
    assert!(before.session_token.starts_with("iamd1."), "{}", before.session_token);
    let scratch = tempfile::tempdir().unwrap();
    let (code, stderr) = f.with_vars(|vars| binary::run_to_exit_with_env(&["rotate-token-key"], scratch.path(), vars));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("token key 2 seals new tokens"), "{stderr}");
    // A restarted replica seals with the new key; B, not restarted, learns it from the
    // database when a token names it.
    f.a.sigterm();
    f.a.wait_exit(Duration::from_secs(10));
    f.a = f.replica(f._dirs[1].path());
    for r in [&f.a, &f.b] {
        let old = binary::sts(
            &r.endpoint(),
            &before.access_key_id,
            &before.secret_access_key,
            Some(before.session_token.clone()),
        );
        old.get_caller_identity().send().await.expect("a token of the retired key still opens");
    }
    let after = root_session(&f.a).await;
    assert!(after.session_token.starts_with("iamd2."), "{}", after.session_token);
    let new = binary::sts(&f.b.endpoint(), &after.access_key_id, &after.secret_access_key, Some(after.session_token));
    new.get_caller_identity().send().await.expect("B opens a token of a key made after it started");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_restarted_mid_load_fails_requests_cleanly_and_loses_nothing_acknowledged() {
    let test = "the_database_restarted_mid_load_fails_requests_cleanly_and_loses_nothing_acknowledged";
    let Some(mut f) = fleet(test) else { return };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    // Eight writers, four through each replica, each creating users until told to stop.
    for w in 0..8 {
        let iam = root_iam(if w % 2 == 0 { &f.a } else { &f.b });
        let stop = stop.clone();
        writers.push(tokio::spawn(async move {
            let (mut acknowledged, mut refused) = (Vec::new(), Vec::new());
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Acquire) {
                let name = format!("w{w}-{n}");
                n += 1;
                match iam.create_user().user_name(&name).send().await {
                    Ok(_) => acknowledged.push(name),
                    Err(e) => {
                        let status = e.raw_response().map(|r| r.status().as_u16());
                        refused.push((code(&e), status));
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
            (acknowledged, refused)
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    f.pg.stop();
    tokio::time::sleep(Duration::from_millis(500)).await;
    f.pg.restart();
    // Load goes on until writes succeed again through both replicas.
    let ia = root_iam(&f.a);
    let ib = root_iam(&f.b);
    let deadline = Instant::now() + Duration::from_secs(30);
    for (i, iam) in [&ia, &ib].into_iter().enumerate() {
        while iam.create_user().user_name(format!("probe{i}")).send().await.is_err() {
            assert!(Instant::now() < deadline, "replica {i} did not recover");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Release);
    let (mut acknowledged, mut refused) = (Vec::new(), Vec::new());
    for w in writers {
        let (a, r) = w.await.unwrap();
        acknowledged.extend(a);
        refused.extend(r);
    }
    assert!(!refused.is_empty(), "no request failed while the database was down: the stop did not happen");
    let other: std::collections::BTreeSet<_> =
        refused.iter().filter(|(c, s)| !(c == "ServiceUnavailable" && *s == Some(503))).collect();
    assert!(other.is_empty(), "requests failed otherwise than with 503 ServiceUnavailable: {other:?}");
    let mut stored = std::collections::HashSet::new();
    let mut pages = ib.list_users().into_paginator().send();
    while let Some(page) = pages.next().await {
        stored.extend(page.unwrap().users().iter().map(|u| u.user_name().to_owned()));
    }
    let lost: Vec<&String> = acknowledged.iter().filter(|n| !stored.contains(*n)).collect();
    assert!(lost.is_empty(), "acknowledged and gone: {lost:?}");
    eprintln!(
        "replicas: {} creates acknowledged around the restart, {} refused with 503, none lost",
        acknowledged.len(),
        refused.len()
    );
}
