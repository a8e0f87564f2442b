//! TLS to the database, asked for in the store URL as libpq has it: `sslmode=require`,
//! `verify-ca` or `verify-full` encrypts, and the server's certificate is always verified (a
//! secret-keeping service does not talk to an unproven database), against `sslrootcert=FILE`
//! (PEM) when the URL names one, else the public web roots. Other modes (`disable`, and
//! `prefer`, the default) connect in the clear. Host names are checked as in `verify-full`.

use std::sync::Arc;

use tokio_postgres_rustls::MakeRustlsConnect;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto::ring};

/// The URL tokio-postgres understands (our parameters taken out, libpq's verifying modes
/// turned into `require`), and the TLS connector when the URL asks for TLS.
///
/// # Errors
/// A root certificate file that cannot be read or holds no certificate.
pub fn from_url(url: &str) -> Result<(String, Option<MakeRustlsConnect>), String> {
    let Some((base, query)) = url.split_once('?') else { return Ok((url.to_owned(), None)) };
    let (mut tls, mut roots, mut kept) = (false, None, Vec::new());
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match (k.as_ref(), v.as_ref()) {
            ("sslrootcert", file) => roots = Some(file.to_owned()),
            ("sslmode", "require" | "verify-ca" | "verify-full") => {
                tls = true;
                kept.push(("sslmode".to_owned(), "require".to_owned()));
            }
            _ => kept.push((k.into_owned(), v.into_owned())),
        }
    }
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(&kept).finish();
    let url = if query.is_empty() { base.to_owned() } else { format!("{base}?{query}") };
    if !tls {
        return Ok((url, None));
    }
    let mut store = RootCertStore::empty();
    match roots {
        Some(file) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&file)
                .and_then(Iterator::collect)
                .map_err(|e| format!("the store's sslrootcert {file}: {e}"))?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!("the store's sslrootcert {file} holds no certificate"));
            }
        }
        None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS to the database: {e}"))?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok((url, Some(MakeRustlsConnect::new(config))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_keeps_what_tokio_postgres_knows_and_asks_for_tls_when_libpq_would() {
        let (url, tls) = from_url("postgres://u@h/db").unwrap();
        assert_eq!((url.as_str(), tls.is_some()), ("postgres://u@h/db", false));
        let (url, tls) = from_url("postgres://u@h/db?sslmode=prefer&application_name=x").unwrap();
        assert_eq!((url.as_str(), tls.is_some()), ("postgres://u@h/db?sslmode=prefer&application_name=x", false));
        let (url, tls) = from_url("postgres://u@h/db?sslmode=verify-full").unwrap();
        assert_eq!((url.as_str(), tls.is_some()), ("postgres://u@h/db?sslmode=require", true));
        let e = from_url("postgres://u@h/db?sslmode=require&sslrootcert=/nonexistent.pem").err().unwrap();
        assert!(e.contains("/nonexistent.pem"), "{e}");
    }
}
