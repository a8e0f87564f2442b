//! Seed state and the `iamd::testing::TestServer` fixture: config/seed.example.toml applied
//! through the fixture, read back with the Rust SDK; the seeded key signs; re-applying changes
//! nothing; a conflict names its entity and writes nothing; a step that fails is undone.

use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_sdk_iam::config::{BehaviorVersion, Region};
use aws_smithy_http_client::Builder as HttpBuilder;
use aws_smithy_types::retry::RetryConfig;
use iamd::seed::{Applied, Seed};
use iamd::state::State;
use iamd::testing::TestServer;

fn example() -> Seed {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/seed.example.toml");
    Seed::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn iam(server: &TestServer, id: &str, secret: &str) -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(server.endpoint())
        .credentials_provider(Credentials::new(id, secret, None, None, "test"))
        .http_client(HttpBuilder::new().build_http())
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

fn root_iam(server: &TestServer) -> aws_sdk_iam::Client {
    let (id, secret) = server.root_key();
    iam(server, id, secret)
}

fn sts(server: &TestServer, id: &str, secret: &str) -> aws_sdk_sts::Client {
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(server.endpoint())
        .credentials_provider(Credentials::new(id, secret, None, None, "test"))
        .http_client(HttpBuilder::new().build_http())
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

async fn apply(state: &Arc<State>, seed: Seed) -> Result<Applied, String> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || iamd::seed::apply(&state, &seed)).await.unwrap()
}

async fn user_names(server: &TestServer) -> Vec<String> {
    let users = root_iam(server).list_users().send().await.unwrap();
    users.users().iter().map(|u| u.user_name().to_owned()).collect()
}

#[tokio::test]
async fn the_example_seed_is_applied_and_its_key_signs() {
    let server = TestServer::builder().seed(example()).start().await.unwrap();
    let root = root_iam(&server);
    let account = server.account_id().to_owned();
    let ci = root.get_user().user_name("ci").send().await.unwrap();
    let ci = ci.user().unwrap();
    assert_eq!(ci.path(), "/ci/");
    assert_eq!(
        ci.permissions_boundary().unwrap().permissions_boundary_arn(),
        Some(&*format!("arn:aws:iam::{account}:policy/ci-boundary"))
    );
    assert_eq!(ci.tags().iter().map(|t| (t.key(), t.value())).collect::<Vec<_>>(), [("owner", "ci")]);
    let attached = root.list_attached_user_policies().user_name("ci").send().await.unwrap();
    let arns: Vec<_> = attached.attached_policies().iter().filter_map(|p| p.policy_arn()).collect();
    assert_eq!(arns, [format!("arn:aws:iam::{account}:policy/ci/ci-read")]);
    let inline = root.list_user_policies().user_name("ci").send().await.unwrap();
    assert_eq!(inline.policy_names(), ["own-keys"]);
    let groups = root.list_groups_for_user().user_name("ci").send().await.unwrap();
    assert_eq!(groups.groups().iter().map(|g| g.group_name()).collect::<Vec<_>>(), ["devs"]);
    let group = root.list_attached_group_policies().group_name("devs").send().await.unwrap();
    assert_eq!(group.attached_policies().len(), 1);
    assert_eq!(root.list_group_policies().group_name("devs").send().await.unwrap().policy_names(), ["list-users"]);
    let role = root.get_role().role_name("deployer").send().await.unwrap();
    let role = role.role().unwrap();
    assert_eq!(role.max_session_duration(), Some(3600));
    assert_eq!(role.description(), Some("Assumed by the ci user"));
    assert_eq!(root.list_role_policies().role_name("deployer").send().await.unwrap().policy_names(), ["deploy"]);
    let policy =
        root.get_policy().policy_arn(format!("arn:aws:iam::{account}:policy/ci/ci-read")).send().await.unwrap();
    assert_eq!(policy.policy().unwrap().attachment_count(), Some(3));
    assert_eq!(user_names(&server).await, ["ci", "deploy-bot"]);

    // The fixed key signs as the seeded user.
    let who = sts(&server, "AKIAI44QH2DHBEXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY")
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(who.arn(), Some(&*format!("arn:aws:iam::{account}:user/ci/ci")));
    let wrong = sts(&server, "AKIAI44QH2DHBEXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEX");
    assert!(wrong.get_caller_identity().send().await.is_err());

    // Applying it again, or after a change the seed does not mention, changes nothing.
    assert_eq!(apply(server.state(), example()).await.unwrap(), Applied { steps: 0 });
    root.create_user().user_name("added-later").send().await.unwrap();
    assert_eq!(apply(server.state(), example()).await.unwrap(), Applied { steps: 0 });
    server.stop().await;
}

