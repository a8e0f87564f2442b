//! The environment a client needs to talk to this daemon, as `--print-env` prints it and
//! `--env-file` appends it: endpoints (the generic one and IAM's, STS's and the S3 gateway's),
//! the root key when it is known, and the region under both names SDKs read (botocore reads
//! only `AWS_DEFAULT_REGION`, the other SDKs `AWS_REGION`).

use std::fmt::Write as _;

/// How the lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `NAME=value`: a dotenv file, `$GITHUB_ENV`, `docker --env-file`.
    Dotenv,
    /// `export NAME='value'`: for `eval "$(…)"` in a shell.
    Shell,
}

/// What the lines say.
pub struct ClientEnv<'a> {
    pub endpoint: String,
    pub s3_endpoint: Option<String>,
    pub root_key: Option<(&'a str, &'a str)>,
    pub region: &'a str,
}

impl ClientEnv<'_> {
    /// The variables, in the order they are printed (the region last: a reader may wait for it).
    #[must_use]
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        if let Some(s3) = &self.s3_endpoint {
            v.push(("AWS_ENDPOINT_URL_S3", s3.clone()));
        }
        v.push(("AWS_ENDPOINT_URL", self.endpoint.clone()));
        v.push(("AWS_ENDPOINT_URL_IAM", self.endpoint.clone()));
        v.push(("AWS_ENDPOINT_URL_STS", self.endpoint.clone()));
        if let Some((id, secret)) = self.root_key {
            v.push(("AWS_ACCESS_KEY_ID", id.to_owned()));
            v.push(("AWS_SECRET_ACCESS_KEY", secret.to_owned()));
        }
        v.push(("AWS_REGION", self.region.to_owned()));
        v.push(("AWS_DEFAULT_REGION", self.region.to_owned()));
        v
    }

    /// All the lines, each ending in a newline.
    #[must_use]
    pub fn render(&self, format: Format) -> String {
        let mut out = String::new();
        for (name, value) in self.variables() {
            let _ = match format {
                Format::Dotenv => writeln!(out, "{name}={value}"),
                Format::Shell => writeln!(out, "export {name}='{}'", value.replace('\'', r"'\''")),
            };
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_name_every_endpoint_and_both_region_variables() {
        let env = ClientEnv {
            endpoint: "http://127.0.0.1:1".into(),
            s3_endpoint: None,
            root_key: Some(("AKIAEXAMPLE", "se'cret")),
            region: "eu-west-1",
        };
        assert_eq!(
            env.render(Format::Dotenv),
            "AWS_ENDPOINT_URL=http://127.0.0.1:1\nAWS_ENDPOINT_URL_IAM=http://127.0.0.1:1\n\
             AWS_ENDPOINT_URL_STS=http://127.0.0.1:1\nAWS_ACCESS_KEY_ID=AKIAEXAMPLE\n\
             AWS_SECRET_ACCESS_KEY=se'cret\nAWS_REGION=eu-west-1\nAWS_DEFAULT_REGION=eu-west-1\n"
        );
        let shell = env.render(Format::Shell);
        assert!(shell.contains("export AWS_SECRET_ACCESS_KEY='se'\\''cret'\n"), "{shell}");
        assert!(shell.ends_with("export AWS_DEFAULT_REGION='eu-west-1'\n"), "{shell}");
    }
}
