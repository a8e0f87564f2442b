//! What a start does with the data dir it is given: a data dir of an older format migrates (a
//! fixture written by an earlier build, `tests/data/format-1`), `rotate-master-key` re-seals
//! every secret and an interrupted one is finished or undone, and a missing or wrong master key,
//! a corrupt record or a newer format stops the start with its own message, changing nothing.

mod common;

use std::path::Path;

use common::binary::{EXIT_TIMEOUT, iam, run_to_exit, start, sts};

fn serve_to_exit(data_dir: &Path) -> (Option<i32>, String) {
    run_to_exit(&["serve", "--listen", "127.0.0.1:0"], data_dir)
}

fn private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn manifest() -> serde_json::Value {
    let text = std::fs::read_to_string(fixture().join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/format-1")
}

/// sled opened here, waiting while a handle just dropped (this process's own, whose threads
/// still hold the lock for a moment) lets go.
fn open_db(data_dir: &Path) -> sled::Db {
    let deadline = std::time::Instant::now() + EXIT_TIMEOUT;
    loop {
        match sled::open(data_dir.join("db")) {
            Ok(db) => return db,
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("cannot open the store: {e}"),
        }
    }
}

fn format_of(data_dir: &Path) -> String {
    let db = open_db(data_dir);
    let v = db.open_tree("meta").unwrap().get("format_version").unwrap().unwrap();
    String::from_utf8(v.to_vec()).unwrap()
}

/// Two consecutive codes of a virtual MFA device's Base32 seed, for now.
fn codes(seed: &str) -> (String, String) {
    let seed = iamd::mfa::totp::Seed::from_base32(seed).unwrap();
    let step = iamd::mfa::totp::step_at(time::OffsetDateTime::now_utc().unix_timestamp());
    (seed.code(step - 1), seed.code(step))
}

#[tokio::test]
async fn a_format_1_data_dir_migrates_and_every_secret_in_it_still_opens() {
    let m = manifest();
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), dir.path());
    private(&dir.path().join("master.key"));
    assert_eq!(format_of(dir.path()), "1");
    let root = (m["root"]["access_key_id"].as_str().unwrap(), m["root"]["secret_access_key"].as_str().unwrap());
    let d = start(dir.path(), Some(root));
    let endpoint = d.endpoint();
    let iam = iam(&endpoint, root.0, root.1);
    let alice = iam.get_user().user_name("alice").send().await.unwrap().user.unwrap();
    assert_eq!(alice.path, "/team/");
    let attached = iam.list_attached_user_policies().user_name("alice").send().await.unwrap();
    assert_eq!(attached.attached_policies()[0].policy_arn(), m["policy_arn"].as_str());
    let groups = iam.list_groups_for_user().user_name("alice").send().await.unwrap().groups;
    assert_eq!(groups[0].group_name, "ops");
    let profile = iam.get_instance_profile().instance_profile_name("web").send().await.unwrap();
    assert_eq!(profile.instance_profile.unwrap().roles[0].role_name, "deployer");
    assert_eq!(iam.list_account_aliases().send().await.unwrap().account_aliases, ["fixture-account"]);
    // The sealed secrets: alice's key signs, the MFA seed checks codes, the token key seals and
    // opens sessions, the outbound federation key signs tokens.
    let key =
        (m["alice_key"]["access_key_id"].as_str().unwrap(), m["alice_key"]["secret_access_key"].as_str().unwrap());
    let me = sts(&endpoint, key.0, key.1, None).get_caller_identity().send().await.unwrap();
    assert!(me.arn.unwrap().ends_with(":user/team/alice"));
    let (first, second) = codes(m["mfa_seed_base32"].as_str().unwrap());
    iam.enable_mfa_device()
        .user_name("alice")
        .serial_number(m["mfa_serial"].as_str().unwrap())
        .authentication_code1(first)
        .authentication_code2(second)
        .send()
        .await
        .unwrap();
    let session = sts(&endpoint, root.0, root.1, None).get_session_token().send().await.unwrap().credentials.unwrap();
    let s = sts(&endpoint, &session.access_key_id, &session.secret_access_key, Some(session.session_token));
    s.get_caller_identity().send().await.unwrap();
    let jwt = sts(&endpoint, root.0, root.1, None)
        .get_web_identity_token()
        .audience("https://fixture.example")
        .signing_algorithm("RS256")
        .send()
        .await
        .unwrap();
    assert_eq!(jwt.web_identity_token().unwrap().split('.').count(), 3);
    d.sigterm();
    let mut d = d;
    assert!(d.wait_exit(EXIT_TIMEOUT).success());
    assert_eq!(format_of(dir.path()), "2", "the migration records the new format");
    // And the migrated store opens again as it is.
    let again = start(dir.path(), Some(root));
    iam::get_user_of(&again.endpoint(), root, "alice").await;
}