#[tokio::test]
async fn a_conflict_names_its_entity_and_nothing_is_applied() {
    let server = TestServer::builder().seed(example()).start().await.unwrap();
    let key = Seed::parse(
        "[[users]]\nname = \"deploy-bot\"\n[[users.access_keys]]\nid = \"AKIAI44QH2DHBEXAMPLE\"\n\
         secret = \"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY\"\n",
    )
    .unwrap();
    let cases = [
        (
            "[[policies]]\nname = \"ci-read\"\npath = \"/ci/\"\ndocument = '''{\"Version\":\"2012-10-17\",\"Statement\":[]}'''\n",
            "policy \"ci-read\": its stored default version (v1) differs",
        ),
        ("[[users]]\nname = \"ci\"\n", "user \"ci\": stored with path \"/ci/\", the seed says \"/\""),
        (
            "[[roles]]\nname = \"deployer\"\ntrust_policy = '''{\"Version\":\"2012-10-17\",\"Statement\":[]}'''\n",
            "role \"deployer\": its stored trust policy differs",
        ),
        (
            "[[users]]\nname = \"deploy-bot\"\ngroups = [\"nowhere\"]\n",
            "group \"nowhere\" is neither in the seed nor stored",
        ),
    ];
    for (text, expected) in cases {
        let mut seed = Seed::parse("[[users]]\nname = \"newcomer\"\n").unwrap();
        seed.extend(Seed::parse(text).unwrap());
        let e = apply(server.state(), seed).await.unwrap_err();
        assert!(e.contains(expected), "{e}");
        assert!(e.contains("nothing was applied"), "{e}");
        assert!(!user_names(&server).await.contains(&"newcomer".to_owned()), "{expected}: a conflicting seed wrote");
    }
    let e = apply(server.state(), key).await.unwrap_err();
    assert!(e.contains("access key AKIAI44QH2DHBEXAMPLE: stored for user \"ci\""), "{e}");
    let other_secret = example();
    let mut other_secret = other_secret;
    other_secret.users[0].access_keys[0].secret = "a-different-secret-of-40-characters-long".into();
    let e = apply(server.state(), other_secret).await.unwrap_err();
    assert!(e.contains("stored with a different secret"), "{e}");
    assert!(!e.contains("a-different-secret"), "the message must not show a secret: {e}");
    server.stop().await;
}

#[tokio::test]
async fn a_failing_step_undoes_the_ones_before_it() {
    let server = TestServer::start().await;
    // The user, its attachment and its key are made before the inline policy's invalid
    // document fails: all of them are taken back.
    let seed = Seed::parse(
        "[[policies]]\nname = \"p\"\ndocument = '''{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}'''\n\
         [[users]]\nname = \"half\"\nattached_policies = [\"p\"]\ninline_policies = { broken = \"not json\" }\n\
         [[users.access_keys]]\nid = \"AKIAI44QH2DHBEXAMPLE\"\nsecret = \"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY\"\n",
    )
    .unwrap();
    let e = apply(server.state(), seed).await.unwrap_err();
    assert!(e.contains("user \"half\": inline policy \"broken\": MalformedPolicyDocument"), "{e}");
    assert!(e.contains("undone"), "{e}");
    assert!(user_names(&server).await.is_empty());
    let root = root_iam(&server);
    assert!(
        root.list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Local)
            .send()
            .await
            .unwrap()
            .policies()
            .is_empty()
    );
    let key = sts(&server, "AKIAI44QH2DHBEXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY");
    assert!(key.get_caller_identity().send().await.is_err(), "the undone key still signs");
    server.stop().await;
}

#[cfg(feature = "sdk-config")]
#[tokio::test]
async fn sdk_config_points_any_client_at_the_server() {
    let server = TestServer::start().await;
    let conf =
        aws_sdk_iam::config::Builder::from(&server.sdk_config()).http_client(HttpBuilder::new().build_http()).build();
    let iam = aws_sdk_iam::Client::from_conf(conf);
    iam.create_user().user_name("via-sdk-config").send().await.unwrap();
    assert_eq!(user_names(&server).await, ["via-sdk-config"]);
    server.stop().await;
}
