//! The real binary on a tmpfs that fills up: once the disk is full, writes answer 5xx and none
//! is acknowledged, reads keep working, and after space is freed and the daemon restarted every
//! acknowledged write is there and the store writes again. Needs root (to mount a tmpfs); says
//! so loudly and passes without testing anything otherwise.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::binary::{EXIT_TIMEOUT, iam, start, sts};
use common::{aws_error, http_status};

const ROOT: (&str, &str) = ("AKIAFULLDISKROOT0001", "full-disk-root-secret-full-disk-root-0000");

/// A mounted tmpfs, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Result<Self, String> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(Self(dir.to_owned()))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Writes zeros until the file system refuses: it is full.
fn fill(path: &Path) -> u64 {
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0_u8; 4096];
    let mut written = 0;
    while f.write_all(&chunk).and_then(|()| f.sync_data()).is_ok() {
        written += chunk.len() as u64;
    }
    written
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_acknowledges_nothing_and_recovers_after_space_is_freed() {
    let mount = tempfile::tempdir().unwrap();
    let _tmpfs = match Tmpfs::mount(mount.path(), "64m") {
        Ok(t) => t,
        Err(e) => {
            eprintln!("SKIPPED a_full_disk_acknowledges_nothing…: cannot mount a tmpfs ({e}); run as root to test it");
            return;
        }
    };
    let data = mount.path().join("data");
    let mut d = start(&data, Some(ROOT));
    let root = iam(&d.endpoint(), ROOT.0, ROOT.1);
    let mut acked = Vec::new();
    for i in 0..20 {
        let name = format!("before-{i}");
        root.create_user().user_name(&name).send().await.unwrap();
        let key = root.create_access_key().user_name(&name).send().await.unwrap().access_key.unwrap();
        acked.push((name, Some((key.access_key_id, key.secret_access_key))));
    }
    let filler = mount.path().join("filler");
    let filled = fill(&filler);

    // Write until the disk refuses: every success before is acknowledged (and checked after the
    // restart), the refusal is a 5xx, and from then on nothing more is acknowledged.
    let mut refused = None;
    for i in 0..5000 {
        let name = format!("full-{i:04}");
        match root.create_user().user_name(&name).tags(tag()).send().await {
            Ok(_) => acked.push((name, None)),
            Err(e) => {
                refused = Some((name, http_status(&e), aws_error(&e).0));
                break;
            }
        }
    }
    let (first_refused, status, code) = refused.expect("5000 writes acknowledged on a full disk");
    assert_eq!((status, code.as_str()), (500, "ServiceFailure"), "{first_refused}");
    for i in 0..5 {
        let e = root.create_user().user_name(format!("later-{i}")).send().await.unwrap_err();
        assert_eq!(http_status(&e), 500, "a write after the failure: {e:?}");
    }
    // Reads still work on the full disk.
    for (name, key) in &acked {
        root.get_user().user_name(name).send().await.unwrap_or_else(|e| panic!("{name}: {e:?}"));
        if let Some((id, secret)) = key {
            sts(&d.endpoint(), id, secret, None).get_caller_identity().send().await.unwrap();
        }
    }
    // The failed flush is reported at shutdown too.
    d.sigterm();
    let status = d.wait_exit(EXIT_TIMEOUT);
    assert_eq!(status.code(), Some(1), "SIGTERM after a failed flush: {status}");
    drop(d);

    std::fs::remove_file(&filler).unwrap();
    let d = start(&data, Some(ROOT));
    let root = iam(&d.endpoint(), ROOT.0, ROOT.1);
    for (name, key) in &acked {
        let u = root.get_user().user_name(name).send().await.unwrap_or_else(|e| panic!("{name} lost: {e:?}"));
        assert_eq!(u.user.unwrap().user_name, *name);
        if let Some((id, secret)) = key {
            let me = sts(&d.endpoint(), id, secret, None).get_caller_identity().send().await.unwrap();
            assert!(me.arn.unwrap().ends_with(&format!(":user/{name}")));
        }
    }
    for i in 0..5 {
        assert_eq!(
            aws_error(&root.get_user().user_name(format!("later-{i}")).send().await.unwrap_err()).0,
            "NoSuchEntity"
        );
    }
    let landed = root.get_user().user_name(&first_refused).send().await.is_ok();
    root.create_user().user_name("recovered").send().await.unwrap();
    let listed = root.list_users().max_items(1000).send().await.unwrap().users;
    assert!(listed.len() > acked.len(), "{} listed, {} acknowledged and one more", listed.len(), acked.len());
    println!(
        "full tmpfs ({filled} filler bytes): {} writes acknowledged, the next answered 500 ServiceFailure \
         (found after restart: {landed}), 5 more refused; all acknowledged intact after freeing space",
        acked.len()
    );
}

fn tag() -> aws_sdk_iam::types::Tag {
    // A large tag value, so each write takes room.
    aws_sdk_iam::types::Tag::builder().key("pad").value("x".repeat(256)).build().unwrap()
}