mod iam {
    pub async fn get_user_of(endpoint: &str, root: (&str, &str), name: &str) {
        let c = super::iam(endpoint, root.0, root.1);
        assert_eq!(c.get_user().user_name(name).send().await.unwrap().user.unwrap().user_name, name);
    }
}

const ROOT: (&str, &str) = ("AKIAMASTERROTATE0001", "master-rotate-secret-0000000000000000000");

/// A data dir with one secret of each kind the API can make cheaply; returns the MFA seed and
/// the user's key.
async fn populated(dir: &Path) -> (String, (String, String)) {
    let d = start(dir, Some(ROOT));
    let iam = iam(&d.endpoint(), ROOT.0, ROOT.1);
    iam.create_user().user_name("u").send().await.unwrap();
    let k = iam.create_access_key().user_name("u").send().await.unwrap().access_key.unwrap();
    let mfa = iam.create_virtual_mfa_device().virtual_mfa_device_name("u-phone").send().await.unwrap();
    let seed = mfa.virtual_mfa_device.unwrap().base32_string_seed.unwrap().into_inner();
    iam.create_service_specific_credential()
        .user_name("u")
        .service_name("codecommit.amazonaws.com")
        .send()
        .await
        .unwrap();
    iam.enable_outbound_web_identity_federation().send().await.unwrap();
    d.sigterm();
    let mut d = d;
    assert!(d.wait_exit(EXIT_TIMEOUT).success());
    (String::from_utf8(seed).unwrap(), (k.access_key_id, k.secret_access_key))
}

#[tokio::test]
async fn rotate_master_key_reseals_every_secret_and_the_old_key_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (seed, key) = populated(dir.path()).await;
    let old_key = std::fs::read(dir.path().join("master.key")).unwrap();
    let (code, stderr) = run_to_exit(&["rotate-master-key"], dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    // A user key, the MFA seed, the service credential, two outbound keys, one token key.
    let n: usize = stderr.split("iamd: ").nth(1).and_then(|r| r.split(' ').next()).unwrap().parse().unwrap();
    assert_eq!(n, 6, "{stderr}");
    let new_key = std::fs::read(dir.path().join("master.key")).unwrap();
    assert_ne!(old_key, new_key);
    assert!(!dir.path().join("master.key.new").exists());

    let d = start(dir.path(), Some(ROOT));
    sts(&d.endpoint(), &key.0, &key.1, None).get_caller_identity().send().await.unwrap();
    let (first, second) = codes(&seed);
    let serial = "arn:aws:iam::000000000000:mfa/u-phone";
    let iam = iam(&d.endpoint(), ROOT.0, ROOT.1);
    iam.enable_mfa_device()
        .user_name("u")
        .serial_number(serial)
        .authentication_code1(first)
        .authentication_code2(second)
        .send()
        .await
        .unwrap();
    let jwt = sts(&d.endpoint(), ROOT.0, ROOT.1, None)
        .get_web_identity_token()
        .audience("a")
        .signing_algorithm("ES384")
        .send()
        .await
        .unwrap();
    assert!(jwt.web_identity_token().is_some());
    drop(d);

    // The old key file back in place: the start refuses it rather than failing request by request.
    std::fs::write(dir.path().join("master.key"), &old_key).unwrap();
    let (code, stderr) = serve_to_exit(dir.path());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("is not the one this data dir's secrets are sealed under"), "{stderr}");
}

