//! `iamd export` / `iamd import` (the library functions the subcommands call): a backup taken of
//! a stopped data dir and loaded into an empty one under the same master key keeps every key
//! verifying and every outstanding session token opening; secrets never appear in the file; a
//! running daemon's data dir, a non-empty target and another master key are refused.

mod common;

use std::sync::Arc;

use common::Daemon;
use iamd::config::Settings;

fn settings(dir: &std::path::Path) -> Settings {
    let mut s = Settings::for_data_dir(dir);
    s.store = common::test_store(dir);
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_keeps_keys_and_session_tokens_working() {
    let d = Daemon::start().await;
    let (key_id, secret) = d.user_with_key("alice").await;
    let session = d.sts(&key_id, &secret).get_session_token().send().await.unwrap();
    let creds = session.credentials().unwrap().clone();
    d.root_iam().create_role().role_name("deployer").assume_role_policy_document(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}"#,
    ).send().await.unwrap();

    // While the daemon serves, its data dir is refused with the reason; a shared database is
    // exported as it is (one snapshot).
    let src = d.dir.clone();
    let shared = d.app.store.is_shared();
    let e = tokio::task::spawn_blocking({
        let dir = src.path().to_path_buf();
        move || iamd::backup::export(&settings(&dir), &mut Vec::new())
    })
    .await
    .unwrap();
    if shared {
        assert!(e.unwrap() > 5, "a serving PostgreSQL store exports");
    } else {
        let e = e.unwrap_err();
        assert!(e.contains("in use") && e.contains("stop it before exporting"), "{e}");
    }

    let Daemon { server, app, dir: _ } = d;
    server.shutdown().await;
    drop(app);
    let backup = tokio::task::spawn_blocking({
        let dir = src.path().to_path_buf();
        move || {
            let mut out = Vec::new();
            let n = iamd::backup::export(&settings(&dir), &mut out).unwrap();
            assert!(n > 5, "{n} records");
            out
        }
    })
    .await
    .unwrap();
    let text = String::from_utf8(backup.clone()).unwrap();
    assert!(text.starts_with("{\"format\":\"iamd-backup\",\"version\":1,"), "{}", &text[..80]);
    for plain in [secret.as_str(), creds.secret_access_key(), common::ROOT_SECRET] {
        assert!(!text.contains(plain), "a secret is in the backup in plaintext");
    }

    // Into an empty data dir with the same master key.
    let target = Arc::new(tempfile::tempdir().unwrap());
    std::fs::copy(src.path().join("master.key"), target.path().join("master.key")).unwrap();
    let n = iamd::backup::import(&settings(target.path()), backup.as_slice()).unwrap();
    assert!(n > 5, "{n}");
    let restored = Daemon::start_in(target.clone(), iamd::clock::Clock::system()).await;
    let who = restored.sts(&key_id, &secret).get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn(), Some("arn:aws:iam::000000000000:user/alice"));
    let with_token = restored
        .sts_with_token(creds.access_key_id(), creds.secret_access_key(), Some(creds.session_token().to_owned()))
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.arn(), Some("arn:aws:iam::000000000000:user/alice"));
    let role = restored.root_iam().get_role().role_name("deployer").send().await.unwrap();
    assert_eq!(role.role().unwrap().role_name(), "deployer");

    // Not into a data dir (or a database) that already holds a store.
    let e = iamd::backup::import(&settings(target.path()), backup.as_slice()).unwrap_err();
    assert!(e.contains(if shared { "already holds entities" } else { "already holds a database" }), "{e}");
    drop(restored);

    // Not under another master key (a fresh one is made for the empty dir only by serve).
    let other = tempfile::tempdir().unwrap();
    iamd::store::MasterKey::load_or_create(&other.path().join("master.key"), true).unwrap();
    let e = iamd::backup::import(&settings(other.path()), backup.as_slice()).unwrap_err();
    assert!(e.contains("is not the one the backup was sealed under"), "{e}");
    assert!(!other.path().join("db").exists(), "a refused import left a database");
    let none = tempfile::tempdir().unwrap();
    let e = iamd::backup::import(&settings(none.path()), backup.as_slice()).unwrap_err();
    assert!(e.contains("needs the master key"), "{e}");
    let e = iamd::backup::import(&settings(none.path()), &b"{\"format\":\"other\"}"[..]).unwrap_err();
    assert!(e.contains("not an iamd backup"), "{e}");
}