#[tokio::test]
async fn an_interrupted_master_key_rotation_is_finished_or_undone_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let (_, key) = populated(dir.path()).await;
    let path = dir.path().join("master.key");
    let pending = dir.path().join("master.key.new");
    let works = |dir: std::path::PathBuf, key: (String, String)| async move {
        let d = start(&dir, Some(ROOT));
        sts(&d.endpoint(), &key.0, &key.1, None).get_caller_identity().send().await.unwrap();
    };
    // Stopped after writing the new key, before re-sealing: undone.
    let old = std::fs::read(&path).unwrap();
    std::fs::write(&pending, "c29tZSBvdGhlciBrZXkgdGhhdCBzZWFscyBub3RoaW5nIQ==\n").unwrap();
    private(&pending);
    works(dir.path().to_owned(), key.clone()).await;
    assert!(!pending.exists());
    assert_eq!(std::fs::read(&path).unwrap(), old);
    // Stopped while writing the new key file (half a key): undone.
    std::fs::write(&pending, "c29tZSBvdGhl").unwrap();
    private(&pending);
    works(dir.path().to_owned(), key.clone()).await;
    assert!(!pending.exists());
    // Stopped after re-sealing, before the rename: finished.
    let (code, stderr) = run_to_exit(&["rotate-master-key"], dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    let new = std::fs::read(&path).unwrap();
    std::fs::rename(&path, &pending).unwrap();
    std::fs::write(&path, &old).unwrap();
    private(&path);
    works(dir.path().to_owned(), key.clone()).await;
    assert!(!pending.exists());
    assert_eq!(std::fs::read(&path).unwrap(), new);
}

#[test]
fn a_missing_master_key_is_an_error_never_a_new_key() {
    let dir = tempfile::tempdir().unwrap();
    drop(start(dir.path(), Some(ROOT)));
    std::fs::remove_file(dir.path().join("master.key")).unwrap();
    let (code, stderr) = serve_to_exit(dir.path());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("master.key is missing") && stderr.contains("restore the key file"), "{stderr}");
    assert!(!dir.path().join("master.key").exists(), "no key was made for the existing store");
}

#[test]
fn a_corrupt_record_or_a_newer_format_stops_the_start_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    drop(start(dir.path(), Some(ROOT)));
    let damage = |tree: &str, key: &[u8], value: &[u8]| {
        let db = open_db(dir.path());
        db.open_tree(tree).unwrap().insert(key, value).unwrap();
        db.flush().unwrap();
    };
    damage("users", b"000000000000\0mallory", b"{\"name\": 7");
    let (code, stderr) = serve_to_exit(dir.path());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("the record users/000000000000") && stderr.contains("is corrupt"), "{stderr}");
    let db = open_db(dir.path());
    let users = db.open_tree("users").unwrap();
    assert_eq!(users.get(b"000000000000\0mallory").unwrap().as_deref(), Some(&b"{\"name\": 7"[..]), "not repaired");
    users.remove(b"000000000000\0mallory").unwrap();
    db.flush().unwrap();
    // The tree holds the database (and its lock) as long as the handle does.
    drop((users, db));

    damage("meta", b"format_version", b"99");
    let (code, stderr) = serve_to_exit(dir.path());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("data format 99 is newer than this build understands (2)"), "{stderr}");
    assert_eq!(format_of(dir.path()), "99");
}

#[test]
fn a_configured_master_key_file_is_made_for_a_new_store_and_only_read_after() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, keys) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let path = keys.path().join("iamd-master.key");
    let mut settings = iamd::config::Settings::for_data_dir(dir.path());
    settings.master_key_file = Some(path.clone());
    let (store, _) = iamd::master_key::open_store(&settings, iamd::store::LOCK_WAIT).unwrap();
    drop(store);
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(!dir.path().join("master.key").exists(), "the key is where it was configured, not in the data dir");
    let made = std::fs::read(&path).unwrap();
    let (store, _) = iamd::master_key::open_store(&settings, iamd::store::LOCK_WAIT).unwrap();
    drop(store);
    assert_eq!(std::fs::read(&path).unwrap(), made, "a later start reads the key it made");
    std::fs::remove_file(&path).unwrap();
    let err = iamd::master_key::open_store(&settings, iamd::store::LOCK_WAIT).err().expect("a store without its key");
    assert!(err.contains("is missing") && err.contains("restore the key file"), "{err}");
    assert!(!path.exists(), "no key was made for the existing store");
}
